"""Brand projects (品牌项目推广复制): projects that finished with an 优 final evaluation,
marked by programme staff with a short method summary, shown in a public showcase, and
replicated: an organization starts a draft application in an open call from a brand
project's design, credited to the original.

What is copied is the design, never the money or the people: the objectives and the
indicators (as saved answers), the activity plan without its dates and the budget
structure without unit prices (as unsaved drafts the applicant completes). The basic
information, beneficiary numbers, team, risks and attachments start empty.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.models import Organization
from portal.core.errors import DomainError
from projects import services as application_services
from projects.delivery.models import Delivery
from projects.enums import ApplicationStatus, ApplicationStep
from projects.forms import ROWS_PREFIX
from projects.models import Application, CallPage, Project
from projects.scoring import services as scoring

from .enums import EvaluationKind, EvaluationStatus, Grade
from .models import Evaluation

MANAGE = "evaluation.manage_evaluation"
METHOD_MAX = 2000


class BrandError(DomainError):
    """A refused brand-project action (translated message)."""


def final_evaluation(project: Project) -> Evaluation | None:
    """The project's published final evaluation, if any."""
    return Evaluation.objects.filter(
        project=project, kind=EvaluationKind.FINAL, status=EvaluationStatus.PUBLISHED
    ).first()


def brand_refusal(project: Project) -> str:
    """Why ``project`` cannot be a brand project (translated), or ``""``."""
    evaluation = final_evaluation(project)
    if evaluation is None:
        return _(
            "Only a project whose final evaluation has been published with the grade "
            "Excellent (优) can be a brand project; this project has no published final "
            "evaluation."
        )
    if evaluation.grade != Grade.EXCELLENT:
        return _(
            "Only a project whose final evaluation has been published with the grade "
            "Excellent (优) can be a brand project; this project's final grade is "
            "%(grade)s."
        ) % {"grade": evaluation.get_grade_display()}
    return ""


@transaction.atomic
def mark_brand_project(*, project: Project, method: str, method_en: str = "", by) -> Project:
    """Mark ``project`` as a brand project with its method summary (or update the
    summary). Staff only; refused unless its final evaluation is published as 优."""
    scoring.require_permission(by, MANAGE)
    project = Project.objects.select_for_update().get(pk=project.pk)
    refusal = brand_refusal(project)
    if refusal:
        raise BrandError(refusal, code="not_excellent")
    method, method_en = (method or "").strip(), (method_en or "").strip()
    if not method:
        raise BrandError(
            _("Describe in a few sentences what makes the method work."), field="method"
        )
    if len(method) > METHOD_MAX or len(method_en) > METHOD_MAX:
        raise BrandError(
            _("Keep the method summary to %(limit)d characters at most.") % {"limit": METHOD_MAX},
            field="method",
        )
    first = project.brand_marked_at is None
    project.brand_method, project.brand_method_en = method, method_en
    if first:
        project.brand_marked_at = timezone.now()
    project.save(update_fields=["brand_method", "brand_method_en", "brand_marked_at"])
    log(
        instance=project,
        action="evaluation.brand.mark" if first else "evaluation.brand.edit",
        user=by,
    )
    return project


@transaction.atomic
def unmark_brand_project(*, project: Project, by) -> Project:
    """Take ``project`` out of the showcase (applications already based on it keep
    their credit)."""
    scoring.require_permission(by, MANAGE)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.brand_marked_at is None:
        raise BrandError(_("This project is not a brand project."))
    project.brand_marked_at = None
    project.save(update_fields=["brand_marked_at"])
    log(instance=project, action="evaluation.brand.unmark", user=by)
    return project


# --- reading --------------------------------------------------------------------------


def brand_projects() -> QuerySet[Project]:
    """Public brand projects, newest first, with what the showcase shows: the
    organization, the published final evaluation and the number of applications
    handed in from their design. Three queries, whatever the number."""
    finals = Evaluation.objects.filter(kind=EvaluationKind.FINAL, status=EvaluationStatus.PUBLISHED)
    return (
        Project.objects.public()
        .filter(brand_marked_at__isnull=False)
        .select_related("organization", "region__parent")
        .prefetch_related(Prefetch("evaluations", queryset=finals, to_attr="final_evaluations"))
        .annotate(
            replication_count=Count(
                "replications", filter=~Q(replications__status__in=HIDDEN_REPLICATIONS)
            )
        )
        .order_by("-brand_marked_at", "-pk")
    )


# A draft is private to its organization; a withdrawn one never spread the model.
HIDDEN_REPLICATIONS = (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)


def public_replications(project: Project) -> list[Application]:
    """Applications handed in from ``project``'s design (drafts stay private), with
    their organization, call and, once funded, the project they became."""
    return list(
        Application.objects.filter(replicated_from=project)
        .exclude(status__in=HIDDEN_REPLICATIONS)
        .select_related("organization", "call", "review_decision__project")
        .order_by("-submitted_at", "-pk")
    )


def replicated_from(project: Project) -> Project | None:
    """The brand project whose design ``project``'s application was based on."""
    decision = getattr(project, "review_decision", None)
    if decision is None:
        return None
    return decision.application.replicated_from


def open_calls(now=None) -> list[CallPage]:
    """Live calls open for applications now."""
    now = now or timezone.now()
    calls = CallPage.objects.live().public().order_by("closes_at", "pk")
    return [call for call in calls if call.is_open(now)]


def editable_organizations(user) -> QuerySet[Organization]:
    """Organizations ``user`` may start applications for (owners and editors)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    memberships = [
        m.organization_id for m in user.memberships.select_related("organization") if m.can_edit
    ]
    return Organization.objects.filter(pk__in=memberships).order_by("name")


# --- replicating ----------------------------------------------------------------------


def _original_answers(project: Project) -> dict:
    """The approved application's answers; for a project recorded without one (an
    imported or older project), the plan its delivery keeps: indicators, milestones
    as activities and budget lines, in the application's shape."""
    decision = getattr(project, "review_decision", None)
    if decision is not None:
        return decision.application.answers
    delivery = Delivery.objects.filter(project=project).first()
    if delivery is None:
        return {}
    activities = [
        {"name": m.title, "description": m.deliverables[:1000]}
        for m in delivery.milestones.order_by("due_on", "pk")
    ]
    budget = [
        {
            "category": line.get("category", ""),
            "item": line.get("line", ""),
            "source": line.get("source", ""),
        }
        for line in delivery.budget_lines or []
    ]
    indicators = [
        {
            "kind": i.get("kind", ""),
            "name": i.get("name", ""),
            "target": str(i.get("target", "")),
            "method": "",
        }
        for i in delivery.indicators or []
    ]
    answers = {
        ApplicationStep.ACTIVITIES: {"lines": activities},
        ApplicationStep.BUDGET: {"lines": budget},
        ApplicationStep.INDICATORS: {"lines": indicators},
    }
    return {step: value for step, value in answers.items() if value["lines"]}


def _rows_draft(rows: list[dict], fields: tuple[str, ...]) -> dict[str, list[str]]:
    """Formset rows as the raw form data a step draft keeps (what the applicant sees
    filled in when opening the step); fields left out of ``fields`` stay empty."""
    raw = {
        f"{ROWS_PREFIX}-TOTAL_FORMS": [str(len(rows))],
        f"{ROWS_PREFIX}-INITIAL_FORMS": ["0"],
        f"{ROWS_PREFIX}-MIN_NUM_FORMS": ["0"],
        f"{ROWS_PREFIX}-MAX_NUM_FORMS": ["100"],
    }
    for index, row in enumerate(rows):
        for name in fields:
            raw[f"{ROWS_PREFIX}-{index}-{name}"] = [str(row.get(name, ""))]
    return raw


def design_of(project: Project) -> tuple[dict, dict]:
    """``(answers, drafts)`` to seed a new application with ``project``'s design."""
    original = _original_answers(project)
    answers, drafts = {}, {}
    for step in (ApplicationStep.OBJECTIVES, ApplicationStep.INDICATORS):
        if original.get(step):
            answers[step] = original[step]
    activities = (original.get(ApplicationStep.ACTIVITIES) or {}).get("lines", [])
    if activities:
        drafts[ApplicationStep.ACTIVITIES] = _rows_draft(activities, ("name", "description"))
    budget = (original.get(ApplicationStep.BUDGET) or {}).get("lines", [])
    if budget:
        drafts[ApplicationStep.BUDGET] = _rows_draft(
            budget, ("category", "item", "unit", "quantity", "source")
        )
    return answers, drafts


@transaction.atomic
def replicate_brand_project(
    *, project: Project, call: CallPage, organization: Organization, by
) -> Application:
    """Start a draft application of ``organization`` in ``call`` from the design of the
    brand project ``project``, credited to it. The usual rules of starting an
    application apply (editor of the organization, call open, eligible, one per call)."""
    project = Project.objects.get(pk=project.pk)
    if project.brand_marked_at is None:
        raise BrandError(_("Only a brand project's design can be replicated."))
    answers, drafts = design_of(project)
    if not answers and not drafts:
        raise BrandError(_("This brand project has no application design to copy."))
    application = application_services.start_application(
        call=call, organization=organization, by=by
    )
    application.answers, application.drafts = answers, drafts
    application.replicated_from = project
    application.save(update_fields=["answers", "drafts", "replicated_from", "updated_at"])
    log(
        instance=application,
        action="evaluation.brand.replicate",
        user=by,
        data={"brand_project": project.pk},
    )
    return application
