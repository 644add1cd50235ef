import datetime

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from organizations.enums import MemberRole, OrganizationType, RegionLevel, VerificationStatus
from organizations.models import Invitation, Membership, Organization, Region
from organizations.validators import credit_code_check_char
from portal.demo import PRIVACY_POLICY_VERSION
from portal.models import Consent, ConsentPurpose


def make_credit_code(n: int, prefix: str = "52") -> str:
    """A valid GB 32100-2015 code for tests."""
    body = f"{prefix}440300{n:09d}"[:17]
    return body + credit_code_check_char(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        # A verified address lets the user log in (email verification is mandatory);
        # skipped when another user already holds the same address.
        if (
            create
            and obj.email
            and extracted is not False
            and not EmailAddress.objects.filter(email__iexact=obj.email).exists()
        ):
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def privacy_consent(obj, create, extracted, **kwargs):
        # Every real account agreed to the privacy policy on the sign-up form (the demo
        # records the same for its accounts): without it a signed-in request on a site
        # with a policy page stops at /me/consent/. ``privacy_consent=False`` opts out.
        if create and extracted is not False:
            Consent.objects.get_or_create(
                user=obj,
                purpose=ConsentPurpose.PRIVACY_POLICY,
                version=PRIVACY_POLICY_VERSION,
                withdrawn_at=None,
            )


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"街道{n}")
    code = factory.Sequence(lambda n: f"4403{n:06d}")
    level = "subdistrict"


class DistrictFactory(RegionFactory):
    name = factory.Sequence(lambda n: f"测试区{n}")
    code = factory.Sequence(lambda n: f"44D{n:05d}")
    level = RegionLevel.DISTRICT


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试社会组织{n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    org_type = OrganizationType.SOCIAL_SERVICE
    credit_code = factory.Sequence(lambda n: make_credit_code(n))
    status = VerificationStatus.VERIFIED
    region = factory.SubFactory(RegionFactory)
    contact_name = "张三"
    contact_mobile = "13812345678"
    mission = "服务社区居民"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.OWNER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = MemberRole.EDITOR
    token = factory.Sequence(lambda n: f"token-{n}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "organizations.Cohort"
        django_get_or_create = ("slug",)

    programme = "社区社会组织孵化计划"
    name = factory.Sequence(lambda n: f"第{n}期")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    capacity = 5
    starts_on = datetime.date(2026, 3, 1)
    ends_on = datetime.date(2027, 2, 28)
    applications_open_until = datetime.date(2099, 12, 31)


class ResidencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "organizations.Residency"

    cohort = factory.SubFactory(CohortFactory)
    organization = factory.SubFactory(OrganizationFactory)
    motivation = "希望提升项目管理能力"
