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


def make_call(*, slug=None, parent=None, **fields):
    """A live CallPage under the zh-hans call index (created on demand).

    Needs the ``site_pages`` fixture (home pages) to have run.
    """
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Locale

    from portal.models import HomePage
    from projects.models import CallIndexPage, CallPage

    if parent is None:
        home = HomePage.objects.get(locale=Locale.objects.get(language_code="zh-hans"))
        parent = CallIndexPage.objects.child_of(home).first()
        if parent is None:
            parent = CallIndexPage(title="征集", slug="calls")
            home.add_child(instance=parent)
            parent.save_revision().publish()
    now = timezone.now()
    make_call.counter += 1
    defaults = {
        "title": f"测试征集{make_call.counter}",
        "slug": slug or f"call-{make_call.counter}",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=10),
        "total_budget": 100_000_000,
        "per_project_cap": 20_000_000,
    }
    defaults.update(fields)
    items = defaults.pop("allowed_service_items", None)
    call = CallPage(**defaults)
    parent.add_child(instance=call)
    if items:
        call.allowed_service_items.set(items)
    call.save_revision().publish()
    call.refresh_from_db()
    return call


make_call.counter = 0


class CommunityNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.CommunityNeed"

    title = factory.Sequence(lambda n: f"小区缺少老年助餐点{n}")
    description = "楼里很多独居老人，附近没有助餐点，希望社区能提供午餐服务。"
    region = factory.SubFactory("tests.factories.organizations.RegionFactory")
    people_affected = 120
    status = "published"
    author = factory.SubFactory("tests.factories.organizations.UserFactory")
