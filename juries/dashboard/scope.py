"""Who sees the dashboard, and which branches' figures."""

from django.core.exceptions import PermissionDenied

from certifications.models import Branch, Cqp
from certifications.permissions import member_branch_ids

# The scope of a superuser: every branch (the figures are not filtered by branch).
EVERY_BRANCH = None


def dashboard_branch_ids(user) -> frozenset[int] | None:
    """The branches whose figures `user` sees (EVERY_BRANCH for superusers).

    Branch staff and CPNEF members see their branches; anyone else gets PermissionDenied.
    """
    if user.is_active and user.is_superuser:
        return EVERY_BRANCH
    branch_ids = member_branch_ids(user)
    if not branch_ids:
        raise PermissionDenied
    return branch_ids


def may_see_dashboard(user) -> bool:
    try:
        dashboard_branch_ids(user)
    except PermissionDenied:
        return False
    return True


def branch_choices(branch_ids: frozenset[int] | None) -> list[tuple[int, str]] | None:
    """The branches to filter on: None when there is nothing to choose (a single branch)."""
    if branch_ids is not None and len(branch_ids) < 2:
        return None
    branches = Branch.objects.order_by("name")
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    return list(branches.values_list("pk", "name"))


def cqp_choices(branch_ids: frozenset[int] | None) -> list[tuple[int, str, str, int]]:
    """(id, code, title, branch id) of every CQP of the visible branches."""
    cqps = Cqp.objects.order_by("code", "title", "pk")
    if branch_ids is not None:
        cqps = cqps.filter(branch_id__in=branch_ids)
    return list(cqps.values_list("pk", "code", "title", "branch_id"))
