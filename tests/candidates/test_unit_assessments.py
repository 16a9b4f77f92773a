"""The evaluation: starting it, assessing each unit criterion by criterion, ready for the jury."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from candidates import selectors, services
from candidates.models import (
    AssessmentModality,
    CriterionAssessment,
    Dossier,
    DossierStatus,
    PositioningAssessment,
    UnitAssessment,
    UnitAssessmentResult,
)
from certifications import services as catalogue
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from cqp.models import OutgoingEmail
from tests.candidates import evaluation
from tests.candidates.conftest import pdf
from tests.candidates.test_dossier_lifecycle import (
    bring_to,
    make_cast,
    make_open_cqp,
    perform,
    reopened_holding,
    snapshot,
)

S = DossierStatus
VALIDATED = UnitAssessmentResult.VALIDATED
NOT_VALIDATED = UnitAssessmentResult.NOT_VALIDATED


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def assessed_cqp(branch, staff, cpnef):
    """BC01 and BC02 required, BC03 optional; two criteria per unit."""
    return make_open_cqp(branch, staff, cpnef, "EVA", units=3, optional=("BC03",), criteria=2)


@pytest.fixture
def cast(candidate, staff, evaluator, branch, assessed_cqp):
    return make_cast(candidate, staff, evaluator, branch, assessed_cqp)


@pytest.fixture
def dossier(cast):
    """A dossier in evaluation (training pathway), no unit assessed yet."""
    return bring_to(S.EVALUATION, cast)


def today():
    return timezone.localdate()


def days(n):
    return datetime.timedelta(days=n)


def unit(dossier, code):
    return dossier.referentiel.units.get(code=code)


def criteria_of(unit, met=True):
    return dict.fromkeys(unit.criteria.values_list("pk", flat=True), met)


def save(dossier, unit, actor, **fields):
    """Assess `unit`: validated, every criterion met, by observation, today, unless told."""
    return services.unit_assessment_save(
        dossier=dossier,
        unit=unit,
        assessed_on=fields.pop("assessed_on", today()),
        modality=fields.pop("modality", AssessmentModality.OBSERVATION),
        result=fields.pop("result", VALIDATED),
        criteria=fields.pop("criteria", None) if "criteria" in fields else criteria_of(unit),
        comment=fields.pop("comment", ""),
        actor=actor,
    )


def refused(dossier, unit, actor, error=DomainError, match=None, **fields):
    before = snapshot(dossier)  # the assessments and their criteria included
    with pytest.raises(error, match=match) as caught:
        save(dossier, unit, actor, **fields)
    assert snapshot(dossier) == before
    return caught.value


def stored_criteria(dossier, unit):
    return dict(
        CriterionAssessment.objects.filter(
            assessment__dossier=dossier, assessment__unit=unit
        ).values_list("criterion_id", "met")
    )


# --- starting the evaluation ------------------------------------------------------------------


def test_the_vae_evaluation_waits_for_the_booklet(cast, django_capture_on_commit_callbacks):
    dossier = services.dossier_open(
        candidate=cast.candidate, cqp=cast.cqp, funding="cpf", actor=cast.user
    )
    services.document_upload(dossier=dossier, kind="identity", upload=pdf(), actor=cast.user)
    bring_to(S.VAE, cast, dossier=dossier)
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="not added their VAE booklet"):
        services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)

    assert snapshot(dossier) == before
    evaluation.add_booklet(dossier)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)
    dossier.refresh_from_db()
    assert dossier.status == S.EVALUATION
    event = dossier.events.last()
    assert (event.action, event.from_status, event.actor) == (
        "start_evaluation",
        S.VAE,
        cast.evaluator,
    )
    assert [m.to for m in mail.outbox] == [[cast.user.email]]


def expire_eligibility(dossier, valid_until):
    PositioningAssessment.objects.filter(dossier=dossier).update(
        assessed_on=today() - days(400), eligibility_valid_until=valid_until
    )


def test_the_vae_evaluation_needs_an_eligibility_still_valid(cast):
    dossier = bring_to(S.VAE, cast)  # the booklet is there
    expire_eligibility(dossier, today() - days(1))
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="eligibility is no longer valid"):
        services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)

    assert snapshot(dossier) == before


def test_the_vae_evaluation_starts_on_the_last_day_of_the_eligibility(cast):
    dossier = bring_to(S.VAE, cast)
    expire_eligibility(dossier, today())

    services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)

    dossier.refresh_from_db()
    assert dossier.status == S.EVALUATION


def test_the_training_evaluation_waits_for_the_plan(cast):
    dossier = bring_to(S.TRAINING, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="Record the training plan first"):
        services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)

    assert snapshot(dossier) == before
    perform("plan_training", dossier, cast)
    services.dossier_start_evaluation(dossier=dossier, actor=cast.evaluator)
    dossier.refresh_from_db()
    assert (dossier.status, dossier.events.last().from_status) == (S.EVALUATION, S.TRAINING)


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate"])
def test_only_the_dossiers_evaluator_starts_the_evaluation(who, cast):
    dossier = bring_to(S.VAE, cast)
    intruder = {"second_evaluator": cast.second_evaluator, "staff": cast.staff}.get(who, cast.user)
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        services.dossier_start_evaluation(dossier=dossier, actor=intruder)

    assert snapshot(dossier) == before


# --- assessing a unit -------------------------------------------------------------------------


def test_an_assessment_is_recorded_criterion_by_criterion(dossier, cast):
    bc01 = unit(dossier, "BC01")
    first, second = bc01.criteria.order_by("order")
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(30))
    dossier.refresh_from_db()
    emails = OutgoingEmail.objects.count()

    assessment = save(
        dossier,
        bc01,
        cast.evaluator,
        modality=AssessmentModality.CASE_STUDY,
        criteria={first.pk: True, second.pk: False},
        comment="  Le second critère reste fragile, compensé par l'étude de cas.  ",
        assessed_on=today() - days(1),
    )

    stored = UnitAssessment.objects.get(dossier=dossier)
    assert stored == assessment
    assert (stored.unit, stored.evaluator, stored.assessed_on) == (
        bc01,
        cast.evaluator,
        today() - days(1),
    )
    assert (stored.modality, stored.result) == (AssessmentModality.CASE_STUDY, VALIDATED)
    assert stored.comment == "Le second critère reste fragile, compensé par l'étude de cas."
    assert stored_criteria(dossier, bc01) == {first.pk: True, second.pk: False}
    dossier.refresh_from_db()
    assert dossier.status == S.EVALUATION
    event = dossier.events.last()
    assert (event.action, event.actor, event.to_status) == (
        "assess_unit",
        cast.evaluator,
        S.EVALUATION,
    )
    assert event.comment == f"BC01 — {bc01.title}"
    assert OutgoingEmail.objects.count() == emails  # the candidate hears of the whole, later


def test_saving_again_updates_the_assessment_and_records_the_change(dossier, cast):
    bc01 = unit(dossier, "BC01")
    first, second = bc01.criteria.order_by("order")
    kept = save(dossier, bc01, cast.evaluator)

    changed = save(
        dossier,
        bc01,
        cast.evaluator,
        result=NOT_VALIDATED,
        modality=AssessmentModality.INTERVIEW,
        criteria={first.pk: False, second.pk: True},
        comment="Entretien : le premier critère n'est pas démontré.",
    )

    assert changed.pk == kept.pk
    assert UnitAssessment.objects.filter(dossier=dossier).count() == 1
    stored = UnitAssessment.objects.get(dossier=dossier)
    assert (stored.result, stored.modality) == (NOT_VALIDATED, AssessmentModality.INTERVIEW)
    assert stored.comment.startswith("Entretien")
    assert CriterionAssessment.objects.filter(assessment=stored).count() == 2
    assert stored_criteria(dossier, bc01) == {first.pk: False, second.pk: True}
    events = list(dossier.events.filter(action="assess_unit").order_by("id"))
    assert [e.comment for e in events] == [
        f"BC01 — {bc01.title}",
        f"BC01 — {bc01.title} (assessment changed)",
    ]


def test_an_optional_unit_may_be_assessed(dossier, cast):
    save(dossier, unit(dossier, "BC03"), cast.evaluator)

    assert dossier.unit_assessments.get().unit.code == "BC03"


def test_a_unit_without_criteria_is_assessed_with_none(cast, branch, cpnef):
    cqp = make_open_cqp(branch, cast.staff, cpnef, "SANS", criteria=0)
    dossier = bring_to(S.EVALUATION, cast, cqp=cqp)
    bc01 = unit(dossier, "BC01")

    save(dossier, bc01, cast.evaluator, criteria={})

    assert dossier.unit_assessments.get().unit == bc01
    assert not CriterionAssessment.objects.exists()
    other_criterion = cast.cqp.referentiels.get().units.get(code="BC01").criteria.first()
    before = snapshot(dossier)
    with pytest.raises(DomainError, match="each criterion"):
        save(dossier, bc01, cast.evaluator, criteria={other_criterion.pk: True})
    assert snapshot(dossier) == before


@pytest.mark.parametrize("case", ["one_missing", "none", "one_extra", "another_units"])
def test_every_criterion_of_the_unit_and_no_other_is_answered(case, dossier, cast):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")
    first, _second = bc01.criteria.order_by("order")
    criteria = {
        "one_missing": {first.pk: True},
        "none": {},
        "one_extra": {**criteria_of(bc01), bc02.criteria.first().pk: True},
        "another_units": criteria_of(bc02),
    }[case]

    refused(dossier, bc01, cast.evaluator, match="each criterion of the unit", criteria=criteria)


@pytest.mark.parametrize("modality", ["", "telepathy", None])
def test_it_refuses_an_unknown_modality(modality, dossier, cast):
    refused(dossier, unit(dossier, "BC01"), cast.evaluator, match="modality", modality=modality)


@pytest.mark.parametrize("result", ["", "passed", None])
def test_it_refuses_an_unknown_result(result, dossier, cast):
    refused(dossier, unit(dossier, "BC01"), cast.evaluator, match="whether the unit", result=result)


@pytest.mark.parametrize("comment", ["", "  \n"])
def test_a_unit_not_validated_needs_its_reasons(comment, dossier, cast):
    bc01 = unit(dossier, "BC01")

    refused(
        dossier,
        bc01,
        cast.evaluator,
        match="reasons why the unit is not validated",
        result=NOT_VALIDATED,
        criteria=criteria_of(bc01, met=False),
        comment=comment,
    )


@pytest.mark.parametrize("comment", ["", "  \n"])
def test_a_unit_validated_with_a_criterion_unmet_needs_an_explanation(comment, dossier, cast):
    bc01 = unit(dossier, "BC01")
    first, second = bc01.criteria.order_by("order")

    refused(
        dossier,
        bc01,
        cast.evaluator,
        match="validated although some criteria are not met",
        criteria={first.pk: True, second.pk: False},
        comment=comment,
    )


def test_a_unit_may_be_not_validated_although_its_criteria_are_met_with_a_reason(dossier, cast):
    bc01 = unit(dossier, "BC01")

    save(dossier, bc01, cast.evaluator, result=NOT_VALIDATED, comment="Travail non autonome.")

    assert dossier.unit_assessments.get().result == NOT_VALIDATED
    assert set(stored_criteria(dossier, bc01).values()) == {True}


def test_it_refuses_a_date_in_the_future(dossier, cast):
    refused(
        dossier,
        unit(dossier, "BC01"),
        cast.evaluator,
        match="future",
        assessed_on=today() + days(1),
    )


def test_it_refuses_a_date_before_the_dossier_was_opened(dossier, cast):
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(5))
    dossier.refresh_from_db()

    refused(
        dossier,
        unit(dossier, "BC01"),
        cast.evaluator,
        match="before the dossier was opened",
        assessed_on=today() - days(6),
    )


def test_it_refuses_no_date(dossier, cast):
    refused(dossier, unit(dossier, "BC01"), cast.evaluator, match="date", assessed_on=None)


def test_it_refuses_to_assess_a_unit_already_acquired(cast):
    dossier = reopened_holding(cast, S.EVALUATION)

    error = refused(dossier, unit(dossier, "BC01"), cast.evaluator)

    assert str(error) == "BC01 is already acquired: it is not assessed again."
    save(dossier, unit(dossier, "BC02"), cast.evaluator)
    assert list(dossier.unit_assessments.values_list("unit__code", flat=True)) == ["BC02"]


def test_it_refuses_a_unit_of_another_version(dossier, cast):
    draft = catalogue.referentiel_new_version(referentiel=dossier.referentiel, actor=cast.staff)

    refused(dossier, draft.units.get(code="BC01"), cast.evaluator, match="référentiel version")


def test_it_refuses_a_unit_of_another_cqp(dossier, cast, other_cqp):
    foreign = other_cqp.referentiels.get().units.first()

    refused(dossier, foreign, cast.evaluator, match="référentiel version")


@pytest.mark.parametrize(
    "status", [S.POSITIONING, S.VAE, S.TRAINING, S.READY_FOR_JURY, S.IN_JURY, S.WITHDRAWN]
)
def test_it_refuses_assessments_outside_the_evaluation(status, cast):
    dossier = bring_to(status, cast)
    if dossier.evaluator_id is None:  # so that only the status is wrong
        Dossier.objects.filter(pk=dossier.pk).update(evaluator=cast.evaluator)

    refused(dossier, unit(dossier, "BC01"), cast.evaluator, TransitionNotAllowed)


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate"])
def test_only_the_dossiers_evaluator_assesses(who, dossier, cast):
    intruder = {"second_evaluator": cast.second_evaluator, "staff": cast.staff}.get(who, cast.user)

    refused(dossier, unit(dossier, "BC01"), intruder, ActionNotPermitted)


def test_after_a_reassignment_the_new_evaluator_assesses_and_the_former_no_longer(dossier, cast):
    bc01 = unit(dossier, "BC01")
    save(dossier, bc01, cast.evaluator)
    perform("reassign_evaluator", dossier, cast, comment="Indisponible.")

    refused(dossier, unit(dossier, "BC02"), cast.evaluator, ActionNotPermitted)
    save(dossier, bc01, cast.second_evaluator, result=NOT_VALIDATED, comment="Revu.")

    assert dossier.unit_assessments.get().evaluator == cast.second_evaluator


# --- ready for the jury -----------------------------------------------------------------------


def test_ready_is_refused_while_a_required_unit_has_no_assessment(dossier, cast):
    save(dossier, unit(dossier, "BC01"), cast.evaluator)
    before = snapshot(dossier)

    with pytest.raises(DomainError) as refusal:
        services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator)

    assert str(refusal.value) == "Assess every required unit first; missing: BC02."
    assert not isinstance(refusal.value, TransitionNotAllowed)
    assert snapshot(dossier) == before


def test_ready_names_every_required_unit_missing(dossier, cast):
    with pytest.raises(DomainError, match=r"missing: BC01, BC02\.$"):
        services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator)


def test_ready_is_accepted_with_the_optional_unit_unassessed_and_staff_are_told(
    dossier, cast, other_staff, second_staff, django_capture_on_commit_callbacks
):
    save(dossier, unit(dossier, "BC01"), cast.evaluator)
    save(dossier, unit(dossier, "BC02"), cast.evaluator, result=NOT_VALIDATED, comment="À revoir.")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator)

    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY
    event = dossier.events.last()
    assert (event.action, event.from_status, event.actor) == (
        "declare_ready",
        S.EVALUATION,
        cast.evaluator,
    )
    (to_staff,) = [m for m in mail.outbox if cast.staff.email in m.to]
    assert sorted(to_staff.to) == sorted([cast.staff.email, second_staff.email])
    assert other_staff.email not in to_staff.to  # another branch's staff
    assert dossier.reference in to_staff.subject
    assert f"/admin/candidates/dossier/{dossier.pk}/" in to_staff.body
    assert [m for m in mail.outbox if m.to == [cast.user.email]]  # the candidate's step


def test_a_required_unit_already_held_needs_no_assessment(cast):
    dossier = reopened_holding(cast, S.EVALUATION)
    save(dossier, unit(dossier, "BC02"), cast.evaluator)

    services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator)

    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY


def test_assessments_are_read_only_once_ready(dossier, cast):
    bc01 = unit(dossier, "BC01")
    evaluation.assess_all(dossier, cast.evaluator)
    services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator)

    refused(
        dossier,
        bc01,
        cast.evaluator,
        TransitionNotAllowed,
        result=NOT_VALIDATED,
        criteria=criteria_of(bc01, met=False),
        comment="Changement tardif.",
    )
    assert dossier.unit_assessments.get(unit=bc01).result == VALIDATED


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate"])
def test_only_the_dossiers_evaluator_declares_it_ready(who, dossier, cast):
    evaluation.assess_all(dossier, cast.evaluator)
    intruder = {"second_evaluator": cast.second_evaluator, "staff": cast.staff}.get(who, cast.user)
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        services.dossier_declare_ready(dossier=dossier, actor=intruder)

    assert snapshot(dossier) == before


# --- the note to the branch ---------------------------------------------------------------------

NOTE = "Note pour la branche : à l'oral, le candidat a été remarquable."


def note_heading():
    """How the staff e-mail (in the site's language) introduces the evaluator's note."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("The evaluator's note:")


def test_the_ready_note_goes_to_the_branchs_staff_and_not_to_the_candidate(
    dossier, cast, django_capture_on_commit_callbacks
):
    evaluation.assess_all(dossier, cast.evaluator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator, comment=f"  {NOTE}\n")

    (to_staff,) = [m for m in mail.outbox if cast.staff.email in m.to]
    assert f"{note_heading()}\n{NOTE}" in to_staff.body
    to_candidate = [m for m in mail.outbox if m.to == [cast.user.email]]
    assert len(to_candidate) == 1  # told of the step...
    assert NOTE not in to_candidate[0].body and NOTE not in to_candidate[0].subject  # ...not why
    assert dossier.events.get(action="declare_ready").comment == NOTE  # kept on record, trimmed
    assert selectors.dossier_timeline(dossier)[-1].comment == ""
    assert selectors.dossier_timeline(dossier, hide_private=False)[-1].comment == NOTE


def test_without_a_note_the_staff_email_carries_none(
    dossier, cast, django_capture_on_commit_callbacks
):
    evaluation.assess_all(dossier, cast.evaluator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_ready(dossier=dossier, actor=cast.evaluator, comment="  ")

    (to_staff,) = [m for m in mail.outbox if cast.staff.email in m.to]
    assert note_heading() not in to_staff.body
    assert dossier.events.get(action="declare_ready").comment == ""


# --- assessments by an evaluator in conflict ----------------------------------------------------


def conflict_then_reassign(dossier, cast):
    services.dossier_declare_conflict(
        dossier=dossier, reason="Même employeur que le candidat.", actor=cast.evaluator
    )
    perform("reassign_evaluator", dossier, cast, comment="Conflit d'intérêts.")


def test_assessments_by_an_evaluator_in_conflict_must_be_made_again(dossier, cast):
    evaluation.assess_all(dossier, cast.evaluator)  # BC01, BC02 and the optional BC03
    conflict_then_reassign(dossier, cast)
    second = cast.second_evaluator

    assert [u.code for u in services.units_missing_assessment(dossier)] == ["BC01", "BC02"]
    flags = {a.unit.code: a.by_conflicted_evaluator for a in selectors.dossier_assessments(dossier)}
    assert flags == {"BC01": True, "BC02": True, "BC03": True}
    before = snapshot(dossier)
    with pytest.raises(DomainError) as refusal:
        services.dossier_declare_ready(dossier=dossier, actor=second)
    assert str(refusal.value) == "Assess every required unit first; missing: BC01, BC02."
    assert snapshot(dossier) == before

    save(dossier, unit(dossier, "BC01"), second)
    with pytest.raises(DomainError, match=r"missing: BC02\.$"):
        services.dossier_declare_ready(dossier=dossier, actor=second)

    save(dossier, unit(dossier, "BC02"), second, result=NOT_VALIDATED, comment="À revoir.")
    services.dossier_declare_ready(dossier=dossier, actor=second)  # BC03 is optional

    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY
    flags = {a.unit.code: a.by_conflicted_evaluator for a in selectors.dossier_assessments(dossier)}
    assert flags == {"BC01": False, "BC02": False, "BC03": True}
    assert dossier.unit_assessments.get(unit__code="BC01").evaluator == second


def test_assessments_by_an_evaluator_replaced_without_conflict_still_count(dossier, cast):
    """A reassignment alone (the evaluator unavailable) keeps the assessments made."""
    evaluation.assess_all(dossier, cast.evaluator)
    perform("reassign_evaluator", dossier, cast, comment="Indisponible.")

    assert services.units_missing_assessment(dossier) == []
    assert not any(a.by_conflicted_evaluator for a in selectors.dossier_assessments(dossier))
    services.dossier_declare_ready(dossier=dossier, actor=cast.second_evaluator)
    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY
