import factory

from projects.enums import ProjectStatus
from projects.models import Project, ServiceCategory, ServiceItem

from .organizations import OrganizationFactory


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n}")
    name = factory.Sequence(lambda n: f"类别{n}")


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem
        django_get_or_create = ("code",)

    category = factory.SubFactory(ServiceCategoryFactory)
    code = factory.Sequence(lambda n: f"Z{n:03d}")
    name = factory.Sequence(lambda n: f"服务{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"社区助老服务项目{n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    status = ProjectStatus.IN_PROGRESS
    goal_amount = 5_000_000
    region = factory.SelfAttribute("organization.region")
