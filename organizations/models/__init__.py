from .core import (
    Invitation,
    InvitationQuerySet,
    Membership,
    Organization,
    OrganizationDocument,
    OrganizationQuerySet,
    Region,
    VerificationEvent,
    _document_path,
)
from .incubation import (
    AssessmentDimension,
    AssessmentScore,
    CapacityAssessment,
    Cohort,
    IncubationStage,
    Residency,
    ServiceLog,
    StageChange,
    TrainingAttendance,
    TrainingSession,
)

__all__ = [
    "AssessmentDimension", "AssessmentScore", "CapacityAssessment", "Cohort",
    "IncubationStage", "Invitation", "InvitationQuerySet", "Membership", "Organization",
    "OrganizationDocument", "OrganizationQuerySet", "Region", "Residency", "ServiceLog",
    "StageChange", "TrainingAttendance", "TrainingSession", "VerificationEvent",
    "_document_path",
]
