from django.urls import path

from .views import incubation, manage, public

app_name = "organizations"

urlpatterns = [
    path("organizations/", public.organization_list, name="list"),
    path("organizations/<str:slug>/", public.organization_detail, name="detail"),
    path("me/", manage.dashboard, name="dashboard"),
    path("me/organizations/new/", manage.organization_create, name="create"),
    path("me/organizations/<str:slug>/", manage.organization_manage, name="manage"),
    path("me/organizations/<str:slug>/edit/", manage.organization_edit, name="edit"),
    path("me/organizations/<str:slug>/submit/", manage.organization_submit, name="submit"),
    path(
        "me/organizations/<str:slug>/documents/new/", manage.document_upload, name="document_upload"
    ),
    path(
        "me/organizations/<str:slug>/documents/<id:pk>/", manage.document_download, name="document"
    ),
    path("me/organizations/<str:slug>/members/invite/", manage.member_invite, name="invite"),
    path(
        "me/organizations/<str:slug>/members/<id:pk>/role/", manage.member_role, name="member_role"
    ),
    path(
        "me/organizations/<str:slug>/members/<id:pk>/remove/",
        manage.member_remove,
        name="member_remove",
    ),
    path(
        "me/organizations/<str:slug>/invitations/<id:pk>/revoke/",
        manage.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", manage.invitation_accept, name="invitation"),
    path("incubation/", incubation.cohort_list, name="cohorts"),
    path("incubation/<slug:slug>/", incubation.cohort_detail, name="cohort"),
    path("me/incubation/<id:pk>/", incubation.residency_detail, name="residency"),
    path("me/incubation/<id:pk>/agreement/", incubation.agreement_upload, name="agreement_upload"),
    path("me/incubation/<id:pk>/agreement/file/", incubation.agreement_download, name="agreement"),
    path("me/incubation/<id:pk>/services/", incubation.service_log, name="service_log"),
    path("me/incubation/<id:pk>/assessments/", incubation.assessment_create, name="assessment"),
]
