import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from projects.review import services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import make_call
from tests.factories.review import (
    ApplicationFactory,
    ReviewSettingsFactory,
    make_officer,
    make_reviewer,
    make_rubric,
)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def officer(db):
    return make_officer(username="officer-r")


@pytest.fixture
def call(site_pages):
    return make_call(title="社区营造公益创投征集")


@pytest.fixture
def config(call):
    rubric = make_rubric((30, 30, 40), name="创投评分细则")
    names = ("需求分析", "项目设计", "执行能力")
    for criterion, name in zip(rubric.criteria.all(), names, strict=True):
        criterion.name = name
        criterion.save()
    return ReviewSettingsFactory(
        call=call, rubric=rubric, reviewers_per_application=2, funded_count=1, reserve_count=1
    )


def review(application, reviewer, values, **texts):
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )
    criteria = list(application.call.review_settings.rubric.criteria.all())
    return services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation=texts.pop("recommendation", "fund"),
        submit=True,
        scores={c.pk: Decimal(v) for c, v in zip(criteria, values, strict=True)},
        **texts,
    )


@pytest.fixture
def reviewed(call, config, officer):
    """Three applications with two reviews each, ranked (not published)."""
    reviewers = [make_reviewer(username=f"rv{i}") for i in range(2)]
    apps = []
    for n, base in enumerate((9, 6, 3)):
        application = ApplicationFactory(call=call, title=f"长者助餐项目{n + 1}")
        review(
            application,
            reviewers[0],
            (base, base, base),
            strengths="需求调研扎实，居民参与度高。",
            weaknesses="预算细节不足。",
            comments="建议补充志愿者培训计划。",
        )
        review(
            application,
            reviewers[1],
            (base - 1, base, base - 1),
            strengths="Clear plan.",
            comments="",
        )
        apps.append(application)
    services.rank_call(call=call, by=officer)
    return apps


@pytest.fixture
def member(reviewed):
    user = UserFactory(username="member-a")
    MembershipFactory(organization=reviewed[0].organization, user=user)
    return user


@pytest.fixture
def outsider(db):
    user = UserFactory(username="outsider")
    MembershipFactory(user=user)
    return user
