"""Whether an organization may apply to a call (pure reads, no writes)."""

from django.utils.translation import gettext as _

from organizations.enums import OrganizationType

from .enums import rating_rank


def region_ancestor_ids(region) -> set[int]:
    """The region and every parent's id (uses already-loaded parents where present)."""
    ids = set()
    seen = 0
    while region is not None and seen < 8:
        ids.add(region.pk)
        region = region.parent
        seen += 1
    return ids


def eligibility_errors(*, call, organization, district_ids: set[int] | None = None) -> list[str]:
    """Reasons why ``organization`` may not apply to ``call``; empty when it may.

    ``district_ids`` may be passed to avoid re-reading the call's districts.
    """
    errors = []
    if call.verified_only and not organization.is_verified:
        errors.append(_("Only verified organizations may apply to this call."))
    if call.eligible_org_types and organization.org_type not in call.eligible_org_types:
        allowed = ", ".join(
            str(OrganizationType(t).label)
            for t in call.eligible_org_types
            if t in OrganizationType.values
        )
        errors.append(
            _("This call is open to these organization types only: %(types)s.") % {"types": allowed}
        )
    if call.min_rating:
        # The rating only counts while valid (organizations.Organization.current_rating).
        current = getattr(organization, "current_rating", None)
        rating = current() if callable(current) else getattr(organization, "rating", "")
        if rating_rank(rating or "") < rating_rank(call.min_rating):
            errors.append(
                _("This call requires an evaluation rating of at least %(rating)s.")
                % {"rating": call.min_rating}
            )
    if district_ids is None:
        district_ids = set(call.eligible_districts.values_list("pk", flat=True))
    if district_ids and not (region_ancestor_ids(organization.region) & district_ids):
        errors.append(_("This call is open to organizations in certain districts only."))
    return errors
