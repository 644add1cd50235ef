from django import template

from ..selectors import project_money as _project_money
from ..selectors import public_donations

register = template.Library()


@register.simple_tag
def project_money(project):
    """``{% project_money project as money %}`` → raised / matched / disbursed / spent."""
    return _project_money(project)


@register.simple_tag
def project_spending(project, money):
    """``{% project_spending project money as spending %}`` → ``{"reviewed", "pending"}``:
    the recorded spending split into what is reviewed (shown as spent) and what awaits
    review."""
    from ..selectors import pending_spending

    if not money.spent:  # nothing recorded, nothing pending: no query
        return {"reviewed": 0, "pending": 0}
    pending = min(pending_spending(project), money.spent)
    return {"reviewed": money.spent - pending, "pending": pending}


@register.simple_tag
def organization_money(organization):
    """``{% organization_money organization as money %}`` → totals over its projects."""
    from ..selectors import organization_money as _organization_money

    return _organization_money(organization)


@register.simple_tag
def project_public_donations(project, limit=20):
    return public_donations(project, limit=limit)


@register.simple_tag
def call_settlement(call):
    """``{% call_settlement call as settlement %}`` → committed settlement or None."""
    from ..selectors import settlement_results

    return settlement_results(call)


@register.simple_tag
def my_donations(user, limit=50):
    """``{% my_donations user as donations %}`` → the signed-in user's gifts (their
    account's, and guest gifts under a verified address), newest first."""
    from ..selectors import donations_of

    return list(donations_of(user)[:limit])
