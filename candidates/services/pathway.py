"""The evaluator's steps: pathway (within the R335-7 limits), evaluation, ready for jury."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import (
    Cqp,
)
from cqp.errors import ActionNotPermitted, DomainError

from ..models import (
    Candidate,
    Dossier,
    Pathway,
)
from ._common import _require_evaluator, _step

VAE_CERTIFICATIONS_PER_YEAR = 3  # R335-7: at most three different certifications a year


def vae_quota_problem(candidate: Candidate, cqp: Cqp, on: datetime.date, exclude=None) -> str:
    """Why R335-7 refuses a VAE eligibility request now, or ""."""
    requests = Dossier.objects.filter(
        candidate=candidate, pathway=Pathway.VAE, vae_requested_on__year=on.year
    )
    if exclude is not None:
        requests = requests.exclude(pk=exclude.pk)
    if requests.filter(cqp=cqp).exists():
        return _("Only one VAE eligibility request per CQP and calendar year is allowed (R335-7).")
    others = set(requests.values_list("cqp_id", flat=True))
    if len(others) >= VAE_CERTIFICATIONS_PER_YEAR:
        return _(
            "At most three VAE eligibility requests for different certifications per calendar "
            "year are allowed (R335-7)."
        )
    return ""


def dossier_choose_pathway(*, dossier: Dossier, pathway: str, actor, comment: str = "") -> Dossier:
    """The evaluator orients the candidate: VAE (within the R335-7 limits) or training."""
    _require_evaluator(actor, dossier)
    today = timezone.localdate()
    if pathway == Pathway.VAE:

        def within_quota(locked: Dossier) -> None:
            # Lock the candidate: two evaluators choosing VAE at once on two of their dossiers
            # must be counted one after the other (R335-7's yearly limits).
            Candidate.objects.select_for_update().get(pk=locked.candidate_id)
            problem = vae_quota_problem(locked.candidate, locked.cqp, today, exclude=locked)
            if problem:
                raise DomainError(problem)

        return _step(
            dossier,
            "choose_vae",
            actor=actor,
            comment=comment,
            guard=_still_evaluator(actor, within_quota),
            changes={"pathway": Pathway.VAE, "vae_requested_on": today},
        )
    if pathway == Pathway.TRAINING:
        return _step(
            dossier,
            "choose_training",
            actor=actor,
            comment=comment,
            guard=_still_evaluator(actor),
            changes={"pathway": Pathway.TRAINING},
        )
    raise DomainError(_("Unknown pathway."))


def dossier_start_evaluation(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_evaluator(actor, dossier)
    return _step(
        dossier, "start_evaluation", actor=actor, comment=comment, guard=_still_evaluator(actor)
    )


def dossier_declare_ready(*, dossier: Dossier, actor, comment: str = "", guard=None) -> Dossier:
    """The evaluator hands the dossier to the jury (`guard`: the assessments are complete)."""
    _require_evaluator(actor, dossier)
    return _step(
        dossier, "declare_ready", actor=actor, comment=comment, guard=_still_evaluator(actor, guard)
    )


def _still_evaluator(actor, then=None):
    """A guard: on the locked row, the actor is still the dossier's evaluator (reassignment)."""

    def guard(locked: Dossier) -> None:
        if locked.evaluator_id != actor.pk:
            raise ActionNotPermitted(_("Only the dossier's evaluator may do this."))
        if then is not None:
            then(locked)

    return guard
