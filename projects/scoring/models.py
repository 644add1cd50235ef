"""Abstract bases shared by the review and evaluation rubrics and score sheets.

The concrete models keep their tables, column names and constraints; the fields declared
here are the ones both already had, with the same definitions, so no migration moves data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.models import ClusterableModel

SCORE_DIGITS = {"max_digits": 6, "decimal_places": 2}


class VersionedRubric(ClusterableModel):
    """A rubric identified by ``code`` + ``version``.

    Once any sheet uses a version (the reverse relation named by ``used_by``), that
    version is frozen (``forms.FrozenRubricForm`` refuses edits to what scores depend
    on); changes go into a new version (``services.new_rubric_version``)."""

    code = models.SlugField(_("Code"), max_length=50)
    version = models.PositiveIntegerField(_("Version"), default=1)
    name = models.CharField(_("Name"), max_length=100)
    description = models.TextField(_("Description"), blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    # Reverse accessor of the sheets (reviews, evaluations) that score with a version.
    used_by = ""
    # Reverse accessors of the child rows copied into a new version.
    children: tuple[str, ...] = ()

    class Meta:
        abstract = True
        ordering = ["code", "-version"]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_locked(self) -> bool:
        """True once any sheet uses this version."""
        return self.pk is not None and getattr(self, self.used_by).exists()


class AssignedWork(models.Model):
    """Work staff hand to one scorer (a review assignment, an evaluator's sheet): who
    assigned it and when."""

    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Assigned by"),
    )
    created_at = models.DateTimeField(_("Assigned at"), auto_now_add=True)

    class Meta:
        abstract = True


# The status every score sheet starts in and may be edited in.
DRAFT = "draft"


class ScoreSheet(models.Model):
    """One scorer's sheet (a review, an evaluator's assessment): editable while its
    ``status`` is draft, locked once handed in."""

    submitted_at = models.DateTimeField(_("Submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_locked(self) -> bool:
        return self.status != DRAFT


class ScoreValue(models.Model):
    """One stored value on a score sheet, for the scored item named by ``item_field``
    (a criterion, a dimension)."""

    value = models.DecimalField(_("Score"), **SCORE_DIGITS)

    item_field = ""

    class Meta:
        abstract = True

    def __str__(self):
        return f"{getattr(self, self.item_field).name}: {self.value}"
