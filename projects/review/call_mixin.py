from django.shortcuts import get_object_or_404

from projects.models import CallPage


class CallInReviewMixin:
    """``self.call``: the call of the URL's ``pk``, which must have review settings (404
    otherwise); its title is the page's subtitle."""

    def dispatch(self, request, *args, **kwargs):
        self.call = get_object_or_404(
            CallPage.objects.select_related("review_settings__rubric"),
            pk=kwargs["pk"],
            review_settings__isnull=False,
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.call.title
