"""A finalised evaluation moves the delivery to the stage it names (delivery.signals)."""

from datetime import date

import pytest

from projects.delivery.enums import DeliveryStage
from projects.delivery.models import DeliveryEvent
from projects.evaluation import services as evaluation_services
from tests.evaluation.helpers import submitted_evaluation
from tests.factories.delivery import make_delivery
from tests.factories.evaluation import make_evaluator, make_rubric
from tests.factories.review import make_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    delivery.project.status = "in_progress"
    delivery.project.save(update_fields=["status"])
    return {
        "delivery": delivery,
        "officer": make_officer(username="link-officer"),
        "evaluator": make_evaluator(username="link-evaluator"),
        "rubric": make_rubric(),
    }


def _finalise(world, kind, scores, capture):
    evaluation = submitted_evaluation(
        project=world["delivery"].project,
        rubric=world["rubric"],
        officer=world["officer"],
        evaluators=[world["evaluator"]],
        totals_by_sheet=[scores],
        kind=kind,
    )
    with capture(execute=True):
        evaluation = evaluation_services.finalise_evaluation(
            evaluation=evaluation, by=world["officer"]
        )
    world["delivery"].refresh_from_db()
    return evaluation


def test_midterm_then_final_walk_the_stages_in_order(world, django_capture_on_commit_callbacks):
    _finalise(world, "midterm", [20, 15, 30, 15], django_capture_on_commit_callbacks)
    assert world["delivery"].stage == DeliveryStage.MIDTERM
    assert world["delivery"].final_evaluation_at is None

    final = _finalise(world, "final", [25, 20, 35, 15], django_capture_on_commit_callbacks)
    assert world["delivery"].stage == DeliveryStage.FINAL
    # What the closing checklist reads.
    assert world["delivery"].final_evaluation_at == final.finalised_at
    assert world["delivery"].final_evaluation_summary == (
        f"{final.get_kind_display()}: {final.score} · {final.get_grade_display()}"
    )
    moves = list(
        DeliveryEvent.objects.filter(delivery=world["delivery"])
        .order_by("pk")
        .values_list("from_stage", "to_stage", "actor__username")
    )
    assert moves[-2:] == [
        ("in_progress", "midterm", "link-officer"),
        ("midterm", "final", "link-officer"),
    ]


def test_final_without_midterm_passes_through_the_midterm_stage(
    world, django_capture_on_commit_callbacks
):
    _finalise(world, "final", [25, 20, 35, 15], django_capture_on_commit_callbacks)
    assert world["delivery"].stage == DeliveryStage.FINAL
    assert list(
        DeliveryEvent.objects.filter(delivery=world["delivery"])
        .order_by("pk")
        .values_list("to_stage", flat=True)
    )[-2:] == ["midterm", "final"]


def test_a_delivery_already_further_on_is_left_alone(world, django_capture_on_commit_callbacks):
    from projects.delivery.services import advance

    advance(world["delivery"], DeliveryStage.MIDTERM, by=world["officer"])
    advance(world["delivery"], DeliveryStage.FINAL, by=world["officer"])
    events = DeliveryEvent.objects.filter(delivery=world["delivery"]).count()
    evaluation = _finalise(world, "midterm", [20, 15, 30, 15], django_capture_on_commit_callbacks)
    assert world["delivery"].stage == DeliveryStage.FINAL
    assert DeliveryEvent.objects.filter(delivery=world["delivery"]).count() == events
    assert evaluation.score is not None
