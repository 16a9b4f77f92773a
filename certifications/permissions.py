"""Who may see and change what in the catalogue; one helper per object."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import BranchMembership, Cqp

STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF


def _memberships(user) -> dict[str, frozenset[int]]:
    """Branch ids per role for `user`, read once per request (cached on the user object)."""
    cached = getattr(user, "_cqp_branch_roles", None)
    if cached is None:
        rows = (
            BranchMembership.objects.filter(user=user).values_list("role", "branch_id")
            if user.is_authenticated and user.is_active
            else []
        )
        by_role: dict[str, set[int]] = {STAFF: set(), CPNEF: set()}
        for role, branch_id in rows:
            by_role.setdefault(role, set()).add(branch_id)
        cached = {role: frozenset(ids) for role, ids in by_role.items()}
        user._cqp_branch_roles = cached
    return cached


def forget_memberships(user) -> None:
    for attr in ("_cqp_branch_roles", "_cqp_spaces"):
        if hasattr(user, attr):
            delattr(user, attr)


def staff_branch_ids(user) -> frozenset[int]:
    return _memberships(user)[STAFF]


def cpnef_branch_ids(user) -> frozenset[int]:
    return _memberships(user)[CPNEF]


def member_branch_ids(user) -> frozenset[int]:
    """Branches where the user is staff or CPNEF member."""
    return staff_branch_ids(user) | cpnef_branch_ids(user)


def is_branch_staff(user, branch_id: int) -> bool:
    return bool(user.is_superuser) or branch_id in staff_branch_ids(user)


def is_cpnef_member(user, branch_id: int) -> bool:
    """CPNEF decisions belong to the CPNEF's members only; superusers are no exception."""
    return branch_id in cpnef_branch_ids(user)


def get_cqp_for_user(user, pk: int, write: bool = False) -> Cqp:
    """The CQP if the user may see it (write: change it), else 404/403."""
    try:
        cqp = Cqp.objects.select_related("branch").get(pk=pk)
    except Cqp.DoesNotExist:
        raise Http404 from None
    if user.is_superuser:
        return cqp
    if cqp.branch_id not in member_branch_ids(user):
        raise Http404
    if write and cqp.branch_id not in staff_branch_ids(user):
        raise PermissionDenied
    return cqp


def has_accreditation(user) -> bool:
    """Whether the user holds (or held) an evaluator accreditation."""
    cached = getattr(user, "_cqp_has_accreditation", None)
    if cached is None:
        cached = user.is_authenticated and user.evaluator_accreditations.exists()
        user._cqp_has_accreditation = cached
    return cached
