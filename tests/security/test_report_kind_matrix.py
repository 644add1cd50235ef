"""Every report kind × every role, with users built as seed_demo builds them (admin roles
have ``is_staff=True``), plus the people the roles do not cover: a conflicted reviewer, a
reviewer of another call, a mentor, a guest donor (no account: only the gift's token), and
signed-in donors whose address is verified or not. Checked through the kind's named
permission (``portal.core.reports.can_view_report``), as ``download_report`` does."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.utils import timezone

from organizations import roles
from portal.core.reports import can_view_report

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "guest_donor",
    "member",  # of the organization the report is about
    "other_member",
    "reviewer",  # submitted their own review of the application
    "conflicted",
    "reviewer_other_call",
    "evaluator",
    "finance",
    "mentor",  # the residency's mentor
    "officer",
    "administrator",
    "staff_flag_only",  # is_staff=True, no role
    "verified_donor",
    "unverified_donor",
    "superuser",
)


def _user(username, *groups, is_staff=False, is_superuser=False, verified=True):
    from tests.factories.organizations import UserFactory

    user = UserFactory(
        username=username,
        is_staff=is_staff,
        is_superuser=is_superuser,
        verified_email=verified,
    )
    for name in groups:
        group = Group.objects.get_or_create(name=name)[0]
        group.permissions.add(Permission.objects.get(codename="access_admin"))
        user.groups.add(group)
    return user


@pytest.fixture
def people(site_pages):
    staff = {"is_staff": True}  # as seed_demo sets it on every admin role account
    unverified = _user("unverified-donor", verified=False)
    EmailAddress.objects.create(
        user=unverified, email=unverified.email, verified=False, primary=True
    )
    return {
        "anonymous": AnonymousUser(),
        "guest_donor": AnonymousUser(),
        "member": _user("member"),
        "other_member": _user("other-member"),
        "reviewer": _user("reviewer", roles.REVIEWER, **staff),
        "conflicted": _user("conflicted", roles.REVIEWER, **staff),
        "reviewer_other_call": _user("reviewer-other", roles.REVIEWER, **staff),
        "evaluator": _user("evaluator", roles.EVALUATOR, **staff),
        "finance": _user("finance", roles.FINANCE_OFFICER, **staff),
        "mentor": _user("mentor", roles.MENTOR, **staff),
        "officer": _user("officer", roles.PROGRAMME_OFFICER, **staff),
        "administrator": _user("administrator", roles.ADMINISTRATOR, **staff),
        "staff_flag_only": _user("flag-only", **staff),
        "verified_donor": _user("verified-donor"),
        "unverified_donor": unverified,
        "superuser": _user("root", is_staff=True, is_superuser=True),
    }


@pytest.fixture
def objects(people):
    from funding.services.donations import mark_succeeded
    from funding.services.receipts import issue_receipt
    from projects.enums import ApplicationStatus
    from projects.review import services as review_services
    from projects.review.enums import ReviewStatus
    from projects.review.models import Review
    from tests.factories.funding import DonationFactory
    from tests.factories.organizations import (
        MembershipFactory,
        OrganizationFactory,
        ResidencyFactory,
    )
    from tests.factories.projects import ProjectFactory, make_call
    from tests.factories.review import ApplicationFactory, ReviewSettingsFactory, make_rubric

    org = OrganizationFactory(slug="kind-org")
    MembershipFactory(organization=org, user=people["member"])
    MembershipFactory(
        organization=OrganizationFactory(slug="kind-other"), user=people["other_member"]
    )
    call = make_call(slug="kind-call")
    rubric = make_rubric((60, 40))
    ReviewSettingsFactory(call=call, rubric=rubric, reviewers_per_application=2)
    other_call = make_call(slug="kind-other-call")
    ReviewSettingsFactory(call=other_call, rubric=make_rubric((50, 50)))
    officer = people["officer"]
    application = ApplicationFactory(call=call, organization=org, status=ApplicationStatus.ELIGIBLE)
    assignment = review_services.assign_reviewer(
        application=application, reviewer=people["reviewer"], by=officer
    )
    review_services.declare_conflict(assignment=assignment, by=people["reviewer"], conflict=False)
    Review.objects.create(
        assignment=assignment,
        rubric=rubric,
        status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.now(),
        total=80,
    )
    recused = review_services.assign_reviewer(
        application=application, reviewer=people["conflicted"], by=officer
    )
    review_services.declare_conflict(
        assignment=recused, by=people["conflicted"], conflict=True, reason="曾任理事"
    )
    other_application = ApplicationFactory(
        call=other_call,
        organization=OrganizationFactory(slug="kind-third"),
        status=ApplicationStatus.ELIGIBLE,
    )
    review_services.assign_reviewer(
        application=other_application, reviewer=people["reviewer_other_call"], by=officer
    )
    project = ProjectFactory(organization=org, call=call)
    residency = ResidencyFactory(organization=org, mentor=people["mentor"])

    def paid_receipt(**kwargs):
        donation = DonationFactory(project=project, receipt_requested=True, **kwargs)
        mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
        donation.refresh_from_db()
        return issue_receipt(donation=donation)

    verified, unverified = people["verified_donor"], people["unverified_donor"]
    return {
        "call": call,
        "application": application,
        "project": project,
        "residency": residency,
        "guest_receipt": paid_receipt(donor_email="guest@example.org", donor_name="访客"),
        # A guest gift under the verified donor's address: still only its token opens it.
        "guest_receipt_verified_address": paid_receipt(
            donor_email=verified.email, donor_name="访客"
        ),
        "account_receipt": paid_receipt(user=verified, donor_email=verified.email),
        "unverified_account_receipt": paid_receipt(user=unverified, donor_email=unverified.email),
    }


def _publish(call):
    call.notice_published_at = timezone.now() - timedelta(days=1)
    call.save(update_fields=["notice_published_at"])


def _answers(people, kind, obj) -> str:
    return "".join("O" if can_view_report(people[p], kind, obj) else "-" for p in PERSONAS)


# One letter per persona, in PERSONAS order: O may download, - refused.
#                 anon guest memb othr revw conf rOth eval fin  ment offc admn flag vDon uDon root
EXPECTED = {
    ("application", "before results"): "----------OO---O",
    ("application", "after results"): "--O-O-----OO---O",
    ("application_anonymised", "before results"): "----------OO---O",
    ("application_anonymised", "after results"): "----O-----OO---O",
    # In a blind call the reviewer reads the anonymised copy only.
    ("application", "after results, blind call"): "--O-------OO---O",
    ("application_anonymised", "after results, blind call"): "----O-----OO---O",
    ("call", "before results"): "----------OO---O",
    ("call", "after results"): "OOOOOOOOOOOOOOOO",
    ("project", ""): "--O-------OO---O",
    ("incubation", ""): "--O------OOO---O",
    ("receipt", "guest"): "--------O--O---O",
    ("receipt", "guest under verified address"): "--------O--O---O",
    ("receipt", "verified donor's account"): "--------O--O-O-O",
    ("receipt", "unverified donor's account"): "--------O--O--OO",
}


def _row(label: str) -> str:
    return " ".join(label[i] for i in range(len(PERSONAS)))


def test_every_report_kind_answers_each_persona_as_expected(people, objects):
    seen = {
        ("application", "before results"): _answers(people, "application", objects["application"]),
        ("application_anonymised", "before results"): _answers(
            people, "application_anonymised", objects["application"]
        ),
        ("call", "before results"): _answers(people, "call", objects["call"]),
        ("project", ""): _answers(people, "project", objects["project"]),
        ("incubation", ""): _answers(people, "incubation", objects["residency"]),
        ("receipt", "guest"): _answers(people, "receipt", objects["guest_receipt"]),
        ("receipt", "guest under verified address"): _answers(
            people, "receipt", objects["guest_receipt_verified_address"]
        ),
        ("receipt", "verified donor's account"): _answers(
            people, "receipt", objects["account_receipt"]
        ),
        ("receipt", "unverified donor's account"): _answers(
            people, "receipt", objects["unverified_account_receipt"]
        ),
    }
    _publish(objects["call"])
    seen[("application", "after results")] = _answers(people, "application", objects["application"])
    seen[("call", "after results")] = _answers(people, "call", objects["call"])
    seen[("application_anonymised", "after results")] = _answers(
        people, "application_anonymised", objects["application"]
    )
    objects["call"].review_settings.blind = True
    objects["call"].review_settings.save(update_fields=["blind"])
    application = type(objects["application"]).objects.get(pk=objects["application"].pk)
    seen[("application", "after results, blind call")] = _answers(
        people, "application", application
    )
    seen[("application_anonymised", "after results, blind call")] = _answers(
        people, "application_anonymised", application
    )

    assert {key: _row(value) for key, value in seen.items()} == {
        key: _row(value) for key, value in EXPECTED.items()
    }


def test_every_registered_report_kind_is_in_the_matrix():
    from portal.core.reports import report_kinds

    covered = {kind for kind, _state in EXPECTED}

    assert sorted(set(report_kinds()) - covered) == []


def test_reviewer_who_has_not_submitted_cannot_read_the_report(people, objects):
    from projects.review.models import Review

    Review.objects.filter(assignment__reviewer=people["reviewer"]).update(status="draft")
    _publish(objects["call"])

    assert can_view_report(people["reviewer"], "application", objects["application"]) is False
