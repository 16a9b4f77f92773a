"""Branches, their members' roles and their evaluators' accreditations."""

from django.db import transaction
from django.utils.translation import gettext as _

from cqp.errors import ActionNotPermitted, DomainError

from ..models import (
    Branch,
    BranchMembership,
    IdccConvention,
)
from ..permissions import forget_memberships
from ._common import _require_staff


def branch_create(
    *, name: str, slug: str, code: str, actor, siret: str = "", idcc_codes=(), **fields
) -> Branch:
    """A new branch (administrators, or the system when an import meets a new certifier)."""
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may create a branch."))
    if Branch.objects.filter(slug=slug).exists() or Branch.objects.filter(code=code).exists():
        raise DomainError(_("A branch with this short name or numbering code already exists."))
    with transaction.atomic():
        branch = Branch.objects.create(name=name, slug=slug, code=code, siret=siret, **fields)
        if idcc_codes:
            branch.idcc_conventions.set(IdccConvention.objects.filter(idcc__in=list(idcc_codes)))
    return branch


def membership_grant(*, user, branch: Branch, role: str, actor=None) -> BranchMembership:
    """Give `user` a role in `branch`; members get admin access (scoped to their branch)."""
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may grant branch roles."))
    with transaction.atomic():
        membership, _created = BranchMembership.objects.get_or_create(
            user=user, branch=branch, role=role
        )
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    forget_memberships(user)
    return membership


def membership_revoke(*, membership: BranchMembership, actor=None) -> None:
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may revoke branch roles."))
    user = membership.user
    with transaction.atomic():
        membership.delete()
        if not user.is_superuser and not user.branch_memberships.exists():
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    forget_memberships(user)


def evaluator_accreditation_save(
    *,
    accreditation,
    email: str,
    cqps,
    actor,
    first_name: str = "",
    last_name: str = "",
):
    """Create or change an accreditation; the evaluator is named by e-mail."""
    from cqp.services import user_get_or_create_by_email

    _require_staff(actor, accreditation.branch_id)
    cqps = list(cqps)
    if any(c.branch_id != accreditation.branch_id for c in cqps):
        raise DomainError(_("Choose CQPs of the accreditation's branch only."))
    if accreditation.valid_until and accreditation.valid_until < accreditation.valid_from:
        raise DomainError(_("The end of validity cannot be before its start."))
    with transaction.atomic():
        accreditation.user = user_get_or_create_by_email(
            email=email, first_name=first_name, last_name=last_name, actor=actor
        )
        accreditation.save()
        accreditation.cqps.set(cqps)
    return accreditation
