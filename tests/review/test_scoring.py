from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from projects.review import services
from projects.review.enums import AssignmentStatus, ReviewStatus
from projects.review.forms import RubricForm
from projects.review.models import Assignment, Rubric
from tests.factories.review import ApplicationFactory, make_reviewer


@pytest.fixture
def assignment(call, config, reviewers):
    return Assignment.objects.create(
        application=ApplicationFactory(call=call),
        reviewer=reviewers[0],
        status=AssignmentStatus.ACCEPTED,
    )


@pytest.fixture
def criteria(config):
    return list(config.rubric.criteria.all())


def _scores(criteria, *values):
    return {
        c.pk: (None if v is None else Decimal(v)) for c, v in zip(criteria, values, strict=True)
    }


def test_save_draft_keeps_partial_scores_and_total(assignment, criteria, reviewers):
    """C1 weight 60 scored 5: 60·5/10 = 30; C2 empty in a draft."""
    review = services.save_review(
        assignment=assignment, by=reviewers[0], scores=_scores(criteria, "5", None)
    )

    assert (review.status, review.total) == (ReviewStatus.DRAFT, Decimal("30.00"))
    assert ModelLogEntry.objects.filter(action="review.score.change").count() == 1


def test_submit_requires_every_required_score_and_recommendation(assignment, criteria, reviewers):
    with pytest.raises(ValidationError) as error:
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "5", None), submit=True
        )

    assert error.value.message_dict == {
        f"criterion_{criteria[1].pk}": ["A score for “C2” is required."],
        "recommendation": ["Choose a recommendation."],
    }


def test_score_out_of_scale_is_refused(assignment, criteria, reviewers):
    with pytest.raises(ValidationError) as error:
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "11", "-1")
        )

    assert error.value.message_dict == {
        f"criterion_{criteria[0].pk}": ["“C1” must be between 0 and 10."],
        f"criterion_{criteria[1].pk}": ["“C2” must be between 0 and 10."],
    }


def test_score_off_step_is_refused(assignment, criteria, reviewers):
    with pytest.raises(ValidationError) as error:
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "5.5", "5")
        )

    assert error.value.message_dict == {
        f"criterion_{criteria[0].pk}": ["“C1” must be a multiple of 1 from 0."]
    }


def test_submit_locks_and_later_edit_is_refused(assignment, criteria, reviewers):
    services.save_review(
        assignment=assignment,
        by=reviewers[0],
        scores=_scores(criteria, "8", "6"),
        recommendation="fund",
        submit=True,
    )

    with pytest.raises(PermissionDenied):
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "1", "1")
        )

    review = assignment.review
    review.refresh_from_db()
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal("72.00"))
    assert review.rubric == assignment.application.call.review_settings.rubric


def test_unassigned_reviewer_cannot_score(assignment, criteria, db):
    stranger = make_reviewer(username="stranger")

    with pytest.raises(PermissionDenied):
        services.save_review(assignment=assignment, by=stranger, scores=_scores(criteria, "5", "5"))


def test_conflicted_assignment_cannot_be_scored(assignment, criteria, reviewers):
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.CONFLICT, conflict_reason="亲属"
    )

    with pytest.raises(PermissionDenied):
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "5", "5")
        )


def test_scoring_before_declaration_is_refused(assignment, criteria, reviewers):
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.PENDING)

    with pytest.raises(PermissionDenied):
        services.save_review(
            assignment=assignment, by=reviewers[0], scores=_scores(criteria, "5", "5")
        )


def test_staff_reopen_unlocks_with_logged_reason(assignment, criteria, reviewers, officer):
    review = services.save_review(
        assignment=assignment,
        by=reviewers[0],
        scores=_scores(criteria, "8", "6"),
        recommendation="fund",
        submit=True,
    )

    services.reopen_review(review=review, by=officer, reason="分数录入错误")
    services.save_review(assignment=assignment, by=reviewers[0], scores=_scores(criteria, "9", "6"))

    review.refresh_from_db()
    entry = ModelLogEntry.objects.get(action="review.reopen")
    assert (review.status, review.total) == (ReviewStatus.DRAFT, Decimal("78.00"))
    assert entry.data == {"reason": "分数录入错误"}


def test_reviewer_cannot_reopen(assignment, criteria, reviewers):
    review = services.save_review(
        assignment=assignment,
        by=reviewers[0],
        scores=_scores(criteria, "8", "6"),
        recommendation="fund",
        submit=True,
    )

    with pytest.raises(PermissionDenied):
        services.reopen_review(review=review, by=reviewers[0], reason="想改")


def test_abstain_needs_reason_and_locks(assignment, reviewers):
    with pytest.raises(ValidationError):
        services.abstain(assignment=assignment, by=reviewers[0], reason="")

    review = services.abstain(assignment=assignment, by=reviewers[0], reason="不熟悉该领域")

    assert (review.status, review.abstain_reason) == (ReviewStatus.ABSTAINED, "不熟悉该领域")


def test_new_rubric_version_copies_criteria(config, officer):
    rubric = config.rubric

    copy = services.new_rubric_version(rubric=rubric, by=officer)

    assert (copy.code, copy.version) == (rubric.code, 2)
    assert list(copy.criteria.values_list("name", "weight")) == [("C1", 60), ("C2", 40)]


def _rubric_post(rubric, weights):
    data = {
        "name": rubric.name,
        "code": rubric.code,
        "description": "",
        "criteria-TOTAL_FORMS": str(len(weights)),
        "criteria-INITIAL_FORMS": str(len(weights)),
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for i, (c, weight) in enumerate(zip(rubric.criteria.all(), weights, strict=True)):
        data.update(
            {
                f"criteria-{i}-id": str(c.pk),
                f"criteria-{i}-name": c.name,
                f"criteria-{i}-weight": str(weight),
                f"criteria-{i}-description": "",
                f"criteria-{i}-scale_min": "0",
                f"criteria-{i}-scale_max": "10",
                f"criteria-{i}-scale_step": "1",
                f"criteria-{i}-labels": "{}",
                f"criteria-{i}-required": "on",
                f"criteria-{i}-sort_order": str(i),
                f"criteria-{i}-ORDER": str(i),
            }
        )
        if c.is_key:
            data[f"criteria-{i}-is_key"] = "on"
    return data


def _rubric_form(rubric, data):
    from wagtail.admin.panels import ObjectList

    handler = ObjectList(Rubric.panels, base_form_class=RubricForm).bind_to_model(Rubric)
    return handler.get_form_class()(data, instance=rubric, for_user=None)


def test_rubric_with_scores_refuses_weight_change(assignment, criteria, reviewers, config):
    services.save_review(assignment=assignment, by=reviewers[0], scores=_scores(criteria, "8", "6"))
    rubric = Rubric.objects.get(pk=config.rubric.pk)

    form = _rubric_form(rubric, _rubric_post(rubric, [50, 50]))

    assert form.is_valid() is False
    assert "New version" in str(form.non_field_errors())


def test_rubric_without_scores_accepts_weight_change(config):
    rubric = Rubric.objects.get(pk=config.rubric.pk)

    form = _rubric_form(rubric, _rubric_post(rubric, [50, 50]))

    assert form.is_valid() is True, form.errors
