"""seed_demo: real branches, CQPs, candidates in every state; a second run changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from candidates import services
from candidates.demo import CANDIDATES
from candidates.lifecycles import WITH_EVALUATOR
from candidates.models import (
    AcquiredUnit,
    ConflictOfInterest,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Pathway,
    PositioningAssessment,
    TrainingPlan,
    UnitAssessment,
    UnitAssessmentResult,
)
from candidates.selectors import filter_assigned_dossiers
from certifications.models import (
    Branch,
    Cqp,
    CqpEvent,
    EvaluatorAccreditation,
    Habilitation,
    Referentiel,
    TrainingProvider,
)
from cqp.models import OutgoingEmail, User
from cqp.validators import siret_is_valid

S = DossierStatus
COUNTED = (
    User,
    Branch,
    Cqp,
    CqpEvent,
    Referentiel,
    TrainingProvider,
    Habilitation,
    EvaluatorAccreditation,
    Dossier,
    DossierEvent,
    DossierDocument,
    PositioningAssessment,
    TrainingPlan,
    UnitAssessment,
    ConflictOfInterest,
    AcquiredUnit,
)


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_complete_and_idempotent(seeded):
    counts = {model: model.objects.count() for model in COUNTED}

    call_command("seed_demo", stdout=StringIO())

    assert {model: model.objects.count() for model in COUNTED} == counts
    assert set(Branch.objects.values_list("slug", flat=True)) >= {
        "immobilier",
        "cdna",
        "veterinaires",
    }
    assert Cqp.objects.open_to_candidates().filter(code="NI").exists()
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == {spec.target for spec in CANDIDATES}
    assert AcquiredUnit.objects.exists()
    assert "staff.immo@demo.cqp.fr" in seeded and "candidat.vae@demo.cqp.fr" in seeded
    assert "evaluateur@demo.cqp.fr" in seeded and "evaluateur2@demo.cqp.fr" in seeded
    # The demo's e-mails are recorded as sent, not left for the sweep to send for real.
    assert OutgoingEmail.objects.exists()
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_demo_evaluator_has_dossiers_in_every_state_of_their_work(seeded):
    evaluator = User.objects.get(email="evaluateur@demo.cqp.fr")
    dossiers = list(Dossier.objects.filter(evaluator=evaluator))
    states = {dossier.status for dossier in dossiers}
    assert states >= {S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION, S.READY_FOR_JURY}
    assert sum(dossier.status == S.POSITIONING for dossier in dossiers) >= 2
    # Several due dates: one overdue (a training over, its evaluation not started), one soon.
    assert filter_assigned_dossiers(evaluator, due="overdue").exists()
    assert filter_assigned_dossiers(evaluator, due="week").exists()

    for dossier in dossiers:
        if dossier.status == S.POSITIONING:
            assert not PositioningAssessment.objects.filter(dossier=dossier).exists()
            continue
        positioning = PositioningAssessment.objects.get(dossier=dossier)
        assert positioning.evaluator == evaluator
        assert positioning.recommendation == dossier.pathway
        if dossier.pathway == Pathway.VAE:
            assert positioning.eligibility_valid_until > positioning.assessed_on
        else:
            plan = TrainingPlan.objects.get(dossier=dossier)
            assert plan.start_date < plan.end_date and plan.units.exists()
            assert Habilitation.objects.filter(provider=plan.provider, cqp=dossier.cqp).exists()

    booklets = {
        dossier.documents.filter(kind=DossierDocument.Kind.VAE_BOOKLET).exists()
        for dossier in dossiers
        if dossier.status == S.VAE
    }
    assert booklets == {True, False}  # one booklet added, one awaited


@pytest.mark.django_db
def test_assessments_cover_the_units_once_ready_and_part_of_them_in_evaluation(seeded):
    evaluation = Dossier.objects.get(status=S.EVALUATION)
    assessed = evaluation.unit_assessments.count()
    assert 0 < assessed < services.units_to_acquire(evaluation).count()
    assert evaluation.unit_assessments.filter(result=UnitAssessmentResult.NOT_VALIDATED).exists()

    past_evaluation = Dossier.objects.filter(
        status__in=[S.READY_FOR_JURY, S.PARTIALLY_VALIDATED, S.CERTIFIED]
    )
    assert past_evaluation.count() == 3
    for dossier in past_evaluation:
        assert services.units_missing_assessment(dossier) == []
        assert set(dossier.unit_assessments.values_list("unit_id", flat=True)) == set(
            services.units_to_acquire(dossier).values_list("pk", flat=True)
        )
    # A unit not validated carries its reasons; the modalities vary.
    refused = UnitAssessment.objects.filter(result=UnitAssessmentResult.NOT_VALIDATED)
    assert refused.exists() and not refused.filter(comment="").exists()
    assert UnitAssessment.objects.values("modality").distinct().count() >= 4
    # The jury's decision follows the assessments.
    partial = Dossier.objects.get(status=S.PARTIALLY_VALIDATED)
    assert set(AcquiredUnit.objects.filter(dossier=partial).values_list("unit_id", flat=True)) == (
        set(
            partial.unit_assessments.filter(result=UnitAssessmentResult.VALIDATED).values_list(
                "unit_id", flat=True
            )
        )
    )


@pytest.mark.django_db
def test_a_dossier_awaits_another_evaluator_after_a_conflict_of_interest(seeded):
    second = User.objects.get(email="evaluateur2@demo.cqp.fr")
    assert second.check_password("demo-cqp-2026")
    assert EvaluatorAccreditation.objects.filter(user=second, branch__slug="immobilier").exists()

    awaiting = Dossier.objects.get(status__in=WITH_EVALUATOR, evaluator__isnull=True)
    conflict = ConflictOfInterest.objects.get(dossier=awaiting)
    assert conflict.person == second and conflict.reason
    assert awaiting.events.filter(action="declare_conflict").exists()


@pytest.mark.django_db
def test_the_demo_providers_have_valid_sirets(seeded):
    assert TrainingProvider.objects.exists()
    assert all(
        siret_is_valid(siret) for siret in TrainingProvider.objects.values_list("siret", flat=True)
    )
