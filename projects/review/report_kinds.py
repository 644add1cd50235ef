"""PDF report kinds built on review data (auto-discovered by ``portal.core.reports``).

- ``application`` (ID = ``Application`` pk): the application's evaluation report —
  rubric scores per criterion with a chart, normalised score, rank, tier, anonymised
  reviewer comments ("Reviewer A", "Reviewer B", … in the order the reviews were
  created) and the published decision.
- ``call`` (ID = ``CallPage`` pk, either language's page): the call summary —
  statistics, the ranking table, the distribution of review totals and the money
  raised/matched by each ranked project.

Money is read through ORM relations (``projects.directory.money_by_project``): review
sits below funding in the app graph and never imports it.

Access: the named permissions ``review.view_application_report`` and
``review.view_call_report`` (projects/review/rules.py). An application report is
open to the applying organization's members once the call's results are published; a
call summary is public (anonymous visitors included) once its results are published. A
reviewer reads an application report only for their own non-recused assignment, after
submitting their review, and only once results are published (it shows the other
reviewers' scores). In a blind call a reviewer gets only
``application_anonymised`` (permission ``review.view_anonymised_application_report``):
the same report with the organization's identity removed and masked in the comments.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from portal.core.reports import data_fingerprint, register_report
from projects.enums import ApplicationStatus, ProjectStatus, ProjectTier
from projects.models import Application, CallPage, Project

from . import blind
from .enums import Recommendation, ReviewStatus
from .models import Decision, RankingEntry, Review, ReviewSettings, Score

# More criteria than this make an unreadable radar: use bars instead.
RADAR_MIN_AXES = 3


def reviewer_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: an anonymous, stable name for the n-th review."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _num(value, places: int = 2) -> str:
    if value is None:
        return "—"
    value = Decimal(value).quantize(Decimal(1).scaleb(-places))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def results_published(call: CallPage, now=None) -> bool:
    """True once the call's results are in public notice (or the call is completed)."""
    now = now or timezone.now()
    return bool(call.notice_published_at and call.notice_published_at <= now)


def _settings_for(call: CallPage) -> ReviewSettings | None:
    """The call's review settings, or those of its translation that carries the review
    (results are the same on every language's page)."""
    found = list(
        ReviewSettings.objects.select_related("rubric", "call").filter(
            Q(call=call) | Q(call__translation_key=call.translation_key)
        )
    )
    return next((s for s in found if s.call_id == call.pk), found[0] if found else None)


# --- application ---------------------------------------------------------------------


def get_application(obj_id: int) -> Application:
    return Application.objects.select_related("organization", "call").get(pk=obj_id)


def _submitted_reviews(application_id: int) -> list[Review]:
    return list(
        Review.objects.filter(
            assignment__application_id=application_id, status=ReviewStatus.SUBMITTED
        )
        .select_related("rubric")
        .prefetch_related("scores")
        .order_by("assignment_id", "pk")
    )


def application_context(application: Application) -> dict:
    from portal.core import charts

    call = application.call
    config = _settings_for(call)
    reviews = _submitted_reviews(application.pk)
    rubric = reviews[0].rubric if reviews else (config.rubric if config else None)
    criteria = list(rubric.criteria.all()) if rubric else []
    by_criterion: dict[int, list[Decimal]] = {c.pk: [] for c in criteria}
    for review in reviews:
        for score in review.scores.all():
            by_criterion.setdefault(score.criterion_id, []).append(score.value)
    rows = []
    for criterion in criteria:
        values = by_criterion.get(criterion.pk) or []
        mean = sum(values) / len(values) if values else None
        span = criterion.scale_max - criterion.scale_min
        percent = (mean - criterion.scale_min) / span * 100 if mean is not None else None
        rows.append(
            {
                "name": criterion.name,
                "weight": criterion.weight,
                "independent": criterion.independent,
                "mean": _num(mean),
                "scale": f"{_num(criterion.scale_min)}–{_num(criterion.scale_max)}",
                "percent": _num(percent, 0),
                "percent_value": float(percent) if percent is not None else None,
            }
        )
    chart = None
    if reviews and rows:
        title = _("Mean score per criterion, per cent of its scale")
        names = [r["name"] for r in rows]
        values = [r["percent_value"] for r in rows]
        if len(rows) >= RADAR_MIN_AXES:
            chart = charts.radar_chart(title=title, dimensions=names, series=values)
        else:
            chart = charts.bar_chart(title=title, labels=names, series=values, max_value=100)
    comments = []
    for index, review in enumerate(reviews):
        comments.append(
            {
                "reviewer": _("Reviewer %(letter)s") % {"letter": reviewer_letter(index)},
                "total": _num(review.total),
                "recommendation": Recommendation(review.recommendation).label
                if review.recommendation
                else "",
                "strengths": review.strengths,
                "weaknesses": review.weaknesses,
                "comments": review.comments,
            }
        )
    entry = RankingEntry.objects.filter(application=application).first()
    ranked_count = RankingEntry.objects.filter(call_id=entry.call_id).count() if entry else 0
    decision = Decision.objects.filter(application=application).select_related("call").first()
    max_total = rubric.max_total() if rubric else None
    tier_label = (
        ProjectTier(decision.tier).label
        if decision
        else (ProjectTier(entry.tier).label if entry and entry.tier else "")
    )
    cover_facts = [
        (_("Organization"), application.organization.name),
        (_("Call"), call.title),
        (_("Application status"), application.get_status_display()),
    ]
    if entry:
        cover_facts.append((_("Rank"), f"{entry.rank} / {ranked_count}"))
    if decision:
        cover_facts.append((pgettext("funding decision", "Decision"), tier_label))
    return {
        "title": application.title or str(application),
        "organization_name": application.organization.name,
        "running_title": _("Evaluation report: %(title)s")
        % {"title": application.title or str(application)},
        "subtitle": call.title,
        "cover": True,
        "reference": f"A-{application.pk}",
        "cover_facts": cover_facts,
        "application": application,
        "organization": application.organization,
        "call": call,
        "rubric": rubric,
        "rows": rows,
        "chart": chart,
        "reviews": comments,
        "review_count": len(reviews),
        "entry": entry,
        "entry_mean": _num(entry.mean) if entry else "",
        "entry_median": _num(entry.median) if entry else "",
        "entry_normalised": _num(entry.normalised) if entry else "",
        "entry_spread": _num(entry.spread) if entry else "",
        "ranked_count": ranked_count,
        "max_total": _num(max_total) if max_total is not None else "",
        "decision": decision,
        "decision_normalised": _num(decision.normalised) if decision else "",
        "tier_label": tier_label,
        "appeal_ends_at": call.appeal_ends_at,
    }


def build_application(obj_id: int, language: str) -> tuple[str, dict]:
    return "review/reports/application.html", application_context(get_application(obj_id))


def anonymised_application_context(application: Application) -> dict:
    """The evaluation report as a reviewer of a blind call may read it: the applying
    organization's names, credit code and contacts removed from the title and masked
    wherever they occur in the reviewers' comments (``projects.review.blind``), and without
    the rank, score and decision, which the public results would map back to it."""
    context = application_context(application)
    names = blind.identifying_strings(application.organization)
    title = blind.anonymise_application(application).title or f"A-{application.pk}"
    organization_label = blind.placeholder()
    context.update(
        title=title,
        running_title=_("Evaluation report: %(title)s") % {"title": title},
        organization_name=organization_label,
        anonymised=True,
        # Rank, score and decision are left out: with the public results (call summary,
        # public notice) they would name the organization at once.
        cover_facts=[
            (label, organization_label if label == _("Organization") else value)
            for label, value in context["cover_facts"]
            if label not in (_("Rank"), pgettext("funding decision", "Decision"))
        ],
        entry=None,
        decision=None,
        tier_label="",
        reviews=[
            {
                **review,
                **{
                    key: blind.mask_text(review[key], names)
                    for key in ("strengths", "weaknesses", "comments")
                },
            }
            for review in context["reviews"]
        ],
    )
    return context


def build_anonymised_application(obj_id: int, language: str) -> tuple[str, dict]:
    return (
        "review/reports/application.html",
        anonymised_application_context(get_application(obj_id)),
    )


def anonymised_application_fingerprint(obj_id: int) -> str:
    application = get_application(obj_id)
    return data_fingerprint(
        "application-anonymised-v1",
        application_fingerprint(obj_id),
        blind.identifying_strings(application.organization),
    )


def application_fingerprint(obj_id: int) -> str:
    application = get_application(obj_id)
    call = application.call
    reviews = list(
        Review.objects.filter(assignment__application_id=obj_id)
        .values_list(
            "pk",
            "status",
            "total",
            "recommendation",
            "strengths",
            "weaknesses",
            "comments",
            "updated_at",
        )
        .order_by("pk")
    )
    scores = list(
        Score.objects.filter(review__assignment__application_id=obj_id)
        .values_list("review_id", "criterion_id", "value")
        .order_by("pk")
    )
    entry = list(
        RankingEntry.objects.filter(application_id=obj_id).values_list(
            "rank", "normalised", "mean", "median", "spread", "tier", "n_reviews", "computed_at"
        )
    )
    ranked_count = RankingEntry.objects.filter(call_id=call.pk).count()
    decision = list(
        Decision.objects.filter(application_id=obj_id).values_list(
            "rank", "normalised", "tier", "published_at"
        )
    )
    config = _settings_for(call)
    criteria = (
        list(
            config.rubric.criteria.values_list(
                "pk", "name", "weight", "scale_min", "scale_max", "independent"
            )
        )
        if config
        else []
    )
    return data_fingerprint(
        "application-v1",
        application.title,
        application.status,
        application.updated_at,
        application.organization.name,
        call.title,
        call.notice_published_at,
        call.appeal_ends_at,
        reviews,
        scores,
        entry,
        ranked_count,
        decision,
        criteria,
    )


# --- call ------------------------------------------------------------------------------


def get_call(obj_id: int) -> CallPage:
    return CallPage.objects.get(pk=obj_id)


def _ranking(call: CallPage) -> list[RankingEntry]:
    return list(
        RankingEntry.objects.filter(call=call)
        .select_related("application__organization")
        .order_by("rank")
    )


def _call_projects(call_ids: set[int], decisions) -> list:
    """Every project of the call: those of its decisions and any entered without one
    (they all count in the summary's totals; its table lists the ranked ones)."""
    projects = {d.project.pk: d.project for d in decisions if d.project is not None}
    for project in Project.objects.filter(call_id__in=call_ids):
        projects.setdefault(project.pk, project)
    return list(projects.values())


def _row_tier(entry, project) -> str:
    """The ranking row's outcome: a terminated project is listed as such, never as
    funded."""
    if project is not None and project.status == ProjectStatus.TERMINATED:
        return str(ProjectStatus.TERMINATED.label)
    return str(ProjectTier(entry.tier).label) if entry.tier else ""


def call_context(call: CallPage) -> dict:
    from portal.core import charts
    from portal.core.money import format_fen
    from projects.directory import money_by_project

    from .selectors import score_distribution

    config = _settings_for(call)
    review_call = config.call if config else call
    statuses = dict(
        Application.objects.filter(call=review_call)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = [(label, statuses.get(value, 0)) for value, label in ApplicationStatus.choices]
    submitted = sum(
        n
        for status, n in statuses.items()
        if status not in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)
    )
    reviewed = (
        Application.objects.filter(
            call=review_call, review_assignments__review__status=ReviewStatus.SUBMITTED
        )
        .distinct()
        .count()
    )
    reviews_in = Review.objects.filter(
        assignment__application__call=review_call, status=ReviewStatus.SUBMITTED
    ).count()
    entries = _ranking(review_call)
    decisions = {
        d.application_id: d
        for d in Decision.objects.filter(call=review_call).select_related("project")
    }
    projects = _call_projects({call.pk, review_call.pk}, decisions.values())
    money = money_by_project(projects)
    totals = {
        "raised": sum(m.raised for m in money.values()),
        "matched": sum(m.matched for m in money.values()),
    }
    rows = []
    for entry in entries:
        decision = decisions.get(entry.application_id)
        project = decision.project if decision else None
        figures = money.get(project.pk) if project else None
        rows.append(
            {
                "rank": entry.rank,
                "title": entry.application.title or str(entry.application),
                "organization": entry.application.organization.name,
                "reviews": entry.n_reviews,
                "normalised": _num(entry.normalised),
                "tier": _row_tier(entry, project),
                "raised": format_fen(figures.raised, figures.currency) if figures else "—",
                "matched": format_fen(figures.matched, figures.currency) if figures else "—",
            }
        )
    distribution_chart = None
    max_total = config.rubric.max_total() if config else Decimal(0)
    if config and reviews_in:
        bins = 10
        counts = score_distribution(review_call, max_total, bins=bins)
        step = max_total / bins
        labels = [f"{_num(step * i, 0)}–{_num(step * (i + 1), 0)}" for i in range(bins)]
        distribution_chart = charts.bar_chart(
            title=_("Review totals by score band (number of reviews)"), labels=labels, series=counts
        )
    tier_counts = [
        (label, sum(1 for e in entries if e.tier == value)) for value, label in ProjectTier.choices
    ]
    currency = call.currency
    return {
        "title": call.title,
        "running_title": _("Call summary: %(title)s") % {"title": call.title},
        "subtitle": _("Call summary report"),
        "cover": True,
        "reference": f"C-{call.pk}",
        "cover_facts": [
            (_("Applications"), str(submitted)),
            (_("Ranked"), str(len(entries))),
            (_("State"), call.get_state_display()),
            (_("Total budget"), format_fen(call.total_budget, currency)),
        ],
        "call": call,
        "config": config,
        "by_status": by_status,
        "submitted": submitted,
        "eligible": statuses.get(ApplicationStatus.ELIGIBLE, 0),
        "reviewed": reviewed,
        "reviews_in": reviews_in,
        "rows": rows,
        "distribution_chart": distribution_chart,
        "tier_counts": tier_counts,
        "max_total": _num(max_total),
        "published": results_published(call),
        "raised_total": format_fen(totals["raised"], currency),
        "matched_total": format_fen(totals["matched"], currency),
        "has_money": bool(projects),
    }


def build_call(obj_id: int, language: str) -> tuple[str, dict]:
    return "review/reports/call.html", call_context(get_call(obj_id))


def call_fingerprint(obj_id: int) -> str:
    from projects.directory import money_by_project

    call = get_call(obj_id)
    config = _settings_for(call)
    review_call_id = config.call_id if config else call.pk
    statuses = sorted(
        Application.objects.filter(call_id=review_call_id)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    ranking = list(
        RankingEntry.objects.filter(call_id=review_call_id)
        .values_list(
            "rank",
            "application_id",
            "application__title",
            "application__organization__name",
            "normalised",
            "tier",
            "n_reviews",
        )
        .order_by("rank")
    )
    reviews = list(
        Review.objects.filter(
            assignment__application__call_id=review_call_id, status=ReviewStatus.SUBMITTED
        )
        .values_list("pk", "total")
        .order_by("pk")
    )
    decisions = list(
        Decision.objects.filter(call_id=review_call_id)
        .values_list("application_id", "tier", "project_id")
        .order_by("rank")
    )
    projects = [
        d.project
        for d in Decision.objects.filter(
            call_id=review_call_id, project__isnull=False
        ).select_related("project")
    ]
    money = sorted((pk, m.raised, m.matched) for pk, m in money_by_project(projects).items())
    return data_fingerprint(
        "call-v1",
        call.title,
        call.total_budget,
        call.currency,
        call.notice_published_at,
        call.appeal_ends_at,
        call.completed_at,
        call.review_started_at,
        call.opens_at,
        call.closes_at,
        statuses,
        ranking,
        reviews,
        decisions,
        money,
        config.rubric_id if config else None,
    )


register_report(
    "application",
    label=gettext_lazy("Application evaluation report"),
    get_object=get_application,
    build=build_application,
    permission="review.view_application_report",
    fingerprint=application_fingerprint,
)
register_report(
    "application_anonymised",
    label=gettext_lazy("Application evaluation report, anonymised (blind review)"),
    get_object=get_application,
    build=build_anonymised_application,
    permission="review.view_anonymised_application_report",
    fingerprint=anonymised_application_fingerprint,
)
register_report(
    "call",
    label=gettext_lazy("Call summary report"),
    get_object=get_call,
    build=build_call,
    permission="review.view_call_report",
    fingerprint=call_fingerprint,
)


# --- project final report ----------------------------------------------------------------
# Registered here until the delivery/evaluation apps carry milestones, progress reports
# and evaluations; it reads the application (objectives, indicators, budget) through the
# decision, and money through ORM relations (projects.directory).


def get_project(obj_id: int):
    from projects.models import Project

    return Project.objects.select_related("organization", "call", "region").get(pk=obj_id)


def project_application(project) -> Application | None:
    decision = Decision.objects.filter(project=project).select_related("application").first()
    return decision.application if decision else None


def _lines(answers: dict, step: str) -> list[dict]:
    content = answers.get(step) or {}
    return list(content.get("lines") or []) if isinstance(content, dict) else []


def project_report_data(project):
    """Facts and figures of the final report available without the delivery app:
    objectives, indicators and budget from the approved application, money from the
    ledger, spending by budget line from the recorded expenditures."""
    from portal.core.report_sections import ProjectReportData, merge_budget
    from projects.directory import money_by_project
    from projects.enums import BudgetCategory, FundingSource, IndicatorKind

    application = project_application(project)
    answers = application.answers if application else {}
    objectives = answers.get("objectives") or {}
    indicators = [
        {
            "kind": IndicatorKind(line["kind"]).label
            if line.get("kind") in IndicatorKind.values
            else line.get("kind", ""),
            "name": line.get("name", ""),
            "target": line.get("target", ""),
            "method": line.get("method", ""),
        }
        for line in _lines(answers, "indicators")
    ]
    planned = [
        (
            line.get("item", ""),
            int(line.get("quantity") or 0) * int(line.get("unit_price") or 0),
            BudgetCategory(line["category"]).label
            if line.get("category") in BudgetCategory.values
            else "",
            FundingSource(line["source"]).label
            if line.get("source") in FundingSource.values
            else "",
        )
        for line in _lines(answers, "budget")
    ]
    actual = list(project.expenditures.values_list("budget_line", "amount").order_by("pk"))
    money = money_by_project([project]).get(project.pk)
    return ProjectReportData(
        project=project,
        goal=objectives.get("goal", ""),
        objectives=[
            line.strip()
            for line in (objectives.get("objectives") or "").splitlines()
            if line.strip()
        ],
        indicators=indicators,
        budget=merge_budget(planned, actual),
        raised=money.raised if money else 0,
        matched=money.matched if money else 0,
        disbursed=money.disbursed if money else 0,
        spent=money.spent if money else 0,
        has_application=application is not None,
    )


def build_project(obj_id: int, language: str) -> tuple[str, dict]:
    from portal.core.report_sections import PROJECT_TEMPLATE, project_report_context

    return PROJECT_TEMPLATE, project_report_context(project_report_data(get_project(obj_id)))


def project_fingerprint(obj_id: int) -> str:
    from projects.directory import money_by_project

    project = get_project(obj_id)
    application = project_application(project)
    money = money_by_project([project]).get(project.pk)
    return data_fingerprint(
        "project-v1",
        project.title,
        project.status,
        project.tier,
        project.goal_amount,
        project.currency,
        project.organization.name,
        project.call.title if project.call else "",
        application.pk if application else None,
        application.updated_at if application else None,
        list(project.expenditures.values_list("pk", "budget_line", "amount").order_by("pk")),
        (money.raised, money.matched, money.disbursed, money.spent) if money else None,
    )


# The ``project`` kind is registered by projects/evaluation/report_kinds.py (evaluations,
# residents' feedback, delivery data) on top of project_report_data above.
