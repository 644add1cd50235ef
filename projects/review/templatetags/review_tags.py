"""``{% call_results page %}``: the published ranking of a call (public notice)."""

from django import template

from ..selectors import appeal_counts, published_results, reviewed_call

register = template.Library()


@register.inclusion_tag("review/includes/call_results.html")
def call_results(call):
    """Nothing until results are published; then rank, project, organization, tier, and
    how many appeals were received and how they ended (counts only)."""
    reviewed = reviewed_call(call) if call is not None else None
    if reviewed is None or not reviewed.notice_published_at:
        return {"results": [], "call": call}
    return {
        "results": published_results(reviewed),
        "call": reviewed,
        "appeals": appeal_counts(reviewed),
    }
