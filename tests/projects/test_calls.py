from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from projects.enums import CallState
from projects.models import CallPage
from tests.factories.projects import ServiceCategoryFactory, ServiceItemFactory, make_call

pytestmark = pytest.mark.django_db


def _call_with_decisions(now, **decisions):
    return make_call(
        opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=10), **decisions
    )


def test_call_state_follows_dates_and_decisions(site_pages):
    now = timezone.now()
    upcoming = make_call(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=5))
    open_call = make_call(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5))
    closed = _call_with_decisions(now)
    review = _call_with_decisions(now, review_started_at=now - timedelta(days=5))
    notice = _call_with_decisions(
        now,
        review_started_at=now - timedelta(days=5),
        notice_published_at=now - timedelta(days=1),
        appeal_ends_at=now + timedelta(days=6),
    )
    done = _call_with_decisions(
        now,
        review_started_at=now - timedelta(days=5),
        notice_published_at=now - timedelta(days=4),
        completed_at=now - timedelta(days=1),
    )
    future_review = _call_with_decisions(now, review_started_at=now + timedelta(days=1))

    states = {
        c.slug: c.state(now)
        for c in [upcoming, open_call, closed, review, notice, done, future_review]
    }

    assert states == {
        upcoming.slug: CallState.UPCOMING,
        open_call.slug: CallState.OPEN,
        closed.slug: CallState.CLOSED,
        review.slug: CallState.UNDER_REVIEW,
        notice.slug: CallState.PUBLIC_NOTICE,
        done.slug: CallState.COMPLETED,
        future_review.slug: CallState.CLOSED,
    }


def test_call_state_q_agrees_with_state_for_every_state(site_pages):
    now = timezone.now()
    calls = [
        make_call(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=5)),
        make_call(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5)),
        _call_with_decisions(now),
        _call_with_decisions(now, review_started_at=now - timedelta(days=5)),
        _call_with_decisions(now, notice_published_at=now - timedelta(days=1)),
        _call_with_decisions(
            now, completed_at=now - timedelta(days=1), review_started_at=now - timedelta(days=3)
        ),
    ]

    for state in CallState.values:
        by_q = set(
            CallPage.objects.filter(CallPage.state_q(state, now)).values_list("pk", flat=True)
        )
        by_method = {c.pk for c in calls if c.state(now) == state}
        assert by_q == by_method, state


def test_call_is_open_until_the_second_before_close(site_pages):
    now = timezone.now().replace(microsecond=0)
    call = make_call(opens_at=now - timedelta(days=1), closes_at=now)

    assert call.is_open(now - timedelta(seconds=1)) is True
    assert call.is_open(now) is False
    assert call.is_open(now + timedelta(seconds=1)) is False


def test_call_page_shows_state_countdown_in_chinese(client, site_pages):
    now = timezone.now()
    call = make_call(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=2, hours=3, minutes=30)
    )

    with time_machine.travel(now, tick=False):
        response = client.get(call.url)

    html = response.content.decode()
    assert "正在征集" in html
    assert "2 天 3 小时 30 分钟" in html
    assert 'data-deadline="' in html


def test_call_page_shows_state_in_english(client, site_pages):
    now = timezone.now()
    call = make_call(opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=9))
    en_call = call.copy_for_translation(
        __import__("wagtail.models", fromlist=["Locale"]).Locale.objects.get(language_code="en"),
        copy_parents=True,
    )
    en_call.save_revision().publish()
    en_call.refresh_from_db()

    response = client.get(en_call.url)

    html = response.content.decode()
    assert en_call.url.startswith("/en/")
    assert "Upcoming" in html
    assert "Opens in" in html


def test_call_index_filters_by_state_and_category(client, site_pages):
    now = timezone.now()
    category = ServiceCategoryFactory(code="QQ", name="为老服务")
    other = ServiceCategoryFactory(code="RR", name="环境保护")
    elder_item = ServiceItemFactory(category=category, code="QQ01")
    env_item = ServiceItemFactory(category=other, code="RR01")
    open_elder = make_call(title="开放为老", allowed_service_items=[elder_item])
    make_call(title="开放环保", allowed_service_items=[env_item])
    make_call(
        title="已截止为老",
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=2),
        allowed_service_items=[elder_item],
    )
    index = open_elder.get_parent()

    response = client.get(index.url, {"state": "open", "category": category.pk})

    titles = [c.title for c in response.context["calls"]]
    assert titles == ["开放为老"]
    assert "开放环保" not in response.content.decode()
