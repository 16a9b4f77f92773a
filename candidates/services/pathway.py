"""The evaluator's positioning and the pathway it opens: VAE (R335-7) or a training plan."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certifications.models import Cqp, Habilitation, TrainingProvider
from cqp.errors import DomainError

from ..models import (
    Candidate,
    Dossier,
    DossierDocument,
    Funding,
    Pathway,
    PositioningAssessment,
    PositioningResult,
    PositioningUnit,
    TrainingPlan,
    TrainingPlanUnit,
)
from ._common import S, _require_evaluator, _step
from ._evaluator import check_assessed_on, still_evaluator
from .dossiers import POSITIONING_DELAY

VAE_CERTIFICATIONS_PER_YEAR = 3  # R335-7: at most three different certifications a year
MAX_UNIT_HOURS = 2000  # more than a year of full-time training for one unit is a typo
VAE_ELIGIBILITY_YEARS = 3  # the usual validity of an eligibility, offered by default
MAX_ELIGIBILITY_YEARS = 5  # beyond, a typo or a decision the branch never takes
MAX_TRAINING_YEARS = 4  # a contrat de professionnalisation lasts 36 months at most


def years_later(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (28 February for a 29 February landing in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class UnitPositioning:
    """What the positioning says of one unit."""

    unit_id: int
    result: str
    comment: str = ""
    estimated_hours: int | None = None


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


def units_to_acquire(dossier: Dossier):
    """The units of the dossier's version the candidate does not hold yet, in order."""
    return dossier.referentiel.units.exclude(
        pk__in=dossier.carried_over.values("unit_id")
    ).order_by("order", "id")


def _check_positioning_units(
    dossier: Dossier, recommendation: str, units: Sequence[UnitPositioning]
) -> list[UnitPositioning]:
    """Every required unit still to acquire positioned once, with hours for a training."""
    to_acquire = {unit.pk: unit for unit in units_to_acquire(dossier)}
    seen = set()
    for entry in units:
        unit = to_acquire.get(entry.unit_id)
        if unit is None:
            raise DomainError(
                _("Only the units of the dossier's version still to acquire are positioned.")
            )
        if entry.unit_id in seen:
            raise DomainError(_("Each unit is positioned once."))
        seen.add(entry.unit_id)
        if entry.result not in PositioningResult.values:
            raise DomainError(_("Unknown positioning result for %s.") % unit.code)
        hours = entry.estimated_hours
        needs_hours = (
            recommendation == Pathway.TRAINING and entry.result != PositioningResult.ACQUIRED
        )
        if needs_hours and not hours:
            raise DomainError(
                _("Estimate the training hours for %s, which is not acquired yet.") % unit.code
            )
        if hours is not None and not 0 <= hours <= MAX_UNIT_HOURS:
            raise DomainError(
                _("The hours for %(unit)s must be between 0 and %(max)d.")
                % {"unit": unit.code, "max": MAX_UNIT_HOURS}
            )
    missing = [u.code for pk, u in to_acquire.items() if not u.is_optional and pk not in seen]
    if missing:
        raise DomainError(_("Position every required unit: %s.") % ", ".join(missing))
    # Hours are a training estimate: a VAE carries none.
    keep_hours = recommendation == Pathway.TRAINING
    return [
        UnitPositioning(
            e.unit_id,
            e.result,
            (e.comment or "").strip(),
            (e.estimated_hours or None) if keep_hours else None,
        )
        for e in units
    ]


def positioning_record(
    *,
    dossier: Dossier,
    assessed_on: datetime.date,
    recommendation: str,
    justification: str,
    units: Sequence[UnitPositioning],
    eligibility_valid_until: datetime.date | None = None,
    actor,
) -> PositioningAssessment:
    """Record the positioning (bilan) and take the pathway it recommends.

    VAE: the positioning is the eligibility (recevabilité), dated `assessed_on` and valid until
    `eligibility_valid_until`, within the R335-7 yearly limits. Training: each unit not acquired
    carries its estimated hours; the training plan comes next.
    """
    _require_evaluator(actor, dossier)
    check_assessed_on(dossier, assessed_on)
    justification = (justification or "").strip()
    if recommendation not in Pathway.values:
        raise DomainError(_("Recommend the VAE or a training."))
    if not justification:
        raise DomainError(_("Justify the recommendation."))
    if recommendation == Pathway.VAE:
        if eligibility_valid_until is None:
            raise DomainError(_("Give the end of validity of the VAE eligibility."))
        if eligibility_valid_until <= assessed_on:
            raise DomainError(_("The VAE eligibility must stay valid after its date."))
        if eligibility_valid_until < timezone.localdate():
            raise DomainError(_("This VAE eligibility would already have expired."))
        if eligibility_valid_until > years_later(assessed_on, MAX_ELIGIBILITY_YEARS):
            raise DomainError(
                _("A VAE eligibility is valid for %d years at most.") % MAX_ELIGIBILITY_YEARS
            )
    else:
        eligibility_valid_until = None
    units = _check_positioning_units(dossier, recommendation, units)
    with transaction.atomic():
        if recommendation == Pathway.VAE:
            # The eligibility request is the positioning: it counts in the year of its date.
            requested_on = assessed_on

            def within_quota(locked: Dossier) -> None:
                # Lock the candidate: two evaluators choosing VAE at once on two dossiers of
                # the same candidate are counted one after the other (R335-7's yearly limits).
                Candidate.objects.select_for_update().get(pk=locked.candidate_id)
                problem = vae_quota_problem(
                    locked.candidate, locked.cqp, requested_on, exclude=locked
                )
                if problem:
                    raise DomainError(problem)

            moved = _step(
                dossier,
                "choose_vae",
                actor=actor,
                comment=justification,
                guard=still_evaluator(actor, within_quota),
                changes={
                    "pathway": Pathway.VAE,
                    "vae_requested_on": requested_on,
                    "evaluator_due_on": eligibility_valid_until,
                },
            )
        else:
            moved = _step(
                dossier,
                "choose_training",
                actor=actor,
                comment=justification,
                guard=still_evaluator(actor),
                # The training plan is what the evaluator owes next.
                changes={
                    "pathway": Pathway.TRAINING,
                    "evaluator_due_on": timezone.localdate() + POSITIONING_DELAY,
                },
            )
        try:
            with transaction.atomic():
                positioning = PositioningAssessment.objects.create(
                    dossier=moved,
                    evaluator=actor,
                    assessed_on=assessed_on,
                    recommendation=recommendation,
                    justification=justification,
                    eligibility_valid_until=eligibility_valid_until,
                )
        except IntegrityError:  # the lifecycle already forbids it; never a 500 if it slips
            raise DomainError(_("The positioning of this dossier is already recorded.")) from None
        PositioningUnit.objects.bulk_create(
            [
                PositioningUnit(
                    positioning=positioning,
                    unit_id=entry.unit_id,
                    result=entry.result,
                    comment=entry.comment,
                    estimated_hours=entry.estimated_hours,
                )
                for entry in units
            ]
        )
    return positioning


def training_habilitation(
    provider: TrainingProvider, cqp: Cqp, start: datetime.date, end: datetime.date
) -> Habilitation | None:
    """The provider's habilitation to train for `cqp` valid on every day of the plan, if any."""
    return (
        Habilitation.objects.valid_over(start, end)
        .filter(
            provider=provider,
            cqp=cqp,
            scope__in=[Habilitation.Scope.TRAIN, Habilitation.Scope.TRAIN_AND_EVALUATE],
        )
        .order_by("-valid_from")
        .first()
    )


def training_plan_save(
    *,
    dossier: Dossier,
    provider: TrainingProvider,
    start_date: datetime.date,
    end_date: datetime.date,
    funding: str,
    unit_hours: Mapping[int, int],
    actor,
) -> TrainingPlan:
    """Record or change the training plan: a provider habilitated for the CQP over its dates.

    `unit_hours` maps each unit covered (still to acquire) to its hours.
    """
    _require_evaluator(actor, dossier)
    if provider is None:
        raise DomainError(_("Choose a training provider."))
    if start_date is None or end_date is None:
        raise DomainError(_("Give the start and end dates of the training."))
    if end_date < start_date:
        raise DomainError(_("The training cannot end before it starts."))
    if end_date > years_later(start_date, MAX_TRAINING_YEARS):
        raise DomainError(_("A training plan lasts %d years at most.") % MAX_TRAINING_YEARS)
    if funding not in Funding.values:
        raise DomainError(_("Choose how the training is funded."))
    to_acquire = {unit.pk: unit for unit in units_to_acquire(dossier)}
    if not unit_hours:
        raise DomainError(_("The training covers at least one unit."))
    for unit_id, hours in unit_hours.items():
        unit = to_acquire.get(unit_id)
        if unit is None:
            raise DomainError(
                _("The training covers only units of the dossier's version still to acquire.")
            )
        if not hours or not 0 < hours <= MAX_UNIT_HOURS:
            raise DomainError(
                _("The hours for %(unit)s must be between 1 and %(max)d.")
                % {"unit": unit.code, "max": MAX_UNIT_HOURS}
            )
    habilitation = training_habilitation(provider, dossier.cqp, start_date, end_date)
    if habilitation is None:
        raise DomainError(
            _(
                "%(provider)s holds no habilitation to train for this CQP valid over the whole "
                "training, from %(start)s to %(end)s."
            )
            % {
                "provider": provider.name,
                "start": date_format(start_date, "SHORT_DATE_FORMAT"),
                "end": date_format(end_date, "SHORT_DATE_FORMAT"),
            }
        )
    codes = ", ".join(
        to_acquire[uid].code for uid in sorted(unit_hours, key=list(to_acquire).index)
    )
    comment = _("%(provider)s, from %(start)s to %(end)s, %(hours)d hours (%(units)s).") % {
        "provider": provider.name,
        "start": date_format(start_date, "SHORT_DATE_FORMAT"),
        "end": date_format(end_date, "SHORT_DATE_FORMAT"),
        "hours": sum(unit_hours.values()),
        "units": codes,
    }
    with transaction.atomic():
        moved = _step(
            dossier,
            "plan_training",
            actor=actor,
            comment=comment,
            guard=still_evaluator(actor),
            changes={"training_provider": provider, "evaluator_due_on": end_date},
        )
        plan, _created = TrainingPlan.objects.update_or_create(
            dossier=moved,
            defaults={
                "provider": provider,
                "habilitation": habilitation,
                "start_date": start_date,
                "end_date": end_date,
                "funding": funding,
                "recorded_by": actor,
            },
        )
        plan.units.all().delete()
        TrainingPlanUnit.objects.bulk_create(
            [TrainingPlanUnit(plan=plan, unit_id=uid, hours=h) for uid, h in unit_hours.items()]
        )
    return plan


def evaluation_start_problems(dossier: Dossier) -> list[str]:
    """What stops the evaluation from starting: VAE eligibility and booklet, or training plan."""
    problems = []
    if dossier.status == S.VAE:
        positioning = PositioningAssessment.objects.filter(dossier=dossier).first()
        if positioning is None or not positioning.eligibility_is_valid_on(timezone.localdate()):
            problems.append(_("The VAE eligibility is no longer valid."))
        if not dossier.documents.filter(kind=DossierDocument.Kind.VAE_BOOKLET).exists():
            problems.append(_("The candidate has not added their VAE booklet yet."))
    elif dossier.status == S.TRAINING and not TrainingPlan.objects.filter(dossier=dossier).exists():
        problems.append(_("Record the training plan first."))
    return problems


def _ready_to_evaluate(locked: Dossier) -> None:
    problems = evaluation_start_problems(locked)
    if problems:
        raise DomainError(" ".join(problems))


def dossier_start_evaluation(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The evaluator starts assessing the units (after the booklet, or along the training)."""
    _require_evaluator(actor, dossier)
    return _step(
        dossier,
        "start_evaluation",
        actor=actor,
        comment=comment,
        guard=still_evaluator(actor, _ready_to_evaluate),
    )
