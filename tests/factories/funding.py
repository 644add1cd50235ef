from datetime import timedelta

import factory
from django.utils import timezone

from funding.enums import DonationSource, MatchingMode, SponsorKind
from funding.models import Donation, MatchingRule, MatchPool, Sponsor
from projects.enums import ProjectTier
from projects.models import CallPage

from .projects import ProjectFactory


def make_call(slug: str = "test-call") -> CallPage:
    """A live CallPage under the tree root (no site pages needed)."""
    from wagtail.models import Locale, Page

    existing = CallPage.objects.filter(slug=slug).first()
    if existing:
        return existing
    now = timezone.now()
    call = CallPage(
        title=f"Call {slug}",
        slug=slug,
        opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=30),
    )
    Locale.objects.get_or_create(language_code="zh-hans")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    root.add_child(instance=call)
    return call


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"配捐方{n}")
    kind = SponsorKind.FOUNDATION


class MatchPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchPool

    sponsor = factory.SubFactory(SponsorFactory)
    name = factory.Sequence(lambda n: f"配捐池{n}")
    priority = 10
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class MatchingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchingRule
        django_get_or_create = ("call",)

    call = factory.LazyFunction(make_call)
    mode = MatchingMode.LIVE
    campaign_starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    campaign_ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=5))


class MatchedProjectFactory(ProjectFactory):
    tier = ProjectTier.FUNDED_MATCHED
    call = factory.LazyFunction(make_call)


class DonationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donation

    project = factory.SubFactory(MatchedProjectFactory)
    amount = 10_000
    source = DonationSource.STRIPE
    donor_name = factory.Sequence(lambda n: f"捐赠人{n}")
    donor_email = factory.Sequence(lambda n: f"donor{n}@example.org")


def funded_pool(amount: int, *, call=None, priority: int = 10, ratio=(1, 1), **kwargs):
    """A pool for ``call`` topped up with ``amount`` fen through the ledger."""
    from funding.services.pools import top_up_pool

    pool = MatchPoolFactory(priority=priority, ratio_num=ratio[0], ratio_den=ratio[1], **kwargs)
    pool.calls.add(call or make_call())
    if amount:
        top_up_pool(pool=pool, amount=amount, key="initial")
    return pool


def disbursed(project, amount: int):
    """Fund ``project`` with a counted gift of ``amount`` fen and pay all of it out to
    the project through the four-eyes disbursement services (so expenditures up to
    ``amount`` may be recorded). Returns the approved ``Disbursement``."""
    from django.contrib.auth.models import Group

    from funding.services.donations import mark_succeeded
    from funding.services.spending import approve_disbursement, record_disbursement
    from organizations.roles import FINANCE_OFFICER

    from .organizations import UserFactory

    gift = DonationFactory(project=project, amount=amount, source=DonationSource.TEST)
    mark_succeeded(donation=gift, amount_received=amount, currency=project.currency)
    group, _ = Group.objects.get_or_create(name=FINANCE_OFFICER)
    first, second = UserFactory(), UserFactory()
    first.groups.add(group)
    second.groups.add(group)
    tranche = record_disbursement(project=project, amount=amount, recorded_by=first)
    return approve_disbursement(disbursement=tranche, approved_by=second)
