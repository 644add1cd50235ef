"""Public, translated funding pages (donate flow, receipts)."""

app_name = "funding_public"

urlpatterns: list = []
