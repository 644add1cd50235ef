"""Application evaluation and call summary reports: content in both languages, access,
staleness."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import timezone

from portal.core import reports
from portal.core.reports import (
    can_view_report,
    download_report,
    is_stale,
    render_report,
    store_report,
)
from projects.review import services
from projects.review.models import Score
from projects.review.report_kinds import reviewer_letter
from tests.factories.review import ApplicationFactory, make_reviewer

from .conftest import pdf_pages, pdf_text, review

pytestmark = pytest.mark.django_db


def test_reviewer_letters_are_stable_and_unbounded():
    assert [reviewer_letter(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_application_report_zh_scores_rank_comments_anonymised(reviewed, call):
    pdf = render_report("application", reviewed[0].pk, "zh-hans")

    text = pdf_text(pdf)
    assert "长者助餐项目1" in text
    assert "社区营造公益创投征集" in text
    for expected in (
        "各评分指标得分",
        "需求分析",
        "项目设计",
        "执行能力",
        "评审专家 A",
        "评审专家 B",
        "需求调研扎实，居民参与度高。",
        "建议补充志愿者培训计划。",
        "尚未公布决定。",
    ):
        assert expected in text, expected
    # Rank 1 of 3; nobody's username reaches the report.
    assert "1 / 3" in text
    assert "rv0" not in text and "rv1" not in text


def test_application_report_en_has_decision_once_published(reviewed, call, officer):
    services.publish_results(call=call, by=officer)

    text = pdf_text(render_report("application", reviewed[0].pk, "en"))

    assert "Scores by criterion" in text
    assert "Reviewer A" in text and "Reviewer B" in text
    assert "Funded and matched" in text
    assert "Published on" in text
    assert "No decision has been published yet." not in text


def test_application_report_without_reviews_says_so(call, config):
    application = ApplicationFactory(call=call, title="尚未评审的项目")

    zh = pdf_text(render_report("application", application.pk, "zh-hans"))
    en = pdf_text(render_report("application", application.pk, "en"))

    assert "尚未评审的项目" in zh
    assert "暂无评审。" in zh
    assert "No reviews yet." in en
    assert "This application has not been ranked yet." in en


def test_application_report_escapes_reviewer_html(call, config, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the renderer opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    application = ApplicationFactory(call=call, title="<b>标题</b>")
    review(
        application,
        make_reviewer(username="rvx"),
        (5, 5, 5),
        comments='<img src="http://example.com/x.png"><script>alert(1)</script>评语',
    )

    text = pdf_text(render_report("application", application.pk, "zh-hans"))

    assert "<b>标题</b>" in text
    assert "<script>alert(1)</script>评语" in text  # printed as text, not run or fetched


def test_application_report_very_long_comment_paginates(call, config):
    application = ApplicationFactory(call=call, title="长评语项目")
    long_text = "START " + "评审意见内容较长，需要自动换行并分页显示。" * 900 + " FINISH"
    review(application, make_reviewer(username="rvlong"), (6, 6, 6), comments=long_text)

    pages = pdf_pages(render_report("application", application.pk, "zh-hans"))

    assert len(pages) >= 6
    assert "START" in "".join(pages) and "FINISH" in pages[-1]


def test_call_report_statistics_ranking_and_distribution(reviewed, call, officer):
    services.publish_results(call=call, by=officer)

    zh = pdf_text(render_report("call", call.pk, "zh-hans"))
    en = pdf_text(render_report("call", call.pk, "en"))

    assert "社区营造公益创投征集" in zh
    for expected in ("统计", "排名", "长者助餐项目1", "长者助餐项目3", "资助并配捐", "项目库"):
        assert expected in zh, expected
    for expected in (
        "Statistics",
        "Ranking",
        "Score distribution",
        "Applications submitted",
        "Funded and matched",
        "Reserve library",
    ):
        assert expected in en, expected


def test_call_report_of_call_without_applications_says_so(call):
    en = pdf_text(render_report("call", call.pk, "en"))

    assert "The call has not been ranked yet." in en
    assert "No reviews yet." in en


def test_call_report_ranking_of_500_rows_paginates_with_header_on_each_page(call, config):
    from projects.review.models import RankingEntry

    apps = [
        ApplicationFactory(call=call, title=f"S{i}S 社区长者助餐与邻里互助服务项目 E{i}E")
        for i in range(500)
    ]
    RankingEntry.objects.bulk_create(
        [
            RankingEntry(
                call=call,
                application=a,
                rank=i + 1,
                n_reviews=2,
                mean=Decimal(80),
                median=Decimal(80),
                normalised=Decimal(80) - Decimal(i) / 10,
                spread=Decimal(1),
                tier="reserve",
            )
            for i, a in enumerate(apps)
        ]
    )

    pages = pdf_pages(render_report("call", call.pk, "en"))

    ranking_pages = [p for p in pages if "E1E" in p or "S499S" in p or "助餐与" in p]
    assert len(ranking_pages) > 10
    assert all("Rank" in p and "Organization" in p for p in ranking_pages)
    # Every row is whole on one page: its first and last words are on the same page.
    split = [i for i in range(500) if not any(f"S{i}S" in p and f"E{i}E" in p for p in pages)]
    assert split == []


# --- access ------------------------------------------------------------------------------


def _get(user, kind, obj_id, language="en"):
    request = RequestFactory().get(f"/reports/{kind}/{obj_id}/{language}.pdf")
    request.user = user
    return download_report(request, kind, obj_id, language)


def test_application_access_staff_member_after_publication_only(
    reviewed, call, officer, member, outsider
):
    application = reviewed[0]

    assert can_view_report(officer, "application", application)
    assert not can_view_report(member, "application", application)
    services.publish_results(call=call, by=officer)
    call.refresh_from_db()
    application.refresh_from_db()
    assert can_view_report(member, "application", application)
    assert not can_view_report(outsider, "application", application)
    assert not can_view_report(AnonymousUser(), "application", application)
    with pytest.raises(PermissionDenied):
        _get(outsider, "application", application.pk)
    assert _get(AnonymousUser(), "application", application.pk).status_code == 302
    response = _get(member, "application", application.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_call_report_is_public_once_results_are_published(reviewed, call, officer, outsider):
    with pytest.raises(PermissionDenied):
        _get(outsider, "call", call.pk)
    assert _get(AnonymousUser(), "call", call.pk).status_code == 302
    assert _get(officer, "call", call.pk).status_code == 200

    services.publish_results(call=call, by=officer)

    response = _get(AnonymousUser(), "call", call.pk, "zh-hans")
    assert response.status_code == 200
    assert "社区营造公益创投征集" in pdf_text(b"".join(response.streaming_content))


def test_inactive_staff_is_refused(reviewed, officer):
    officer.is_active = False
    officer.save()

    assert not can_view_report(officer, "application", reviewed[0])


# --- staleness ----------------------------------------------------------------------------


def test_changing_a_score_makes_the_stored_application_report_stale(reviewed):
    application = reviewed[1]
    store_report("application", application.pk, "zh-hans")
    assert not is_stale("application", application.pk, "zh-hans")

    score = Score.objects.filter(review__assignment__application=application).first()
    Score.objects.filter(pk=score.pk).update(value=score.value - 1)

    assert is_stale("application", application.pk, "zh-hans")
    reports.generate_report.call("application", application.pk, "zh-hans")
    assert not is_stale("application", application.pk, "zh-hans")


def test_ranking_and_publication_make_call_report_stale(reviewed, call, officer):
    store_report("call", call.pk, "en")
    assert not is_stale("call", call.pk, "en")

    services.publish_results(call=call, by=officer, now=timezone.now())

    assert is_stale("call", call.pk, "en")


def test_stale_report_is_regenerated_when_downloaded(reviewed, officer):
    application = reviewed[2]
    store_report("application", application.pk, "en")
    application.title = "改名后的项目"
    application.save()

    response = _get(officer, "application", application.pk)

    assert "改名后的项目" in pdf_text(b"".join(response.streaming_content))


def test_call_report_queries_do_not_grow_with_the_ranking(call, config, officer):
    """One call with one ranked and published application, another with three."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.review.report_kinds import call_context
    from tests.factories.projects import make_call
    from tests.factories.review import ReviewSettingsFactory

    reviewer = make_reviewer(username="rvq")
    bigger = make_call(title="第二期征集")
    ReviewSettingsFactory(
        call=bigger, rubric=config.rubric, reviewers_per_application=1, funded_count=1
    )
    config.reviewers_per_application = 1
    config.save()
    review(ApplicationFactory(call=call, title="一号"), reviewer, (5, 5, 5))
    for title in ("二号", "三号", "四号"):
        review(ApplicationFactory(call=bigger, title=title), reviewer, (7, 6, 5))
    for page in (call, bigger):
        services.rank_call(call=page, by=officer)
        services.publish_results(call=page, by=officer)
    with CaptureQueriesContext(connection) as one:
        call_context(call)

    with CaptureQueriesContext(connection) as three:
        context = call_context(bigger)

    assert len(context["rows"]) == 3
    assert len(three) == len(one)


def test_call_report_totals_every_project_and_lists_a_terminated_one_as_terminated(
    reviewed, call, officer
):
    """The summary's money total is the whole call's (a project entered without a
    ranking decision counts too), and a terminated project is never shown as funded."""
    from funding.services.donations import mark_succeeded
    from projects.enums import ProjectStatus
    from projects.review.models import Decision
    from tests.factories.funding import DonationFactory
    from tests.factories.projects import ProjectFactory

    services.publish_results(call=call, by=officer)
    terminated = ProjectFactory(call=call, title="已终止的项目", status=ProjectStatus.TERMINATED)
    unranked = ProjectFactory(call=call, title="直接立项的项目")
    first = Decision.objects.filter(call=call).order_by("application__title").first()
    Decision.objects.filter(pk=first.pk).update(project=terminated)
    for project, amount in ((terminated, 10_000), (unranked, 25_050)):
        gift = DonationFactory(project=project, amount=amount, source="test")
        mark_succeeded(donation=gift, amount_received=amount, currency=project.currency)

    text = pdf_text(render_report("call", call.pk, "zh-hans"))
    # The first-ranked row, however the PDF wraps it: up to the second-ranked title.
    assert first.application.title == "长者助餐项目1"
    row = text.split("长者助餐项目1", 1)[1].split("长者助餐项目2", 1)[0]

    assert "已终止" in row
    assert "资助并配捐" not in row
    assert "¥100.00" in row
    assert "合计（本次征集的全部项目）" in text
    assert "¥350.50" in text  # 100.00 + 250.50: the unranked project counts in the total
