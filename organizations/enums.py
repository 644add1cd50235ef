from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.transitions import Transitions


class OrganizationType(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("Social group")
    SOCIAL_SERVICE = "social_service", _("Social service agency (private non-enterprise unit)")
    FOUNDATION = "foundation", _("Foundation")
    COMMUNITY = "community", _("Community organization")
    UNREGISTERED = "unregistered", _("Unregistered team")


class VerificationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    RETURNED = "returned", _("Returned")


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Sub-district")
    COMMUNITY = "community", _("Community")


class RegistrationKind(models.TextChoices):
    """How an organization is known to the civil-affairs authorities."""

    REGISTERED = "registered", _("Registered (unified social credit code)")
    FILED = "filed", _("Filed with the sub-district (filing number)")
    NONE = "none", _("Not registered")


class Rating(models.TextChoices):
    """社会组织评估等级; valid five years, 3A and above unlocks policy benefits."""

    A5 = "5A", _("5A")
    A4 = "4A", _("4A")
    A3 = "3A", _("3A")
    A2 = "2A", _("2A")
    A1 = "1A", _("1A")


class DocumentKind(models.TextChoices):
    REGISTRATION_CERTIFICATE = "registration_certificate", _("Registration certificate")
    ARTICLES = "articles", _("Articles of association")
    ANNUAL_REPORT = "annual_report", _("Annual report")
    OTHER = "other", _("Other document")


class VerificationAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for verification")
    VERIFIED = "verified", _("Verified")
    RETURNED = "returned", _("Returned")


_V = VerificationStatus
# (from, to) → the permission the move needs (portal.core.transitions): the
# organization's editors hand the profile in, programme staff decide.
VERIFICATION_TRANSITIONS = Transitions(
    {
        (_V.DRAFT, _V.SUBMITTED): "organizations.edit_profile",
        (_V.RETURNED, _V.SUBMITTED): "organizations.edit_profile",
        (_V.SUBMITTED, _V.VERIFIED): "organizations.manage_programme",
        (_V.SUBMITTED, _V.RETURNED): "organizations.manage_programme",
        (_V.VERIFIED, _V.RETURNED): "organizations.manage_programme",
    },
    states=VerificationStatus,
    message=_("An organization that is “%(current)s” cannot become “%(to)s”."),
)


class ResidencyStatus(models.TextChoices):
    """An organization's application to a cohort, then its residency."""

    APPLIED = "applied", _("Applied")
    ADMITTED = "admitted", _("Admitted")
    DECLINED = "declined", _("Declined")
    GRADUATED = "graduated", _("Graduated")
    EXITED = "exited", _("Exited")


RESIDENCY_TRANSITIONS = {
    ResidencyStatus.APPLIED: {ResidencyStatus.ADMITTED, ResidencyStatus.DECLINED},
    ResidencyStatus.ADMITTED: {ResidencyStatus.GRADUATED, ResidencyStatus.EXITED},
    ResidencyStatus.DECLINED: set(),
    ResidencyStatus.GRADUATED: set(),
    ResidencyStatus.EXITED: set(),
}


class StageKind(models.TextChoices):
    """What reaching a stage means for the residency's status."""

    ONGOING = "ongoing", _("Ongoing")
    GRADUATION = "graduation", _("Graduation")
    EXIT = "exit", _("Exit")


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    TRAINING = "training", _("Training")
    VENUE = "venue", _("Venue use")
    SMALL_GRANT = "small_grant", _("Small grant")
