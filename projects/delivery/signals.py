"""Signal receivers (connected in ``DeliveryConfig.ready``)."""

from projects.enums import ProjectStatus, ProjectTier

STARTING_STATUSES = (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS)
UNFUNDED_TIERS = (ProjectTier.RESERVE, ProjectTier.NOT_FUNDED)


def start_delivery_on_approval(sender, instance, created=False, raw=False, update_fields=None,
                               **kwargs) -> None:
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

    delivery = Delivery.objects.filter(project_id=instance.project_id).select_related(
        "project").first()
    if delivery is not None:
        copy_plan_from_application(delivery=delivery)
