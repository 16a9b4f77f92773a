"""The evaluator's unit assessments, "ready for the jury", and stepping aside on a conflict."""

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import CompetenceUnit
from cqp.errors import DomainError

from .. import notifications, selectors
from ..models import (
    AssessmentModality,
    ConflictOfInterest,
    CriterionAssessment,
    Dossier,
    UnitAssessment,
    UnitAssessmentResult,
)
from ._common import _require_evaluator, _step
from ._evaluator import check_assessed_on, still_evaluator
from .pathway import units_to_acquire


def unit_assessment_save(
    *,
    dossier: Dossier,
    unit: CompetenceUnit,
    assessed_on: datetime.date,
    modality: str,
    result: str,
    criteria: Mapping[int, bool],
    comment: str = "",
    actor,
) -> UnitAssessment:
    """Record or change the assessment of one unit still to acquire, criterion by criterion.

    Possible while the dossier is in evaluation; `criteria` says, for each of the unit's
    criteria, whether it is met. A unit not validated, or validated although a criterion is
    not met, needs a comment.
    """
    _require_evaluator(actor, dossier)
    if unit.referentiel_id != dossier.referentiel_id:
        raise DomainError(_("This unit is not in the dossier's référentiel version."))
    if dossier.carried_over.filter(unit=unit).exists():
        raise DomainError(_("%s is already acquired: it is not assessed again.") % unit.code)
    check_assessed_on(dossier, assessed_on)
    if modality not in AssessmentModality.values:
        raise DomainError(_("Choose the modality of the assessment."))
    if result not in UnitAssessmentResult.values:
        raise DomainError(_("Say whether the unit is validated."))
    criterion_ids = list(unit.criteria.order_by("order", "id").values_list("pk", flat=True))
    if set(criteria) != set(criterion_ids):
        raise DomainError(_("Say for each criterion of the unit whether it is met."))
    comment = (comment or "").strip()
    if result == UnitAssessmentResult.NOT_VALIDATED and not comment:
        raise DomainError(_("Give the reasons why the unit is not validated."))
    if result == UnitAssessmentResult.VALIDATED and not all(criteria.values()) and not comment:
        raise DomainError(
            _("Explain why the unit is validated although some criteria are not met.")
        )
    with transaction.atomic():
        # Lock the dossier first: no assessment slips in once it is declared ready, and two
        # saves of the same unit go one after the other ("changed" is read under the lock).
        list(Dossier.objects.select_for_update().filter(pk=dossier.pk).values_list("pk"))
        existing = UnitAssessment.objects.filter(dossier=dossier, unit=unit).exists()
        template = (
            _("%(code)s — %(title)s (assessment changed)") if existing else "%(code)s — %(title)s"
        )
        _step(
            dossier,
            "assess_unit",
            actor=actor,
            comment=template % {"code": unit.code, "title": unit.title},
            guard=still_evaluator(actor),
        )
        assessment, _created = UnitAssessment.objects.update_or_create(
            dossier=dossier,
            unit=unit,
            defaults={
                "evaluator": actor,
                "assessed_on": assessed_on,
                "modality": modality,
                "result": result,
                "comment": comment,
            },
        )
        assessment.criteria.all().delete()
        CriterionAssessment.objects.bulk_create(
            [
                CriterionAssessment(assessment=assessment, criterion_id=pk, met=bool(criteria[pk]))
                for pk in criterion_ids
            ]
        )
    return assessment


def units_missing_assessment(dossier: Dossier) -> list[CompetenceUnit]:
    """Required units still to acquire without an assessment that counts.

    An assessment made by an evaluator who then declared a conflict of interest does not
    count: the next evaluator assesses the unit again.
    """
    counted = selectors.counted_assessments(dossier)
    return list(
        units_to_acquire(dossier)
        .filter(is_optional=False)
        .exclude(pk__in=counted.values("unit_id"))
    )


def _every_required_unit_assessed(locked: Dossier) -> None:
    missing = units_missing_assessment(locked)
    if missing:
        raise DomainError(
            _("Assess every required unit first; missing: %s.")
            % ", ".join(unit.code for unit in missing)
        )


def dossier_declare_ready(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The evaluator hands the dossier to the jury; the assessments become read-only.

    `comment` is a note for the branch (not shown to the candidate).
    """
    _require_evaluator(actor, dossier)
    comment = (comment or "").strip()
    with transaction.atomic():
        moved = _step(
            dossier,
            "declare_ready",
            actor=actor,
            comment=comment,
            guard=still_evaluator(actor, _every_required_unit_assessed),
        )
        notifications.dossier_ready_to_staff(moved, comment)
    return moved


def dossier_declare_conflict(*, dossier: Dossier, reason: str, actor) -> ConflictOfInterest:
    """The evaluator steps aside (same employer, relative, ...): staff assign another one."""
    _require_evaluator(actor, dossier)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the conflict of interest is."))
    with transaction.atomic():
        moved = _step(
            dossier,
            "declare_conflict",
            actor=actor,
            comment=reason,
            guard=still_evaluator(actor),
            changes={"evaluator": None},
        )
        conflict = ConflictOfInterest.objects.create(
            dossier=moved, person=actor, role=ConflictOfInterest.Role.EVALUATOR, reason=reason
        )
        notifications.evaluator_conflict_to_staff(moved, conflict)
    return conflict
