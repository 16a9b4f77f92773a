"""Fuzzing the jury's forms: opening the deliberation, closing the session, votes, conflicts of
interest, decisions.

The world: a convened session of the branch's jury (president, employee, expert) with two
dossiers ready on its agenda; for votes and decisions, its deliberation opened.
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from juries import services
from juries.models import Outcome
from tests.juries.test_deliberation import convened_session, open_all
from tests.juries.test_sessions import ready_dossier

from .checks import send_refused
from .strategies import (
    FUZZ,
    JUNK,
    MISSING,
    blank_or_missing,
    choice,
    hostile_post,
    not_in,
    too_long,
    with_nul,
)

TEXT_MAX = 5000
UNIT_VOTES = ["validate", "reject"]


@pytest.fixture
def convened(client, branch, open_cqp, staff, evaluator):
    """(session, (president, employee, expert), items), the client logged in as president."""
    dossiers = [
        ready_dossier(f"{name}@example.org", open_cqp, staff, evaluator)
        for name in ("first", "second")
    ]
    jury = convened_session(branch, open_cqp, staff, dossiers)
    client.force_login(jury[1][0].user)
    return jury


@pytest.fixture
def deliberating(convened):
    session, members, items = convened
    open_all(session, members)
    session.refresh_from_db()
    return convened


def unit_fields(item) -> list[str]:
    return [f"unit_{unit.pk}" for unit in services.units_to_judge(item)]


@pytest.mark.django_db
def test_opening_the_deliberation_refuses_unknown_members_and_no_quorum(client, convened):
    session, members, _items = convened
    pks = [member.pk for member in members]
    with_junk = st.lists(choice(pks) | not_in(pks), min_size=1, max_size=4).filter(
        lambda values: any(str(value).strip() not in map(str, pks) for value in values)
    )
    alone = choice(pks).map(lambda pk: [str(pk)])

    @FUZZ
    @given(hostile_post({"present": st.lists(choice(pks))}, {"present": with_junk | alone}))
    def example(data):
        send_refused(client, reverse("juries:open_deliberation", args=[session.pk]), data)

    example()


@pytest.mark.django_db
def test_closing_a_session_not_deliberating_is_refused_whatever_is_posted(client, convened):
    session, _members, _items = convened

    @FUZZ
    @given(st.dictionaries(st.sampled_from(["confirm", "comment", "status"]), JUNK))
    def example(data):
        send_refused(client, reverse("juries:close_session", args=[session.pk]), data)

    example()


@pytest.mark.django_db
def test_a_vote_refuses_bad_input(client, deliberating):
    session, (_president, employee, _expert), (item, _second) = deliberating
    client.force_login(employee.user)
    units = unit_fields(item)
    fields = {"proposal": choice(Outcome.values) | JUNK, "comment": JUNK} | {
        name: choice(UNIT_VOTES) | JUNK for name in units
    }
    defects = {
        "proposal": not_in(Outcome.values) | blank_or_missing(),
        "comment": too_long(TEXT_MAX) | with_nul(),
    } | {name: not_in([*UNIT_VOTES, ""]) for name in units}

    @FUZZ
    @given(hostile_post(fields, defects))
    def example(data):
        send_refused(client, reverse("juries:vote", args=[session.pk, item.pk]), data)

    example()


@pytest.mark.django_db
def test_a_conflict_of_interest_refuses_a_missing_or_bad_reason(client, deliberating):
    session, (_president, _employee, expert), (item, _second) = deliberating
    client.force_login(expert.user)

    @FUZZ
    @given(
        hostile_post(
            {"reason": JUNK}, {"reason": blank_or_missing() | too_long(TEXT_MAX) | with_nul()}
        )
    )
    def example(data):
        send_refused(client, reverse("juries:conflict", args=[session.pk, item.pk]), data)

    example()


@pytest.mark.django_db
def test_a_decision_refuses_bad_input(client, deliberating):
    session, _members, (item, _second) = deliberating
    units = unit_fields(item)
    fields = {"outcome": choice(Outcome.values) | JUNK, "motivation": JUNK} | {
        name: st.sampled_from(["on", ""]) | JUNK for name in units
    }
    defects = {
        "outcome": not_in(Outcome.values) | blank_or_missing(),
        "motivation": too_long(TEXT_MAX) | with_nul(),
    }

    @FUZZ
    @given(hostile_post(fields, defects))
    def example(data):
        send_refused(client, reverse("juries:decision", args=[session.pk, item.pk]), data)

    example()


@pytest.mark.django_db
def test_members_cannot_act_as_president_whatever_they_post(client, deliberating):
    session, (_president, employee, _expert), (item, _second) = deliberating
    client.force_login(employee.user)
    urls = [
        reverse("juries:decision", args=[session.pk, item.pk]),
        reverse("juries:close_session", args=[session.pk]),
        reverse("juries:open_deliberation", args=[session.pk]),
    ]

    @FUZZ
    @given(
        choice(urls),
        hostile_post(
            {"outcome": choice(Outcome.values), "motivation": JUNK},
            {"outcome": choice(Outcome.values) | st.just(MISSING)},
        ),
    )
    def example(url, data):
        send_refused(client, url, data)

    example()
