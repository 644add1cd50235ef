"""Publishing asks for confirmation (#15): the officer first sees what will become public
(the ranking with tiers, how many are not ranked) and who will be notified; only the
confirming POST publishes, and publishing twice or a stale ranking is still refused."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from portal.core.notifications.models import Notification
from projects.review import services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, Decision
from tests.factories.organizations import MembershipFactory
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db


def _review(application, reviewer, value):
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )
    criteria = application.call.review_settings.rubric.criteria.all()
    return services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(value) for c in criteria},
    )


@pytest.fixture
def ranked(call, config, reviewers, officer):
    """甲 (9, 9) funded, 乙 (7, 7) reserve, 丙 (3, 3) not funded, 丁 one review of two."""
    apps = {}
    for name, value, organization in (
        ("甲", 9, "阳光社工"),
        ("乙", 7, "绿叶协会"),
        ("丙", 3, "晨曦"),
    ):
        app = ApplicationFactory(call=call, title=f"项目{name}", organization__name=organization)
        MembershipFactory(organization=app.organization)
        _review(app, reviewers[0], value)
        _review(app, reviewers[1], value)
        apps[name] = app
    apps["丁"] = ApplicationFactory(call=call, title="项目丁", organization__name="彩虹")
    MembershipFactory(organization=apps["丁"].organization)
    _review(apps["丁"], reviewers[0], 8)
    config.funded_count, config.reserve_count, config.appeal_days = 1, 1, 7
    config.save()
    services.rank_call(call=call, by=officer)
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    return apps


def _url(call):
    return reverse("review:publish", args=[call.pk])


def _get(client, call):
    with translation.override("zh-hans"):
        return client.get(_url(call), HTTP_ACCEPT_LANGUAGE="zh-hans")


def _post(client, call, data):
    with translation.override("zh-hans"):
        return client.post(_url(call), data, HTTP_ACCEPT_LANGUAGE="zh-hans")


def _token(response) -> str:
    return response.context["ranking_seen"]


def test_confirmation_page_shows_ranking_tiers_not_ranked_and_who_is_notified(
    client, call, ranked, officer
):
    client.force_login(officer)

    response = _get(client, call)

    body = response.content.decode()
    plan = response.context["plan"]
    assert response.status_code == 200
    assert [(r.application.title, r.rank, r.tier) for r in plan.rows] == [
        ("项目甲", 1, "funded_matched"),
        ("项目乙", 2, "reserve"),
        ("项目丙", 3, "not_funded"),
        ("项目丁", None, "not_funded"),
    ]
    assert "<td>1</td>\n    <td>项目甲</td>\n    <td>阳光社工</td>" in body
    assert "<td>资助并配捐</td>" in body
    assert "<td>项目库</td>" in body
    assert "4 项决定将在征集页面上公示。" in body
    assert "1 个申请未排名——评审不足。" in body
    assert "4 个机构将收到通知（站内通知并向其成员发送电子邮件）：" in body
    assert [o.name for o in plan.notified_organizations] == ["彩虹", "晨曦", "绿叶协会", "阳光社工"]
    assert "<li>阳光社工</li>" in body
    assert "“项目丁” 已有 1 / 2 份评审。" in body
    assert not Decision.objects.filter(call=call).exists()
    assert not Notification.objects.exists()


def test_confirming_publishes_and_notifies_the_organizations_shown(client, call, ranked, officer):
    client.force_login(officer)
    token = _token(_get(client, call))

    response = _post(client, call, {"ranking_seen": token, "override_reason": "评审委员会同意"})

    assert response.status_code == 302
    assert response["Location"] == reverse("review:progress", args=[call.pk])
    assert list(
        Decision.objects.filter(call=call)
        .order_by("application__title")
        .values_list("application__title", "rank", "tier")
    ) == [
        ("项目丁", None, "not_funded"),
        ("项目丙", 3, "not_funded"),
        ("项目乙", 2, "reserve"),
        ("项目甲", 1, "funded_matched"),
    ]
    notified = set(
        Notification.objects.values_list("user__memberships__organization__name", flat=True)
    )
    assert notified == {"阳光社工", "绿叶协会", "晨曦", "彩虹"}


def test_missing_override_reason_is_refused_next_to_the_field(client, call, ranked, officer):
    client.force_login(officer)
    token = _token(_get(client, call))

    response = _post(client, call, {"ranking_seen": token, "override_reason": ""})

    assert response.status_code == 400
    assert response.context["form"].errors["override_reason"][0] == (
        "结果暂不能公示。项目官员可填写书面理由后仍然公示。"
    )
    assert not Decision.objects.filter(call=call).exists()


def test_post_without_the_confirmation_page_is_refused(client, call, ranked, officer):
    client.force_login(officer)

    response = _post(client, call, {"override_reason": "评审委员会同意"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["请先核对将要公示的内容，再确认。"]
    assert not Decision.objects.filter(call=call).exists()


def test_ranking_again_after_the_preview_refuses_the_old_confirmation(
    client, call, ranked, officer
):
    client.force_login(officer)
    token = _token(_get(client, call))
    services.rank_call(call=call, by=officer)

    response = _post(client, call, {"ranking_seen": token, "override_reason": "同意"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "您核对结果之后该征集又重新排名了，请重新核对。"
    ]
    assert not Decision.objects.filter(call=call).exists()


def test_stale_ranking_is_refused_on_the_confirmation_page(
    client, call, ranked, reviewers, officer
):
    client.force_login(officer)
    token = _token(_get(client, call))
    _review(ranked["丁"], reviewers[2], 6)

    page = _get(client, call)
    response = _post(client, call, {"ranking_seen": token, "override_reason": "同意"})

    assert page.context["plan"] is None
    assert page.context["refusal"] == ["排名计算后有评审发生变化，请重新排名后再公示。"]
    assert "确认并公示" not in page.content.decode()
    assert response.status_code == 400
    assert not Decision.objects.filter(call=call).exists()


def test_publishing_twice_is_refused(client, call, ranked, officer):
    client.force_login(officer)
    token = _token(_get(client, call))
    _post(client, call, {"ranking_seen": token, "override_reason": "同意"})
    sent = Notification.objects.count()

    page = _get(client, call)
    again = _post(client, call, {"ranking_seen": token, "override_reason": "同意"})

    assert page.context["refusal"] == ["该结果已公示，此后没有任何变化。"]
    assert again.status_code == 400
    assert Decision.objects.filter(call=call).count() == 4
    assert Notification.objects.count() == sent


def test_republication_marks_what_changed_and_notifies_only_those(
    client, call, config, ranked, officer
):
    client.force_login(officer)
    _post(client, call, {"ranking_seen": _token(_get(client, call)), "override_reason": "同意"})
    config.funded_count = 2
    config.save(update_fields=["funded_count"])

    page = _get(client, call)

    plan = page.context["plan"]
    body = page.content.decode()
    assert [(r.application.title, r.tier, r.is_new, r.is_changed) for r in plan.rows] == [
        ("项目甲", "funded_matched", False, False),
        ("项目乙", "funded_matched", False, True),
        ("项目丙", "not_funded", False, False),
        ("项目丁", "not_funded", False, False),
    ]
    assert [o.name for o in plan.notified_organizations] == ["绿叶协会"]
    assert "这是一次新的公示，将取代已公示的结果。" in body
    assert body.count("<td>结果有变化</td>") == 1
