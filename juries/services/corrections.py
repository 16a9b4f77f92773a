"""Corrections of closed decisions: by branch staff, reasoned, the old decision kept."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates import services as candidates
from cqp.errors import DomainError

from ..models import JUDGING_OUTCOMES, DecisionUnit, JuryDecision
from .deliberation import DOSSIER_OUTCOMES, units_to_judge
from .documents import certificate_issue, revoke_replaced
from .sessions import _require_staff


def decision_correct(
    *,
    decision: JuryDecision,
    outcome: str,
    validated_unit_ids: Iterable[int],
    motivation: str,
    actor,
) -> JuryDecision:
    """Branch staff correct a final decision: a new, reasoned decision that keeps the old one.

    Only a decision that judged the units is corrected, into another such decision; the
    dossier and its acquired units follow (`candidates.services.dossier_correct_decision`).
    """
    _require_staff(actor, decision.item.session.branch_id)
    motivation = (motivation or "").strip()
    if not motivation:
        raise DomainError(_("Give the reasons for correcting the decision."))
    if outcome not in JUDGING_OUTCOMES:
        raise DomainError(_("A correction certifies, validates partially or refuses."))
    with transaction.atomic():
        old = (
            JuryDecision.objects.select_for_update()
            .select_related("item__dossier")
            .get(pk=decision.pk)
        )
        if not old.is_final or old.outcome not in JUDGING_OUTCOMES:
            raise DomainError(_("Only a final decision on the units can be corrected."))
        if JuryDecision.objects.filter(corrects=old).exists():
            raise DomainError(_("This decision was corrected already: correct the correction."))
        item = old.item
        units = {unit.pk: unit for unit in units_to_judge(item)}
        validated_ids = set(validated_unit_ids)
        if not validated_ids <= set(units):
            raise DomainError(_("Only the units still to acquire are judged."))
        candidates.dossier_correct_decision(
            dossier=item.dossier,
            outcome=DOSSIER_OUTCOMES[outcome],
            validated_units=[units[pk] for pk in validated_ids],
            decided_on=timezone.localdate(),
            actor=actor,
            comment=motivation,
        )
        now = timezone.now()
        correction = JuryDecision.objects.create(
            item=item,
            outcome=outcome,
            motivation=motivation,
            decided_by=actor,
            decided_at=now,
            final_at=now,
            corrects=old,
        )
        DecisionUnit.objects.bulk_create(
            [
                DecisionUnit(decision=correction, unit=unit, validated=pk in validated_ids)
                for pk, unit in units.items()
            ]
        )
        # The old decision's document no longer holds; the correction yields its own.
        corrected_on = timezone.localdate()
        revoke_replaced(decision=old, actor=actor, corrected_on=corrected_on)
        certificate_issue(decision=correction, decided_on=corrected_on)
    return correction
