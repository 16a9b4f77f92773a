"""Concurrency of the deliberation: members voting at once, a double click on "close", two
tabs of the president. Threads released together by a barrier, each on its own connection.

On PostgreSQL, the session's row lock makes the writers wait for each other. On SQLite
(IMMEDIATE transactions, no row locks) a writer is refused while another one writes
("database is locked"): it tries again, as a person would, until it goes through or is
refused by a rule. Both databases must keep the same guarantees.
"""

import random
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.utils import translation

from candidates.models import AcquiredUnit, Dossier, DossierEvent, DossierStatus
from cqp.errors import DomainError, TransitionNotAllowed
from cqp.models import OutgoingEmail
from juries import services
from juries.models import (
    DecisionUnit,
    JuryDecision,
    JurySessionEvent,
    Outcome,
    SessionStatus,
    UnitVote,
    Vote,
)
from tests.juries import test_deliberation
from tests.juries.test_deliberation import decide, lines, vote

pytestmark = pytest.mark.django_db(transaction=True)

# The fixtures: a convened session (president, employee, expert; two dossiers), then opened
# with every member present.
jury = test_deliberation.jury
deliberating = test_deliberation.deliberating

S = DossierStatus
DONE = "done"


def race(*calls):
    """Run `calls` in threads released at once; each one's outcome: DONE or its exception."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            with translation.override("en"):
                barrier.wait(timeout=30)
                for _attempt in range(300):
                    try:
                        call()
                    except OperationalError as error:
                        if connection.vendor == "sqlite" and "locked" in str(error):
                            time.sleep(random.uniform(0.005, 0.03))
                            continue
                        outcomes[index] = error  # e.g. a deadlock on PostgreSQL: a bug
                    except Exception as error:
                        outcomes[index] = error
                    else:
                        outcomes[index] = DONE
                    break
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


CONSISTENT_UNITS = {
    Outcome.CERTIFIED: {"BC01": True, "BC02": True},
    Outcome.PARTIALLY_VALIDATED: {"BC01": True, "BC02": False},
    Outcome.NOT_VALIDATED: {"BC01": False, "BC02": False},
}
VALIDATED = {
    outcome: [c for c, v in by_code.items() if v] for outcome, by_code in CONSISTENT_UNITS.items()
}


def unit_votes(vote_row):
    return {line.unit.code: line.validate for line in vote_row.units.select_related("unit")}


def cast(item, member, proposal):
    """A member's vote whose units agree with the proposal."""
    return lambda: vote(item, member, proposal, *VALIDATED[proposal])


def record(item, president, outcome):
    motivation = "" if outcome == Outcome.CERTIFIED else "Motivation."
    validated = VALIDATED.get(outcome, ())  # an absence or a deferral judges no unit
    return lambda: decide(item, president, outcome, *validated, motivation=motivation)


def close(session, president):
    return lambda: services.session_close(session=session, actor=president.user)


def emails_to(address, after):
    return OutgoingEmail.objects.filter(pk__gt=after, to=address).count()


def last_email():
    return OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- votes ------------------------------------------------------------------------------------


def test_two_members_voting_at_once_both_votes_are_kept(deliberating):
    _session, (_president, employee, expert), (first, _second) = deliberating
    proposals = (Outcome.CERTIFIED, Outcome.PARTIALLY_VALIDATED)

    for round_ in range(4):
        mine, theirs = proposals if round_ % 2 else proposals[::-1]
        outcomes = race(cast(first, employee, mine), cast(first, expert, theirs))
        assert outcomes == [DONE, DONE], outcomes

        votes = {v.member_id: v for v in Vote.objects.filter(item=first)}
        assert {m: v.proposal for m, v in votes.items()} == {employee.pk: mine, expert.pk: theirs}
        assert unit_votes(votes[employee.pk]) == CONSISTENT_UNITS[mine]
        assert unit_votes(votes[expert.pk]) == CONSISTENT_UNITS[theirs]
    assert UnitVote.objects.filter(vote__item=first).count() == 4
    result = services.tally(first)
    assert result.voters == 2
    assert {t.unit.code: (t.validate, t.reject) for t in result.units} == {
        "BC01": (2, 0),
        "BC02": (1, 1),
    }


def test_a_member_double_submitting_keeps_one_vote(deliberating):
    _session, (_president, employee, _expert), (first, _second) = deliberating

    for _round in range(4):
        outcomes = race(
            cast(first, employee, Outcome.CERTIFIED),
            cast(first, employee, Outcome.PARTIALLY_VALIDATED),
        )
        assert outcomes == [DONE, DONE], outcomes

        [only] = Vote.objects.filter(item=first, member=employee)
        assert only.proposal in (Outcome.CERTIFIED, Outcome.PARTIALLY_VALIDATED)
        assert unit_votes(only) == CONSISTENT_UNITS[only.proposal]  # never a mix of the two
        assert UnitVote.objects.filter(vote__item=first).count() == 2


def test_a_vote_racing_with_the_members_conflict_declaration_is_not_counted(deliberating):
    _session, (_president, _employee, expert), (first, _second) = deliberating

    outcomes = race(
        cast(first, expert, Outcome.CERTIFIED),
        lambda: services.member_declare_conflict(
            item=first, reason="Même employeur.", actor=expert.user
        ),
    )

    assert outcomes[1] == DONE, outcomes
    assert outcomes[0] == DONE or (
        isinstance(outcomes[0], DomainError) and "conflict of interest" in str(outcomes[0])
    ), outcomes
    assert not Vote.objects.filter(item=first, member=expert).exists()
    assert services.tally(first).voters == 0


# --- decisions --------------------------------------------------------------------------------


def test_two_tabs_recording_the_decision_on_the_same_dossier_leave_one_decision(deliberating):
    session, (president, _employee, _expert), (first, _second) = deliberating

    for _round in range(3):
        outcomes = race(
            record(first, president, Outcome.CERTIFIED),
            record(first, president, Outcome.NOT_VALIDATED),
        )
        assert outcomes == [DONE, DONE], outcomes

        [decision] = JuryDecision.objects.filter(item=first)
        assert decision.outcome in (Outcome.CERTIFIED, Outcome.NOT_VALIDATED)
        assert lines(decision) == CONSISTENT_UNITS[decision.outcome]
        assert DecisionUnit.objects.filter(decision__item=first).count() == 2
    assert session.events.filter(action="record_decision").count() == 6


# --- closing ----------------------------------------------------------------------------------


def test_two_threads_closing_the_same_session_close_it_once(deliberating):
    session, (president, _employee, _expert), (first, second) = deliberating
    record(first, president, Outcome.CERTIFIED)()
    record(second, president, Outcome.PARTIALLY_VALIDATED)()
    before = last_email()

    outcomes = race(close(session, president), close(session, president))

    assert outcomes.count(DONE) == 1, outcomes
    [refusal] = [o for o in outcomes if o != DONE]
    assert isinstance(refusal, TransitionNotAllowed), outcomes
    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    assert JurySessionEvent.objects.filter(session=session, action="close").count() == 1
    decisions = JuryDecision.objects.filter(item__session=session)
    assert decisions.count() == 2
    assert len({d.final_at for d in decisions}) == 1 and all(d.is_final for d in decisions)
    for item, status, action, codes in (
        (first, S.CERTIFIED, "certify", ["BC01", "BC02"]),
        (second, S.PARTIALLY_VALIDATED, "validate_partially", ["BC01"]),
    ):
        dossier = Dossier.objects.get(pk=item.dossier_id)
        assert dossier.status == status
        assert DossierEvent.objects.filter(dossier=dossier, action=action).count() == 1
        assert DossierEvent.objects.filter(dossier=dossier, action="erase_identity").count() == 1
        held = AcquiredUnit.objects.filter(candidate_id=dossier.candidate_id)
        assert sorted(held.values_list("unit__code", flat=True)) == codes
        assert emails_to(dossier.candidate.user.email, before) == 1


def test_a_decision_racing_with_the_close_is_either_final_or_refused(deliberating):
    """The president's two tabs: one changes a decision while the other closes."""
    session, (president, _employee, _expert), (first, second) = deliberating
    record(first, president, Outcome.CERTIFIED)()
    record(second, president, Outcome.NOT_VALIDATED)()

    changed, closed = race(
        record(first, president, Outcome.PARTIALLY_VALIDATED), close(session, president)
    )

    assert closed == DONE, closed
    assert changed == DONE or isinstance(changed, TransitionNotAllowed), changed
    [decision] = JuryDecision.objects.filter(item=first)
    expected = Outcome.PARTIALLY_VALIDATED if changed == DONE else Outcome.CERTIFIED
    assert decision.outcome == expected and decision.is_final
    assert decision.decided_at <= decision.final_at
    assert lines(decision) == CONSISTENT_UNITS[expected]
    dossier = Dossier.objects.get(pk=first.dossier_id)
    assert dossier.status == services.DOSSIER_OUTCOMES[expected]
    held = AcquiredUnit.objects.filter(candidate_id=dossier.candidate_id)
    assert sorted(held.values_list("unit__code", flat=True)) == VALIDATED[expected]


def test_a_vote_racing_with_the_close_is_counted_before_or_refused(deliberating):
    session, (president, employee, expert), (first, second) = deliberating
    cast(first, employee, Outcome.CERTIFIED)()
    record(first, president, Outcome.CERTIFIED)()
    record(second, president, Outcome.ABSENT)()

    voted, closed = race(cast(first, expert, Outcome.CERTIFIED), close(session, president))

    assert closed == DONE, closed
    assert voted == DONE or (isinstance(voted, DomainError) and "session is" in str(voted)), voted
    final_at = JuryDecision.objects.get(item=first).final_at
    assert final_at is not None
    late = Vote.objects.filter(item__session=session, updated_at__gt=final_at)
    assert not late.exists()
    assert Vote.objects.filter(item=first, member=expert).exists() == (voted == DONE)
