import factory
from django.contrib.auth import get_user_model

from organizations.enums import MemberRole, OrganizationType, VerificationStatus
from organizations.models import Membership, Organization, Region


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pass-word-123")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"街道{n}")
    code = factory.Sequence(lambda n: f"4403{n:06d}")
    level = "subdistrict"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试社会组织{n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    org_type = OrganizationType.SOCIAL_SERVICE
    status = VerificationStatus.VERIFIED
    region = factory.SubFactory(RegionFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.OWNER
