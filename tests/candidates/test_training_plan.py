"""The training plan: a provider habilitated to train for the CQP over the plan's dates."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from candidates import services
from candidates.models import Dossier, DossierStatus, Funding, TrainingPlan, TrainingPlanUnit
from certifications import services as catalogue
from certifications.models import Habilitation
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from tests import factories
from tests.candidates.test_dossier_lifecycle import (
    bring_to,
    make_cast,
    reopened_holding,
    snapshot,
)

S = DossierStatus
Scope = Habilitation.Scope
START = datetime.timedelta(days=7)  # plans start next week
LENGTH = datetime.timedelta(weeks=12)


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def cast(candidate, staff, evaluator, branch, open_cqp):
    return make_cast(candidate, staff, evaluator, branch, open_cqp)


@pytest.fixture
def dossier(cast):
    """A dossier oriented towards training (units BC01 and BC02), no plan yet."""
    return bring_to(S.TRAINING, cast)


def start():
    return timezone.localdate() + START


def end():
    return start() + LENGTH


def provider(cqp, /, name="Formapro Immobilier", **habilitation):
    """A provider of the CQP's branch, habilitated to train for `cqp` from the plan's start.

    `habilitation` changes the habilitation's fields; with `cqp=None` there is none at all.
    """
    made = factories.ProviderFactory(name=name)
    made.branches.add(cqp.branch)
    fields = {"cqp": cqp, "scope": Scope.TRAIN, "valid_from": start(), **habilitation}
    if fields["cqp"] is not None:
        factories.HabilitationFactory(provider=made, **fields)
    return made


def unit_pk(dossier, code):
    return dossier.referentiel.units.get(code=code).pk


def save(dossier, by, actor, **fields):
    """Save a plan with provider `by`: every unit still to acquire, 35 hours each by default."""
    return services.training_plan_save(
        dossier=dossier,
        provider=by,
        start_date=fields.pop("start_date", start()),
        end_date=fields.pop("end_date", end()),
        funding=fields.pop("funding", Funding.CPF),
        unit_hours=fields.pop("unit_hours", {u.pk: 35 for u in services.units_to_acquire(dossier)}),
        actor=actor,
    )


def refused(dossier, by, actor, error=DomainError, match=None, **fields):
    before = snapshot(dossier)  # the plan, its units, the provider and the due date included
    with pytest.raises(error, match=match) as caught:
        save(dossier, by, actor, **fields)
    assert snapshot(dossier) == before
    return caught.value


def plan_units(dossier):
    return dict(
        TrainingPlanUnit.objects.filter(plan__dossier=dossier).values_list("unit__code", "hours")
    )


# --- recorded ---------------------------------------------------------------------------------


def test_a_plan_with_a_habilitated_provider_is_recorded_and_told_to_the_candidate(
    dossier, cast, django_capture_on_commit_callbacks
):
    formapro = provider(cast.cqp)
    habilitation = formapro.habilitations.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        plan = save(
            dossier,
            formapro,
            cast.evaluator,
            funding=Funding.PRO_A,
            unit_hours={unit_pk(dossier, "BC01"): 70, unit_pk(dossier, "BC02"): 105},
        )

    stored = TrainingPlan.objects.get(dossier=dossier)
    assert stored == plan
    assert (stored.provider, stored.habilitation, stored.recorded_by) == (
        formapro,
        habilitation,
        cast.evaluator,
    )
    assert (stored.start_date, stored.end_date, stored.funding) == (start(), end(), Funding.PRO_A)
    assert plan_units(dossier) == {"BC01": 70, "BC02": 105}
    dossier.refresh_from_db()
    assert dossier.status == S.TRAINING  # the evaluation starts later
    assert dossier.training_provider == formapro
    assert dossier.evaluator_due_on == end()  # the evaluation is due at the end of the training
    event = dossier.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "plan_training",
        S.TRAINING,
        S.TRAINING,
        cast.evaluator,
    )
    assert "Formapro Immobilier" in event.comment and "175 hours" in event.comment
    assert "BC01, BC02" in event.comment
    (told,) = mail.outbox
    assert told.to == [cast.user.email]
    assert "Formapro Immobilier" in told.body


def test_a_habilitation_covering_exactly_the_plans_dates_is_enough(dossier, cast):
    formapro = provider(cast.cqp, valid_from=start(), valid_until=end())

    save(dossier, formapro, cast.evaluator)

    assert TrainingPlan.objects.get(dossier=dossier).provider == formapro


def test_a_habilitation_to_train_and_evaluate_is_enough(dossier, cast):
    formapro = provider(cast.cqp, scope=Scope.TRAIN_AND_EVALUATE)

    save(dossier, formapro, cast.evaluator)

    assert TrainingPlan.objects.get(dossier=dossier).provider == formapro


def test_the_plan_keeps_the_habilitation_valid_over_its_dates(dossier, cast):
    formapro = provider(
        cast.cqp,
        valid_from=start() - datetime.timedelta(days=800),
        valid_until=start() - datetime.timedelta(days=1),
    )
    renewed = factories.HabilitationFactory(
        provider=formapro, cqp=cast.cqp, scope=Scope.TRAIN, valid_from=start()
    )

    save(dossier, formapro, cast.evaluator)

    assert TrainingPlan.objects.get(dossier=dossier).habilitation == renewed


def test_a_plan_may_cover_some_units_only(dossier, cast):
    save(dossier, provider(cast.cqp), cast.evaluator, unit_hours={unit_pk(dossier, "BC02"): 35})

    assert plan_units(dossier) == {"BC02": 35}


def test_a_plan_may_give_a_unit_the_largest_number_of_hours(dossier, cast):
    hours = {unit_pk(dossier, "BC01"): services.MAX_UNIT_HOURS}

    save(dossier, provider(cast.cqp), cast.evaluator, unit_hours=hours)

    assert plan_units(dossier) == {"BC01": services.MAX_UNIT_HOURS}


def test_saving_again_replaces_the_plan_and_its_units(dossier, cast):
    first = provider(cast.cqp, name="Formapro Immobilier")
    second = provider(cast.cqp, name="Institut de l'habitat")
    save(dossier, first, cast.evaluator)
    later_end = end() + datetime.timedelta(weeks=4)

    save(
        dossier,
        second,
        cast.evaluator,
        end_date=later_end,
        unit_hours={unit_pk(dossier, "BC02"): 140},
    )

    plan = TrainingPlan.objects.get(dossier=dossier)
    assert (plan.provider, plan.habilitation, plan.end_date) == (
        second,
        second.habilitations.get(),
        later_end,
    )
    assert plan_units(dossier) == {"BC02": 140}
    assert TrainingPlanUnit.objects.filter(plan__dossier=dossier).count() == 1
    dossier.refresh_from_db()
    assert (dossier.training_provider, dossier.evaluator_due_on) == (second, later_end)
    events = list(dossier.events.filter(action="plan_training").order_by("id"))
    assert len(events) == 2
    assert "Formapro" in events[0].comment and "Institut de l'habitat" in events[1].comment


def test_saving_the_same_units_again_writes_no_duplicate(dossier, cast):
    formapro = provider(cast.cqp)
    save(dossier, formapro, cast.evaluator)

    save(dossier, formapro, cast.evaluator)

    assert plan_units(dossier) == {"BC01": 35, "BC02": 35}
    assert TrainingPlanUnit.objects.filter(plan__dossier=dossier).count() == 2
    assert dossier.events.filter(action="plan_training").count() == 2


# --- the provider's habilitation --------------------------------------------------------------


def habilitation_for(case, cqp, other_cqp):
    return {
        "ends_before_the_plan_ends": {"valid_until": end() - datetime.timedelta(days=1)},
        "starts_after_the_plan_starts": {"valid_from": start() + datetime.timedelta(days=1)},
        "ended_before_the_plan": {
            "valid_from": start() - datetime.timedelta(days=400),
            "valid_until": start() - datetime.timedelta(days=1),
        },
        "for_another_cqp": {"cqp": other_cqp},
        "for_evaluation_only": {"scope": Scope.EVALUATE},
        "none": {"cqp": None},
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "ends_before_the_plan_ends",
        "starts_after_the_plan_starts",
        "ended_before_the_plan",
        "for_another_cqp",
        "for_evaluation_only",
        "none",
    ],
)
def test_it_refuses_a_provider_without_a_habilitation_to_train_over_the_plan(
    case, dossier, cast, branch
):
    sibling = factories.cqp_with_referentiel(branch=branch, code="GL", title="Gestionnaire")
    unfit = provider(cast.cqp, **habilitation_for(case, cast.cqp, sibling))

    error = refused(dossier, unfit, cast.evaluator)

    assert str(error) == (
        f"Formapro Immobilier holds no habilitation to train for this CQP valid over the whole "
        f"training, from {date_format(start(), 'SHORT_DATE_FORMAT')} to "
        f"{date_format(end(), 'SHORT_DATE_FORMAT')}."
    )
    assert not TrainingPlan.objects.exists()


def test_it_refuses_a_habilitation_for_the_same_code_in_another_branch(dossier, cast, other_branch):
    namesake = factories.cqp_with_referentiel(branch=other_branch, code=cast.cqp.code)
    unfit = provider(cast.cqp, cqp=namesake)

    refused(dossier, unfit, cast.evaluator, match="holds no habilitation")


def test_a_habilitation_ended_by_staff_refuses_the_next_plan(dossier, cast):
    formapro = provider(cast.cqp)
    habilitation = formapro.habilitations.get()
    Habilitation.objects.filter(pk=habilitation.pk).update(valid_until=start())

    refused(dossier, formapro, cast.evaluator, match="holds no habilitation")


# --- shape of the plan ------------------------------------------------------------------------


def test_it_refuses_a_plan_ending_before_it_starts(dossier, cast):
    refused(
        dossier,
        provider(cast.cqp),
        cast.evaluator,
        match="cannot end before it starts",
        end_date=start() - datetime.timedelta(days=1),
    )


def test_a_plan_may_last_one_day(dossier, cast):
    save(dossier, provider(cast.cqp), cast.evaluator, end_date=start())

    plan = TrainingPlan.objects.get(dossier=dossier)
    assert plan.start_date == plan.end_date == start()


def test_a_plan_may_last_the_longest_training(dossier, cast):
    longest = services.years_later(start(), services.MAX_TRAINING_YEARS)

    save(dossier, provider(cast.cqp), cast.evaluator, end_date=longest)

    dossier.refresh_from_db()
    assert TrainingPlan.objects.get(dossier=dossier).end_date == longest
    assert dossier.evaluator_due_on == longest  # the evaluation is due once the training ends


def test_it_refuses_a_plan_longer_than_the_longest_training(dossier, cast):
    longest = services.years_later(start(), services.MAX_TRAINING_YEARS)
    error = refused(
        dossier,
        provider(cast.cqp),
        cast.evaluator,
        end_date=longest + datetime.timedelta(days=1),
    )
    assert str(error) == f"A training plan lasts {services.MAX_TRAINING_YEARS} years at most."


@pytest.mark.parametrize("missing", ["start_date", "end_date"])
def test_it_refuses_a_plan_without_its_dates(missing, dossier, cast):
    refused(
        dossier, provider(cast.cqp), cast.evaluator, match="start and end dates", **{missing: None}
    )


def test_it_refuses_a_plan_without_a_provider(dossier, cast):
    refused(dossier, None, cast.evaluator, match="Choose a training provider")


@pytest.mark.parametrize("funding", ["", "loan"])
def test_it_refuses_an_unknown_funding(funding, dossier, cast):
    refused(dossier, provider(cast.cqp), cast.evaluator, match="funded", funding=funding)


def test_it_refuses_a_plan_covering_no_unit(dossier, cast):
    refused(dossier, provider(cast.cqp), cast.evaluator, match="at least one unit", unit_hours={})


@pytest.mark.parametrize("hours", [0, None, -5, services.MAX_UNIT_HOURS + 1])
def test_it_refuses_hours_out_of_bounds(hours, dossier, cast):
    unit_hours = {unit_pk(dossier, "BC01"): 35, unit_pk(dossier, "BC02"): hours}

    refused(
        dossier,
        provider(cast.cqp),
        cast.evaluator,
        match=f"hours for BC02 must be between 1 and {services.MAX_UNIT_HOURS}",
        unit_hours=unit_hours,
    )


def test_it_refuses_a_unit_of_another_version(dossier, cast):
    draft = catalogue.referentiel_new_version(referentiel=dossier.referentiel, actor=cast.staff)

    refused(
        dossier,
        provider(cast.cqp),
        cast.evaluator,
        match="only units of the dossier's version still to acquire",
        unit_hours={draft.units.get(code="BC01").pk: 35},
    )


def test_it_refuses_a_unit_already_acquired(cast):
    dossier = reopened_holding(cast, S.TRAINING)
    formapro = provider(cast.cqp)

    refused(
        dossier,
        formapro,
        cast.evaluator,
        match="only units of the dossier's version still to acquire",
        unit_hours={unit_pk(dossier, "BC01"): 35, unit_pk(dossier, "BC02"): 35},
    )
    save(dossier, formapro, cast.evaluator, unit_hours={unit_pk(dossier, "BC02"): 35})
    assert plan_units(dossier) == {"BC02": 35}


# --- who, and when ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate", "superuser"])
def test_only_the_dossiers_evaluator_records_the_plan(who, dossier, cast, superuser):
    intruder = {
        "second_evaluator": cast.second_evaluator,
        "staff": cast.staff,
        "candidate": cast.user,
        "superuser": superuser,
    }[who]

    refused(dossier, provider(cast.cqp), intruder, ActionNotPermitted)


@pytest.mark.parametrize(
    "status", [S.ADMISSIBLE, S.POSITIONING, S.VAE, S.EVALUATION, S.READY_FOR_JURY, S.WITHDRAWN]
)
def test_it_refuses_a_plan_outside_the_training_pathway(status, cast):
    dossier = bring_to(status, cast)
    if dossier.evaluator_id is None:  # so that only the status is wrong
        Dossier.objects.filter(pk=dossier.pk).update(evaluator=cast.evaluator)

    refused(dossier, provider(cast.cqp), cast.evaluator, TransitionNotAllowed)
