"""Helpers shared by the catalogue's services."""

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqp.errors import ActionNotPermitted, DomainError

from ..lifecycles import CLOSED_PROJECT, OPEN_PROJECT
from ..permissions import is_branch_staff


def _require_staff(actor, branch_id: int) -> None:
    """`actor=None` is the system (importer on the command line, periodic tasks)."""
    if actor is not None and not is_branch_staff(actor, branch_id):
        raise ActionNotPermitted(_("Only the branch's staff may do this."))


def _clean_lines(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


UNDER_REVIEW = gettext_lazy(
    "The CPNEF is reviewing this project: it cannot be changed until the CPNEF has decided."
)


CLOSED = gettext_lazy("This CQP is archived or rejected: it can no longer be changed.")


def require_changeable(cqp_status: str) -> None:
    """Refuse changes to a project under CPNEF review, archived or rejected."""
    if cqp_status in OPEN_PROJECT:
        raise DomainError(UNDER_REVIEW)
    if cqp_status in CLOSED_PROJECT:
        raise DomainError(CLOSED)
