"""Factories and helpers for funded-project delivery."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.enums import MemberRole
from projects.delivery.enums import PROJECT_STATUS_FOR_STAGE, DeliveryStage
from projects.delivery.models import Delivery, Milestone
from projects.enums import ProjectStatus, ProjectTier

from .organizations import MembershipFactory, UserFactory
from .projects import ProjectFactory

BUDGET = [
    {"line": "项目社工", "category": "personnel", "source": "requested", "amount": 60_000_00},
    {"line": "活动物资", "category": "materials", "source": "requested", "amount": 40_000_00},
]
INDICATORS = [{"kind": "output", "name": "服务人次", "target": "2400"}]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def make_delivery(
    *,
    stage: str = DeliveryStage.AGREEMENT_PENDING,
    project=None,
    budget_lines=None,
    indicators=None,
    **fields,
) -> Delivery:
    """A funded project and its delivery (started by the approval signal), then moved to
    ``stage`` directly, the project's status following it (tests of transitions use the
    service)."""
    if project is None:
        project = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.FUNDED_MATCHED)
    delivery = Delivery.objects.get(project=project)
    delivery.stage = stage
    delivery.budget_lines = BUDGET if budget_lines is None else budget_lines
    delivery.indicators = INDICATORS if indicators is None else indicators
    if stage == DeliveryStage.TERMINATED:
        fields.setdefault("termination_reason", "测试")
    for key, value in fields.items():
        setattr(delivery, key, value)
    delivery.save()
    # As ``advance`` does: the project's status follows its delivery stage (money goes
    # only to projects whose agreement is signed and that have not ended).
    status = PROJECT_STATUS_FOR_STAGE[stage]
    if status and project.status != status:
        project.status = status
        project.save(update_fields=["status"])
    return delivery


def make_member(delivery, *, role=MemberRole.OWNER, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(organization=delivery.project.organization, user=user, role=role)
    return user


def make_milestone(delivery, **fields) -> Milestone:
    from datetime import date

    fields.setdefault("title", "需求调研")
    fields.setdefault("due_on", date(2026, 6, 30))
    fields.setdefault("deliverables", "调研报告")
    fields.setdefault("status", "planned")
    return Milestone.objects.create(delivery=delivery, **fields)


def pdf_upload(name: str = "receipt.pdf", size: int = 0) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + b"0" * size, content_type="application/pdf")


def jpeg_upload(name: str = "photo.jpg", *, exif: bool = True, size=(64, 48)):
    """A real JPEG, with an EXIF block (camera and GPS-like data) unless ``exif=False``."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {1: "N", 2: (22.0, 32.0, 0.0)}  # GPSInfo
        kwargs["exif"] = data.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
