"""A dossier from its opening to the evaluator's assignment (candidate and staff steps)."""

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import (
    Cqp,
    EvaluatorAccreditation,
    ReferentielStatus,
)
from cqp.errors import ActionNotPermitted, DomainError

from .. import notifications
from ..models import (
    Candidate,
    CarriedOverUnit,
    Dossier,
    DossierDocument,
    DossierEvent,
)
from ._common import _require_owner, _require_staff, _step
from .units import units_held_for


def dossier_open(*, candidate: Candidate, cqp: Cqp, funding: str, actor) -> Dossier:
    """Open a draft dossier on a CQP open to candidates, pinned to its published version.

    Units the candidate already holds (also through equivalences across versions) are carried
    over and will not be assessed again.
    """
    if actor.pk != candidate.user_id:
        raise ActionNotPermitted(_("A dossier is opened by the candidate."))
    with transaction.atomic():
        cqp = Cqp.objects.select_for_update().get(pk=cqp.pk)
        if not cqp.is_open_to_candidates():
            raise DomainError(_("This CQP is not open to candidates."))
        if Dossier.objects.open().filter(candidate=candidate, cqp=cqp).exists():
            raise DomainError(_("You already have a dossier in progress for this CQP."))
        referentiel = cqp.referentiels.get(status=ReferentielStatus.PUBLISHED)
        previous = (
            Dossier.objects.filter(candidate=candidate, cqp=cqp)
            .order_by("-created_at", "-id")
            .first()
        )
        try:
            with transaction.atomic():
                dossier = Dossier.objects.create(
                    candidate=candidate,
                    cqp=cqp,
                    referentiel=referentiel,
                    funding=funding,
                    previous=previous,
                    reference=uuid.uuid4().hex[:20],
                )
        except IntegrityError:  # a concurrent opening won the race
            raise DomainError(_("You already have a dossier in progress for this CQP.")) from None
        dossier.reference = f"{timezone.localdate():%Y}-{dossier.pk:06d}"
        dossier.save(update_fields=["reference"])
        held = units_held_for(candidate, referentiel)
        CarriedOverUnit.objects.bulk_create(
            [CarriedOverUnit(dossier=dossier, unit_id=uid, acquired=a) for uid, a in held.items()]
        )
        comment = ""
        if held:
            codes = ", ".join(
                sorted(referentiel.units.filter(pk__in=held).values_list("code", flat=True))
            )
            comment = _("Units already acquired, carried over: %s.") % codes
        DossierEvent.objects.create(
            dossier=dossier, action="open", to_status=dossier.status, actor=actor, comment=comment
        )
    return dossier


def _require_submittable(dossier: Dossier) -> None:
    candidate = dossier.candidate
    if not candidate.identity_is_complete:
        raise DomainError(
            _("Complete your identity (names, birth date and place) in your profile first.")
        )
    if not dossier.documents.filter(kind=DossierDocument.Kind.IDENTITY).exists():
        raise DomainError(_("Add an identity document before submitting."))


def dossier_submit(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The candidate sends the dossier to the branch (staff are told by e-mail)."""
    _require_owner(actor, dossier)
    with transaction.atomic():
        moved = _step(
            dossier,
            "submit",
            actor=actor,
            comment=comment,
            guard=_require_submittable,
            changes={"submitted_at": timezone.now()},
        )
        notifications.dossier_submitted_to_staff(moved, resubmitted=False)
    return moved


def dossier_resubmit(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The candidate sends the dossier back once completed."""
    _require_owner(actor, dossier)
    with transaction.atomic():
        moved = _step(dossier, "resubmit", actor=actor, comment=comment, guard=_require_submittable)
        notifications.dossier_submitted_to_staff(moved, resubmitted=True)
    return moved


def dossier_withdraw(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_owner(actor, dossier)
    return _step(dossier, "withdraw", actor=actor, comment=comment)


def dossier_declare_complete(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """Staff checked the pieces: the dossier may now be judged admissible."""
    _require_staff(actor, dossier)
    return _step(
        dossier,
        "declare_complete",
        actor=actor,
        comment=comment,
        changes={"completeness_checked_at": timezone.now()},
    )


def dossier_declare_incomplete(*, dossier: Dossier, actor, comment: str) -> Dossier:
    """Back to the candidate, with the missing items (required)."""
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("List the missing items for the candidate."))
    return _step(
        dossier,
        "declare_incomplete",
        actor=actor,
        comment=comment,
        changes={"completeness_checked_at": None},
    )


def _require_complete(dossier: Dossier) -> None:
    if dossier.completeness_checked_at is None:
        raise DomainError(_("Declare the dossier complete before judging its admissibility."))


def dossier_declare_admissible(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_staff(actor, dossier)
    return _step(
        dossier, "declare_admissible", actor=actor, comment=comment, guard=_require_complete
    )


def dossier_declare_inadmissible(*, dossier: Dossier, actor, comment: str) -> Dossier:
    """Refusal, with its reasons (required)."""
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reasons of the inadmissibility."))
    return _step(dossier, "declare_inadmissible", actor=actor, comment=comment)


def accreditation_valid_for(evaluator, cqp: Cqp, day: datetime.date | None = None) -> bool:
    """Whether `evaluator` holds, on `day`, an accreditation of the CQP's branch covering it."""
    day = day or timezone.localdate()
    accreditations = EvaluatorAccreditation.objects.valid_on(day).filter(
        user=evaluator, branch_id=cqp.branch_id
    )
    return any(not a.cqps.exists() or a.cqps.filter(pk=cqp.pk).exists() for a in accreditations)


def _evaluator_guard(evaluator):
    def guard(dossier: Dossier) -> None:
        if not evaluator.is_active:
            raise DomainError(_("This evaluator's account is deactivated."))
        if not accreditation_valid_for(evaluator, dossier.cqp):
            raise DomainError(
                _("%(evaluator)s holds no valid accreditation for this CQP.")
                % {"evaluator": evaluator}
            )
        if evaluator.pk == dossier.candidate.user_id:
            raise DomainError(_("A candidate cannot evaluate their own dossier."))
        if dossier.conflicts.filter(person=evaluator).exists():
            raise DomainError(
                _("%(evaluator)s declared a conflict of interest on this dossier.")
                % {"evaluator": evaluator}
            )

    return guard


POSITIONING_DELAY = datetime.timedelta(days=30)  # the default due date of a positioning


def _check_due_on(due_on: datetime.date | None) -> None:
    if due_on is not None and due_on < timezone.localdate():
        raise DomainError(_("The evaluator's due date cannot be in the past."))


def dossier_assign_evaluator(
    *,
    dossier: Dossier,
    evaluator,
    actor,
    comment: str = "",
    due_on: datetime.date | None = None,
) -> Dossier:
    """Staff assign an accredited evaluator; the positioning is due by `due_on` (30 days)."""
    _require_staff(actor, dossier)
    _check_due_on(due_on)
    with transaction.atomic():
        moved = _step(
            dossier,
            "assign_evaluator",
            actor=actor,
            comment=comment or _("Evaluator: %s.") % evaluator,
            guard=_evaluator_guard(evaluator),
            changes={
                "evaluator": evaluator,
                "evaluator_due_on": due_on or timezone.localdate() + POSITIONING_DELAY,
            },
        )
        notifications.evaluator_assigned(moved)
    return moved


def dossier_reassign_evaluator(
    *,
    dossier: Dossier,
    evaluator,
    actor,
    comment: str,
    due_on: datetime.date | None = None,
) -> Dossier:
    """Another evaluator (e.g. after a conflict of interest); the reason is required.

    The positioning, training plan and assessments already recorded stay; `due_on`, when
    given, replaces the due date (a due date already past becomes 30 days from now).
    """
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for the change of evaluator."))
    if evaluator.pk == dossier.evaluator_id:
        raise DomainError(_("This evaluator is already assigned."))
    _check_due_on(due_on)
    changes = {"evaluator": evaluator}
    if due_on is not None:
        changes["evaluator_due_on"] = due_on
    elif dossier.evaluator_due_on is None or dossier.evaluator_due_on < timezone.localdate():
        # The new evaluator does not inherit a date already past.
        changes["evaluator_due_on"] = timezone.localdate() + POSITIONING_DELAY
    with transaction.atomic():
        moved = _step(
            dossier,
            "reassign_evaluator",
            actor=actor,
            comment=comment,
            guard=_evaluator_guard(evaluator),
            changes=changes,
        )
        notifications.evaluator_assigned(moved)
    return moved


def dossier_archive(*, dossier: Dossier, actor, comment: str) -> Dossier:
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for archiving the dossier."))
    return _step(dossier, "archive", actor=actor, comment=comment)
