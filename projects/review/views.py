"""Admin views: reviewer queue and score page, staff progress dashboard and actions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core import reports
from portal.core.admin_listing import AdminPageMixin
from portal.core.charts import bar_chart
from portal.core.errors import show_error
from projects.models import CallPage
from projects.presenters import Lookups, present
from projects.scoring.admin import PermissionRequiredMixin
from projects.scoring.admin import forbidden as scoring_forbidden

from . import blind, selectors, services, tasks
from .call_mixin import CallInReviewMixin
from .enums import AssignmentStatus, ReviewStatus
from .forms import (
    AbstainForm,
    AppealResolutionForm,
    DeclarationForm,
    ImportForm,
    ManualAssignForm,
    ReasonForm,
    RosterForm,
    ScoreForm,
    TieForm,
)
from .models import Appeal, Assignment, Review
from .report_kinds import results_published

# Where the 403 page sends a reviewer back to.
BACK_LINK = ("review:queue", gettext_lazy("My reviews"))


def forbidden(request, message: str = "") -> TemplateResponse:
    """The admin's 403 page that says why (:func:`projects.scoring.admin.forbidden`)."""
    return scoring_forbidden(request, message, back_link=BACK_LINK)


class ReviewerRequiredMixin(PermissionRequiredMixin):
    back_link = BACK_LINK
    required_permission = "review.open_review_queue"


class StaffRequiredMixin(PermissionRequiredMixin):
    back_link = BACK_LINK
    required_permission = "review.manage_review"
    denied_message = gettext_lazy("Only programme staff may open this page.")


def _report_kind_for(user, assignment) -> str:
    """The evaluation report the reviewer may read for this assignment ("" for none yet):
    once results are published and their own review is in, the anonymised copy in a
    blind call, the full one otherwise (the rules in projects/review/rules.py decide)."""
    review = getattr(assignment, "review", None)
    application = assignment.application
    if review is None or review.status != ReviewStatus.SUBMITTED:
        return ""
    if not results_published(application.call):
        return ""
    kind = "application_anonymised" if application.call.review_settings.blind else "application"
    return kind if user.has_perm(reports.get_kind(kind).permission, application) else ""


class QueueView(ReviewerRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "review/admin/queue.html"
    page_title = gettext_lazy("My reviews")
    header_icon = "tasks"

    def get_context_data(self, **kwargs):
        queue = selectors.queue_for_reviewer(self.request.user)
        rosters = {}
        for a in queue.assignments:
            application = a.application
            a.report_kind = _report_kind_for(self.request.user, a)
            if application.call.review_settings.blind:
                a.display_title = blind.anonymise_application(application).title
                if application.call_id not in rosters:
                    rosters[application.call_id] = bool(
                        selectors.roster_to_declare(application.call, self.request.user)
                    )
                a.roster_pending = rosters[application.call_id]
            else:
                a.display_title = application.title
        return super().get_context_data(queue=queue, **kwargs)


class AssignmentView(ReviewerRequiredMixin, AdminPageMixin, TemplateView):
    """Declaration first, then the application and the score form."""

    template_name = "review/admin/assignment.html"
    header_icon = "form"
    page_title = gettext_lazy("Review")

    def dispatch(self, request, *args, **kwargs):
        self.assignment = selectors.assignment_for(request.user, kwargs["pk"])
        if self.assignment.status == AssignmentStatus.CONFLICT:
            return forbidden(request, _("You declared a conflict with this application."))
        if not request.user.has_perm("review.review_assignment", self.assignment):
            return forbidden(request, _("You are recused or no longer a reviewer."))
        application = self.assignment.application
        self.blind = application.call.review_settings.blind
        if self.blind and self.assignment.status == AssignmentStatus.PENDING:
            # Blind review: conflicts are declared once against the call's roster, never
            # on a proposal whose owner the reviewer cannot see.
            if selectors.roster_to_declare(application.call, request.user):
                return redirect("review:roster", pk=application.call_id)
            self.assignment = services.declare_conflict(
                assignment=self.assignment, by=request.user, conflict=False
            )
            self.assignment = selectors.assignment_for(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.display_title()

    def display_title(self) -> str:
        application = self.assignment.application
        if self.blind:
            return blind.anonymise_application(application).title or str(application.pk)
        return application.title or str(application)

    def _review(self) -> Review | None:
        return Review.objects.filter(assignment=self.assignment).prefetch_related("scores").first()

    def get_context_data(self, **kwargs):
        assignment = self.assignment
        application = assignment.application
        config = application.call.review_settings
        context = super().get_context_data(
            assignment=assignment, application=application, config=config, **kwargs
        )
        if assignment.status == AssignmentStatus.PENDING:
            context["declaration_form"] = kwargs.get("declaration_form") or DeclarationForm()
            return context
        review = self._review()
        rubric = review.rubric if review else config.rubric
        criteria = list(rubric.criteria.all())
        locked = review is not None and review.is_locked
        form = kwargs.get("form")
        if form is None:
            initial = {}
            if review:
                initial = {
                    f"criterion_{s.criterion_id}": services.num(s.value)
                    for s in review.scores.all()
                }
                initial.update(
                    strengths=review.strengths,
                    weaknesses=review.weaknesses,
                    comments=review.comments,
                    recommendation=review.recommendation,
                )
            form = ScoreForm(initial=initial, criteria=criteria, disabled=locked)
        answers = application.answers
        if config.blind:
            answers = blind.anonymise_answers(answers, application.organization)
        context.update(
            review=review,
            rubric=rubric,
            form=form,
            locked=locked,
            max_total=rubric.max_total(),
            abstain_form=kwargs.get("abstain_form") or AbstainForm(),
            sections=present(answers, Lookups([answers])),
            attachments=[] if config.blind else list(application.attachments.all()),
            others=selectors.other_reviews(assignment, review),
        )
        return context

    def post(self, request, *args, **kwargs):
        assignment = self.assignment
        action = request.POST.get("action", "")
        if assignment.status == AssignmentStatus.PENDING:
            form = DeclarationForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(
                    self.get_context_data(declaration_form=form), status=400
                )
            try:
                services.declare_conflict(
                    assignment=assignment,
                    by=request.user,
                    conflict=form.cleaned_data["conflict"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
                return self.render_to_response(
                    self.get_context_data(declaration_form=form), status=400
                )
            if form.cleaned_data["conflict"]:
                messages.success(
                    request,
                    _(
                        "Your conflict is recorded; the application has "
                        "been removed from your queue."
                    ),
                )
                return redirect("review:queue")
            return redirect("review:assignment", pk=assignment.pk)
        if action == "abstain":
            abstain_form = AbstainForm(request.POST)
            try:
                if not abstain_form.is_valid():
                    raise ValidationError(abstain_form.errors["abstain_reason"])
                services.abstain(
                    assignment=assignment,
                    by=request.user,
                    reason=abstain_form.cleaned_data["abstain_reason"],
                )
            except ValidationError as error:
                show_error(error, form=abstain_form)
                return self.render_to_response(
                    self.get_context_data(abstain_form=abstain_form), status=400
                )
            messages.success(request, _("You abstained from this review."))
            return redirect("review:queue")
        review = self._review()
        rubric = review.rubric if review else assignment.application.call.review_settings.rubric
        form = ScoreForm(request.POST, criteria=list(rubric.criteria.all()))
        form.is_valid()
        submit = action == "submit"
        try:
            scores = {}
            for pk, raw in form.raw_scores().items():
                try:
                    scores[pk] = services.parse_score(raw)
                except ValidationError as error:
                    form.add_error(f"criterion_{pk}", error)
            for criterion in form.criteria:
                if criterion.pk in scores:
                    problem = services.score_errors(criterion, scores[criterion.pk], final=submit)
                    if problem:
                        form.add_error(f"criterion_{criterion.pk}", problem)
            if form.errors:
                raise ValidationError(_("Please correct the errors below."))
            services.save_review(
                assignment=assignment,
                by=request.user,
                scores=scores,
                strengths=form.cleaned_data.get("strengths", ""),
                weaknesses=form.cleaned_data.get("weaknesses", ""),
                comments=form.cleaned_data.get("comments", ""),
                recommendation=form.cleaned_data.get("recommendation", ""),
                submit=submit,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            elif not form.errors or error.messages != [_("Please correct the errors below.")]:
                form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Review submitted.") if submit else _("Draft saved."))
        if action == "next" or submit:
            following = selectors.queue_for_reviewer(request.user).next_open_after(assignment.pk)
            if following is not None:
                return redirect("review:assignment", pk=following.pk)
            return redirect("review:queue")
        return redirect("review:assignment", pk=assignment.pk)


class RosterView(ReviewerRequiredMixin, AdminPageMixin, TemplateView):
    """Blind review: declare conflicts once against the call's roster of applicant
    organizations (names only, in name order, never linked to a proposal)."""

    template_name = "review/admin/roster.html"
    page_title = gettext_lazy("Conflict of interest (回避)")
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        self.call = get_object_or_404(
            CallPage.objects.select_related("review_settings"),
            pk=kwargs["pk"],
            review_settings__isnull=False,
        )
        if not Assignment.objects.filter(
            application__call=self.call, reviewer=request.user
        ).exists():
            return forbidden(request, _("You have no assignment in this call."))
        self.organizations = selectors.roster_to_declare(self.call, request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.call.title

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or RosterForm(organizations=self.organizations)
        return super().get_context_data(call=self.call, form=form, **kwargs)

    def post(self, request, *args, **kwargs):
        form = RosterForm(request.POST, organizations=self.organizations)
        if form.is_valid():
            try:
                services.declare_roster(call=self.call, by=request.user, conflicts=form.conflicts())
            except ValidationError as error:
                show_error(error, form=form)
            else:
                messages.success(request, _("Your declaration is recorded."))
                return redirect("review:queue")
        return self.render_to_response(self.get_context_data(form=form), status=400)


def attachment_download(request, pk: int, attachment_pk: int):
    """An attachment of an application the reviewer has accepted (never in blind review)."""
    assignment = selectors.assignment_for(request.user, pk)
    if (
        not request.user.has_perm("review.review_assignment", assignment)
        or assignment.status != AssignmentStatus.ACCEPTED
        or assignment.application.call.review_settings.blind
    ):
        return forbidden(request)
    attachment = assignment.application.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


class CallsView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "review/admin/calls.html"
    page_title = gettext_lazy("Review progress")
    header_icon = "tasks"

    def get_context_data(self, **kwargs):
        return super().get_context_data(calls=list(selectors.calls_in_review()), **kwargs)


class ProgressView(StaffRequiredMixin, CallInReviewMixin, AdminPageMixin, TemplateView):
    """Staff dashboard for one call: progress, distribution, and every review action."""

    template_name = "review/admin/progress.html"
    page_title = gettext_lazy("Review progress")
    header_icon = "tasks"

    def get_context_data(self, **kwargs):
        call = self.call
        config = call.review_settings
        max_total = config.rubric.max_total()
        counts = selectors.score_distribution(call, max_total)
        step = max_total / len(counts)
        labels = [f"{step * i:g}–{step * (i + 1):g}" for i in range(len(counts))]
        chart = bar_chart(
            title=_("Distribution of review totals"), labels=labels, series={_("Reviews"): counts}
        )
        ranking = list(
            call.ranking.select_related("application__organization").order_by("rank")[:50]
        )
        coverage = selectors.review_coverage(call)
        ranked_ids = set(call.ranking.values_list("application_id", flat=True))
        return super().get_context_data(
            call=call,
            config=config,
            reviewers=selectors.reviewer_progress(call),
            applications=selectors.application_progress(call),
            coverage=coverage,
            not_ranked=[row for row in coverage if row.application_id not in ranked_ids]
            if config.ranked_at
            else [],
            stale=config.ranked_at is not None and selectors.is_ranking_stale(call),
            blockers=selectors.publication_blockers(call, timezone.now()),
            ties=self._tie_forms(kwargs.pop("tie_form", None)),
            chart=chart,
            ranking=ranking,
            assign_form=kwargs.pop("assign_form", None)
            or ManualAssignForm(call=call, reviewers=services.reviewer_pool()),
            import_form=kwargs.pop("import_form", None) or ImportForm(),
            **kwargs,
        )

    def _tie_forms(self, bound=None) -> list:
        """``(index, entries, decided, form)`` per tie at a cut of the stored ranking."""
        result = []
        for index, (entries, decided) in enumerate(services.open_ties(self.call)):
            form = bound[1] if bound and bound[0] == index else None
            result.append(
                (index, entries, decided, form or TieForm(entries=entries, prefix=f"tie{index}"))
            )
        return result

    def _decide_tie(self, request):
        ties = services.open_ties(self.call)
        index = request.POST.get("tie", "")
        if not index.isdigit() or int(index) >= len(ties):
            messages.error(request, _("This tie is no longer in the ranking; look again."))
            return redirect("review:progress", pk=self.call.pk)
        index = int(index)
        form = TieForm(request.POST, entries=ties[index][0], prefix=f"tie{index}")
        if form.is_valid():
            try:
                services.decide_tie(
                    call=self.call,
                    order=form.cleaned_data["order"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                messages.success(
                    request, _("The committee's decision is recorded; the call is ranked again.")
                )
                return redirect("review:progress", pk=self.call.pk)
        return self.render_to_response(self.get_context_data(tie_form=(index, form)), status=400)

    def post(self, request, *args, **kwargs):
        call, action = self.call, request.POST.get("action")
        if action == "decide_tie":
            return self._decide_tie(request)
        try:
            if action == "auto_assign":
                n = services.auto_assign(call=call, by=request.user)
                messages.success(request, _("%(n)d assignments created.") % {"n": n})
            elif action == "assign":
                form = ManualAssignForm(request.POST, call=call, reviewers=services.reviewer_pool())
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(assign_form=form), status=400
                    )
                try:
                    services.assign_reviewer(
                        application=form.cleaned_data["application"],
                        reviewer=form.cleaned_data["reviewer"],
                        by=request.user,
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                    return self.render_to_response(
                        self.get_context_data(assign_form=form), status=400
                    )
                messages.success(request, _("Reviewer assigned."))
            elif action == "import":
                form = ImportForm(request.POST, request.FILES)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(import_form=form), status=400
                    )
                try:
                    n = services.import_assignments(
                        call=call, data=form.cleaned_data["file"], by=request.user
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                    return self.render_to_response(
                        self.get_context_data(import_form=form), status=400
                    )
                messages.success(request, _("%(n)d assignments imported.") % {"n": n})
            elif action == "rank":
                entries = services.rank_call(call=call, by=request.user)
                short = sum(1 for row in selectors.review_coverage(call) if not row.is_sufficient)
                messages.success(
                    request,
                    _("%(n)d applications ranked; %(m)d not ranked — insufficient reviews.")
                    % {"n": len(entries), "m": short},
                )
            elif action == "remind":
                tasks.send_reviewer_reminders.enqueue(call_id=call.pk)
                messages.success(request, _("Reminders are being sent."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("review:progress", pk=call.pk)


class ReopenView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "review/admin/reason.html"
    page_title = gettext_lazy("Reopen review")
    header_icon = "lock-open"

    def dispatch(self, request, *args, **kwargs):
        self.review = get_object_or_404(
            Review.objects.select_related("assignment__application", "assignment__reviewer"),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.review, form=kwargs.pop("form", None) or ReasonForm(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.reopen_review(
                    review=self.review, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The review is open again."))
                return redirect(reverse("review_reviews:inspect", args=[self.review.pk]))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ResolveAppealView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "review/admin/reason.html"
    page_title = gettext_lazy("Resolve appeal")
    header_icon = "tick"

    def dispatch(self, request, *args, **kwargs):
        self.appeal = get_object_or_404(
            Appeal.objects.select_related("decision__application"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.appeal, form=kwargs.pop("form", None) or AppealResolutionForm(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = AppealResolutionForm(request.POST)
        if form.is_valid():
            try:
                services.resolve_appeal(
                    appeal=self.appeal,
                    by=request.user,
                    upheld=form.cleaned_data["outcome"] == "upheld",
                    resolution=form.cleaned_data["resolution"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Appeal resolved."))
                return redirect("review_appeals:index")
        return self.render_to_response(self.get_context_data(form=form), status=400)
