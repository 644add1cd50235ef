"""Use cases for calls, applications and community needs.

Every function is keyword-only and atomic; views turn the ``ValidationError``s raised
here into messages. Side effects (mail, notifications) run after commit.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from organizations.models import Membership, Organization
from organizations.services import notify_members
from portal.core.errors import DomainError
from portal.core.money import format_fen
from portal.core.notifications.services import Message, notify

from .eligibility import eligibility_errors
from .enums import (
    APPLICATION_TRANSITIONS,
    STAFF_MOVE,
    ApplicationStatus,
    ApplicationStep,
    FundingSource,
    NeedStatus,
)
from .models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    ApplicationRevision,
    CallPage,
    CommunityNeed,
    NeedSupport,
    Project,
)


class ApplicationError(DomainError):
    """A refused application action; ``messages`` are translated sentences."""


# --- helpers -------------------------------------------------------------------------------


def _membership(user, organization_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization_id=organization_id).first()


def _require_editor(user, organization_id: int) -> None:
    membership = _membership(user, organization_id)
    if membership is None or not membership.can_edit:
        raise PermissionDenied(_("Only owners and editors of the organization can do this."))


def _lock(application: Application) -> Application:
    """Re-read the row under a lock; concurrent requests (two tabs) queue here."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization__region__parent__parent__parent")
        .get(pk=application.pk)
    )


def budget_totals(lines: list[dict]) -> dict[str, int]:
    """Sum budget lines (each with ``quantity`` and ``unit_price`` in fen) by source."""
    requested = self_funded = 0
    for line in lines:
        amount = int(line["quantity"]) * int(line["unit_price"])
        if line.get("source") == FundingSource.SELF:
            self_funded += amount
        else:
            requested += amount
    return {"requested": requested, "self": self_funded, "total": requested + self_funded}


def budget_errors(*, call: CallPage, totals: dict[str, int]) -> list[str]:
    """The call's money rules: something to fund, cap, minimum self-funding share."""
    errors = []
    if totals["total"] <= 0:
        errors.append(_("The budget must contain at least one line with an amount."))
    if call.per_project_cap and totals["requested"] > call.per_project_cap:
        errors.append(
            _("The amount requested (%(requested)s) is more than this call's cap of %(cap)s.")
            % {
                "requested": format_fen(totals["requested"], call.currency),
                "cap": format_fen(call.per_project_cap, call.currency),
            }
        )
    if call.min_self_funding_bps and totals["total"] > 0:
        share = totals["self"] * 10_000 // totals["total"]
        if share < call.min_self_funding_bps:
            errors.append(
                _(
                    "Self-funding is %(share)s of the total; this call asks for at least "
                    "%(minimum)s."
                )
                % {"share": f"{share / 100:g}%", "minimum": call.min_self_funding_percent}
            )
    return errors


# --- starting and editing ----------------------------------------------------------------


@transaction.atomic
def start_application(
    *, call: CallPage, organization: Organization, by, now: datetime | None = None
) -> Application:
    """Create a draft for ``organization`` on an open call.

    Guarantees: at most one non-withdrawn application per organization and call unless
    the call allows several (database constraint). Raises ``PermissionDenied`` for
    non-editors, ``ApplicationError`` when the call is not open, the organization is
    not eligible or already has an application.
    """
    _require_editor(by, organization.pk)
    now = now or timezone.now()
    if not call.is_open(now):
        raise ApplicationError(_("This call is not open for applications."))
    errors = eligibility_errors(call=call, organization=organization)
    if errors:
        raise ApplicationError(errors)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                call=call,
                organization=organization,
                created_by=by,
                single_per_org=not call.allow_multiple_applications,
                currency=call.currency,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("Your organization already has an application for this call.")
        ) from exc
    ApplicationEvent.objects.create(
        application=application, from_status="", to_status=ApplicationStatus.DRAFT, actor=by
    )
    log(instance=application, action="projects.application.start", user=by)
    return application


def _check_editable(application: Application, by) -> None:
    _require_editor(by, application.organization_id)
    if not application.is_editable:
        raise ApplicationError(
            _("This application has been handed in and can no longer be changed.")
        )


@transaction.atomic
def save_step_draft(*, application: Application, step: str, raw: dict, by) -> Application:
    """Keep what was typed into ``step`` (not yet valid) so it is never lost.

    Raises ``PermissionDenied`` for non-editors and ``ApplicationError`` once handed in.
    """
    application = _lock(application)
    _check_editable(application, by)
    application.drafts = {**application.drafts, step: raw}
    application.save(update_fields=["drafts", "updated_at"])
    return application


@transaction.atomic
def save_step_answers(
    *, application: Application, step: str, answers: dict, by, cited_need_ids=None
) -> Application:
    """Store the validated content of ``step`` and drop any pending draft of it.

    Keeps the title, the money columns and the cited needs in step with the answers.
    Raises ``PermissionDenied`` for non-editors and ``ApplicationError`` once handed in.
    """
    application = _lock(application)
    _check_editable(application, by)
    application.answers = {**application.answers, step: answers}
    drafts = dict(application.drafts)
    drafts.pop(step, None)
    application.drafts = drafts
    fields = ["answers", "drafts", "updated_at"]
    if step == ApplicationStep.BASIC:
        application.title = answers.get("title", "")[:200]
        fields.append("title")
    if step == ApplicationStep.BUDGET:
        totals = budget_totals(answers.get("lines", []))
        application.requested_amount = totals["requested"]
        application.self_funding_amount = totals["self"]
        application.total_amount = totals["total"]
        fields += ["requested_amount", "self_funding_amount", "total_amount"]
    application.save(update_fields=fields)
    if step == ApplicationStep.NEEDS and cited_need_ids is not None:
        application.cited_needs.set(cited_need_ids)
    return application


@transaction.atomic
def add_attachment(
    *, application: Application, upload, description: str, content_type: str, by
) -> ApplicationAttachment:
    """Attach an already-checked upload (see ``projects.uploads``) to an editable
    application. Raises ``PermissionDenied`` / ``ApplicationError``."""
    application = _lock(application)
    _check_editable(application, by)
    attachment = ApplicationAttachment(
        application=application,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        description=description,
        uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    Application.objects.filter(pk=application.pk).update(updated_at=timezone.now())
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: ApplicationAttachment, by) -> None:
    """Remove an attachment from an editable application (the file goes after commit)."""
    application = _lock(attachment.application)
    _check_editable(application, by)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- the state machine ----------------------------------------------------------------------

_NOTICES = {
    ApplicationStatus.SUBMITTED: gettext_lazy("Application received: %(title)s"),
    ApplicationStatus.RESUBMITTED: gettext_lazy("Application resubmitted: %(title)s"),
    ApplicationStatus.RETURNED: gettext_lazy("More information needed: %(title)s"),
    ApplicationStatus.ELIGIBLE: gettext_lazy("Application passed screening: %(title)s"),
    ApplicationStatus.INELIGIBLE: gettext_lazy("Application did not pass screening: %(title)s"),
    ApplicationStatus.WITHDRAWN: gettext_lazy("Application withdrawn: %(title)s"),
}


@transaction.atomic
def transition_application(
    *,
    application: Application,
    to: str,
    by,
    message: str = "",
    deadline: datetime | None = None,
) -> Application:
    """Move ``application`` to status ``to`` if the transition table allows it for ``by``.

    Writes the status (``update_fields``), a timeline event and an audit log entry, and
    notifies the organization's members (on-site now, email after commit).
    Raises ``ApplicationError`` for a move the table does not allow and
    ``PermissionDenied`` when ``by`` is not the right kind of actor.
    """
    application = _lock(application)
    staff_move = APPLICATION_TRANSITIONS.get((application.status, to)) == STAFF_MOVE
    APPLICATION_TRANSITIONS.check(
        application.status,
        to,
        by=by,
        obj=application,
        error=ApplicationError,
        denied=_("Only programme staff can do this.")
        if staff_move
        else _("Only owners and editors of the organization can do this."),
    )
    from_status = application.status
    application.status = to
    fields = ["status", "updated_at"]
    if to == ApplicationStatus.RETURNED:
        application.return_message = message
        application.return_deadline = deadline
        fields += ["return_message", "return_deadline"]
    if to in (ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE):
        application.screening_reason = message
        fields.append("screening_reason")
    application.save(update_fields=fields)
    ApplicationEvent.objects.create(
        application=application,
        from_status=from_status,
        to_status=to,
        actor=by,
        message=message,
        deadline=deadline,
    )
    log(
        instance=application,
        action=f"projects.application.{to}",
        user=by,
        data={"from": from_status, "to": to, "message": message},
    )
    notice = _NOTICES.get(to)
    if notice:
        _notify_transition(application, notice, to, message, deadline)
    return application


def _notify_transition(application, notice, to, message, deadline) -> None:
    notify_members(
        organization=application.organization,
        title=notice,
        body=Message.lines(
            message or ApplicationStatus(to).label,
            Message(gettext_lazy("Deadline: %(deadline)s"), deadline=deadline) if deadline else "",
        ),
        params={"title": application.title or application.pk},
        url=application.get_absolute_url(),
    )


def snapshot(application: Application) -> dict:
    """A JSON copy of what the applicant handed in (kept per submission)."""
    return {
        "title": application.title,
        "answers": application.answers,
        "requested_amount": application.requested_amount,
        "self_funding_amount": application.self_funding_amount,
        "total_amount": application.total_amount,
        "cited_needs": sorted(application.cited_needs.values_list("pk", flat=True)),
        "attachments": [
            f"{a.original_name} ({a.size})" for a in application.attachments.order_by("pk")
        ],
    }


def submission_errors(*, application: Application, now: datetime) -> list[str]:
    """Everything that stops ``application`` from being handed in at ``now``."""
    call = application.call
    errors = []
    missing = application.missing_steps()
    if missing:
        errors.append(
            _("These steps are not complete yet: %(steps)s.")
            % {"steps": ", ".join(str(ApplicationStep(s).label) for s in missing)}
        )
    if application.status == ApplicationStatus.RETURNED:
        if application.return_deadline and now > application.return_deadline:
            errors.append(_("The deadline for sending more information has passed."))
    elif now < call.opens_at:
        errors.append(_("This call is not open yet."))
    elif now >= call.closes_at:
        errors.append(
            _("This call closed at %(closed)s; applications can no longer be submitted.")
            % {"closed": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M:%S")}
        )
    errors += eligibility_errors(call=call, organization=application.organization)
    if ApplicationStep.BUDGET not in missing:
        errors += budget_errors(
            call=call,
            totals={
                "requested": application.requested_amount,
                "self": application.self_funding_amount,
                "total": application.total_amount,
            },
        )
    return errors


@transaction.atomic
def submit_application(*, application: Application, by, now: datetime | None = None) -> Application:
    """Hand in a draft (or re-hand in a returned application).

    Checked at this moment, under a row lock so two tabs cannot both submit: every step
    complete, organization eligible, call open (``opens_at <= now < closes_at``) or, for a
    returned application, its deadline not passed; budget within the call's rules.
    Side effects: a revision snapshot, a timeline event, audit log, notifications.
    Raises ``ApplicationError`` listing every problem, ``PermissionDenied`` for non-editors.
    """
    now = now or timezone.now()
    application = _lock(application)
    _require_editor(by, application.organization_id)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ApplicationError(_("This application has already been submitted."))
    errors = submission_errors(application=application, now=now)
    if errors:
        raise ApplicationError(errors)
    to = (
        ApplicationStatus.RESUBMITTED
        if application.status == ApplicationStatus.RETURNED
        else ApplicationStatus.SUBMITTED
    )
    number = application.revisions.count() + 1
    ApplicationRevision.objects.create(
        application=application, number=number, snapshot=snapshot(application), created_by=by
    )
    application.last_submitted_at = now
    fields = ["last_submitted_at"]
    if application.submitted_at is None:
        application.submitted_at = now
        fields.append("submitted_at")
    application.save(update_fields=fields)
    return transition_application(application=application, to=to, by=by)


@transaction.atomic
def withdraw_application(
    *, application: Application, by, now: datetime | None = None
) -> Application:
    """Withdraw while the call is open (a returned one also until its deadline).

    Raises ``ApplicationError`` after the close, ``PermissionDenied`` for non-editors.
    """
    now = now or timezone.now()
    application = _lock(application)
    in_return_window = application.status == ApplicationStatus.RETURNED and (
        application.return_deadline is None or now <= application.return_deadline
    )
    if not (application.call.is_open(now) or in_return_window):
        raise ApplicationError(_("Applications can only be withdrawn while the call is open."))
    return transition_application(application=application, to=ApplicationStatus.WITHDRAWN, by=by)


@transaction.atomic
def return_application(
    *,
    application: Application,
    by,
    message: str,
    deadline: datetime,
    now: datetime | None = None,
) -> Application:
    """Staff ask for more information (补充材料) by ``deadline``; the applicant can edit
    and resubmit until then. Raises ``ApplicationError`` without a message or with a past
    deadline."""
    now = now or timezone.now()
    if not message.strip():
        raise ApplicationError(_("Say what information is needed."))
    if deadline <= now:
        raise ApplicationError(_("The deadline must be in the future."))
    return transition_application(
        application=application,
        to=ApplicationStatus.RETURNED,
        by=by,
        message=message.strip(),
        deadline=deadline,
    )


@transaction.atomic
def screen_application(
    *, application: Application, by, eligible: bool, reason: str = ""
) -> Application:
    """Staff screening (资格审查): eligible, or ineligible with a reason.

    Raises ``ApplicationError`` for an ineligible decision without a reason."""
    if not eligible and not reason.strip():
        raise ApplicationError(_("Give the reason why the application is ineligible."))
    to = ApplicationStatus.ELIGIBLE if eligible else ApplicationStatus.INELIGIBLE
    return transition_application(application=application, to=to, by=by, message=reason.strip())


def default_return_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=7)


# --- community needs --------------------------------------------------------------------------


@transaction.atomic
def post_need(
    *,
    by,
    title: str,
    description: str,
    region,
    service_item,
    people_affected: int,
    photos=(),
    title_en: str = "",
    description_en: str = "",
) -> CommunityNeed:
    """A resident raises a need; it waits for moderation. ``photos`` are checked uploads
    as ``(file, content_type)`` pairs; ``title_en`` / ``description_en`` an optional
    English version."""
    from .models import NeedPhoto

    if not by.is_authenticated:
        raise PermissionDenied(_("Sign in to raise a need."))
    need = CommunityNeed.objects.create(
        title=title,
        title_en=title_en.strip(),
        description=description,
        description_en=description_en.strip(),
        region=region,
        service_item=service_item,
        people_affected=people_affected,
        author=by,
    )
    for upload, content_type in photos:
        photo = NeedPhoto(need=need, content_type=content_type)
        photo.image.save(upload.name, upload, save=False)
        photo.save()
    log(instance=need, action="projects.need.post", user=by)
    return need


def _require_staff(by) -> None:
    if not by.has_perm("projects.manage_applications"):
        raise PermissionDenied(_("Only programme staff can do this."))


def _notify_author(need: CommunityNeed, title, params: dict, body: str) -> None:
    if need.author_id:
        notify(
            users=[need.author_id],
            title=title,
            body=body,
            params=params,
            url=need.get_absolute_url(),
        )


@transaction.atomic
def publish_need(*, need: CommunityNeed, by) -> CommunityNeed:
    """Make a pending (or declined) need public. Raises ``ApplicationError`` otherwise."""
    _require_staff(by)
    need = CommunityNeed.objects.select_for_update().get(pk=need.pk)
    if need.status not in (NeedStatus.PENDING, NeedStatus.DECLINED):
        raise ApplicationError(_("Only pending or declined needs can be published."))
    need.status = NeedStatus.PUBLISHED
    need.published_at = timezone.now()
    need.decline_reason = ""
    need.save(update_fields=["status", "published_at", "decline_reason"])
    log(instance=need, action="projects.need.publish", user=by)
    _notify_author(
        need, gettext_lazy("Your need was published: %(title)s"), {"title": need.title}, ""
    )
    return need


@transaction.atomic
def decline_need(*, need: CommunityNeed, by, reason: str) -> CommunityNeed:
    """Decline with a reason the author sees. Raises ``ApplicationError`` without one."""
    _require_staff(by)
    if not reason.strip():
        raise ApplicationError(_("Give the reason for declining."))
    need = CommunityNeed.objects.select_for_update().get(pk=need.pk)
    if need.status == NeedStatus.MERGED:
        raise ApplicationError(_("A merged need cannot be declined."))
    need.status = NeedStatus.DECLINED
    need.decline_reason = reason.strip()
    need.save(update_fields=["status", "decline_reason"])
    log(instance=need, action="projects.need.decline", user=by, data={"reason": reason})
    _notify_author(
        need,
        gettext_lazy("Your need was declined: %(title)s"),
        {"title": need.title},
        need.decline_reason,
    )
    return need


@transaction.atomic
def merge_need(*, need: CommunityNeed, into: CommunityNeed, by) -> CommunityNeed:
    """Merge a duplicate into a published need: supports move over (one per user),
    citations and targeting follow. Raises ``ApplicationError`` for a bad target."""
    _require_staff(by)
    if need.pk == into.pk:
        raise ApplicationError(_("A need cannot be merged into itself."))
    need = CommunityNeed.objects.select_for_update().get(pk=need.pk)
    into = CommunityNeed.objects.select_for_update().get(pk=into.pk)
    if into.status != NeedStatus.PUBLISHED:
        raise ApplicationError(_("Needs can only be merged into a published need."))
    if need.status == NeedStatus.MERGED:
        raise ApplicationError(_("This need has already been merged."))
    existing = set(into.supports.values_list("user_id", flat=True))
    moved = [s.user_id for s in need.supports.all() if s.user_id not in existing]
    if need.author_id and need.author_id not in existing:
        moved.append(need.author_id)
    NeedSupport.objects.bulk_create(
        [NeedSupport(need=into, user_id=uid) for uid in set(moved)], ignore_conflicts=True
    )
    for application in need.applications.all():
        application.cited_needs.add(into)
    for call in need.calls.all():
        call.target_needs.add(into)
    need.status = NeedStatus.MERGED
    need.merged_into = into
    need.save(update_fields=["status", "merged_into"])
    log(instance=need, action="projects.need.merge", user=by, data={"into": into.pk})
    _notify_author(
        need,
        gettext_lazy("Your need was merged with a similar one: %(title)s"),
        {"title": into.title},
        "",
    )
    return need


@transaction.atomic
def support_need(*, need: CommunityNeed, by) -> bool:
    """Record one support per user (database-unique); True if newly added.

    Raises ``ApplicationError`` for needs that are not published."""
    if not by.is_authenticated:
        raise PermissionDenied(_("Sign in to support a need."))
    if need.status != NeedStatus.PUBLISHED:
        raise ApplicationError(_("Only published needs can be supported."))
    try:
        with transaction.atomic():
            NeedSupport.objects.create(need=need, user=by)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def withdraw_support(*, need: CommunityNeed, by) -> bool:
    """Remove the user's support; True if there was one."""
    deleted, _d = NeedSupport.objects.filter(need=need, user=by).delete()
    return bool(deleted)


@transaction.atomic
def update_project_english(*, project: Project, by, title_en: str, summary_en: str) -> Project:
    """Set a project's optional English title and summary (shown on the English site
    instead of the Chinese ones; empty = show the Chinese original). Raises
    ``PermissionDenied`` unless ``by`` edits for the project's organization or is staff."""
    if not by.has_perm("projects.edit_project_english", project):
        raise PermissionDenied(_("Only the organization's editors can do this."))
    project.title_en = title_en.strip()
    project.summary_en = summary_en.strip()
    project.full_clean(exclude=[f.name for f in project._meta.fields if not f.name.endswith("_en")])
    project.save(update_fields=["title_en", "summary_en"])
    log(instance=project, action="projects.project.english", user=by)
    return project


@transaction.atomic
def update_need_english(*, need: CommunityNeed, by, title_en: str, description_en: str):
    """Set a need's optional English title and description (staff, who moderate needs).
    Raises ``PermissionDenied`` for anyone else."""
    _require_staff(by)
    need.title_en = title_en.strip()
    need.description_en = description_en.strip()
    need.full_clean(exclude=[f.name for f in need._meta.fields if not f.name.endswith("_en")])
    need.save(update_fields=["title_en", "description_en"])
    log(instance=need, action="projects.need.english", user=by)
    return need
