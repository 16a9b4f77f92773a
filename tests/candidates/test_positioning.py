"""The evaluator's positioning (bilan): what it records, the pathway it opens, what it refuses.

The R335-7 yearly limits on VAE requests are in test_quota_and_carry_over.py.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from candidates import selectors, services
from candidates.models import (
    Dossier,
    DossierStatus,
    Pathway,
    PositioningAssessment,
    PositioningResult,
)
from certifications import services as catalogue
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from tests.candidates.test_dossier_lifecycle import (
    bring_to,
    make_cast,
    make_open_cqp,
    reopened_holding,
    snapshot,
)

S = DossierStatus
R = PositioningResult
UP = services.UnitPositioning
JUSTIFICATION = "Six ans de transactions en agence : expérience couvrant le référentiel."


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
    """A dossier waiting for its positioning (units BC01 and BC02, both required)."""
    return bring_to(S.POSITIONING, cast)


def today():
    return timezone.localdate()


def days(n):
    return datetime.timedelta(days=n)


def unit(dossier, code):
    return dossier.referentiel.units.get(code=code)


def lines(dossier, result=R.PARTLY, hours=None):
    """One line per unit still to acquire, all with `result` and `hours`."""
    return [UP(u.pk, result, "", hours) for u in services.units_to_acquire(dossier)]


def record(dossier, actor, **fields):
    """Record a positioning; VAE for three years by default, every unit "partly"."""
    recommendation = fields.pop("recommendation", Pathway.VAE)
    assessed_on = fields.pop("assessed_on", today())
    return services.positioning_record(
        dossier=dossier,
        assessed_on=assessed_on,
        recommendation=recommendation,
        justification=fields.pop("justification", JUSTIFICATION),
        units=fields.pop("units", None) or lines(dossier),
        eligibility_valid_until=fields.pop(
            "eligibility_valid_until",
            assessed_on + days(3 * 365) if recommendation == Pathway.VAE else None,
        ),
        actor=actor,
        **fields,
    )


def to_candidate(cast):
    return [m for m in mail.outbox if m.to == [cast.user.email]]


# --- what it records --------------------------------------------------------------------------


def test_a_vae_positioning_takes_the_vae_pathway_and_tells_the_candidate(
    dossier, cast, django_capture_on_commit_callbacks
):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")
    valid_until = today() + days(365)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        positioning = record(
            dossier,
            cast.evaluator,
            units=[
                UP(bc01.pk, R.ACQUIRED, " Pratique quotidienne. ", 20),  # hours: VAE has none
                UP(bc02.pk, R.PARTLY, "À étayer dans le livret."),
            ],
            eligibility_valid_until=valid_until,
        )

    dossier.refresh_from_db()
    assert (dossier.status, dossier.pathway) == (S.VAE, Pathway.VAE)
    assert dossier.vae_requested_on == today()
    assert dossier.evaluator_due_on == valid_until  # the evaluation is due within the validity
    event = dossier.events.last()
    assert (event.action, event.from_status, event.to_status) == (
        "choose_vae",
        S.POSITIONING,
        S.VAE,
    )
    assert (event.actor, event.comment) == (cast.evaluator, JUSTIFICATION)
    stored = PositioningAssessment.objects.get(dossier=dossier)
    assert stored == positioning
    assert (stored.evaluator, stored.assessed_on, stored.recommendation) == (
        cast.evaluator,
        today(),
        Pathway.VAE,
    )
    assert (stored.justification, stored.eligibility_valid_until) == (JUSTIFICATION, valid_until)
    assert stored.eligibility_is_valid_on(valid_until)
    assert not stored.eligibility_is_valid_on(valid_until + days(1))
    assert [(u.unit, u.result, u.comment, u.estimated_hours) for u in stored.units.all()] == [
        (bc01, R.ACQUIRED, "Pratique quotidienne.", None),
        (bc02, R.PARTLY, "À étayer dans le livret.", None),
    ]
    (told,) = to_candidate(cast)
    assert dossier.reference in told.subject
    assert JUSTIFICATION in told.body
    assert f"/candidat/dossiers/{dossier.pk}/" in told.body
    assert len(mail.outbox) == 1


def test_a_training_positioning_takes_the_training_pathway_with_hours_per_unit(
    dossier, cast, django_capture_on_commit_callbacks
):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        record(
            dossier,
            cast.evaluator,
            recommendation=Pathway.TRAINING,
            units=[UP(bc01.pk, R.ACQUIRED, "Acquis."), UP(bc02.pk, R.NOT_YET, "", 140)],
        )

    dossier.refresh_from_db()
    assert (dossier.status, dossier.pathway) == (S.TRAINING, Pathway.TRAINING)
    assert dossier.vae_requested_on is None  # no VAE request: R335-7 does not count it
    # The training plan is due next, within the positioning's delay (the plan then sets it).
    assert dossier.evaluator_due_on == today() + services.POSITIONING_DELAY
    event = dossier.events.last()
    assert (event.action, event.to_status, event.comment) == (
        "choose_training",
        S.TRAINING,
        JUSTIFICATION,
    )
    stored = PositioningAssessment.objects.get(dossier=dossier)
    assert (stored.recommendation, stored.eligibility_valid_until) == (Pathway.TRAINING, None)
    assert [(u.unit, u.result, u.estimated_hours) for u in stored.units.all()] == [
        (bc01, R.ACQUIRED, None),
        (bc02, R.NOT_YET, 140),
    ]
    (told,) = to_candidate(cast)
    assert JUSTIFICATION in told.body


def test_a_training_drops_the_eligibility_validity_given_by_mistake(dossier, cast):
    record(
        dossier,
        cast.evaluator,
        recommendation=Pathway.TRAINING,
        units=lines(dossier, hours=35),
        eligibility_valid_until=today() + days(365),
    )

    stored = PositioningAssessment.objects.get(dossier=dossier)
    assert stored.eligibility_valid_until is None
    dossier.refresh_from_db()
    assert dossier.vae_requested_on is None


def test_the_candidate_sees_the_positioning_on_their_timeline(dossier, cast):
    record(dossier, cast.evaluator)

    last = selectors.dossier_timeline(dossier)[-1]
    assert (last.action, last.comment) == ("choose_vae", JUSTIFICATION)
    assert last.status_label == str(S.VAE.label)


def test_an_optional_unit_may_be_left_out(cast, branch, cpnef):
    cqp = make_open_cqp(branch, cast.staff, cpnef, "OPT", units=3, optional=("BC03",))
    dossier = bring_to(S.POSITIONING, cast, cqp=cqp)
    required = [UP(unit(dossier, code).pk, R.PARTLY) for code in ("BC01", "BC02")]

    record(dossier, cast.evaluator, units=required)

    dossier.refresh_from_db()
    assert dossier.status == S.VAE
    positioned = dossier.positioning.units.values_list("unit__code", flat=True)
    assert sorted(positioned) == ["BC01", "BC02"]


def test_a_positioning_may_be_dated_back_to_the_day_the_dossier_opened(dossier, cast):
    opened = today() - days(5)
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(5))
    dossier.refresh_from_db()

    record(dossier, cast.evaluator, assessed_on=opened)

    assert PositioningAssessment.objects.get(dossier=dossier).assessed_on == opened


# --- what it refuses --------------------------------------------------------------------------


def refused(dossier, actor, error=DomainError, match=None, **fields):
    """Record with `fields`: refused with `error`, leaving the dossier as it was."""
    before = snapshot(dossier)
    with pytest.raises(error, match=match) as caught:
        record(dossier, actor, **fields)
    assert snapshot(dossier) == before  # the positioning's rows included
    return caught.value


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate", "superuser"])
def test_only_the_dossiers_evaluator_records_the_positioning(who, dossier, cast, superuser):
    intruder = {
        "second_evaluator": cast.second_evaluator,
        "staff": cast.staff,
        "candidate": cast.user,
        "superuser": superuser,
    }[who]

    refused(dossier, intruder, ActionNotPermitted)


@pytest.mark.parametrize("status", [S.ADMISSIBLE, S.VAE, S.TRAINING, S.EVALUATION, S.WITHDRAWN])
def test_it_refuses_a_positioning_outside_the_positioning_status(status, cast):
    dossier = bring_to(status, cast)
    if dossier.evaluator_id is None:  # so that only the status is wrong
        Dossier.objects.filter(pk=dossier.pk).update(evaluator=cast.evaluator)

    refused(dossier, cast.evaluator, TransitionNotAllowed)  # a positioning made stays as it was


@pytest.mark.parametrize("justification", ["", "   \n"])
def test_it_requires_a_justification(justification, dossier, cast):
    refused(dossier, cast.evaluator, match="Justify", justification=justification)


@pytest.mark.parametrize("recommendation", ["", "apprenticeship", "VAE"])
def test_it_refuses_an_unknown_recommendation(recommendation, dossier, cast):
    refused(
        dossier,
        cast.evaluator,
        match="Recommend the VAE or a training",
        recommendation=recommendation,
        eligibility_valid_until=today() + days(365),
    )


def test_a_vae_needs_the_end_of_validity_of_the_eligibility(dossier, cast):
    refused(dossier, cast.evaluator, match="end of validity", eligibility_valid_until=None)


@pytest.mark.parametrize("offset", [0, -1, -30])
def test_the_eligibility_must_stay_valid_after_its_date(offset, dossier, cast):
    refused(
        dossier,
        cast.evaluator,
        match="valid after its date",
        eligibility_valid_until=today() + days(offset),
    )


def test_it_refuses_a_date_in_the_future(dossier, cast):
    refused(dossier, cast.evaluator, match="future", assessed_on=today() + days(1))


def test_it_refuses_no_date(dossier, cast):
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="Give the date"):
        services.positioning_record(
            dossier=dossier,
            assessed_on=None,
            recommendation=Pathway.VAE,
            justification=JUSTIFICATION,
            units=lines(dossier),
            eligibility_valid_until=today() + days(365),
            actor=cast.evaluator,
        )

    assert snapshot(dossier) == before


def test_it_refuses_a_date_before_the_dossier_was_opened(dossier, cast):
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(5))
    dossier.refresh_from_db()

    refused(
        dossier,
        cast.evaluator,
        match="before the dossier was opened",
        assessed_on=today() - days(6),
    )


def test_it_refuses_a_positioning_missing_a_required_unit(dossier, cast):
    only_bc01 = [UP(unit(dossier, "BC01").pk, R.PARTLY)]

    error = refused(dossier, cast.evaluator, units=only_bc01)

    assert str(error) == "Position every required unit: BC02."


def test_it_refuses_a_unit_of_another_version(dossier, cast):
    draft = catalogue.referentiel_new_version(referentiel=dossier.referentiel, actor=cast.staff)
    newer = draft.units.get(code="BC02")
    units = [UP(unit(dossier, "BC01").pk, R.PARTLY), UP(newer.pk, R.PARTLY)]

    refused(dossier, cast.evaluator, match="still to acquire are positioned", units=units)


def test_it_refuses_a_unit_of_another_cqp(dossier, cast, other_cqp):
    foreign = other_cqp.referentiels.get().units.first()

    refused(
        dossier,
        cast.evaluator,
        match="still to acquire are positioned",
        units=[*lines(dossier), UP(foreign.pk, R.PARTLY)],
    )


def test_it_refuses_the_same_unit_twice(dossier, cast):
    bc01 = unit(dossier, "BC01")

    refused(
        dossier,
        cast.evaluator,
        match="positioned once",
        units=[*lines(dossier), UP(bc01.pk, R.ACQUIRED)],
    )


@pytest.mark.parametrize("result", ["", "maybe", None])
def test_it_refuses_an_unknown_unit_result(result, dossier, cast):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")

    refused(
        dossier,
        cast.evaluator,
        match="Unknown positioning result for BC02",
        units=[UP(bc01.pk, R.PARTLY), UP(bc02.pk, result)],
    )


@pytest.mark.parametrize("result", [R.PARTLY, R.NOT_YET])
@pytest.mark.parametrize("hours", [None, 0])
def test_a_training_needs_hours_for_each_unit_not_acquired(result, hours, dossier, cast):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")

    refused(
        dossier,
        cast.evaluator,
        match="Estimate the training hours for BC02",
        recommendation=Pathway.TRAINING,
        units=[UP(bc01.pk, R.ACQUIRED), UP(bc02.pk, result, "", hours)],
    )


@pytest.mark.parametrize("recommendation", [Pathway.TRAINING, Pathway.VAE])
@pytest.mark.parametrize("hours", [services.MAX_UNIT_HOURS + 1, -1])
def test_it_refuses_hours_out_of_bounds(recommendation, hours, dossier, cast):
    bc01, bc02 = unit(dossier, "BC01"), unit(dossier, "BC02")

    refused(
        dossier,
        cast.evaluator,
        match=f"hours for BC01 must be between 0 and {services.MAX_UNIT_HOURS}",
        recommendation=recommendation,
        units=[UP(bc01.pk, R.PARTLY, "", hours), UP(bc02.pk, R.PARTLY, "", 35)],
    )


def test_it_accepts_the_largest_number_of_hours(dossier, cast):
    record(
        dossier,
        cast.evaluator,
        recommendation=Pathway.TRAINING,
        units=lines(dossier, hours=services.MAX_UNIT_HOURS),
    )

    hours = set(dossier.positioning.units.values_list("estimated_hours", flat=True))
    assert hours == {services.MAX_UNIT_HOURS}


# --- units already acquired -------------------------------------------------------------------


@pytest.fixture
def with_bc01_carried(cast):
    """A second dossier on the CQP waiting for its positioning, BC01 held already."""
    return reopened_holding(cast, S.POSITIONING)


def test_a_carried_over_unit_is_not_positioned(with_bc01_carried, cast):
    dossier = with_bc01_carried
    units = [UP(unit(dossier, code).pk, R.PARTLY) for code in ("BC01", "BC02")]

    refused(dossier, cast.evaluator, match="still to acquire are positioned", units=units)


def test_the_positioning_covers_the_units_still_to_acquire_only(with_bc01_carried, cast):
    dossier = with_bc01_carried

    record(dossier, cast.evaluator, units=[UP(unit(dossier, "BC02").pk, R.PARTLY)])

    dossier.refresh_from_db()
    assert dossier.status == S.VAE
    assert list(dossier.positioning.units.values_list("unit__code", flat=True)) == ["BC02"]


def test_it_refuses_an_eligibility_that_would_already_have_expired(dossier, cast):
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(40))
    dossier.refresh_from_db()
    refused(
        dossier,
        cast.evaluator,
        match="already have expired",
        assessed_on=today() - days(30),
        eligibility_valid_until=today() - days(1),
    )


def test_the_vae_request_counts_in_the_year_of_the_positioning(dossier, cast):
    opened = today() - days(5)
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(5))
    dossier.refresh_from_db()

    record(dossier, cast.evaluator, assessed_on=opened)

    dossier.refresh_from_db()
    assert dossier.vae_requested_on == opened


def test_an_evaluator_whose_accreditation_expired_can_no_longer_position(dossier, cast):
    cast.evaluator.evaluator_accreditations.update(valid_until=today() - days(1))
    error = refused(dossier, cast.evaluator, error=ActionNotPermitted)
    assert "accreditation" in str(error)


# --- durations and due dates --------------------------------------------------------------------


@pytest.mark.parametrize("due_in", [-12, 3, 200])
def test_a_training_positioning_gives_the_delay_to_record_the_plan(due_in, dossier, cast):
    """Whatever the positioning's due date was (past, near or far), the plan is due in the
    positioning's delay."""
    Dossier.objects.filter(pk=dossier.pk).update(evaluator_due_on=today() + days(due_in))
    dossier.refresh_from_db()

    record(dossier, cast.evaluator, recommendation=Pathway.TRAINING, units=lines(dossier, hours=35))

    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == today() + services.POSITIONING_DELAY


def test_an_eligibility_of_the_longest_validity_is_accepted(dossier, cast):
    longest = services.years_later(today(), services.MAX_ELIGIBILITY_YEARS)

    positioning = record(dossier, cast.evaluator, eligibility_valid_until=longest)

    assert positioning.eligibility_valid_until == longest


def test_it_refuses_an_eligibility_valid_beyond_the_longest_validity(dossier, cast):
    longest = services.years_later(today(), services.MAX_ELIGIBILITY_YEARS)
    error = refused(dossier, cast.evaluator, eligibility_valid_until=longest + days(1))
    assert str(error) == (
        f"A VAE eligibility is valid for {services.MAX_ELIGIBILITY_YEARS} years at most."
    )


def test_the_longest_validity_counts_from_the_positioning_date(dossier, cast):
    """Dated back, the positioning's eligibility ends earlier: five years from that date."""
    opened = today() - days(10)
    Dossier.objects.filter(pk=dossier.pk).update(created_at=timezone.now() - days(10))
    dossier.refresh_from_db()
    longest = services.years_later(opened, services.MAX_ELIGIBILITY_YEARS)

    refused(
        dossier,
        cast.evaluator,
        match="years at most",
        assessed_on=opened,
        eligibility_valid_until=longest + days(1),
    )
    record(dossier, cast.evaluator, assessed_on=opened, eligibility_valid_until=longest)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (datetime.date(2026, 3, 14), 3, datetime.date(2029, 3, 14)),
        (datetime.date(2028, 2, 29), 3, datetime.date(2031, 2, 28)),
        (datetime.date(2028, 2, 29), 4, datetime.date(2032, 2, 29)),
    ],
)
def test_years_later_lands_on_the_same_day_or_the_28th_of_february(day, years, expected):
    assert services.years_later(day, years) == expected


# --- twice --------------------------------------------------------------------------------------


def test_recording_the_positioning_twice_keeps_the_first(dossier, cast):
    first = record(dossier, cast.evaluator)
    before = snapshot(dossier)

    with pytest.raises(TransitionNotAllowed):
        record(dossier, cast.evaluator)  # a double click: the same positioning again

    assert snapshot(dossier) == before
    assert list(PositioningAssessment.objects.filter(dossier=dossier)) == [first]


def test_a_positioning_slipping_past_the_lifecycle_is_refused_without_a_trace(dossier, cast):
    """Were the dossier put back in positioning by hand, the one positioning per dossier
    holds: a clear refusal, and the step taken in the same transaction is undone."""
    record(dossier, cast.evaluator)
    Dossier.objects.filter(pk=dossier.pk).update(status=S.POSITIONING)
    before = snapshot(dossier)

    with pytest.raises(DomainError) as refusal:
        record(dossier, cast.evaluator)

    assert str(refusal.value) == "The positioning of this dossier is already recorded."
    assert snapshot(dossier) == before
    assert PositioningAssessment.objects.filter(dossier=dossier).count() == 1
