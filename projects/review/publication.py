"""What publishing a call's results would do, computed once for the confirmation page and
for :func:`projects.review.services.publish_results` (so the officer confirms exactly what
is then published).

Reads only: no lock is taken here, the publishing service locks the call and its settings
before calling :func:`plan_publication`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.enums import ApplicationStatus, ProjectTier
from projects.models import Application, CallPage
from projects.scoring import services as scoring

from . import ranking, selectors
from .models import Decision, RankingEntry, ReviewSettings, TieDecision


def committee_orders(call: CallPage) -> list[list[int]]:
    """The committee's recorded orders for ties in ``call``, newest first."""
    return [list(d.applications) for d in TieDecision.objects.filter(call=call)]


def undecided_ties(call: CallPage, entries: list[RankingEntry]) -> list[list[RankingEntry]]:
    """The ties at a cut among ``entries`` whose order the committee has not recorded."""
    decided = {frozenset(order) for order in committee_orders(call)}
    return [
        group
        for group in ranking.cut_ties(entries)
        if frozenset(e.application_id for e in group) not in decided
    ]


@dataclass(frozen=True)
class PlannedRow:
    """One line of the notice as the confirmation page shows it."""

    application: Application
    rank: int | None
    normalised: object
    tier: str
    tier_label: str
    is_new: bool
    is_changed: bool


@dataclass
class PublicationPlan:
    """The decisions a publication gives, compared with the ones already published.

    ``outcome`` holds ``(application, rank, normalised, tier)`` for every application that
    gets a decision, ranked ones first in rank order; ``before``/``after`` map application
    ids to ``(rank, tier)``; ``blockers`` are what an officer must override with a reason.
    """

    entries: list[RankingEntry]
    unranked: list[Application]
    outcome: list[tuple]
    before: dict[int, tuple]
    after: dict[int, tuple]
    blockers: list[str] = field(default_factory=list)
    ranked_at: datetime | None = None

    @property
    def changed(self) -> list[Application]:
        """Applications whose outcome is new or different: their organizations are told."""
        return [a for a, *_rest in self.outcome if self.before.get(a.pk) != self.after[a.pk]]

    @property
    def notified_organizations(self) -> list:
        """The organizations notified on publication, each once, by name."""
        seen = {a.organization_id: a.organization for a in self.changed}
        return sorted(seen.values(), key=lambda o: (o.name, o.pk))

    @property
    def rows(self) -> list[PlannedRow]:
        return [
            PlannedRow(
                application=a,
                rank=rank,
                normalised=normalised,
                tier=tier,
                tier_label=ProjectTier(tier).label,
                is_new=a.pk not in self.before,
                is_changed=self.before.get(a.pk) not in (None, self.after[a.pk]),
            )
            for a, rank, normalised, tier in self.outcome
        ]

    @property
    def not_ranked(self) -> list[tuple]:
        return [row for row in self.outcome if row[1] is None]

    @property
    def is_republication(self) -> bool:
        return bool(self.before)


def _check_ranking(call: CallPage, config: ReviewSettings) -> None:
    if config.ranked_at is None:
        raise ValidationError(_("Rank the call before publishing the results."))
    if selectors.is_ranking_stale(call):
        raise ValidationError(
            _(
                "A review changed after the ranking was computed; rank the call again "
                "before publishing."
            )
        )
    if config.funded_count + config.reserve_count == 0:
        raise ValidationError(_("Set the tier boundaries (funded and reserve counts) first."))


def _check_override(blockers: list[str], override_reason: str) -> None:
    if blockers and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": [
                    _(
                        "Results cannot be published yet. A programme officer may publish "
                        "anyway with a written reason."
                    ),
                    *blockers,
                ]
            }
        )


def _check_ties(call: CallPage, entries: list[RankingEntry]) -> None:
    undecided = undecided_ties(call, entries)
    if undecided:
        raise ValidationError(
            [
                _(
                    "Applications tie at a funding or reserve cut; record the review "
                    "committee's decision on their order before publishing."
                ),
                *[
                    _("Tied: %(titles)s.")
                    % {
                        "titles": "、".join(
                            e.application.title or str(e.application_id) for e in group
                        )
                    }
                    for group in undecided
                ],
            ]
        )


def plan_publication(
    *, call: CallPage, config: ReviewSettings, now: datetime, override_reason: str | None
) -> PublicationPlan:
    """The publication's decisions, after every refusal of ``publish_results``.

    Raises ``ValidationError`` without a ranking, with a stale ranking, without tier
    boundaries, with ties at a cut the committee has not ordered, and when the results
    are published already with nothing changed. When ``override_reason`` is a string,
    also while blockers (open review window, missing reviews) stand and it is blank;
    ``None`` (the confirmation page) returns the blockers instead. The entries' tiers are
    set in memory, not saved."""
    _check_ranking(call, config)
    blockers = selectors.publication_blockers(call, now)
    if override_reason is not None:
        _check_override(blockers, override_reason)
    entries = list(
        RankingEntry.objects.filter(call=call)
        .select_related("application__organization")
        .order_by("rank")
    )
    ranking.assign_tiers(entries, ranking.Tiers.of(config, config.rubric.max_total()))
    _check_ties(call, entries)
    ranked_ids = {entry.application_id for entry in entries}
    unranked = list(
        Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE)
        .exclude(pk__in=ranked_ids)
        .select_related("organization")
        .order_by("pk")
    )
    existing = {
        d.application_id: d
        for d in Decision.objects.filter(call=call).select_related(
            "project", "application__organization"
        )
    }
    outcome = [(e.application, e.rank, e.normalised, e.tier) for e in entries] + [
        (a, None, None, ProjectTier.NOT_FUNDED) for a in unranked
    ]
    decided_ids = {a.pk for a, *_rest in outcome}
    for application_id, decision in existing.items():
        if application_id not in decided_ids:
            outcome.append((decision.application, None, None, ProjectTier.NOT_FUNDED))
    before = {pk: (d.rank, d.tier) for pk, d in existing.items()}
    after = {a.pk: (rank, tier) for a, rank, _n, tier in outcome}
    if call.notice_published_at is not None and before == after:
        raise ValidationError(
            _("These results are already published and nothing has changed since.")
        )
    return PublicationPlan(
        entries=entries,
        unranked=unranked,
        outcome=outcome,
        before=before,
        after=after,
        blockers=blockers,
        ranked_at=config.ranked_at,
    )


def preview_publication(*, call: CallPage, by, now: datetime | None = None) -> PublicationPlan:
    """What publishing ``call`` now would make public and whom it would notify, for the
    officer to confirm. Same refusals as ``publish_results`` (``ValidationError``) except
    the override reason, whose blockers are returned. ``PermissionDenied`` for non-staff.
    Writes nothing."""
    scoring.require_permission(by, "review.manage_review")
    try:
        config = call.review_settings
    except ReviewSettings.DoesNotExist:
        raise ValidationError(_("Set up the review settings for this call first.")) from None
    return plan_publication(
        call=call, config=config, now=now or timezone.now(), override_reason=None
    )
