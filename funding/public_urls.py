"""Public, translated funding pages (donate flow, donor history, receipts)."""

from django.urls import path

from . import views

app_name = "funding_public"

urlpatterns = [
    path("donate/", views.donate, name="donate_general"),
    path("donate/gift/<str:token>/", views.confirm, name="confirm"),
    path("donate/gift/<str:token>/status/", views.status, name="status"),
    path("donate/gift/<str:token>/scan/", views.scan, name="scan"),
    path("donate/gift/<str:token>/wechat-pay/", views.wechat_pay, name="wechat_pay"),
    path("donate/gift/<str:token>/state.json", views.state, name="state"),
    path("donate/gift/<str:token>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path(
        "donate/gift/<str:token>/e-receipt.pdf",
        views.official_receipt_pdf,
        name="official_receipt",
    ),
    path("donate/gift/<str:token>/test-checkout/", views.test_checkout, name="test_checkout"),
    path("donate-offline/", views.pledge, name="pledge_general"),
    path("donate/<str:slug>/offline/", views.pledge, name="pledge"),
    path("pledges/<str:token>/", views.pledge_detail, name="pledge_detail"),
    path("donate/<str:slug>/", views.donate, name="donate"),
    path("matching-results/<id:call_id>/", views.settlement, name="settlement"),
]
