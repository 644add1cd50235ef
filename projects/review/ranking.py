"""Aggregation and ranking of a call's reviews.

The heavy part (one weighted total per review out of every score row, and the key
criterion's value) is one aggregate SQL query; the per-reviewer statistics, medians and
tie-breaks then work on one small tuple per review.

Definitions (also in docs/review.md):

* weighted total of a review ``t = Σ wᵢ·(vᵢ − minᵢ)/(maxᵢ − minᵢ)`` over criteria that are
  not independent; the rubric's range is ``[0, Σ wᵢ]``.
* per-reviewer z-score ``z = (t − μᵣ)/σᵣ`` with ``μᵣ``, ``σᵣ`` the mean and population
  standard deviation of that reviewer's submitted totals in the call; it is rescaled to
  the rubric's scale with the call-wide mean ``M`` and population deviation ``S`` of all
  submitted totals: ``n = M + S·z``, clamped to ``[0, Σ wᵢ]``. A reviewer whose totals do
  not vary (``σᵣ = 0``, e.g. a single review) cannot be corrected: ``n = t``.
* per application: mean and median of ``t``, normalised score = mean of ``n``; with
  ``drop_extremes`` and at least five reviews the single highest and lowest value are
  left out of each mean (the median is unchanged by that by construction); spread =
  max ``t`` − min ``t``, disagreement when spread > the call's threshold.
* only applications with at least the call's reviewers per application are ranked; the
  others are listed as "not ranked — insufficient reviews" (their reviews still count in
  their reviewers' statistics).
* order: normalised score ↓, median ↓, key criterion mean ↓ (none last), application
  first submitted ↑ (none last), application id ↑. Scores compare after rounding to
  four decimals so float noise from the database never decides a place.
* tiers: the first ``funded_count`` places are funded, the next ``reserve_count`` the
  reserve library (项目库), the rest not funded — but an application whose normalised
  score, on a 100-point scale (``100·n/Σwᵢ``), is below the tier's minimum never gets
  that tier whatever its place (it falls to the next tier whose minimum it meets, within
  that tier's places, else not funded). Places are never handed down to lower scores.
* ties at a cut: applications with the same normalised score that the tiers split (some
  in a higher tier than others) are a tie at a cut; only the tie-breaks separate them,
  so the review committee decides their order (``TieDecision``), which the ranking
  applies whenever the same applications tie again, and publication waits for it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, F, FloatField, Max, Sum, When
from django.db.models.functions import Cast

from projects.enums import ProjectTier

from .enums import ACTIVE_ASSIGNMENT_STATUSES, ReviewStatus
from .models import Score

FOUR = Decimal("0.0001")
# Below this a reviewer's totals count as not varying (float noise, not judgement).
SIGMA_EPSILON = 1e-9


@dataclass(frozen=True)
class ReviewTotal:
    review_id: int
    reviewer_id: int
    application_id: int
    total: float
    key: float | None


@dataclass
class Ranked:
    application_id: int
    n_reviews: int
    mean: Decimal
    median: Decimal
    normalised: Decimal
    key_score: Decimal | None
    spread: Decimal
    disagreement: bool
    first_submitted_at: datetime | None
    rank: int = 0
    tier: str = ""


def review_totals(call_id: int) -> list[ReviewTotal]:
    """Weighted total and key-criterion value of every submitted review of the call by a
    reviewer who is not recused (SQL)."""
    value = Cast(F("value"), FloatField())
    low = Cast(F("criterion__scale_min"), FloatField())
    high = Cast(F("criterion__scale_max"), FloatField())
    weight = Cast(F("criterion__weight"), FloatField())
    rows = (
        Score.objects.filter(
            review__assignment__application__call_id=call_id,
            review__assignment__status__in=ACTIVE_ASSIGNMENT_STATUSES,
            review__status=ReviewStatus.SUBMITTED,
        )
        .values(
            "review_id", "review__assignment__reviewer_id", "review__assignment__application_id"
        )
        .annotate(
            t=Sum(
                Case(
                    When(criterion__independent=False, then=weight * (value - low) / (high - low)),
                    default=0.0,
                    output_field=FloatField(),
                )
            ),
            k=Max(Case(When(criterion__is_key=True, then=value), output_field=FloatField())),
        )
        .order_by()
        .values_list(
            "review_id",
            "review__assignment__reviewer_id",
            "review__assignment__application_id",
            "t",
            "k",
        )
    )
    return [ReviewTotal(*row) for row in rows]


def _q(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(FOUR)


def _trimmed_mean(values: list[float], drop_extremes: bool) -> float:
    if drop_extremes and len(values) >= 5:
        values = sorted(values)[1:-1]
    return math.fsum(values) / len(values)


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and population standard deviation (``statistics.pstdev`` works in exact
    fractions and is far too slow for 15,000 values)."""
    mean = math.fsum(values) / len(values)
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def normalise(totals: list[ReviewTotal], max_total: float) -> dict[int, float]:
    """Review id → z-score normalised total, rescaled to the rubric's range."""
    if not totals:
        return {}
    by_reviewer: dict[int, list[float]] = {}
    for row in totals:
        by_reviewer.setdefault(row.reviewer_id, []).append(row.total)
    stats = {r: _mean_sd(v) for r, v in by_reviewer.items()}
    grand_mean, grand_sd = _mean_sd([row.total for row in totals])
    result = {}
    for row in totals:
        mu, sigma = stats[row.reviewer_id]
        if sigma < SIGMA_EPSILON:
            result[row.review_id] = row.total
        else:
            value = grand_mean + grand_sd * (row.total - mu) / sigma
            result[row.review_id] = min(max(value, 0.0), max_total)
    return result


def sort_key(entry: Ranked) -> tuple:
    """The documented tie-break order (see the module docstring)."""
    key = -entry.key_score if entry.key_score is not None else Decimal("Infinity")
    submitted = (0, entry.first_submitted_at) if entry.first_submitted_at else (1, None)
    return (-entry.normalised, -entry.median, key, submitted, entry.application_id)


def rank(
    *,
    totals: list[ReviewTotal],
    submitted_at: dict[int, datetime | None],
    max_total: float,
    threshold: Decimal,
    drop_extremes: bool,
    tiers: Tiers,
    min_reviews: int = 1,
    committee_orders: list[list[int]] = (),
) -> list[Ranked]:
    """Aggregate per application, order, number 1…n and assign tiers.

    Every review informs its reviewer's statistics, but only applications with at least
    ``min_reviews`` reviews are ranked (the others are "not ranked — insufficient
    reviews", listed by ``selectors.review_coverage``). Equally scored applications that
    a committee order lists exactly are put in that order."""
    normalised = normalise(totals, max_total)
    per_app: dict[int, list[ReviewTotal]] = {}
    for row in totals:
        per_app.setdefault(row.application_id, []).append(row)
    entries = []
    for app_id, rows in per_app.items():
        if len(rows) < min_reviews:
            continue
        raw = [r.total for r in rows]
        keys = [r.key for r in rows if r.key is not None]
        spread = _q(max(raw) - min(raw))
        entries.append(
            Ranked(
                application_id=app_id,
                n_reviews=len(rows),
                mean=_q(_trimmed_mean(raw, drop_extremes)),
                median=_q(statistics.median(raw)),
                normalised=_q(
                    _trimmed_mean([normalised[r.review_id] for r in rows], drop_extremes)
                ),
                key_score=_q(math.fsum(keys) / len(keys)) if keys else None,
                spread=spread,
                disagreement=spread > threshold,
                first_submitted_at=submitted_at.get(app_id),
            )
        )
    entries.sort(key=sort_key)
    entries = apply_committee_orders(entries, list(committee_orders))
    assign_tiers(entries, tiers)
    return entries


@dataclass(frozen=True)
class Tiers:
    """Places per tier and each tier's minimum, both minima on the rubric's own scale."""

    funded_count: int
    reserve_count: int
    funded_min: Decimal = Decimal(0)
    reserve_min: Decimal = Decimal(0)

    @classmethod
    def of(cls, config, max_total: Decimal) -> Tiers:
        """The call's tiers, its 100-point minima rescaled to the rubric's range."""
        scale = Decimal(max_total) / 100
        return cls(
            funded_count=config.funded_count,
            reserve_count=config.reserve_count,
            funded_min=(config.funded_min_score * scale).quantize(FOUR),
            reserve_min=(config.reserve_min_score * scale).quantize(FOUR),
        )


def tier_for(position: int, score: Decimal, tiers: Tiers) -> str:
    """The tier of the application at ``position`` with normalised ``score``."""
    if position <= tiers.funded_count and score >= tiers.funded_min:
        return ProjectTier.FUNDED_MATCHED
    if position <= tiers.funded_count + tiers.reserve_count and score >= tiers.reserve_min:
        return ProjectTier.RESERVE
    return ProjectTier.NOT_FUNDED


def assign_tiers(entries: list, tiers: Tiers) -> None:
    """Number ``entries`` (in rank order) 1…n and set each one's tier."""
    for position, entry in enumerate(entries, start=1):
        entry.rank = position
        entry.tier = tier_for(position, entry.normalised, tiers)


def apply_committee_orders(entries: list[Ranked], orders: list[list[int]]) -> list[Ranked]:
    """Reorder each group of equally scored entries whose applications a committee order
    lists exactly (``orders``: application ids, committee's order first); the groups keep
    their places in the ranking."""
    by_set = {frozenset(order): order for order in orders}
    result: list[Ranked] = []
    for group in _score_groups(entries):
        order = by_set.get(frozenset(e.application_id for e in group))
        if order is not None:
            group = sorted(group, key=lambda e: order.index(e.application_id))
        result.extend(group)
    return result


def _score_groups(entries: list) -> list[list]:
    groups: list[list] = []
    for entry in entries:
        if groups and groups[-1][0].normalised == entry.normalised:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def cut_ties(entries: list) -> list[list]:
    """The groups of entries (in rank order, with ranks and tiers set) that share a
    normalised score but not a tier: ties at a cut, for the committee."""
    return [group for group in _score_groups(entries) if len({e.tier for e in group}) > 1]
