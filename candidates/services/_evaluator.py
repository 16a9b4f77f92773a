"""Checks shared by the evaluator's services: who may act now, and assessment dates."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from cqp.errors import ActionNotPermitted, DomainError

from ..models import Dossier
from .dossiers import accreditation_valid_for


def check_assessed_on(dossier: Dossier, day: datetime.date | None) -> None:
    """A positioning or assessment date: given, not in the future, not before the opening."""
    if day is None:
        raise DomainError(_("Give the date of the assessment."))
    if day > timezone.localdate():
        raise DomainError(_("The assessment date cannot be in the future."))
    if day < timezone.localdate(dossier.created_at):
        raise DomainError(_("The assessment date cannot be before the dossier was opened."))


def still_evaluator(actor, then=None):
    """A guard: on the locked row, the actor is still the dossier's evaluator (reassignment)
    and still accredited for its CQP; then `then(locked)` if given."""

    def guard(locked: Dossier) -> None:
        if locked.evaluator_id != actor.pk:
            raise ActionNotPermitted(_("Only the dossier's evaluator may do this."))
        if not accreditation_valid_for(actor, locked.cqp):
            raise ActionNotPermitted(
                _(
                    "Your accreditation for this CQP is no longer valid: the branch will "
                    "assign another evaluator."
                )
            )
        if then is not None:
            then(locked)

    return guard
