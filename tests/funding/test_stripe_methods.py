"""Alipay and WeChat Pay on Stripe Checkout for CNY gifts (request body checked on the
local fake Stripe server)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from funding.enums import DonationSource
from funding.models import Donation
from funding.providers import stripe as provider
from tests.factories.funding import DonationFactory, MatchedProjectFactory, MatchingRuleFactory

pytestmark = pytest.mark.django_db


def _checkout(donation):
    return provider.create_checkout_session(
        donation=donation,
        product_name="捐赠",
        success_url="https://example.org/ok",
        cancel_url="https://example.org/no",
        expires_at=timezone.now() + timedelta(minutes=30),
        locale="zh-hans",
    )


def test_donate_flow_requests_alipay_and_wechat_pay(client, fake_stripe, settings):
    settings.FUNDING_STRIPE_CNY_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    MatchingRuleFactory()
    MatchedProjectFactory(slug="pay-cny")

    response = client.post(
        "/donate/pay-cny/",
        {
            "preset": "10000",
            "donor_name": "张三",
            "donor_email": "zs@example.org",
            "anonymity": "none",
        },
    )
    pay = client.post(response["Location"], {"pay": "1"})

    body = fake_stripe.requests[0]["body"]
    assert pay.status_code == 302
    assert [body[f"payment_method_types[{i}]"] for i in range(3)] == [
        ["card"],
        ["alipay"],
        ["wechat_pay"],
    ]
    assert body["payment_method_options[wechat_pay][client]"] == ["web"]
    assert Donation.objects.get().currency == "CNY"


def test_alipay_only_has_no_wechat_option(fake_stripe, settings):
    settings.FUNDING_STRIPE_CNY_PAYMENT_METHODS = ["alipay", "bogus"]

    _checkout(DonationFactory(source=DonationSource.STRIPE))

    body = fake_stripe.requests[0]["body"]
    assert body["payment_method_types[0]"] == ["alipay"]
    assert "payment_method_types[1]" not in body
    assert not any(k.startswith("payment_method_options") for k in body)


def test_not_configured_leaves_methods_to_the_stripe_account(fake_stripe, settings, monkeypatch):
    monkeypatch.delenv("FUNDING_STRIPE_CNY_PAYMENT_METHODS", raising=False)
    if hasattr(settings, "FUNDING_STRIPE_CNY_PAYMENT_METHODS"):
        del settings.FUNDING_STRIPE_CNY_PAYMENT_METHODS

    _checkout(DonationFactory(source=DonationSource.STRIPE))

    assert not any(k.startswith("payment_method") for k in fake_stripe.requests[0]["body"])


def test_environment_variable_and_non_cny_currency(fake_stripe, settings, monkeypatch):
    if hasattr(settings, "FUNDING_STRIPE_CNY_PAYMENT_METHODS"):
        del settings.FUNDING_STRIPE_CNY_PAYMENT_METHODS
    monkeypatch.setenv("FUNDING_STRIPE_CNY_PAYMENT_METHODS", "card, wechat_pay")
    assert provider.cny_payment_methods() == ["card", "wechat_pay"]

    _checkout(DonationFactory(source=DonationSource.STRIPE, currency="HKD"))

    assert not any(k.startswith("payment_method") for k in fake_stripe.requests[0]["body"])
