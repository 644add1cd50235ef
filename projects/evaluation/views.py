"""Admin views: the evaluator's queue and score sheet, the staff dashboard, one evaluation's
management page and feedback moderation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error
from projects.scoring.admin import PermissionRequiredMixin, forbidden

from . import selectors, services
from .forms import (
    AssignForm,
    FinaliseForm,
    ModerationForm,
    OpenEvaluationForm,
    ReasonForm,
    SheetForm,
)
from .models import Assessment, ResidentFeedback


class EvaluatorRequiredMixin(PermissionRequiredMixin):
    required_permission = "evaluation.score_evaluations"
    denied_message = gettext_lazy("Only evaluators may open this page.")


class StaffRequiredMixin(PermissionRequiredMixin):
    required_permission = "evaluation.manage_evaluation"
    denied_message = gettext_lazy("Only programme staff may open this page.")


class QueueView(EvaluatorRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "evaluation/admin/queue.html"
    page_title = gettext_lazy("My evaluations")
    header_icon = "clipboard-list"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sheets=selectors.queue_for_evaluator(self.request.user), **kwargs
        )


class SheetView(EvaluatorRequiredMixin, AdminPageMixin, TemplateView):
    """The evaluator scores each dimension, adds bonus/penalty points with reasons and
    submits; residents' feedback on the project is shown alongside."""

    template_name = "evaluation/admin/sheet.html"
    page_title = gettext_lazy("Evaluation")
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("evaluation.score_evaluations"):
            return forbidden(request, _("Only evaluators may open this page."))
        self.sheet = selectors.assessment_for(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.sheet.evaluation)

    def _form(self, data=None, disabled=False):
        rubric = self.sheet.evaluation.rubric
        return SheetForm(
            data,
            dimensions=list(rubric.dimensions.all()),
            items=list(rubric.adjustment_items.all()),
            disabled=disabled,
        )

    def get_context_data(self, **kwargs):
        sheet = self.sheet
        evaluation = sheet.evaluation
        locked = sheet.is_locked or evaluation.status != "open"
        form = kwargs.pop("form", None)
        if form is None:
            form = self._form(disabled=locked)
            form.initial = {"comments": sheet.comments}
            form.initial.update(
                {f"dimension_{s.dimension_id}": services.num(s.value) for s in sheet.scores.all()}
            )
            for a in sheet.adjustments.all():
                form.initial[f"points_{a.item_id}"] = services.num(a.points)
                form.initial[f"reason_{a.item_id}"] = a.reason
        project = evaluation.project
        return super().get_context_data(
            sheet=sheet,
            evaluation=evaluation,
            project=project,
            rubric=evaluation.rubric,
            form=form,
            locked=locked,
            max_total=evaluation.rubric.max_total(),
            summary=selectors.feedback_summary(project.pk),
            comments=selectors.published_feedback(project.pk, limit=30),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        form.is_valid()
        submit = request.POST.get("action") == "submit"
        scores, adjustments = {}, {}
        for d in form.dimensions:
            try:
                scores[d.pk] = services.parse_points(form.raw(f"dimension_{d.pk}"))
            except ValidationError as error:
                form.add_error(f"dimension_{d.pk}", error)
        for item in form.items:
            try:
                points = services.parse_points(form.raw(f"points_{item.pk}"))
            except ValidationError as error:
                form.add_error(f"points_{item.pk}", error)
                continue
            adjustments[item.pk] = (points, form.raw(f"reason_{item.pk}"))
        if not form.errors:
            try:
                services.save_assessment(
                    assessment=self.sheet,
                    by=request.user,
                    scores=scores,
                    adjustments=adjustments,
                    comments=form.cleaned_data.get("comments", ""),
                    submit=submit,
                )
            except ValidationError as error:
                show_error(error, form=form)
        if form.errors:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Score sheet submitted.") if submit else _("Draft saved."))
        if submit:
            return redirect("evaluation:queue")
        return redirect("evaluation:sheet", pk=self.sheet.pk)


class DashboardView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "evaluation/admin/dashboard.html"
    page_title = gettext_lazy("Evaluations")
    header_icon = "clipboard-list"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            evaluations=list(selectors.evaluations_overview()[:200]),
            open_form=kwargs.pop("open_form", None) or OpenEvaluationForm(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = OpenEvaluationForm(request.POST)
        if form.is_valid():
            try:
                evaluation = services.open_evaluation(
                    project=form.cleaned_data["project"],
                    kind=form.cleaned_data["kind"],
                    rubric=form.cleaned_data["rubric"],
                    by=request.user,
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                messages.success(request, _("Evaluation opened; now assign evaluators."))
                return redirect("evaluation:manage", pk=evaluation.pk)
        return self.render_to_response(self.get_context_data(open_form=form), status=400)


class ManageView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    """Everything staff do with one evaluation: assign and remove evaluators, reopen a
    sheet, finalise, reopen, publish, release a disbursement hold."""

    template_name = "evaluation/admin/manage.html"
    page_title = gettext_lazy("Evaluation")
    header_icon = "clipboard-list"
    actions = ("assign", "remove", "reopen_sheet", "finalise", "reopen", "publish", "release_hold")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("evaluation.manage_evaluation"):
            return forbidden(request, _("Only programme staff may open this page."))
        self.evaluation = selectors.evaluation_detail(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.evaluation)

    def get_context_data(self, **kwargs):
        evaluation = self.evaluation
        project = evaluation.project
        forms = {
            "assign_form": AssignForm(evaluators=services.evaluator_pool()),
            "finalise_form": FinaliseForm(initial={"conclusion": evaluation.conclusion}),
            "reason_form": ReasonForm(),
            "hold_form": ReasonForm(),
        }
        forms.update({k: v for k, v in kwargs.items() if k.endswith("_form")})
        kwargs = {k: v for k, v in kwargs.items() if not k.endswith("_form")}
        return super().get_context_data(
            evaluation=evaluation,
            project=project,
            rubric=evaluation.rubric,
            dimensions=list(evaluation.rubric.dimensions.all()),
            sheets=selectors.sheets_with_scores(evaluation),
            hold=services.hold_reason(evaluation),
            summary=selectors.feedback_summary(project.pk),
            **forms,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.actions:
            messages.error(request, _("Unknown action."))
            return redirect("evaluation:manage", pk=self.evaluation.pk)
        return getattr(self, f"_{action}")(request)

    def _done(self, message: str):
        messages.success(self.request, message)
        return redirect("evaluation:manage", pk=self.evaluation.pk)

    def _failed(self, name: str, form, error: ValidationError):
        show_error(error, form=form)
        return self.render_to_response(self.get_context_data(**{name: form}), status=400)

    def _sheet(self, request) -> Assessment:
        return get_object_or_404(
            Assessment, pk=request.POST.get("sheet") or 0, evaluation=self.evaluation
        )

    def _assign(self, request):
        form = AssignForm(request.POST, evaluators=services.evaluator_pool())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(assign_form=form), status=400)
        try:
            services.assign_evaluator(
                evaluation=self.evaluation,
                evaluator=form.cleaned_data["evaluator"],
                by=request.user,
            )
        except ValidationError as error:
            return self._failed("assign_form", form, error)
        return self._done(_("Evaluator assigned."))

    def _remove(self, request):
        try:
            services.remove_evaluator(assessment=self._sheet(request), by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("evaluation:manage", pk=self.evaluation.pk)
        return self._done(_("Evaluator removed."))

    def _reopen_sheet(self, request):
        form = ReasonForm(request.POST)
        sheet = self._sheet(request)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(reason_form=form), status=400)
        try:
            services.reopen_assessment(
                assessment=sheet, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            return self._failed("reason_form", form, error)
        return self._done(_("The score sheet is open again."))

    def _finalise(self, request):
        form = FinaliseForm(request.POST)
        form.is_valid()
        try:
            services.finalise_evaluation(
                evaluation=self.evaluation,
                by=request.user,
                conclusion=form.cleaned_data.get("conclusion", ""),
            )
        except ValidationError as error:
            return self._failed("finalise_form", form, error)
        return self._done(_("Evaluation finalised."))

    def _reopen(self, request):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(reason_form=form), status=400)
        try:
            services.reopen_evaluation(
                evaluation=self.evaluation, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            return self._failed("reason_form", form, error)
        return self._done(_("The evaluation is open for scoring again."))

    def _publish(self, request):
        try:
            services.publish_evaluation(evaluation=self.evaluation, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("evaluation:manage", pk=self.evaluation.pk)
        return self._done(_("Evaluation published; the organization is notified."))

    def _release_hold(self, request):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(hold_form=form), status=400)
        try:
            services.release_disbursement_hold(
                evaluation=self.evaluation, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            return self._failed("hold_form", form, error)
        return self._done(_("Disbursement hold released."))


class ModerateFeedbackView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    template_name = "evaluation/admin/moderate.html"
    page_title = gettext_lazy("Moderate feedback")
    header_icon = "comment"

    def dispatch(self, request, *args, **kwargs):
        self.feedback = get_object_or_404(
            ResidentFeedback.objects.select_related("project", "user"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            feedback=self.feedback, form=kwargs.pop("form", None) or ModerationForm(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = ModerationForm(request.POST)
        if form.is_valid():
            try:
                services.moderate_feedback(
                    feedback=self.feedback,
                    by=request.user,
                    publish=form.cleaned_data["outcome"] == "publish",
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                messages.success(request, _("Feedback moderated."))
                return redirect("evaluation_feedback:index")
        return self.render_to_response(self.get_context_data(form=form), status=400)
