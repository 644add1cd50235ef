from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("delivery/<int:pk>/", views.delivery_detail, name="detail"),
    path("delivery/<int:pk>/milestones/", views.milestone_propose, name="milestone_propose"),
    path("delivery/<int:pk>/variance/", views.explain_variance, name="explain_variance"),
    path("delivery/<int:pk>/reports/new/", views.report_create, name="report_create"),
    path("delivery/<int:pk>/reports/<int:report_pk>/", views.report_detail, name="report"),
    path(
        "delivery/<int:pk>/reports/<int:report_pk>/resubmit/",
        views.report_resubmit,
        name="report_resubmit",
    ),
    path("delivery/<int:pk>/agreement/", views.agreement_download, name="agreement"),
    path(
        "delivery/<int:pk>/receipts/<int:expenditure_pk>/", views.receipt_download, name="receipt"
    ),
    path("delivery/photos/<int:photo_pk>/", views.photo, name="photo"),
]
