"""The dossier's whole path through the services, from opening to the jury's decision."""

import pytest
from django.core import mail
from django.utils import timezone

from candidates import services
from candidates.models import (
    AcquiredUnit,
    DossierDocument,
    DossierStatus,
    Pathway,
    TrainingPlan,
    UnitAssessmentResult,
)
from tests.candidates import evaluation
from tests.candidates.conftest import pdf
from tests.candidates.test_evaluator_space import admissible_dossier

S = DossierStatus


def test_a_dossier_goes_from_opening_to_a_partial_validation_and_a_new_attempt(
    candidate, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    user = candidate.user
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_open(
            candidate=candidate, cqp=open_cqp, funding="cpf", actor=user
        )
        assert dossier.status == S.DRAFT and dossier.reference.startswith(
            f"{timezone.localdate():%Y}-"
        )
        services.document_upload(
            dossier=dossier, kind=DossierDocument.Kind.IDENTITY, upload=pdf(), actor=user
        )
        services.dossier_submit(dossier=dossier, actor=user)
        services.dossier_declare_incomplete(dossier=dossier, actor=staff, comment="CV manquant.")
        services.document_upload(dossier=dossier, kind="cv", upload=pdf("cv.pdf"), actor=user)
        services.dossier_resubmit(dossier=dossier, actor=user)
        services.dossier_declare_complete(dossier=dossier, actor=staff)
        services.dossier_declare_admissible(dossier=dossier, actor=staff)
        services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
        evaluation.position(dossier, evaluator, Pathway.VAE)
        evaluation.add_booklet(dossier)
        services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
        first_unit, second_unit = services.units_to_acquire(dossier)
        evaluation.assess(dossier, evaluator, first_unit)
        evaluation.assess(dossier, evaluator, second_unit, UnitAssessmentResult.NOT_VALIDATED)
        services.dossier_declare_ready(dossier=dossier, actor=evaluator)
        services.dossier_put_on_agenda(dossier=dossier, actor=None)
        services.dossier_record_decision(
            dossier=dossier,
            outcome=S.PARTIALLY_VALIDATED,
            validated_units=[first_unit],
            decided_on=timezone.localdate(),
            actor=None,
            comment="Bloc 2 à retravailler.",
        )
    dossier.refresh_from_db()
    assert dossier.status == S.PARTIALLY_VALIDATED
    assert list(
        AcquiredUnit.objects.filter(candidate=candidate).values_list("unit", flat=True)
    ) == [first_unit.pk]
    assert not dossier.documents.filter(kind=DossierDocument.Kind.IDENTITY).exists()
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions[0] == "open" and actions[-1] == "erase_identity"
    assert actions[actions.index("choose_vae") : actions.index("declare_ready") + 1] == [
        "choose_vae",
        "add_piece",  # the booklet, by the candidate
        "start_evaluation",
        "assess_unit",
        "assess_unit",
        "declare_ready",
    ]
    assert "validate_partially" in actions
    assert any(user.email in m.to for m in mail.outbox)
    assert any(staff.email in m.to for m in mail.outbox)

    again = services.dossier_open(candidate=candidate, cqp=open_cqp, funding="cpf", actor=user)
    assert again.previous == dossier
    assert list(again.carried_over.values_list("unit", flat=True)) == [first_unit.pk]


def test_a_dossier_goes_through_the_training_pathway_to_the_jury(
    candidate, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    provider = evaluation.habilitated_provider(open_cqp, name="Formapro Immobilier")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        evaluation.position(dossier, evaluator, Pathway.TRAINING)
        plan = evaluation.plan_training(dossier, evaluator, provider)
        services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
        evaluation.assess_all(dossier, evaluator)
        services.dossier_declare_ready(dossier=dossier, actor=evaluator)

    dossier.refresh_from_db()
    assert (dossier.status, dossier.pathway) == (S.READY_FOR_JURY, Pathway.TRAINING)
    assert dossier.training_provider == provider and dossier.evaluator_due_on == plan.end_date
    assert TrainingPlan.objects.get(dossier=dossier) == plan
    assert dossier.unit_assessments.count() == 2
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions[actions.index("assign_evaluator") + 1 :] == [
        "choose_training",
        "plan_training",
        "start_evaluation",
        "assess_unit",
        "assess_unit",
        "declare_ready",
    ]
    to_candidate = [m for m in mail.outbox if m.to == [candidate.user.email]]
    # Positioning, plan, start and readiness; each unit's assessment is not sent.
    assert len(to_candidate) == 4
    assert any("Formapro Immobilier" in m.body for m in to_candidate)
    assert any(m.to == [staff.email] and dossier.reference in m.subject for m in mail.outbox)


def test_a_second_open_dossier_on_the_same_cqp_is_refused(candidate, open_cqp):
    services.dossier_open(candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user)
    with pytest.raises(services.DomainError):
        services.dossier_open(
            candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
        )


def test_an_identity_change_after_submission_is_written_in_the_timeline(candidate, open_cqp):
    user = candidate.user
    dossier = services.dossier_open(candidate=candidate, cqp=open_cqp, funding="cpf", actor=user)
    services.candidate_update_profile(candidate=candidate, actor=user, birth_place="Lyon 3e")
    assert not dossier.events.filter(action="update_identity").exists()  # still a draft

    services.document_upload(dossier=dossier, kind="identity", upload=pdf(), actor=user)
    services.dossier_submit(dossier=dossier, actor=user)
    services.candidate_update_profile(
        candidate=candidate, actor=user, last_name="Martin-Durand", phone="0600000000"
    )

    event = dossier.events.get(action="update_identity")
    assert event.actor == user and event.from_status == event.to_status == S.SUBMITTED
    assert "Martin-Durand" in event.comment and "0600000000" not in event.comment
