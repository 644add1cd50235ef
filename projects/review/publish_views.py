"""Publishing a call's results in two steps: the officer sees what will become public and
who will be notified, then confirms (the POST that publishes)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error

from . import publication, services
from .call_mixin import CallInReviewMixin
from .forms import PublishForm
from .views import StaffRequiredMixin


class PublishConfirmView(StaffRequiredMixin, CallInReviewMixin, AdminPageMixin, TemplateView):
    """GET: the preview (or why the results cannot be published); POST: publish."""

    template_name = "review/admin/publish_confirm.html"
    page_title = gettext_lazy("Publish results for public notice")
    header_icon = "tasks"

    def get_context_data(self, **kwargs):
        plan, refusal = None, []
        try:
            plan = publication.preview_publication(call=self.call, by=self.request.user)
        except ValidationError as error:
            refusal = error.messages
        return super().get_context_data(
            call=self.call,
            plan=plan,
            refusal=refusal,
            form=kwargs.pop("form", None) or PublishForm(),
            ranking_seen=plan.ranked_at.isoformat() if plan else "",
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = PublishForm(request.POST)
        form.is_valid()
        seen = parse_datetime(request.POST.get("ranking_seen", ""))
        try:
            if seen is None:
                raise ValidationError(_("Check what will be published, then confirm."))
            n = services.publish_results(
                call=self.call,
                by=request.user,
                override_reason=form.cleaned_data.get("override_reason", ""),
                ranking_seen=seen,
            )
        except ValidationError as error:
            show_error(error, form=form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            request,
            _("Results published: %(n)d decisions; applicants are notified.") % {"n": n},
        )
        return redirect("review:progress", pk=self.call.pk)
