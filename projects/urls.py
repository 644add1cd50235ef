from django.urls import path

from .views import applications as app_views
from .views import needs as need_views
from .views import project_detail, project_english, project_list

app_name = "projects"

urlpatterns = [
    path("projects/", project_list, name="list"),
    path("projects/<str:slug>/", project_detail, name="detail"),
    path("projects/<str:slug>/english/", project_english, name="project_english"),
    path("calls/<id:call_id>/apply/", app_views.start_application, name="start_application"),
    path("applications/", app_views.application_list, name="application_list"),
    path("applications/<id:pk>/", app_views.application_detail, name="application_detail"),
    path(
        "applications/<id:pk>/step/<str:step>/",
        app_views.application_step,
        name="application_step",
    ),
    path(
        "applications/<id:pk>/step/<str:step>/autosave/",
        app_views.application_autosave,
        name="application_autosave",
    ),
    path("applications/<id:pk>/submit/", app_views.application_submit, name="application_submit"),
    path("applications/<id:pk>/appeal/", app_views.appeal_submit, name="appeal_submit"),
    path(
        "applications/<id:pk>/appeal/withdraw/", app_views.appeal_withdraw, name="appeal_withdraw"
    ),
    path(
        "applications/<id:pk>/withdraw/",
        app_views.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<id:pk>/attachments/",
        app_views.attachment_upload,
        name="application_attachment_upload",
    ),
    path(
        "applications/<id:pk>/attachments/<id:attachment_pk>/",
        app_views.attachment_download,
        name="application_attachment",
    ),
    path(
        "applications/<id:pk>/attachments/<id:attachment_pk>/delete/",
        app_views.attachment_delete,
        name="application_attachment_delete",
    ),
    path("notifications/", app_views.notifications, name="notifications"),
    path("needs/", need_views.need_list, name="need_list"),
    path("needs/new/", need_views.need_create, name="need_create"),
    path("needs/<id:pk>/", need_views.need_view, name="need_detail"),
    path("needs/<id:pk>/support/", need_views.need_support, name="need_support"),
    path("needs/<id:pk>/photos/<id:photo_pk>/", need_views.need_photo, name="need_photo"),
]
