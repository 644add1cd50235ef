"""Language-neutral funding endpoints (payment-provider webhooks)."""

app_name = "funding"

urlpatterns: list = []
