"""Language-neutral funding endpoints (payment-provider webhooks)."""

from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    # Stripe's endpoint as configured in Stripe dashboards; every provider (Stripe too)
    # also answers at <provider>/notify/.
    path(
        "stripe/webhook/",
        views.provider_notification,
        {"provider": "stripe"},
        name="stripe_webhook",
    ),
    path("<slug:provider>/notify/", views.provider_notification, name="notify"),
]
