"""Admin page: programme staff message the applicants of a call (all or filtered)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error
from projects.enums import ApplicationStatus, ProjectTier
from projects.models import CallPage
from projects.scoring.admin import PermissionRequiredMixin

from . import messaging
from .views import BACK_LINK

OUTCOMES = [
    *ProjectTier.choices,
    (messaging.NOT_RANKED, gettext_lazy("Not ranked — insufficient reviews")),
]


class ApplicantMessageForm(forms.Form):
    statuses = forms.MultipleChoiceField(
        label=gettext_lazy("Application status"),
        choices=ApplicationStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every status."),
    )
    outcomes = forms.MultipleChoiceField(
        label=gettext_lazy("Published outcome"),
        choices=OUTCOMES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: whatever the outcome (also before results)."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message text"), max_length=5000, required=False, widget=forms.Textarea
    )


class MessageApplicantsView(PermissionRequiredMixin, AdminPageMixin, TemplateView):
    """GET/POST ``action=preview``: who the message reaches; ``action=send``: send it."""

    back_link = BACK_LINK
    required_permission = messaging.MESSAGE_PERMISSION
    denied_message = gettext_lazy("Only programme staff may open this page.")
    template_name = "review/admin/message_applicants.html"
    page_title = gettext_lazy("Message applicants")
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        self.call = get_object_or_404(CallPage, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.call.title

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or ApplicantMessageForm()
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        recipients = messaging.applicant_recipients(
            call=self.call, statuses=data.get("statuses"), outcomes=data.get("outcomes")
        )
        return super().get_context_data(call=self.call, form=form, recipients=recipients, **kwargs)

    def post(self, request, *args, **kwargs):
        form = ApplicantMessageForm(request.POST)
        if request.POST.get("action") != "send" or not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            sent = messaging.message_applicants(
                call=self.call,
                by=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                statuses=form.cleaned_data["statuses"],
                outcomes=form.cleaned_data["outcomes"],
            )
        except ValidationError as error:
            show_error(error, form=form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            request,
            _("Message sent to %(people)d people in %(organizations)d organizations.")
            % {"people": len(sent.user_ids), "organizations": len(sent.organizations)},
        )
        return redirect("review:message_applicants", pk=self.call.pk)
