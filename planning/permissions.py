"""Access rules of the planning pages and API: staff and members of the "planner" group."""
from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission

#: Permission held by the "planner" group (created by migration 0002).
PLANNING_PERMISSION = "planning.access_planning"


def is_planner(user) -> bool:
    """Return True for an active staff user or a user with the planning permission."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm(PLANNING_PERMISSION)


class IsPlanner(BasePermission):
    """DRF permission: only planners; anonymous users get 403, not a login redirect."""

    def has_permission(self, request, view) -> bool:
        return is_planner(request.user)


class PlannerRequiredMixin(AccessMixin):
    """Page mixin: anonymous users go to the login page, other non-planners get 403."""

    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_planner(request.user):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
