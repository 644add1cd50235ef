"""Who may use the organizations and incubation viewsets of the admin.

Programme staff's work: every viewset of ``wagtail_hooks`` (lists, CSV/XLSX exports,
inspect, create, edit, delete, history) asks one named permission through the shared
:class:`portal.core.admin_policy.RulePolicy`; Django's model permissions, which the
role groups used to hold, and ``is_staff`` grant nothing (mentors work on the site).
"""

from portal.core.admin_policy import register_rule_policy

from .models import (
    AssessmentDimension,
    Cohort,
    IncubationStage,
    Organization,
    Region,
    Residency,
    TrainingSession,
)

MANAGE = "organizations.manage_programme"

for _model in (
    Organization,
    Region,
    Residency,
    Cohort,
    TrainingSession,
    IncubationStage,
    AssessmentDimension,
):
    register_rule_policy(_model, MANAGE)
