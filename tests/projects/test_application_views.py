from datetime import timedelta

import pytest
from django.urls import reverse

from organizations.enums import MemberRole
from projects import services
from projects.enums import ApplicationStatus
from projects.selectors import applications_for_user
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import CommunityNeedFactory, make_call

pytestmark = pytest.mark.django_db


def _step_url(application, step):
    return reverse("projects:application_step", kwargs={"pk": application.pk, "step": step})


def _rows(prefix_rows, total=None):
    data = {
        "rows-TOTAL_FORMS": str(total or len(prefix_rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "100",
    }
    for i, row in enumerate(prefix_rows):
        for key, value in row.items():
            data[f"rows-{i}-{key}"] = value
    return data


def test_start_application_from_call_page_redirects_to_first_step(client, call, user, organization):
    client.force_login(user)

    response = client.post(
        reverse("projects:start_application", kwargs={"call_id": call.pk}),
        {"organization": organization.pk},
    )

    application = organization.applications.get()
    assert response.status_code == 302
    assert response["Location"] == _step_url(application, "basic")


def test_step_with_errors_keeps_typed_input_and_saves_draft(client, application, user):
    client.force_login(user)

    response = client.post(
        _step_url(application, "basic"), {"title": "我的项目标题", "summary": "", "next": "1"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="我的项目标题"' in html
    assert "请更正以下问题" in html
    application.refresh_from_db()
    assert application.drafts["basic"]["title"] == ["我的项目标题"]
    assert "basic" not in application.answers


def test_saved_draft_is_shown_on_a_later_visit(client, application, user):
    client.force_login(user)
    client.post(_step_url(application, "objectives"), {"goal": "半成品的目标"})

    response = client.get(_step_url(application, "objectives"))

    assert "半成品的目标" in response.content.decode()


def test_autosave_valid_step_completes_it(client, application, user):
    client.force_login(user)

    response = client.post(
        reverse(
            "projects:application_autosave", kwargs={"pk": application.pk, "step": "objectives"}
        ),
        {"goal": "让老人吃上热饭", "objectives": "每天供餐"},
    )

    body = response.json()
    assert body["saved"] is True
    assert body["complete"] is True
    application.refresh_from_db()
    assert application.answers["objectives"] == {"goal": "让老人吃上热饭", "objectives": "每天供餐"}


def test_autosave_invalid_step_keeps_draft(client, application, user):
    client.force_login(user)

    response = client.post(
        reverse(
            "projects:application_autosave", kwargs={"pk": application.pk, "step": "beneficiaries"}
        ),
        {"description": "老人", "direct_count": "-5"},
    )

    assert response.json()["complete"] is False
    application.refresh_from_db()
    assert application.drafts["beneficiaries"]["direct_count"] == ["-5"]


def test_budget_step_computes_totals_in_fen(client, application, user):
    client.force_login(user)
    data = _rows(
        [
            {
                "category": "activities",
                "item": "餐费",
                "unit": "份",
                "quantity": "1000",
                "unit_price": "15.50",
                "source": "requested",
            },
            {
                "category": "venue",
                "item": "场地",
                "unit": "月",
                "quantity": "12",
                "unit_price": "500",
                "source": "self",
            },
        ]
    )

    client.post(_step_url(application, "budget"), {**data, "save": "1"})

    application.refresh_from_db()
    assert application.requested_amount == 1_550_000
    assert application.self_funding_amount == 600_000
    assert application.total_amount == 2_150_000
    assert application.answers["budget"]["lines"][0]["unit_price"] == 1550


def test_budget_over_cap_and_bad_numbers_are_refused_with_input_kept(client, site_pages, member):
    call = make_call(per_project_cap=100_000, min_self_funding_bps=2_000)
    application = services.start_application(
        call=call, organization=member.organization, by=member.user
    )
    client.force_login(member.user)
    over_cap = _rows(
        [
            {
                "category": "activities",
                "item": "餐费",
                "unit": "份",
                "quantity": "100",
                "unit_price": "20",
                "source": "requested",
            }
        ]
    )
    absurd = _rows(
        [
            {
                "category": "activities",
                "item": "餐费",
                "unit": "份",
                "quantity": "-3",
                "unit_price": "1.234",
                "source": "requested",
            }
        ]
    )

    over = client.post(_step_url(application, "budget"), {**over_cap, "save": "1"})
    bad = client.post(_step_url(application, "budget"), {**absurd, "save": "1"})

    over_html, bad_html = over.content.decode(), bad.content.decode()
    assert "申请金额（¥2,000.00）超过了本次征集的单个项目上限 ¥1,000.00。" in over_html
    assert "自筹资金占总预算的 0%；本次征集要求至少 20%。" in over_html
    assert 'value="-3"' in bad_html
    assert "第 1 行，数量：" in bad_html
    application.refresh_from_db()
    assert "budget" not in application.answers


def test_add_row_button_adds_an_empty_row_without_errors(client, application, user):
    client.force_login(user)
    data = _rows([{"name": "助餐", "start": "2027-01-01", "end": "2027-02-01"}])

    response = client.post(_step_url(application, "activities"), {**data, "add_row": "1"})

    html = response.content.decode()
    assert 'name="rows-1-name"' in html
    assert "请更正以下问题" not in html


def test_needs_step_cites_community_needs(client, application, user):
    need = CommunityNeedFactory()
    client.force_login(user)

    client.post(
        _step_url(application, "needs"),
        {
            "analysis": "社区内独居老人约三百人，缺少就近助餐服务。",
            "cited_needs": [need.pk],
            "save": "1",
        },
    )

    assert list(application.cited_needs.all()) == [need]


def test_viewer_reads_but_cannot_edit_or_submit(client, application):
    viewer = MembershipFactory(
        organization=application.organization,
        role=MemberRole.VIEWER,
        user=UserFactory(username="viewer-1"),
    )
    client.force_login(viewer.user)

    detail = client.get(application.get_absolute_url())
    step = client.get(_step_url(application, "basic"))
    submit = client.post(reverse("projects:application_submit", kwargs={"pk": application.pk}))

    assert "只有机构的所有者和编辑者可以修改" in detail.content.decode()
    assert step.status_code == 302
    assert submit.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_other_organization_sees_nothing(client, application):
    outsider = MembershipFactory(user=UserFactory(username="outsider"))
    client.force_login(outsider.user)

    urls = [
        application.get_absolute_url(),
        _step_url(application, "basic"),
        reverse("projects:application_autosave", kwargs={"pk": application.pk, "step": "basic"}),
    ]
    statuses = [
        client.get(urls[0]).status_code,
        client.get(urls[1]).status_code,
        client.post(urls[2], {"title": "x"}).status_code,
    ]

    assert statuses == [404, 404, 404]


def test_anonymous_is_sent_to_login(client, application):
    response = client.get(application.get_absolute_url())

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_submit_view_shows_each_problem(client, application, user):
    client.force_login(user)

    response = client.post(
        reverse("projects:application_submit", kwargs={"pk": application.pk}), follow=True
    )

    assert "以下步骤尚未完成" in response.content.decode()


def test_detail_shows_timeline_after_submit(client, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(user)

    response = client.get(complete.get_absolute_url())

    html = response.content.decode()
    assert "状态记录" in html
    assert "已提交" in html
    assert "已提交，内容只读" in html or "只读" in html


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def test_dashboard_query_count_same_for_one_and_three_applications(
    client, django_assert_num_queries, site_pages, member
):
    client.force_login(member.user)
    services.start_application(call=make_call(), organization=member.organization, by=member.user)
    url = reverse("projects:application_list")
    client.get(url)
    with_one = _queries(client, url)
    for _ in range(2):
        services.start_application(
            call=make_call(), organization=member.organization, by=member.user
        )

    with django_assert_num_queries(with_one):
        response = client.get(url)

    assert len(response.context["applications"]) == 3


def test_call_page_query_count_same_for_one_and_three_applications(
    client, django_assert_num_queries, site_pages
):
    call = make_call(allow_multiple_applications=True)
    member = MembershipFactory()
    client.force_login(member.user)
    services.start_application(call=call, organization=member.organization, by=member.user)
    client.get(call.url)
    with_one = _queries(client, call.url)
    for _ in range(2):
        services.start_application(call=call, organization=member.organization, by=member.user)

    with django_assert_num_queries(with_one):
        response = client.get(call.url)

    assert len(response.context["apply_options"][0]["applications"]) == 3


def test_applications_for_user_lists_only_own_organizations(application, user):
    other = MembershipFactory(user=UserFactory(username="someone-else"))

    mine = list(applications_for_user(user))
    theirs = list(applications_for_user(other.user))

    assert mine == [application]
    assert theirs == []


def test_submit_view_one_second_after_close_shows_clear_error(client, complete, user):
    import time_machine
    from django.utils import timezone

    client.force_login(user)
    closes = complete.call.closes_at

    with time_machine.travel(closes + timedelta(seconds=1), tick=False):
        response = client.post(
            reverse("projects:application_submit", kwargs={"pk": complete.pk}), follow=True
        )

    local = timezone.localtime(closes).strftime("%Y-%m-%d %H:%M:%S")
    assert f"本次征集已于 {local} 截止，不能再提交申请。" in response.content.decode()
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.DRAFT


def test_application_page_in_english(client, complete, user):
    client.force_login(user)

    response = client.get("/en" + complete.get_absolute_url())

    html = response.content.decode()
    assert "Status timeline" in html
    assert "Submit application" in html


def test_notifications_page_lists_and_marks_read(client, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(user)
    url = reverse("projects:notifications")

    page = client.get(url)
    client.post(url)

    assert "申请已收到：长者饭堂暖心助餐" in page.content.decode()
    assert user.notifications.filter(read_at__isnull=True).count() == 0


def test_call_index_query_count_same_for_one_and_three_calls(
    client, django_assert_num_queries, site_pages
):
    from django.core.cache import cache

    first = make_call()
    index_url = first.get_parent().url
    client.get(index_url)
    cache.clear()  # the page cache would answer; measure the page itself, both times
    with_one = _queries(client, index_url)
    make_call()
    make_call()
    cache.clear()

    with django_assert_num_queries(with_one):
        response = client.get(index_url)

    assert len(response.context["calls"]) == 3


def test_returned_application_can_be_edited_and_resubmitted_via_views(client, complete, user):
    from django.utils import timezone

    from tests.projects.test_applications import _staff

    services.submit_application(application=complete, by=user)
    services.return_application(
        application=complete,
        by=_staff(),
        message="补充场地证明",
        deadline=timezone.now() + timedelta(days=3),
    )
    client.force_login(user)

    detail = client.get(complete.get_absolute_url())
    client.post(
        _step_url(complete, "objectives"),
        {"goal": "让老人吃上热饭", "objectives": "每天供餐120份", "save": "1"},
    )
    client.post(reverse("projects:application_submit", kwargs={"pk": complete.pk}))

    assert "补充场地证明" in detail.content.decode()
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.RESUBMITTED
    assert complete.revisions.count() == 2
    assert complete.answers["objectives"]["objectives"] == "每天供餐120份"


def test_autosave_budget_returns_computed_totals(client, application, user):
    client.force_login(user)
    data = _rows(
        [
            {
                "category": "activities",
                "item": "餐费",
                "unit": "份",
                "quantity": "3",
                "unit_price": "0.10",
                "source": "requested",
            },
            {
                "category": "venue",
                "item": "场地",
                "unit": "月",
                "quantity": "2",
                "unit_price": "0.05",
                "source": "self",
            },
        ]
    )

    response = client.post(
        reverse("projects:application_autosave", kwargs={"pk": application.pk, "step": "budget"}),
        data,
    )

    assert response.json()["totals"] == {"requested": "¥0.30", "self": "¥0.10", "total": "¥0.40"}
