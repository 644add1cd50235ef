"""Signal receivers (connected in ``DeliveryConfig.ready``)."""

from projects.enums import ProjectStatus, ProjectTier

STARTING_STATUSES = (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS)
UNFUNDED_TIERS = (ProjectTier.RESERVE, ProjectTier.NOT_FUNDED)


def start_delivery_on_approval(
    sender, instance, created=False, raw=False, update_fields=None, **kwargs
) -> None:
    """A funded project (approved or in progress, not in the reserve library) gets its
    delivery record as soon as it is saved that way. Bulk inserts bypass this; the demo
    seeding and the admin's "Start delivery" action cover those."""
    if raw or instance.status not in STARTING_STATUSES or instance.tier in UNFUNDED_TIERS:
        return
    if update_fields is not None and not {"status", "tier"} & set(update_fields):
        return
    from .models import Delivery
    from .services import start_delivery

    if not Delivery.objects.filter(project_id=instance.pk).exists():
        start_delivery(project=instance)


def copy_plan_on_decision(sender, instance, raw=False, **kwargs) -> None:
    """A published decision links the project to its application: copy the budget and
    indicators onto the delivery if it started without them."""
    if raw or instance.project_id is None:
        return
    from .models import Delivery
    from .services import copy_plan_from_application

    delivery = (
        Delivery.objects.filter(project_id=instance.project_id).select_related("project").first()
    )
    if delivery is not None:
        copy_plan_from_application(delivery=delivery)


def advance_on_evaluation(sender, evaluation, by, **kwargs) -> None:
    """A finalised evaluation moves the delivery to the stage it names.

    Mid-term finalised while in progress → 中期评估; final finalised while in progress or
    after the mid-term → 末期评估 (through the mid-term stage when there was none, so the
    history reads in order); a final evaluation is also recorded on the delivery
    (``final_evaluation_at``) for the closing checklist. Closing stays a staff decision
    (``closing.close_project``). A move the table refuses (terminated, already further
    on) changes nothing: the evaluation stands either way, so a refusal is logged, not
    raised."""
    import logging

    from django.db import transaction

    from .enums import DeliveryStage
    from .models import Delivery
    from .services import DeliveryError, advance

    delivery = Delivery.objects.filter(project_id=evaluation.project_id).first()
    if delivery is None:
        return
    grade = evaluation.get_grade_display()
    if evaluation.kind == "midterm":
        path = {DeliveryStage.IN_PROGRESS: [DeliveryStage.MIDTERM]}
    else:
        path = {
            DeliveryStage.IN_PROGRESS: [DeliveryStage.MIDTERM, DeliveryStage.FINAL],
            DeliveryStage.MIDTERM: [DeliveryStage.FINAL],
        }
    steps = path.get(delivery.stage, [])
    note = f"{evaluation.get_kind_display()}: {evaluation.score} · {grade}"
    if evaluation.kind != "midterm":
        # What the closing checklist reads (delivery sits below evaluation and does not
        # query its models): the final evaluation is finalised, when, with what result.
        from django.utils import timezone

        Delivery.objects.filter(pk=delivery.pk).update(
            final_evaluation_at=getattr(evaluation, "finalised_at", None) or timezone.now(),
            final_evaluation_summary=note[:200],
        )
    try:
        with transaction.atomic():
            for stage in steps:
                delivery = advance(delivery, stage, by=by, note=note)
    except DeliveryError as exc:
        logging.getLogger(__name__).warning(
            "delivery %s not advanced after evaluation %s: %s", delivery.pk, evaluation.pk, exc
        )
