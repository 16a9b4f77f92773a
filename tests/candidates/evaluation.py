"""Drive a dossier through the evaluator's steps with the real services (shared by tests).

Each helper takes the dossier as it stands and does one step the way an evaluator would:
positioning, booklet (by the candidate), training plan, start, assessments, ready.
"""

import datetime

from django.utils import timezone

from candidates import services
from candidates.models import DossierDocument, Pathway, PositioningResult, UnitAssessmentResult
from certifications.models import Habilitation
from tests import factories
from tests.candidates.conftest import pdf


def position(dossier, evaluator, pathway=Pathway.VAE, *, justification="Expérience solide."):
    """Record a positioning recommending `pathway`: every unit still to acquire "partly"."""
    today = timezone.localdate()
    units = [
        services.UnitPositioning(
            unit_id=unit.pk,
            result=PositioningResult.PARTLY,
            comment="",
            estimated_hours=35 if pathway == Pathway.TRAINING else None,
        )
        for unit in services.units_to_acquire(dossier)
    ]
    return services.positioning_record(
        dossier=dossier,
        assessed_on=today,
        recommendation=pathway,
        justification=justification,
        units=units,
        eligibility_valid_until=today + datetime.timedelta(days=3 * 365)
        if pathway == Pathway.VAE
        else None,
        actor=evaluator,
    )


def habilitated_provider(cqp, **provider_fields):
    """A provider holding a habilitation to train for `cqp`, valid from last month, open-ended."""
    provider = factories.ProviderFactory(**provider_fields)
    provider.branches.add(cqp.branch)
    factories.HabilitationFactory(provider=provider, cqp=cqp, scope=Habilitation.Scope.TRAIN)
    return provider


def plan_training(dossier, evaluator, provider=None, *, weeks=12):
    """Record a training plan over every unit still to acquire, starting today."""
    provider = provider or habilitated_provider(dossier.cqp)
    start = timezone.localdate()
    return services.training_plan_save(
        dossier=dossier,
        provider=provider,
        start_date=start,
        end_date=start + datetime.timedelta(weeks=weeks),
        funding=dossier.funding,
        unit_hours={unit.pk: 35 for unit in services.units_to_acquire(dossier)},
        actor=evaluator,
    )


def add_booklet(dossier):
    """The candidate adds their VAE booklet (during the VAE pathway)."""
    return services.document_upload(
        dossier=dossier,
        kind=DossierDocument.Kind.VAE_BOOKLET,
        upload=pdf("livret-2.pdf"),
        actor=dossier.candidate.user,
    )


def assess(dossier, evaluator, unit, result=UnitAssessmentResult.VALIDATED, **fields):
    """Assess one unit: every criterion met when validated, none otherwise."""
    met = result == UnitAssessmentResult.VALIDATED
    criteria = dict.fromkeys(unit.criteria.values_list("pk", flat=True), met)
    return services.unit_assessment_save(
        dossier=dossier,
        unit=unit,
        assessed_on=fields.pop("assessed_on", timezone.localdate()),
        modality=fields.pop("modality", "interview"),
        result=result,
        criteria=fields.pop("criteria", criteria),
        comment=fields.pop("comment", "" if met else "Critères non atteints."),
        actor=evaluator,
    )


def assess_all(dossier, evaluator, result=UnitAssessmentResult.VALIDATED):
    return [assess(dossier, evaluator, unit, result) for unit in services.units_to_acquire(dossier)]


def to_evaluation(dossier, evaluator, pathway=Pathway.VAE):
    """From positioning to evaluation along `pathway` (booklet or training plan on the way)."""
    position(dossier, evaluator, pathway)
    if pathway == Pathway.VAE:
        add_booklet(dossier)
    else:
        plan_training(dossier, evaluator)
    return services.dossier_start_evaluation(dossier=dossier, actor=evaluator)


def to_ready(dossier, evaluator, pathway=Pathway.VAE):
    """From positioning to ready for the jury, every unit still to acquire validated."""
    to_evaluation(dossier, evaluator, pathway)
    assess_all(dossier, evaluator)
    return services.dossier_declare_ready(dossier=dossier, actor=evaluator)
