"""Language-neutral funding endpoints (payment-provider webhooks)."""

from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
