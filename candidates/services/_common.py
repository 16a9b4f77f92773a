"""Helpers shared by the services: who may act, and one step of the lifecycle."""

from django.db import transaction
from django.utils.translation import gettext as _

from cqp.errors import ActionNotPermitted
from cqp.lifecycle import apply_transition

from .. import notifications
from ..lifecycles import DOSSIER_LIFECYCLE, PRIVATE_COMMENT_ACTIONS
from ..models import (
    Dossier,
    DossierStatus,
)
from ..permissions import is_dossier_owner, is_dossier_staff

S = DossierStatus


def _require_owner(actor, dossier: Dossier) -> None:
    if not is_dossier_owner(actor, dossier):
        raise ActionNotPermitted(_("Only the candidate may do this on their dossier."))


def _require_staff(actor, dossier: Dossier) -> None:
    if actor is None or not is_dossier_staff(actor, dossier):
        raise ActionNotPermitted(_("Only the branch's staff may do this."))


def _require_evaluator(actor, dossier: Dossier) -> None:
    if actor is None or dossier.evaluator_id != actor.pk:
        raise ActionNotPermitted(_("Only the dossier's evaluator may do this."))


def _step(dossier: Dossier, action: str, *, actor, comment: str = "", guard=None, changes=None):
    """Apply one transition of the dossier's table and tell the candidate, in one transaction."""
    with transaction.atomic():
        moved = apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            action,
            actor=actor,
            comment=comment,
            guard=guard,
            changes=changes,
        )
        shown = "" if action in PRIVATE_COMMENT_ACTIONS else comment
        notifications.dossier_step(moved, action, shown)
    return moved
