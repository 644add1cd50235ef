from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from organizations.roles import PROGRAMME_OFFICER, REVIEWER
from projects.enums import ApplicationStatus
from projects.models import Application
from projects.review.models import Criterion, ReviewSettings, Rubric

from .organizations import OrganizationFactory, UserFactory


def with_role(user, role):
    """Put ``user`` in the role's group (which may open the Wagtail admin)."""
    group = Group.objects.get_or_create(name=role)[0]
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    if hasattr(user, "_portal_role_names"):
        del user._portal_role_names
    return user


def make_reviewer(**kwargs):
    return with_role(UserFactory(**kwargs), REVIEWER)


def make_officer(**kwargs):
    return with_role(UserFactory(**kwargs), PROGRAMME_OFFICER)


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rubric

    code = factory.Sequence(lambda n: f"rubric-{n}")
    name = factory.Sequence(lambda n: f"细则{n}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    name = factory.Sequence(lambda n: f"指标{n}")
    weight = 10
    scale_min = Decimal(0)
    scale_max = Decimal(10)
    scale_step = Decimal(1)
    sort_order = factory.Sequence(int)


def make_rubric(weights=(60, 40), *, key_index=0, independent=(), **kwargs):
    """A rubric with one 0–10 (step 1) criterion per weight; ``key_index`` is the key one."""
    rubric = RubricFactory(**kwargs)
    for i, weight in enumerate(weights):
        CriterionFactory(
            rubric=rubric,
            name=f"C{i + 1}",
            weight=weight,
            sort_order=i,
            is_key=i == key_index,
            independent=i in independent,
        )
    return rubric


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application that passed screening (eligible for review)."""

    class Meta:
        model = Application

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"社区项目{n}")
    status = ApplicationStatus.ELIGIBLE
    requested_amount = 10_000_000
    total_amount = 10_000_000
    submitted_at = factory.LazyFunction(timezone.now)


class ReviewSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewSettings

    rubric = factory.SubFactory(RubricFactory)
    reviewers_per_application = 2
