"""#14: the admin viewsets of organizations, incubation and funding answer the named
permissions of the rules (one shared ``RulePolicy``), never Django's model permissions
nor ``is_staff``.

Role accounts are built as seed_demo builds them (``is_staff=True``, the role's group with
admin access, TOTP enrolled, a session that passed the code step). Two accounts show the
old doors are shut: a mentor whose group still holds the organizations app's ``view_*``
model permissions (granted after every migrate until now), and an account in a group that
holds every model permission of organizations and funding but no role.
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import policy_registry
from wagtail.snippets.views.chooser import SnippetChooserViewSet

from funding.models import Donation
from organizations import roles
from portal.core.admin_policy import RulePolicy
from tests.factories.organizations import (
    CohortFactory,
    OrganizationFactory,
    ResidencyFactory,
    UserFactory,
)

from .matrix import classify
from .mfa import login_with_mfa
from .world import TOTP_SECRET

pytestmark = pytest.mark.django_db

ORGANIZATIONS = [
    "organizations_admin",
    "regions_admin",
    "residencies_admin",
    "cohorts_admin",
    "trainings_admin",
    "stages_admin",
    "dimensions_admin",
]
FUNDING = [
    "funding_donations",
    "funding_pools",
    "funding_sponsors",
    "funding_rules",
    "funding_settlement_tiers",
    "funding_disbursements",
    "funding_ledger",
    "funding_claw_backs",
    "funding_inbox",
]
# Who opens each app's viewsets (lists, CSV, XLSX): O opens, D refused.
EXPECTED = {
    #                 organizations funding
    "administrator": ("O", "D"),
    "officer": ("O", "D"),
    "finance": ("D", "O"),
    "reviewer": ("D", "D"),
    "evaluator": ("D", "D"),
    "mentor": ("D", "D"),
    "model_perms": ("D", "D"),
    "staff_flag_only": ("D", "D"),
    "superuser": ("O", "O"),
}
ROLE_GROUPS = {
    "administrator": roles.ADMINISTRATOR,
    "officer": roles.PROGRAMME_OFFICER,
    "finance": roles.FINANCE_OFFICER,
    "reviewer": roles.REVIEWER,
    "evaluator": roles.EVALUATOR,
    "mentor": roles.MENTOR,
    "model_perms": "Legacy editors",
}
# Our apps' viewsets that are not programme, review or money work: the service
# catalogue is site content kept by superusers (no role group holds its permissions).
NOT_ON_RULES = {"ServiceCategory", "ServiceItem"}
OUR_APPS = {"organizations", "projects", "review", "delivery", "evaluation", "funding"}


def _account(name: str):
    user = UserFactory(username=f"policy-{name}", is_staff=True, is_superuser=name == "superuser")
    group_name = ROLE_GROUPS.get(name)
    if group_name:
        group = Group.objects.get_or_create(name=group_name)[0]
        group.permissions.add(Permission.objects.get(codename="access_admin"))
        if name == "mentor":
            # As every deployment's Mentors group holds them from earlier migrations.
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="organizations", codename__startswith="view_"
                )
            )
        if name == "model_perms":
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label__in=["organizations", "funding"])
            )
        user.groups.add(group)
    TOTP.activate(user, TOTP_SECRET)
    client = Client()
    login_with_mfa(client, user)
    return client


def _urls(namespaces):
    for namespace in namespaces:
        index = reverse(f"{namespace}:index")
        yield index
        yield f"{index}?export=csv"
        yield f"{index}?export=xlsx"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_organizations_and_funding_viewsets_and_exports_follow_the_rules(name):
    residency = ResidencyFactory(
        organization=OrganizationFactory(name="政策测试机构"), cohort=CohortFactory()
    )
    client = _account(name)
    expected_orgs, expected_funding = EXPECTED[name]

    answers = {url: classify(client.get(url)) for url in _urls(ORGANIZATIONS + FUNDING)}
    inspect = classify(client.get(reverse("residencies_admin:inspect", args=[residency.pk])))

    wrong = {
        url: got
        for url, got in answers.items()
        if got != (expected_funding if url.startswith("/admin/funding_") else expected_orgs)
    }
    assert wrong == {}
    assert inspect == expected_orgs


def test_organizations_csv_opens_for_programme_staff_with_the_rows():
    OrganizationFactory(name="导出测试机构")
    client = _account("officer")

    response = client.get(reverse("organizations_admin:index") + "?export=csv")

    assert response.status_code == 200
    assert "导出测试机构" in b"".join(response.streaming_content).decode("utf-8-sig")


def _our_viewsets():
    seen = {}
    for viewset in viewsets.viewsets:
        for item in getattr(viewset, "viewsets", None) or [viewset]:
            model = getattr(item, "model", None)
            if (
                isinstance(item, ModelViewSet)
                and not isinstance(item, SnippetChooserViewSet)
                and model is not None
                and model._meta.app_label in OUR_APPS
            ):
                seen[model] = item
    return seen


def test_every_viewset_of_our_apps_asks_a_named_permission():
    """No viewset of our apps falls back to Wagtail's ``ModelPermissionPolicy`` (Django
    model permissions): each has a ``RulePolicy`` naming a permission of the rules."""
    models = _our_viewsets()
    without = sorted(
        model.__name__
        for model in models
        if not isinstance(policy_registry.get_by_type(model), RulePolicy)
        and model.__name__ not in NOT_ON_RULES
    )

    assert len(models) > 30
    assert without == []


def test_rule_policy_lists_the_holders_of_its_permission():
    _account("finance")
    _account("officer")
    _account("mentor")
    policy = policy_registry.get_by_type(Donation)

    holders = set(policy.users_with_permission("view").values_list("username", flat=True))

    assert holders == {"policy-finance"}
    assert policy.users_with_permission("change").exists() is False


def test_migration_takes_the_inert_model_permissions_from_the_role_groups():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("organizations.migrations.0009_role_groups_without_model_permissions")
    mentors = Group.objects.get_or_create(name=roles.MENTOR)[0]
    legacy = Group.objects.get_or_create(name="Legacy editors")[0]
    organizations_perms = Permission.objects.filter(content_type__app_label="organizations")
    access_admin = Permission.objects.get(codename="access_admin")
    mentors.permissions.add(access_admin, *organizations_perms)
    legacy.permissions.add(*organizations_perms)

    migration.drop_model_permissions(apps, None)

    assert mentors.permissions.filter(content_type__app_label="organizations").exists() is False
    assert mentors.permissions.filter(pk=access_admin.pk).exists() is True
    assert legacy.permissions.count() == organizations_perms.count()
