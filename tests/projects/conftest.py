import pytest

from organizations.enums import MemberRole
from projects import services
from projects.enums import ApplicationStep
from tests.factories.organizations import MembershipFactory, RegionFactory
from tests.factories.projects import ServiceItemFactory, make_call


@pytest.fixture
def call(site_pages):
    return make_call()


@pytest.fixture
def member(db):
    """An owner of a verified organization."""
    return MembershipFactory(role=MemberRole.OWNER)


@pytest.fixture
def user(member):
    return member.user


@pytest.fixture
def organization(member):
    return member.organization


@pytest.fixture
def application(call, member):
    return services.start_application(call=call, organization=member.organization, by=member.user)


@pytest.fixture
def service_item(db):
    return ServiceItemFactory()


def valid_answers(*, region_id: int, item_id: int) -> dict:
    """Answers for every step that pass the default test call's rules."""
    return {
        ApplicationStep.BASIC: {
            "title": "长者饭堂暖心助餐",
            "summary": "为独居老人提供午餐。",
            "region": region_id,
            "service_items": [item_id],
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        ApplicationStep.NEEDS: {
            "analysis": "社区内独居老人约三百人，缺少就近助餐服务。",
            "cited_needs": [],
        },
        ApplicationStep.OBJECTIVES: {"goal": "让老人吃上热饭", "objectives": "每天供餐100份"},
        ApplicationStep.BENEFICIARIES: {
            "description": "独居老人",
            "direct_count": 100,
            "indirect_count": 300,
        },
        ApplicationStep.ACTIVITIES: {
            "lines": [
                {"name": "助餐", "start": "2027-01-01", "end": "2027-12-31", "description": ""}
            ]
        },
        ApplicationStep.BUDGET: {
            "lines": [
                {
                    "category": "activities",
                    "item": "餐费补贴",
                    "unit": "份",
                    "quantity": 1000,
                    "unit_price": 1500,
                    "source": "requested",
                },
                {
                    "category": "venue",
                    "item": "场地",
                    "unit": "月",
                    "quantity": 12,
                    "unit_price": 50000,
                    "source": "self",
                },
            ]
        },
        ApplicationStep.INDICATORS: {
            "lines": [
                {"kind": "output", "name": "供餐份数", "target": "24000", "method": "台账"},
                {"kind": "outcome", "name": "满意度", "target": "90%", "method": "问卷"},
            ]
        },
        ApplicationStep.TEAM: {
            "lines": [{"name": "张三", "role": "项目主管", "experience": "五年"}]
        },
        ApplicationStep.RISKS: {"lines": [{"risk": "食品安全", "mitigation": "持证供餐"}]},
        ApplicationStep.ATTACHMENTS: {"confirmed": True},
    }


@pytest.fixture
def complete(application, member, service_item):
    """Fill every step of ``application`` with valid answers."""
    region = RegionFactory()
    for step, answers in valid_answers(region_id=region.pk, item_id=service_item.pk).items():
        services.save_step_answers(
            application=application, step=step, answers=answers, by=member.user
        )
    application.refresh_from_db()
    return application


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (real row locks between threads) are deselected on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    here = str(__import__("pathlib").Path(__file__).parent)

    def ours(item):
        return str(item.path).startswith(here) and item.get_closest_marker("postgres")

    selected = [i for i in items if not ours(i)]
    deselected = [i for i in items if ours(i)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
