"""Fuzzing the evaluator's forms: positioning, training plan, unit assessment, ready for the
jury, conflict of interest.

The world: three dossiers assigned to the evaluator, at the positioning, on the training
pathway (no plan yet) and in evaluation (no unit assessed, so not ready for the jury).
"""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from candidates.models import (
    AssessmentModality,
    Funding,
    Pathway,
    PositioningResult,
    UnitAssessmentResult,
)
from candidates.services import MAX_UNIT_HOURS
from tests.candidates import evaluation
from tests.candidates.conftest import make_candidate
from tests.candidates.test_evaluator_pages import assigned

from .checks import send_refused
from .strategies import (
    FUZZ,
    JUNK,
    blank_or_missing,
    choice,
    hostile_post,
    not_in,
    too_long,
    with_nul,
)

DATES = st.sampled_from(["2026-01-05", "05/01/2026"])
BAD_DATES = st.sampled_from(["2026-02-30", "31/02/2026", "2026-13-01", "soon", "0000-00-00"])
TEXT_MAX = 5000


def unit_field(unit, name: str) -> str:
    return f"unit_{unit.pk}_{name}"


@pytest.fixture
def world(client, branch, open_cqp, staff, evaluator):
    def dossier(email):
        return assigned(make_candidate(email), open_cqp, staff, evaluator)

    positioning = dossier("positioning@example.org")
    training = dossier("training@example.org")
    evaluation.position(training, evaluator, Pathway.TRAINING)
    in_evaluation = dossier("evaluation@example.org")
    evaluation.to_evaluation(in_evaluation, evaluator)
    client.force_login(evaluator)
    units = list(open_cqp.referentiels.get().units.order_by("order"))
    return SimpleNamespace(
        positioning=positioning,
        training=training,
        evaluation=in_evaluation,
        units=units,
        provider=evaluation.habilitated_provider(open_cqp),
    )


@pytest.mark.django_db
def test_the_positioning_refuses_bad_input(client, world):
    fields = {
        "assessed_on": DATES | JUNK,
        "recommendation": choice(Pathway.values) | JUNK,
        "justification": st.just("Expérience solide.") | JUNK,
        "eligibility_valid_until": st.just("2028-01-05") | JUNK,
    }
    defects = {
        "assessed_on": BAD_DATES | blank_or_missing() | with_nul(),
        "recommendation": not_in(Pathway.values) | blank_or_missing(),
        "justification": blank_or_missing() | too_long(TEXT_MAX) | with_nul(),
    }
    for unit in world.units:
        result, comment, hours = (unit_field(unit, name) for name in ("result", "comment", "hours"))
        fields |= {
            result: choice(PositioningResult.values) | JUNK,
            comment: JUNK,
            hours: st.integers(0, MAX_UNIT_HOURS).map(str) | JUNK,
        }
        defects |= {
            result: not_in(PositioningResult.values) | blank_or_missing(),
            comment: too_long(TEXT_MAX) | with_nul(),
            hours: st.sampled_from(["-1", str(MAX_UNIT_HOURS + 1), "1.5", "ten", "1e3"]),
        }
    url = reverse("evaluators:positioning", args=[world.positioning.pk])

    @FUZZ
    @given(hostile_post(fields, defects))
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.mark.django_db
def test_the_training_plan_refuses_bad_input(client, world):
    fields = {
        "provider": st.just(str(world.provider.pk)) | JUNK,
        "start_date": DATES | JUNK,
        "end_date": st.just("2026-06-30") | JUNK,
        "funding": choice(Funding.values) | JUNK,
    }
    defects = {
        "provider": not_in([world.provider.pk]) | blank_or_missing(),
        "start_date": BAD_DATES | blank_or_missing() | with_nul(),
        "end_date": BAD_DATES | blank_or_missing() | with_nul(),
        "funding": not_in(Funding.values) | blank_or_missing(),
    }
    for unit in world.units:
        covered, hours = unit_field(unit, "covered"), unit_field(unit, "hours")
        fields |= {covered: st.sampled_from(["on", ""]) | JUNK, hours: JUNK}
        defects[hours] = st.sampled_from(["0", "-3", str(MAX_UNIT_HOURS + 1), "x", "1,5"])
    url = reverse("evaluators:training_plan", args=[world.training.pk])

    @FUZZ
    @given(hostile_post(fields, defects))
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.mark.django_db
def test_a_unit_assessment_refuses_bad_input(client, world):
    unit = world.units[0]
    criteria = [f"criterion_{pk}" for pk in unit.criteria.values_list("pk", flat=True)]
    fields = {
        "assessed_on": DATES | JUNK,
        "modality": choice(AssessmentModality.values) | JUNK,
        "result": choice(UnitAssessmentResult.values) | JUNK,
        "comment": JUNK,
    } | {name: st.sampled_from(["met", "not_met"]) | JUNK for name in criteria}
    defects = {
        "assessed_on": BAD_DATES | blank_or_missing() | with_nul(),
        "modality": not_in(AssessmentModality.values) | blank_or_missing(),
        "result": not_in(UnitAssessmentResult.values) | blank_or_missing(),
        "comment": too_long(TEXT_MAX) | with_nul(),
    } | {name: not_in(["met", "not_met"]) | blank_or_missing() for name in criteria}
    url = reverse("evaluators:unit_assessment", args=[world.evaluation.pk, unit.pk])

    @FUZZ
    @given(hostile_post(fields, defects))
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.mark.django_db
def test_declaring_ready_is_refused_while_units_are_unassessed_whatever_is_posted(client, world):
    url = reverse("evaluators:declare_ready", args=[world.evaluation.pk])

    @FUZZ
    @given(hostile_post({"comment": JUNK}, {"comment": JUNK | too_long(TEXT_MAX)}))
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.mark.django_db
def test_a_conflict_of_interest_refuses_a_missing_or_bad_reason(client, world):
    url = reverse("evaluators:conflict", args=[world.positioning.pk])

    @FUZZ
    @given(
        hostile_post(
            {"reason": JUNK}, {"reason": blank_or_missing() | too_long(TEXT_MAX) | with_nul()}
        )
    )
    def example(data):
        send_refused(client, url, data)

    example()
