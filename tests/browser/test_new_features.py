"""New public and member pages in a real browser: the project page with its evaluation
grade, residents' feedback and delivery sections; the residents' feedback form (errors
keep the text, keyboard-only submission); the organization member's progress-report
form. axe-core WCAG 2.1 AA (no serious/critical findings) and phone width."""

import random
from datetime import date

import pytest

from tests.browser.conftest import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pass-word-123"  # UserFactory's password


@pytest.fixture
def scene(transactional_db):
    """A funded project in progress: a published mid-term evaluation (优), two published
    residents' ratings, a milestone, an organization member and a resident who has not
    rated yet."""
    from portal.demo import DemoContext, seed_site
    from projects.enums import ProjectStatus
    from projects.evaluation import services
    from projects.evaluation.enums import FeedbackStatus
    from tests.evaluation.helpers import submitted_evaluation
    from tests.factories.delivery import make_delivery, make_member, make_milestone
    from tests.factories.evaluation import FeedbackFactory, make_evaluator, make_rubric
    from tests.factories.organizations import UserFactory
    from tests.factories.review import make_officer

    seed_site(DemoContext(size="small", rng=random.Random(1), log=lambda msg: None))
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    project = delivery.project
    project.title = "长者饭堂暖心助餐计划"
    project.status = ProjectStatus.IN_PROGRESS
    project.save()
    make_milestone(
        delivery, title="项目启动与需求调研", status="completed", completed_on=date(2026, 6, 28)
    )
    make_milestone(delivery, title="常态化服务开展", due_on=date(2026, 9, 30))
    officer = make_officer(username="officer-b")
    evaluation = submitted_evaluation(
        project=project,
        rubric=make_rubric(),
        officer=officer,
        evaluators=[make_evaluator(username="eval-b")],
        totals_by_sheet=[[25, 20, 30, 17]],
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer, conclusion="台账规范")
    services.publish_evaluation(evaluation=evaluation, by=officer)
    for rating, comment in ((5, "长者吃饭方便多了。"), (4, "希望周末也开放。")):
        FeedbackFactory(
            project=project, rating=rating, comment=comment, status=FeedbackStatus.PUBLISHED
        )
    member = make_member(delivery, username="member-b")
    resident = UserFactory(username="resident-b")
    return {"project": project, "delivery": delivery, "member": member, "resident": resident}


def _sign_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/me/**")


def test_project_page_with_grade_feedback_form_and_delivery_has_no_serious_axe_violations(
    page, live_server, scene
):
    _sign_in(page, live_server.url, "resident-b")
    page.goto(live_server.url + scene["project"].get_absolute_url())

    # All three new sections are there, with the form a signed-in resident sees.
    assert page.locator("#evaluation-heading").is_visible()
    assert page.locator(".evaluation-results").inner_text().count("优") >= 1
    assert page.locator("#resident-feedback").is_visible()
    assert page.locator("form[action$='/feedback/'] input[name=rating]").count() == 5
    assert page.get_by_text("项目启动与需求调研").first.is_visible()
    zh = serious_violations(page)
    page.goto(live_server.url + "/en" + scene["project"].get_absolute_url())
    assert page.locator("#evaluation-heading").inner_text() == "Evaluation results"
    en = serious_violations(page)

    assert (zh, en) == ([], [])


def test_feedback_error_keeps_the_comment_and_has_no_serious_axe_violations(
    page, live_server, scene
):
    from projects.evaluation.models import ResidentFeedback

    _sign_in(page, live_server.url, "resident-b")
    page.goto(live_server.url + scene["project"].get_absolute_url())
    page.get_by_label("评价内容（选填）").fill("饭菜很合口味")
    page.get_by_role("button", name="提交评价").click()  # no rating chosen

    page.wait_for_url("**/feedback/")
    assert page.get_by_role("alert").inner_text().count("请选择 1 到 5 分") == 1
    assert page.get_by_label("评价内容（选填）").input_value() == "饭菜很合口味"
    assert serious_violations(page) == []
    assert not ResidentFeedback.objects.filter(user=scene["resident"]).exists()


def test_resident_rates_a_project_with_the_keyboard_only(page, live_server, scene):
    from projects.evaluation.models import ResidentFeedback

    _sign_in(page, live_server.url, "resident-b")
    page.goto(live_server.url + scene["project"].get_absolute_url())
    # Tab from the section heading's preceding content into the radio group: the first
    # radio (5 stars) takes focus, arrow keys move the choice, Tab reaches the comment.
    page.locator("#resident-feedback").evaluate(
        "h => { h.setAttribute('tabindex', '-1'); h.focus(); }"
    )
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "rating":
            break
    assert page.evaluate("document.activeElement.name") == "rating"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # 5 → 4 stars
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "comment"
    page.keyboard.type("志愿者很热心")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")

    page.wait_for_url("**#resident-feedback")
    assert page.get_by_role("status").filter(has_text="4 星").is_visible()
    feedback = ResidentFeedback.objects.get(user=scene["resident"])
    assert (feedback.rating, feedback.comment, feedback.status) == (4, "志愿者很热心", "pending")


def test_progress_report_form_and_its_upload_error_have_no_serious_axe_violations(
    page, live_server, scene, tmp_path
):
    from projects.delivery.models import ProgressReport

    _sign_in(page, live_server.url, "member-b")
    page.goto(live_server.url + "/me/")
    page.get_by_role("link", name="长者饭堂暖心助餐计划").first.click()
    page.get_by_role("link", name="撰写进展报告").click()
    form_violations = serious_violations(page)

    fake = tmp_path / "receipt.pdf"
    fake.write_text("this is not a PDF")
    page.fill("#id_period_end", "2026-11-20")
    page.fill("#id_narrative", "本期完成助餐服务 1200 人次。")
    page.fill("#id_beneficiaries_reached", "150")
    page.fill("#id_ind-0-actual", "1200")
    page.select_option("#id_exp-0-budget_line", index=1)
    page.fill("#id_exp-0-amount", "1234.50")
    page.fill("#id_exp-0-spent_on", "2026-11-10")
    page.fill("#id_exp-0-description", "食材采购")
    page.set_input_files("#id_exp-0-receipt", str(fake))
    page.get_by_role("button", name="提交报告").click()

    page.wait_for_load_state()
    assert "不接受此类文件" in page.get_by_role("alert").inner_text()
    assert page.input_value("#id_narrative") == "本期完成助餐服务 1200 人次。"
    assert page.input_value("#id_exp-0-amount") == "1234.50"
    error_violations = serious_violations(page)

    assert (form_violations, error_violations) == ([], [])
    assert not ProgressReport.objects.filter(delivery=scene["delivery"]).exists()


def test_project_page_with_new_sections_and_the_forms_fit_a_phone(
    phone, browser, live_server, scene
):
    # The rating form's textarea (cols=40) used to widen the page to 521 px in a grid.
    _sign_in(phone, live_server.url, "resident-b")
    phone.goto(live_server.url + scene["project"].get_absolute_url())
    assert phone.locator("#evaluation-heading").is_visible()
    assert phone.locator("textarea[name=comment]").is_visible()
    project_width = phone.evaluate("document.documentElement.scrollWidth")
    member_context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    member = member_context.new_page()
    _sign_in(member, live_server.url, "member-b")
    member.goto(live_server.url + f"/delivery/{scene['delivery'].pk}/reports/new/")
    assert member.locator("#id_narrative").is_visible()
    report_form_width = member.evaluate("document.documentElement.scrollWidth")
    member_context.close()

    assert (project_width, report_form_width) == (375, 375)
