"""Admin pieces shared by review and evaluation: menu items
shown by role, the rubric viewset with its “New version” action, and a 403 page that
says why (Wagtail would otherwise turn ``PermissionDenied`` into a redirect to the
dashboard)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from . import services

DASHBOARD_LINK = ("wagtailadmin_home", gettext_lazy("Dashboard"))


def forbidden(request, message: str = "", *, back_link=DASHBOARD_LINK) -> TemplateResponse:
    """A 403 page inside the admin that says why, with one way back (URL name, label)."""
    return TemplateResponse(
        request,
        "scoring/admin/forbidden.html",
        {
            "message": message or _("You may not open this page."),
            "back_url": reverse(back_link[0]),
            "back_label": back_link[1],
        },
        status=403,
    )


class ForbiddenAsPageMixin:
    """Views whose ``PermissionDenied`` shows :func:`forbidden` with ``back_link``."""

    back_link = DASHBOARD_LINK

    def forbidden(self, request, message: str = "") -> TemplateResponse:
        return forbidden(request, message, back_link=self.back_link)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as denied:
            return self.forbidden(request, str(denied.args[0]) if denied.args else "")


class PermissionRequiredMixin(ForbiddenAsPageMixin):
    """Only users with ``required_permission`` open the view; others see
    ``denied_message`` (or the generic one) on the 403 page."""

    required_permission = ""
    denied_message = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.required_permission):
            return self.forbidden(request, str(self.denied_message))
        return super().dispatch(request, *args, **kwargs)


class RoleMenuItem(MenuItem):
    """A menu item shown to users for whom ``check(user)`` is true."""

    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check

    def is_shown(self, request):
        return self.check(request.user)


def role_menu_item(label, url_name: str, *, permission: str, **kwargs) -> RoleMenuItem:
    """A menu item to the admin page ``url_name``, shown to users with ``permission``
    (``kwargs``: ``icon_name``, ``order``, ``name``)."""
    return RoleMenuItem(
        label, reverse(url_name), check=lambda user: user.has_perm(permission), **kwargs
    )


def new_version_link(url_name: str):
    """A listing column accessor: the “New version” link of a rubric."""

    def link(rubric):
        return format_html(
            '<a href="{}">{}</a>', reverse(url_name, args=[rubric.pk]), _("New version")
        )

    return link


class VersionedRubricViewSet(ModelViewSet):
    """Rubric listing and editor with a “New version” action (``services.
    new_rubric_version``): a confirmation page saying ``new_version_intro`` (with the
    rubric's name and version), then the copy's editor with ``new_version_done``."""

    icon = "list-ol"
    search_fields = ["name", "code"]
    copy_view_enabled = False
    manage_permission = ""
    version_action = ""
    new_version_intro = ""
    new_version_done = ""
    back_link = DASHBOARD_LINK

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("new-version/<id:pk>/", self.new_version, name="new_version"),
        ]

    def new_version(self, request, pk):
        if not request.user.has_perm(self.manage_permission):
            return forbidden(
                request, _("Only programme staff may open this page."), back_link=self.back_link
            )
        rubric = get_object_or_404(self.model, pk=pk)
        if request.method != "POST":
            intro = str(self.new_version_intro) % {"name": rubric.name, "version": rubric.version}
            return TemplateResponse(
                request,
                "scoring/admin/new_version.html",
                {
                    "rubric": rubric,
                    "intro": intro,
                    "page_title": _("New version"),
                    "header_icon": "list-ol",
                },
            )
        copy = services.new_rubric_version(
            rubric=rubric,
            by=request.user,
            permission=self.manage_permission,
            action=self.version_action,
        )
        messages.success(request, str(self.new_version_done) % {"v": copy.version})
        return redirect(self.get_url_name("edit"), copy.pk)
