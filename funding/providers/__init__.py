"""Payment providers. ``stripe`` talks to Stripe (the only importer of the SDK);
``testpay`` simulates a checkout for demos and refuses to run unless DEBUG is on."""

from dataclasses import dataclass


@dataclass
class CheckoutResult:
    session_id: str
    url: str


def online_provider_name() -> str:
    """``"stripe"`` when Stripe is configured, ``"test"`` when the development provider
    is enabled, else ``""`` (the donate page then points to offline giving)."""
    from . import stripe as stripe_provider
    from . import testpay

    if stripe_provider.is_configured():
        return "stripe"
    if testpay.is_enabled():
        return "test"
    return ""
