"""Public sections: ``{% project_evaluation project user as section %}`` and
``{% organization_grades organization as grades %}`` (constant queries per page)."""

from django import template

from .. import selectors, services
from ..forms import FeedbackForm

register = template.Library()


@register.simple_tag
def project_evaluation(project, user=None):
    """Published evaluations, the feedback summary and comments, and whether ``user`` may
    rate (or their own rating and its moderation status). Three queries, plus up to three
    for a signed-in user."""
    comments = selectors.published_feedback(project.pk)
    for feedback in comments:
        feedback.public_name = selectors.public_name(feedback.user)
    evaluations = selectors.published_evaluations(project.pk)
    for evaluation in evaluations:
        evaluation.in_appeal_window = selectors.in_appeal_window(evaluation)
    signed_in = user is not None and user.is_authenticated
    own = selectors.own_feedback(project.pk, user) if signed_in else None
    refusal = None
    if signed_in and own is None:
        refusal = services.feedback_refusal(project=project, user=user)
    return {
        "evaluations": evaluations,
        "summary": selectors.feedback_summary(project.pk),
        "comments": comments,
        "signed_in": signed_in,
        "running": project.status in services.RUNNING_STATUSES,
        "own": own,
        "refusal": refusal,
        "form": FeedbackForm() if signed_in and own is None and refusal is None else None,
    }


@register.simple_tag
def organization_grades(organization):
    """Published evaluation grades of the organization's projects. One query."""
    return selectors.organization_grades(organization.pk)


@register.simple_tag
def brand_section(project):
    """For a brand project: its method and the applications handed in from its design;
    for a project based on one: the original. Up to two queries."""
    from .. import brand

    original = brand.replicated_from(project)
    if project.brand_marked_at is None:
        return {"original": original}
    return {
        "is_brand": True,
        "original": original,
        "replications": brand.public_replications(project),
    }
