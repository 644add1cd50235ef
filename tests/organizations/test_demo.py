import random

from organizations import demo
from organizations.models import Invitation, Organization, Residency, VerificationEvent
from portal.demo import DemoContext


def _seed():
    ctx = DemoContext(size="small", rng=random.Random(7), log=lambda msg: None)
    demo.seed(ctx)
    return ctx


def test_demo_shows_every_state_and_is_idempotent(db):
    _seed()
    counts = (
        Organization.objects.count(),
        Residency.objects.count(),
        VerificationEvent.objects.count(),
        Invitation.objects.count(),
    )

    ctx = _seed()

    assert counts == (
        Organization.objects.count(),
        Residency.objects.count(),
        VerificationEvent.objects.count(),
        Invitation.objects.count(),
    )
    assert set(Organization.objects.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "verified",
        "returned",
    }
    assert set(Residency.objects.values_list("status", flat=True)) == {
        "applied",
        "admitted",
        "declined",
        "graduated",
        "exited",
    }
    assert len(ctx.shared["organizations"]) == 8
