"""The jury's steps, called by the juries app (which checks its own rights)."""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import (
    CompetenceUnit,
)
from cqp.errors import DomainError
from cqp.lifecycle import apply_transition

from ..lifecycles import DOSSIER_LIFECYCLE
from ..models import (
    AcquiredUnit,
    CarriedOverUnit,
    Dossier,
    DossierDocument,
)
from ._common import S, _require_staff, _step


def dossier_put_on_agenda(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    return _step(dossier, "put_on_agenda", actor=actor, comment=comment)


def dossier_remove_from_agenda(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    return _step(dossier, "remove_from_agenda", actor=actor, comment=comment)


DECISION_ACTIONS = {
    S.CERTIFIED: "certify",
    S.PARTIALLY_VALIDATED: "validate_partially",
    S.NOT_VALIDATED: "not_validate",
}


def dossier_record_decision(
    *,
    dossier: Dossier,
    outcome: str,
    validated_units: Iterable[CompetenceUnit],
    decided_on: datetime.date,
    actor,
    comment: str = "",
) -> Dossier:
    """Record the jury's final decision: acquired units kept for good, identity piece erased.

    certified: every unit still to acquire is validated; partially validated: some are, and
    a motivation is required; not validated: none is, and a motivation is required.
    """
    validated = _check_decision(dossier, outcome, validated_units, comment)
    with transaction.atomic():
        moved = _step(dossier, DECISION_ACTIONS[outcome], actor=actor, comment=comment)
        AcquiredUnit.objects.bulk_create(
            [
                AcquiredUnit(
                    candidate=moved.candidate, unit=unit, dossier=moved, acquired_on=decided_on
                )
                for unit in validated.values()
            ],
            ignore_conflicts=True,  # a unit already held stays held from its first decision
        )
        _erase_identity_pieces(moved)
    return moved


CORRECTION_ACTIONS = {
    S.CERTIFIED: "correct_to_certified",
    S.PARTIALLY_VALIDATED: "correct_to_partially_validated",
    S.NOT_VALIDATED: "correct_to_not_validated",
}


def dossier_correct_decision(
    *,
    dossier: Dossier,
    outcome: str,
    validated_units: Iterable[CompetenceUnit],
    decided_on: datetime.date,
    actor,
    comment: str,
) -> Dossier:
    """Branch staff correct a final decision, with its reasons; the units follow.

    Units newly validated are acquired; units no longer validated are withdrawn, unless a
    later dossier already carried them over (that dossier must be dealt with first).
    """
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reasons for correcting the decision."))
    validated = _check_decision(dossier, outcome, validated_units, comment)
    with transaction.atomic():
        moved = _step(dossier, CORRECTION_ACTIONS[outcome], actor=actor, comment=comment)
        granted = AcquiredUnit.objects.select_for_update().filter(dossier=moved)
        withdrawn = granted.exclude(unit_id__in=validated)
        carried = CarriedOverUnit.objects.filter(acquired__in=withdrawn).select_related(
            "dossier", "unit"
        )
        if carried:
            raise DomainError(
                _("%(units)s already carried over into a later dossier (%(dossiers)s).")
                % {
                    "units": ", ".join(sorted({c.unit.code for c in carried})),
                    "dossiers": ", ".join(sorted({c.dossier.reference for c in carried})),
                }
            )
        withdrawn.delete()
        AcquiredUnit.objects.bulk_create(
            [
                AcquiredUnit(
                    candidate=moved.candidate, unit=unit, dossier=moved, acquired_on=decided_on
                )
                for unit in validated.values()
            ],
            ignore_conflicts=True,  # held already (from this decision or an earlier one)
        )
    return moved


def _check_decision(dossier: Dossier, outcome: str, validated_units, comment: str) -> dict:
    """The validated units {pk: unit}, consistent with the outcome and the dossier's version."""
    if outcome not in DECISION_ACTIONS:
        raise DomainError(_("Unknown decision."))
    validated = {unit.pk: unit for unit in validated_units}
    carried = set(dossier.carried_over.values_list("unit_id", flat=True))
    to_acquire = set(dossier.referentiel.units.values_list("pk", flat=True)) - carried
    required = (
        set(dossier.referentiel.units.filter(is_optional=False).values_list("pk", flat=True))
        - carried
    )
    if set(validated) - to_acquire:
        raise DomainError(
            _("Only units of the dossier's version still to acquire can be validated.")
        )
    if outcome == S.CERTIFIED and not required <= set(validated):
        raise DomainError(_("Certification needs every required unit to be validated."))
    if outcome == S.PARTIALLY_VALIDATED and (not validated or required <= set(validated)):
        raise DomainError(_("A partial validation validates some units, not all."))
    if outcome == S.NOT_VALIDATED and validated:
        raise DomainError(_("A refusal validates no unit."))
    if outcome != S.CERTIFIED and not (comment or "").strip():
        raise DomainError(_("A partial validation or a refusal must be reasoned."))
    return validated


def _erase_identity_pieces(dossier: Dossier) -> None:
    """Data minimisation: the identity piece is no longer needed once the decision is final."""
    pieces = list(dossier.documents.filter(kind=DossierDocument.Kind.IDENTITY))
    if not pieces:
        return
    apply_transition(
        DOSSIER_LIFECYCLE,
        dossier,
        "erase_identity",
        actor=None,
        comment=_("Identity piece deleted once the decision was final (data minimisation)."),
    )
    for piece in pieces:
        name, storage = piece.file.name, piece.file.storage
        piece.delete()
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
