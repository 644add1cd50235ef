from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("delivery/<id:pk>/", views.delivery_detail, name="detail"),
    path("delivery/<id:pk>/milestones/", views.milestone_propose, name="milestone_propose"),
    path("delivery/<id:pk>/variance/", views.explain_variance, name="explain_variance"),
    path("delivery/<id:pk>/reports/new/", views.report_create, name="report_create"),
    path("delivery/<id:pk>/reports/<id:report_pk>/", views.report_detail, name="report"),
    path(
        "delivery/<id:pk>/reports/<id:report_pk>/resubmit/",
        views.report_resubmit,
        name="report_resubmit",
    ),
    path("delivery/<id:pk>/agreement/", views.agreement_download, name="agreement"),
    path("delivery/<id:pk>/receipts/<id:expenditure_pk>/", views.receipt_download, name="receipt"),
    path("delivery/photos/<id:photo_pk>/", views.photo, name="photo"),
]
