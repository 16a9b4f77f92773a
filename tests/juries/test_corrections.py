"""Correcting a closed decision: a new, reasoned decision by branch staff; the old one stays."""

import pytest
from django.utils import translation

from candidates import services as candidates
from candidates.models import AcquiredUnit, DossierStatus
from cqp.errors import ActionNotPermitted, DomainError
from juries import services
from juries.models import JuryDecision, Outcome
from tests.juries import test_deliberation
from tests.juries.test_deliberation import open_all

jury = test_deliberation.jury  # the fixture: a convened session with two dossiers

S = DossierStatus


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def closed(jury):
    """The first dossier partially validated (BC01), the second refused; session closed."""
    session, members, (first, second) = jury
    president = members[0].user
    open_all(session, members)
    bc01, _bc02 = services.units_to_judge(first)
    services.decision_record(
        item=first,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[bc01.pk],
        motivation="BC02 insuffisant.",
        actor=president,
    )
    services.decision_record(
        item=second,
        outcome=Outcome.NOT_VALIDATED,
        validated_unit_ids=[],
        motivation="Aucun bloc maîtrisé.",
        actor=president,
    )
    services.session_close(session=session, actor=president)
    return first, second


def held(item):
    return set(
        AcquiredUnit.objects.filter(candidate=item.dossier.candidate).values_list(
            "unit__code", flat=True
        )
    )


def test_staff_correct_a_refusal_into_a_partial_validation(closed, staff):
    _first, second = closed
    old = JuryDecision.objects.get(item=second)
    bc01, _bc02 = services.units_to_judge(second)

    correction = services.decision_correct(
        decision=old,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[bc01.pk],
        motivation="Erreur matérielle au procès-verbal.",
        actor=staff,
    )

    second.dossier.refresh_from_db()
    assert correction.corrects == old and correction.is_final
    assert JuryDecision.objects.get(pk=old.pk).outcome == Outcome.NOT_VALIDATED  # kept
    assert second.dossier.status == S.PARTIALLY_VALIDATED
    assert held(second) == {"BC01"}
    assert second.dossier.events.order_by("-id").first().action == (
        "correct_to_partially_validated"
    )


def test_a_unit_no_longer_validated_is_withdrawn(closed, staff):
    first, _second = closed
    services.decision_correct(
        decision=JuryDecision.objects.get(item=first),
        outcome=Outcome.NOT_VALIDATED,
        validated_unit_ids=[],
        motivation="Fraude établie.",
        actor=staff,
    )
    assert held(first) == set()


def test_a_unit_carried_into_a_later_dossier_cannot_be_withdrawn(closed, staff):
    first, _second = closed
    dossier = first.dossier
    candidates.dossier_open(
        candidate=dossier.candidate, cqp=dossier.cqp, funding="cpf", actor=dossier.candidate.user
    )
    with pytest.raises(DomainError, match="carried over"):
        services.decision_correct(
            decision=JuryDecision.objects.get(item=first),
            outcome=Outcome.NOT_VALIDATED,
            validated_unit_ids=[],
            motivation="Fraude établie.",
            actor=staff,
        )
    dossier.refresh_from_db()
    assert dossier.status == S.PARTIALLY_VALIDATED and held(first) == {"BC01"}
    assert JuryDecision.objects.filter(corrects__isnull=False).count() == 0


def test_a_correction_is_reasoned_and_made_by_the_branch_staff(closed, staff, other_staff):
    first, _second = closed
    old = JuryDecision.objects.get(item=first)
    with pytest.raises(DomainError, match="reasons"):
        services.decision_correct(
            decision=old,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[u.pk for u in services.units_to_judge(first)],
            motivation=" ",
            actor=staff,
        )
    with pytest.raises(ActionNotPermitted):
        services.decision_correct(
            decision=old,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[u.pk for u in services.units_to_judge(first)],
            motivation="Erreur.",
            actor=other_staff,
        )
    assert JuryDecision.objects.count() == 2


def test_a_decision_is_corrected_once_then_its_correction(closed, staff):
    first, _second = closed
    units = [u.pk for u in services.units_to_judge(first)]
    old = JuryDecision.objects.get(item=first)
    correction = services.decision_correct(
        decision=old,
        outcome=Outcome.CERTIFIED,
        validated_unit_ids=units,
        motivation="A.",
        actor=staff,
    )
    with pytest.raises(DomainError, match="corrected already"):
        services.decision_correct(
            decision=old,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=units,
            motivation="B.",
            actor=staff,
        )
    services.decision_correct(
        decision=correction,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=units[:1],
        motivation="C.",
        actor=staff,
    )
    first.dossier.refresh_from_db()
    assert first.dossier.status == S.PARTIALLY_VALIDATED


def test_an_open_decision_is_not_corrected(jury, staff):
    session, members, (first, _second) = jury
    open_all(session, members)
    decision = services.decision_record(
        item=first, outcome=Outcome.ABSENT, validated_unit_ids=[], actor=members[0].user
    )
    with pytest.raises(DomainError, match="Only a final decision"):
        services.decision_correct(
            decision=decision,
            outcome=Outcome.NOT_VALIDATED,
            validated_unit_ids=[],
            motivation="X.",
            actor=staff,
        )
