"""The one Wagtail permission policy of the portal's admin viewsets.

Every viewset of our apps (organizations, incubation, funding, review, evaluation,
screening) registers :class:`RulePolicy` for its model with a *named* permission from an
app's ``rules.py``: the list, its CSV/XLSX export, the inspect, create, edit and delete
views, the history and usage pages and Wagtail's own checks (menus, bulk actions) all ask
``user.has_perm(permission)`` (with the object for per-object checks). Django's model
permissions (``funding.view_donation`` …), which Wagtail's default
``ModelPermissionPolicy`` reads, grant nothing here, nor does ``is_staff``.

``actions`` says which of Wagtail's actions the permission opens at all: rows written by
services only (donations, ledger, reviews …) are ``("view",)``.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

ALL_ACTIONS = ("add", "change", "delete", "view")


class RulePolicy(BasePermissionPolicy):
    """Users with ``permission`` may do ``actions`` on the model; nobody else may."""

    def __init__(self, model, permission: str, actions=ALL_ACTIONS):
        super().__init__(model)
        self.permission = permission
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action):
        return action in self.actions and user.has_perm(self.permission)

    def user_has_permission_for_instance(self, user, action, instance):
        return action in self.actions and user.has_perm(self.permission, instance)

    def users_with_any_permission(self, actions):
        """Active accounts holding the permission: only superusers and members of a
        group can (roles are groups), so only those are asked."""
        user_model = get_user_model()
        if not self.actions & set(actions):
            return user_model.objects.none()
        candidates = (
            user_model.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__isnull=False))
            .distinct()
        )
        return user_model.objects.filter(
            pk__in=[user.pk for user in candidates if user.has_perm(self.permission)]
        )


def register_rule_policy(model, permission: str, actions=ALL_ACTIONS) -> RulePolicy:
    """Register :class:`RulePolicy` for exactly ``model`` (not its subclasses)."""
    policy = RulePolicy(model, permission, actions)
    register_permission_policy(model, policy, exact_class=True)
    return policy
