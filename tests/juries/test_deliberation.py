"""The deliberation through its services: quorum, votes, tally, decisions, closing.

Every refusal is checked to leave the session as it was (`refused`): its status and events,
presence, votes, decisions, conflicts, the dossiers' statuses and events, acquired units and
e-mails.
"""

import datetime
from contextlib import contextmanager, suppress

import pytest
from django.core import mail
from django.utils import timezone, translation

from candidates.models import (
    AcquiredUnit,
    ConflictOfInterest,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Pathway,
)
from certifications import services as catalogue
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from cqp.models import OutgoingEmail
from juries import services
from juries.models import (
    DecisionUnit,
    JuryDecision,
    JuryMember,
    JuryRules,
    JurySession,
    JurySessionEvent,
    Outcome,
    SessionStatus,
    UnitVote,
    Vote,
)
from tests.candidates.evaluation import to_ready
from tests.candidates.test_dossier_lifecycle import make_open_cqp
from tests.candidates.test_evaluator_space import admissible_dossier
from tests.juries.test_sessions import ready_dossier, seat

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


def in_days(n):
    return timezone.now() + datetime.timedelta(days=n)


def convened_session(branch, cqp, staff, dossiers, *, prefix=""):
    """A convened session on `cqp`: president (employer), employee, expert (their e-mails
    start with `prefix`); the ready `dossiers` on the agenda, in order."""
    session = services.session_create(
        branch=branch, cqps=[cqp], starts_at=in_days(10), place="Paris", actor=staff
    )
    members = (
        seat(session, staff, College.EMPLOYER, Role.PRESIDENT, f"{prefix}president@example.org"),
        seat(session, staff, College.EMPLOYEE, email=f"{prefix}employee@example.org"),
        seat(session, staff, College.EXPERT, email=f"{prefix}expert@example.org"),
    )
    items = services.agenda_add(session=session, dossiers_to_add=dossiers, actor=staff)
    services.session_convene(session=session, actor=staff)
    session.refresh_from_db()
    return session, members, items


@pytest.fixture
def jury(branch, open_cqp, staff, evaluator):
    """A convened session: president (employer), employee, expert; two dossiers on the agenda."""
    dossiers = [
        ready_dossier(f"{n}@example.org", open_cqp, staff, evaluator) for n in ("first", "second")
    ]
    return convened_session(branch, open_cqp, staff, dossiers)


def state(session):
    """Everything about the session that a refused action must leave as it was."""
    dossier_ids = list(session.agenda.values_list("dossier_id", flat=True))
    return {
        "session": JurySession.objects.values_list("status", "status_changed_at").get(
            pk=session.pk
        ),
        "events": list(JurySessionEvent.objects.filter(session=session).values_list("pk")),
        "members": list(session.members.order_by("pk").values_list("pk", "user_id", "present")),
        "agenda": list(session.agenda.order_by("pk").values_list("pk", "dossier_id", "active")),
        "votes": list(
            Vote.objects.order_by("pk").values_list(
                "pk", "item_id", "member_id", "proposal", "comment", "updated_at"
            )
        ),
        "unit_votes": list(
            UnitVote.objects.order_by("pk").values_list("pk", "vote_id", "unit_id", "validate")
        ),
        "decisions": list(
            JuryDecision.objects.order_by("pk").values_list(
                "pk", "item_id", "outcome", "motivation", "decided_at", "final_at"
            )
        ),
        "decision_units": list(
            DecisionUnit.objects.order_by("pk").values_list(
                "pk", "decision_id", "unit_id", "validated"
            )
        ),
        "conflicts": list(ConflictOfInterest.objects.order_by("pk").values_list("pk")),
        "dossiers": list(
            Dossier.objects.filter(pk__in=dossier_ids).order_by("pk").values_list("pk", "status")
        ),
        "dossier_events": DossierEvent.objects.filter(dossier_id__in=dossier_ids).count(),
        "documents": DossierDocument.objects.filter(dossier_id__in=dossier_ids).count(),
        "acquired": list(AcquiredUnit.objects.order_by("pk").values_list("pk")),
        "emails": OutgoingEmail.objects.count(),
    }


@contextmanager
def refused(session, error=DomainError, match=None):
    """The block raises `error` (its message matching `match`) and writes nothing."""
    before = state(session)
    with pytest.raises(error, match=match) as caught:
        yield caught
    assert state(session) == before


def open_all(session, members):
    return services.session_open_deliberation(
        session=session, present_member_ids=[m.pk for m in members], actor=members[0].user
    )


def vote(item, member, proposal, *validated):
    units = services.units_to_judge(item)
    return services.vote_cast(
        item=item,
        proposal=proposal,
        unit_votes={u.pk: u.code in validated for u in units},
        actor=member.user,
    )


def test_the_president_opens_the_deliberation_with_a_quorum(jury):
    session, members, _items = jury
    open_all(session, members)
    session.refresh_from_db()
    assert session.status == SessionStatus.DELIBERATING
    assert all(m.present for m in JuryMember.objects.filter(session=session))


def test_without_quorum_the_deliberation_does_not_open(jury):
    session, (president, employee, expert), _items = jury
    with pytest.raises(DomainError, match="Quorum not reached"):
        services.session_open_deliberation(
            session=session, present_member_ids=[president.pk], actor=president.user
        )
    session.refresh_from_db()
    assert session.status == SessionStatus.CONVENED


def test_both_colleges_must_be_present_unless_the_branch_says_otherwise(jury, branch):
    session, (president, employee, expert), _items = jury
    present = [president.pk, expert.pk]
    with pytest.raises(DomainError, match="employee representative must both"):
        services.session_open_deliberation(
            session=session, present_member_ids=present, actor=president.user
        )
    JuryRules.objects.create(branch=branch, both_colleges_required=False)
    services.session_open_deliberation(
        session=session, present_member_ids=present, actor=president.user
    )


def test_only_the_president_opens_and_closes(jury, staff):
    session, (president, employee, expert), _items = jury
    for actor in (employee.user, staff):
        with pytest.raises(ActionNotPermitted):
            services.session_open_deliberation(
                session=session, present_member_ids=[president.pk], actor=actor
            )


def test_a_member_changes_their_vote_and_one_vote_stays(jury):
    session, (president, employee, expert), (first, _second) = jury
    open_all(session, (president, employee, expert))
    vote(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    vote(first, employee, Outcome.PARTIALLY_VALIDATED, "BC01")
    [only] = Vote.objects.filter(item=first, member=employee)
    assert only.proposal == Outcome.PARTIALLY_VALIDATED
    assert {(u.unit.code, u.validate) for u in only.units.all()} == {
        ("BC01", True),
        ("BC02", False),
    }


def test_no_vote_before_the_deliberation_nor_from_outside_the_jury(jury, staff):
    session, (president, employee, expert), (first, _second) = jury
    with pytest.raises(DomainError, match="Not possible while the session"):
        vote(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    open_all(session, (president, employee, expert))
    with pytest.raises(ActionNotPermitted):
        services.vote_cast(item=first, proposal=Outcome.CERTIFIED, unit_votes={}, actor=staff)


def test_a_conflicted_member_is_excluded_from_the_vote(jury):
    session, (president, employee, expert), (first, second) = jury
    open_all(session, (president, employee, expert))
    vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    services.member_declare_conflict(item=first, reason="Même employeur.", actor=expert.user)
    assert not Vote.objects.filter(item=first, member=expert).exists()
    with pytest.raises(DomainError, match="conflict of interest"):
        vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    vote(second, expert, Outcome.CERTIFIED, "BC01", "BC02")  # other dossiers stay open to them


def test_the_tally_counts_each_unit_and_a_tie_has_no_majority(jury):
    session, (president, employee, expert), (first, _second) = jury
    open_all(session, (president, employee, expert))
    vote(first, president, Outcome.CERTIFIED, "BC01", "BC02")
    vote(first, employee, Outcome.PARTIALLY_VALIDATED, "BC01")
    result = services.tally(first)
    by_code = {t.unit.code: (t.validate, t.reject, t.majority) for t in result.units}
    assert by_code == {"BC01": (2, 0, True), "BC02": (1, 1, None)}
    assert result.voters == 2
    assert result.proposals[Outcome.CERTIFIED] == 1


def test_the_decision_follows_the_majority_and_the_president_breaks_ties(jury):
    session, (president, employee, expert), (first, _second) = jury
    open_all(session, (president, employee, expert))
    vote(first, president, Outcome.CERTIFIED, "BC01", "BC02")
    vote(first, employee, Outcome.PARTIALLY_VALIDATED, "BC01")
    bc01, bc02 = services.units_to_judge(first)
    with pytest.raises(DomainError, match="BC01: the decision must follow"):
        services.decision_record(
            item=first,
            outcome=Outcome.NOT_VALIDATED,
            validated_unit_ids=[],
            motivation="Non.",
            actor=president.user,
        )
    # BC02 is a tie: the president decides either way.
    decision = services.decision_record(
        item=first,
        outcome=Outcome.CERTIFIED,
        validated_unit_ids=[bc01.pk, bc02.pk],
        actor=president.user,
    )
    assert decision.outcome == Outcome.CERTIFIED and not decision.is_final


@pytest.mark.parametrize("outcome", [Outcome.PARTIALLY_VALIDATED, Outcome.NOT_VALIDATED])
def test_a_partial_validation_or_a_refusal_needs_a_motivation(outcome, jury):
    session, members, (first, _second) = jury
    open_all(session, members)
    bc01 = services.units_to_judge(first)[0]
    validated = [bc01.pk] if outcome == Outcome.PARTIALLY_VALIDATED else []
    with pytest.raises(DomainError, match="reasoned"):
        services.decision_record(
            item=first, outcome=outcome, validated_unit_ids=validated, actor=members[0].user
        )
    assert not JuryDecision.objects.exists()


def test_closing_is_refused_while_a_dossier_has_no_decision(jury):
    session, members, (first, second) = jury
    open_all(session, members)
    services.decision_record(
        item=first, outcome=Outcome.ABSENT, validated_unit_ids=[], actor=members[0].user
    )
    with pytest.raises(DomainError, match=second.dossier.reference):
        services.session_close(session=session, actor=members[0].user)
    session.refresh_from_db()
    assert session.status == SessionStatus.DELIBERATING


def test_closing_makes_the_decisions_final_and_moves_the_dossiers(
    jury, django_capture_on_commit_callbacks
):
    session, members, (first, second) = jury
    president = members[0]
    open_all(session, members)
    bc01, bc02 = services.units_to_judge(first)
    services.decision_record(
        item=first,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[bc01.pk],
        motivation="BC02 : mise en situation insuffisante.",
        actor=president.user,
    )
    services.decision_record(
        item=second, outcome=Outcome.DEFERRED, validated_unit_ids=[], actor=president.user
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_close(session=session, actor=president.user)

    session.refresh_from_db()
    first.dossier.refresh_from_db()
    second.dossier.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    assert first.dossier.status == S.PARTIALLY_VALIDATED
    assert second.dossier.status == S.READY_FOR_JURY
    assert all(d.is_final for d in JuryDecision.objects.all())
    held = AcquiredUnit.objects.filter(candidate=first.dossier.candidate)
    assert [a.unit_id for a in held] == [bc01.pk]
    assert any(m.to == [first.dossier.candidate.user.email] for m in mail.outbox)
    assert not session.agenda.filter(active=True).exists()
    # Closed: nothing changes any more, and a double click is refused.
    with pytest.raises(TransitionNotAllowed):
        services.session_close(session=session, actor=president.user)
    with pytest.raises(DomainError):
        services.decision_record(
            item=first,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[bc01.pk, bc02.pk],
            actor=president.user,
        )


# --- helpers for the rules below --------------------------------------------------------------


@pytest.fixture
def deliberating(jury):
    """The jury's session, every member present, deliberating."""
    session, members, items = jury
    open_all(session, members)
    session.refresh_from_db()
    return session, members, items


def open_with(session, president, present):
    return services.session_open_deliberation(
        session=session, present_member_ids=[m.pk for m in present], actor=president.user
    )


def units(item):
    return {unit.code: unit for unit in services.units_to_judge(item)}


def decide(item, president, outcome, *validated, motivation=""):
    by_code = units(item)
    return services.decision_record(
        item=item,
        outcome=outcome,
        validated_unit_ids=[by_code[code].pk for code in validated],
        motivation=motivation,
        actor=president.user,
    )


def lines(decision):
    return {line.unit.code: line.validated for line in decision.units.select_related("unit")}


def close(session, president, capture):
    with capture(execute=True):
        return services.session_close(session=session, actor=president.user)


def another_session(branch, cqp, staff):
    return services.session_create(
        branch=branch, cqps=[cqp], starts_at=in_days(30), place="Lyon", actor=staff
    )


# --- presence and quorum ----------------------------------------------------------------------


def test_two_of_four_members_are_no_majority_three_are(jury, staff):
    session, (president, employee, expert), _items = jury
    fourth = seat(session, staff, College.EMPLOYEE, email="fourth@example.org")

    with refused(session, match="Quorum not reached: 2 present out of 4 members; more than 50%"):
        open_with(session, president, [president, employee])

    open_with(session, president, [president, employee, expert])
    session.refresh_from_db()
    assert session.status == SessionStatus.DELIBERATING
    assert dict(session.members.values_list("pk", "present")) == {
        president.pk: True,
        employee.pk: True,
        expert.pk: True,
        fourth.pk: False,
    }
    event = session.events.get(action="open_deliberation")
    assert str(expert.user) in event.comment and str(fourth.user) not in event.comment


@pytest.mark.parametrize(
    ("percent", "count", "opens"),
    [(75, 3, False), (74, 3, True), (49, 2, True), (50, 2, False)],
)
def test_the_branch_sets_its_quorum(percent, count, opens, jury, staff, branch):
    session, (president, employee, expert), _items = jury
    fourth = seat(session, staff, College.EMPLOYEE, email="fourth@example.org")
    JuryRules.objects.create(branch=branch, quorum_percent=percent)
    present = [president, employee, expert, fourth][:count]

    if opens:
        open_with(session, president, present)
        session.refresh_from_db()
        assert session.status == SessionStatus.DELIBERATING
    else:
        with refused(session, match=f"more than {percent}% must be present"):
            open_with(session, president, present)


def test_the_president_must_be_present(jury, staff):
    session, (president, employee, expert), _items = jury
    employer = seat(session, staff, College.EMPLOYER, email="employer@example.org")

    with refused(session) as caught:
        open_with(session, president, [employer, employee, expert])

    assert str(caught.value) == "The president must be present."


def test_only_the_sessions_members_can_be_marked_present(jury, branch, open_cqp, staff):
    session, members, _items = jury
    outsider = seat(another_session(branch, open_cqp, staff), staff, College.EMPLOYEE)

    with refused(session, match="Only the session's members can be marked present"):
        open_with(session, members[0], [*members, outsider])


def test_the_deliberation_opens_once_and_only_once_convened(jury, staff):
    session, members, _items = jury
    open_all(session, members)
    with refused(session, TransitionNotAllowed):
        open_all(session, members)


def test_a_cancelled_session_cannot_deliberate(jury, staff):
    session, members, _items = jury
    services.session_cancel(session=session, actor=staff, comment="Salle indisponible.")

    with refused(session, TransitionNotAllowed):
        open_all(session, members)


# --- votes ------------------------------------------------------------------------------------


def test_an_absent_member_cannot_vote(jury):
    session, (president, employee, expert), (first, _second) = jury
    open_with(session, president, [president, employee])

    with refused(session, match="Only the members present vote"):
        vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")


def test_it_refuses_an_unknown_proposal(deliberating):
    session, (_president, employee, _expert), (first, _second) = deliberating
    with refused(session, match="Choose a proposal"):
        services.vote_cast(item=first, proposal="maybe", unit_votes={}, actor=employee.user)


def test_it_refuses_a_vote_on_a_unit_of_another_version(deliberating, staff):
    session, (_president, employee, _expert), (first, _second) = deliberating
    draft = catalogue.referentiel_new_version(referentiel=first.dossier.referentiel, actor=staff)
    stranger = draft.units.get(code="BC01")
    every_unit = {unit.pk: True for unit in units(first).values()}

    with refused(session, match="Only the units still to acquire are judged"):
        services.vote_cast(
            item=first,
            proposal=Outcome.CERTIFIED,
            unit_votes={**every_unit, stranger.pk: True},
            actor=employee.user,
        )


@pytest.mark.parametrize(
    "proposal", [Outcome.CERTIFIED, Outcome.PARTIALLY_VALIDATED, Outcome.NOT_VALIDATED]
)
def test_a_proposal_that_judges_votes_on_every_unit(proposal, deliberating):
    session, (_president, employee, _expert), (first, _second) = deliberating
    with refused(session, match="Vote on each unit"):
        services.vote_cast(
            item=first,
            proposal=proposal,
            unit_votes={units(first)["BC01"].pk: True},
            actor=employee.user,
        )


@pytest.mark.parametrize("proposal", [Outcome.ABSENT, Outcome.DEFERRED])
def test_an_absence_or_a_deferral_proposed_carries_no_unit_vote(proposal, deliberating):
    session, (_president, employee, _expert), (first, _second) = deliberating
    with refused(session, match="An absence or a deferral judges no unit"):
        vote(first, employee, proposal, "BC01")

    cast = services.vote_cast(item=first, proposal=proposal, unit_votes={}, actor=employee.user)

    assert cast.proposal == proposal and not cast.units.exists()
    result = services.tally(first)
    assert (result.voters, result.proposals[proposal]) == (1, 1)
    assert all(t.validate == t.reject == 0 for t in result.units)


def test_a_member_of_another_session_cannot_vote(deliberating, branch, open_cqp, staff):
    session, _members, (first, _second) = deliberating
    outsider = seat(another_session(branch, open_cqp, staff), staff, College.EMPLOYEE)
    with refused(session, ActionNotPermitted):
        vote(first, outsider, Outcome.CERTIFIED, "BC01", "BC02")


# --- conflicts of interest --------------------------------------------------------------------


def test_a_conflict_is_declared_once_and_withdraws_that_vote_only(deliberating):
    session, (_president, employee, expert), (first, second) = deliberating
    vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    vote(second, expert, Outcome.PARTIALLY_VALIDATED, "BC01")
    vote(first, employee, Outcome.CERTIFIED, "BC01", "BC02")

    services.member_declare_conflict(item=first, reason="Même employeur.", actor=expert.user)

    conflict = ConflictOfInterest.objects.get()
    assert (conflict.dossier_id, conflict.person, conflict.role) == (
        first.dossier_id,
        expert.user,
        ConflictOfInterest.Role.JURY_MEMBER,
    )
    assert not Vote.objects.filter(item=first, member=expert).exists()
    assert not UnitVote.objects.filter(vote__item=first, vote__member=expert).exists()
    assert services.tally(first).voters == 1
    kept = Vote.objects.get(item=second, member=expert)
    assert kept.proposal == Outcome.PARTIALLY_VALIDATED and kept.units.count() == 2
    assert session.events.filter(action="declare_conflict").count() == 1

    with refused(session, match="already declared"):
        services.member_declare_conflict(item=first, reason="Encore.", actor=expert.user)
    with refused(session, match="conflict of interest"):
        vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    vote(second, expert, Outcome.CERTIFIED, "BC01", "BC02")  # the other dossier stays theirs
    assert Vote.objects.get(item=second, member=expert).proposal == Outcome.CERTIFIED


def test_a_conflict_is_reasoned_and_declared_by_a_member(deliberating, staff):
    session, (_president, _employee, expert), (first, _second) = deliberating
    with refused(session, match="Say what the conflict of interest is"):
        services.member_declare_conflict(item=first, reason="  ", actor=expert.user)
    with refused(session, ActionNotPermitted):
        services.member_declare_conflict(item=first, reason="Voisin.", actor=staff)


# --- the tally --------------------------------------------------------------------------------


def test_without_votes_every_unit_is_a_tie_and_the_president_is_free(deliberating):
    session, (president, _employee, _expert), (first, second) = deliberating

    result = services.tally(first)

    assert (result.voters, dict(result.proposals)) == (0, {})
    assert [(t.unit.code, t.validate, t.reject, t.majority) for t in result.units] == [
        ("BC01", 0, 0, None),
        ("BC02", 0, 0, None),
    ]
    decide(first, president, Outcome.CERTIFIED, "BC01", "BC02")
    decide(first, president, Outcome.NOT_VALIDATED, motivation="Aucun élément probant.")
    decision = decide(second, president, Outcome.PARTIALLY_VALIDATED, "BC02", motivation="BC01.")
    assert lines(decision) == {"BC01": False, "BC02": True}


@pytest.fixture
def optional_jury(branch, staff, cpnef, evaluator):
    """A deliberating session on a CQP of three units, BC03 optional; one dossier."""
    cqp = make_open_cqp(branch, staff, cpnef, "OP", units=3, optional=("BC03",))
    dossier = ready_dossier("optional@example.org", cqp, staff, evaluator)
    session, members, items = convened_session(branch, cqp, staff, [dossier])
    open_all(session, members)
    return session, members, items


def test_an_optional_unit_is_voted_on_and_may_stay_not_validated(
    optional_jury, django_capture_on_commit_callbacks
):
    session, (president, employee, expert), (item,) = optional_jury
    vote(item, employee, Outcome.CERTIFIED, "BC01", "BC02")
    vote(item, expert, Outcome.CERTIFIED, "BC01", "BC02")

    result = services.tally(item)
    assert {t.unit.code: t.majority for t in result.units} == {
        "BC01": True,
        "BC02": True,
        "BC03": False,
    }
    with refused(session, match="BC03: the decision must follow"):
        decide(item, president, Outcome.CERTIFIED, "BC01", "BC02", "BC03")
    with refused(session, match="some units, not all"):
        decide(item, president, Outcome.PARTIALLY_VALIDATED, "BC01", "BC02", motivation="BC03.")
    decision = decide(item, president, Outcome.CERTIFIED, "BC01", "BC02")
    assert lines(decision) == {"BC01": True, "BC02": True, "BC03": False}

    close(session, president, django_capture_on_commit_callbacks)

    item.dossier.refresh_from_db()
    assert item.dossier.status == S.CERTIFIED
    held = AcquiredUnit.objects.filter(candidate=item.dossier.candidate)
    assert sorted(held.values_list("unit__code", flat=True)) == ["BC01", "BC02"]


# --- decisions --------------------------------------------------------------------------------


def test_a_unit_the_majority_rejects_is_not_validated(deliberating):
    session, (president, employee, expert), (first, _second) = deliberating
    vote(first, president, Outcome.PARTIALLY_VALIDATED, "BC01")
    vote(first, employee, Outcome.PARTIALLY_VALIDATED, "BC01")
    vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")

    with refused(session, match="BC02: the decision must follow the majority"):
        decide(first, president, Outcome.CERTIFIED, "BC01", "BC02")

    decision = decide(first, president, Outcome.PARTIALLY_VALIDATED, "BC01", motivation="BC02.")
    assert lines(decision) == {"BC01": True, "BC02": False}


def test_the_president_changes_a_decision_until_closing_and_one_row_stays(deliberating):
    session, (president, employee, expert), (first, _second) = deliberating
    vote(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    vote(first, expert, Outcome.PARTIALLY_VALIDATED, "BC01")  # BC02 is a tie

    decide(first, president, Outcome.PARTIALLY_VALIDATED, "BC01", motivation="BC02 à revoir.")
    decide(first, president, Outcome.CERTIFIED, "BC01", "BC02")

    [decision] = JuryDecision.objects.filter(item=first)
    assert (decision.outcome, decision.motivation, decision.decided_by) == (
        Outcome.CERTIFIED,
        "",
        president.user,
    )
    assert lines(decision) == {"BC01": True, "BC02": True}
    assert not decision.is_final

    decide(first, president, Outcome.DEFERRED)

    [decision] = JuryDecision.objects.filter(item=first)
    assert decision.outcome == Outcome.DEFERRED and not decision.units.exists()
    assert session.events.filter(action="record_decision").count() == 3


@pytest.mark.parametrize(
    ("outcome", "validated", "message"),
    [
        (Outcome.CERTIFIED, ("BC01",), "every required unit to be validated"),
        (Outcome.CERTIFIED, (), "every required unit to be validated"),
        (Outcome.PARTIALLY_VALIDATED, ("BC01", "BC02"), "some units, not all"),
        (Outcome.PARTIALLY_VALIDATED, (), "some units, not all"),
        (Outcome.NOT_VALIDATED, ("BC02",), "A refusal validates no unit"),
    ],
)
def test_the_outcome_agrees_with_the_units(outcome, validated, message, deliberating):
    session, (president, _employee, _expert), (first, _second) = deliberating
    with refused(session, match=message):
        decide(first, president, outcome, *validated, motivation="Motivation.")


@pytest.mark.parametrize(
    ("outcome", "validated"),
    [(Outcome.CERTIFIED, ("BC01", "BC02")), (Outcome.ABSENT, ()), (Outcome.DEFERRED, ())],
)
def test_a_certification_an_absence_or_a_deferral_needs_no_motivation(
    outcome, validated, deliberating
):
    _session, (president, _employee, _expert), (first, _second) = deliberating
    decision = decide(first, president, outcome, *validated)
    assert (decision.outcome, decision.motivation) == (outcome, "")


def test_a_blank_motivation_is_no_motivation(deliberating):
    session, (president, _employee, _expert), (first, _second) = deliberating
    with refused(session, match="must be reasoned"):
        decide(first, president, Outcome.NOT_VALIDATED, motivation=" \n ")


@pytest.mark.parametrize("outcome", [Outcome.ABSENT, Outcome.DEFERRED])
def test_an_absence_or_a_deferral_judges_no_unit(outcome, deliberating):
    session, (president, _employee, _expert), (first, _second) = deliberating
    with refused(session, match="An absence or a deferral judges no unit"):
        decide(first, president, outcome, "BC01")

    decide(first, president, Outcome.PARTIALLY_VALIDATED, "BC01", motivation="BC02.")
    decision = decide(first, president, outcome)

    assert not decision.units.exists()
    assert not DecisionUnit.objects.exists()


def test_only_the_president_records_a_decision(deliberating, branch, open_cqp, staff):
    session, (_president, employee, expert), (first, _second) = deliberating
    elsewhere = another_session(branch, open_cqp, staff)
    other_president = seat(elsewhere, staff, College.EMPLOYER, Role.PRESIDENT)
    for actor in (employee.user, expert.user, staff, other_president.user):
        with refused(session, ActionNotPermitted):
            services.decision_record(
                item=first, outcome=Outcome.ABSENT, validated_unit_ids=[], actor=actor
            )


def test_a_decision_waits_for_the_deliberation(jury):
    session, (president, _employee, _expert), (first, _second) = jury
    with refused(session, TransitionNotAllowed):
        decide(first, president, Outcome.ABSENT)


def test_a_decision_overtaken_by_changed_votes_never_becomes_final(deliberating):
    """Members may change their votes until closing: a decision recorded before they do may no
    longer follow the majority. Either the late votes are refused or closing is (the president
    records the decision again): no final decision goes against the votes cast."""
    session, (president, employee, expert), (first, second) = deliberating
    vote(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    vote(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    decide(first, president, Outcome.CERTIFIED, "BC01", "BC02")
    decide(second, president, Outcome.ABSENT)

    for member in (employee, expert):
        with suppress(DomainError):
            vote(first, member, Outcome.PARTIALLY_VALIDATED, "BC01")  # BC02 now rejected 2-0
    with suppress(DomainError):
        services.session_close(session=session, actor=president.user)

    majority = {t.unit.code: t.majority for t in services.tally(first).units}
    for decision in JuryDecision.objects.filter(item=first, final_at__isnull=False):
        decided = lines(decision)
        against = [c for c, m in majority.items() if m is not None and m != decided[c]]
        assert not against, f"final decision {decided} against the votes cast {majority}"


# --- closing ----------------------------------------------------------------------------------


def test_closing_names_every_dossier_without_a_decision(deliberating):
    session, (president, _employee, _expert), (first, second) = deliberating
    with refused(session) as caught:
        services.session_close(session=session, actor=president.user)
    message = str(caught.value)
    assert first.dossier.reference in message and second.dossier.reference in message


def test_only_the_president_closes(deliberating, staff):
    session, (president, employee, expert), (first, second) = deliberating
    decide(first, president, Outcome.ABSENT)
    decide(second, president, Outcome.ABSENT)
    for actor in (employee.user, expert.user, staff):
        with refused(session, ActionNotPermitted):
            services.session_close(session=session, actor=actor)


# Five candidates, one per outcome: (decision, units validated, motivation).
FIVE = {
    "certified": (Outcome.CERTIFIED, ("BC01", "BC02"), ""),
    "partial": (Outcome.PARTIALLY_VALIDATED, ("BC01",), "BC02 : mise en situation insuffisante."),
    "refused": (Outcome.NOT_VALIDATED, (), "Aucun bloc démontré."),
    "absent": (Outcome.ABSENT, (), ""),
    "deferred": (Outcome.DEFERRED, (), "Pièces à compléter."),
}
JUDGED = ("certified", "partial", "refused")


@pytest.fixture
def five(branch, open_cqp, staff, evaluator):
    """A deliberating session with one dossier per outcome, each decided."""
    dossiers = [ready_dossier(f"{name}@example.org", open_cqp, staff, evaluator) for name in FIVE]
    session, members, items = convened_session(branch, open_cqp, staff, dossiers)
    open_all(session, members)
    items = dict(zip(FIVE, items, strict=True))
    for name, (outcome, validated, motivation) in FIVE.items():
        decide(items[name], members[0], outcome, *validated, motivation=motivation)
    return session, members, items


def held_codes(item):
    held = AcquiredUnit.objects.filter(candidate=item.dossier.candidate)
    return sorted(held.values_list("unit__code", flat=True))


def test_closing_gives_each_dossier_its_outcome_and_makes_the_decisions_final(
    five, django_capture_on_commit_callbacks
):
    session, members, items = five

    close(session, members[0], django_capture_on_commit_callbacks)

    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    assert session.events.filter(action="close").count() == 1
    statuses = {
        name: Dossier.objects.get(pk=item.dossier_id).status for name, item in items.items()
    }
    assert statuses == {
        "certified": S.CERTIFIED,
        "partial": S.PARTIALLY_VALIDATED,
        "refused": S.NOT_VALIDATED,
        "absent": S.READY_FOR_JURY,
        "deferred": S.READY_FOR_JURY,
    }
    steps = {
        name: list(
            DossierEvent.objects.filter(
                dossier_id=item.dossier_id, created_at__gte=session.status_changed_at
            ).values_list("action", flat=True)
        )
        for name, item in items.items()
    }
    assert {
        name: [a for a in actions if a != "erase_identity"] for name, actions in steps.items()
    } == {
        "certified": ["certify"],
        "partial": ["validate_partially"],
        "refused": ["not_validate"],
        "absent": ["remove_from_agenda"],
        "deferred": ["remove_from_agenda"],
    }
    assert {name: held_codes(item) for name, item in items.items()} == {
        "certified": ["BC01", "BC02"],
        "partial": ["BC01"],
        "refused": [],
        "absent": [],
        "deferred": [],
    }
    for acquired in AcquiredUnit.objects.all():
        assert acquired.acquired_on == timezone.localdate()
        assert acquired.dossier.candidate_id == acquired.candidate_id
    decisions = JuryDecision.objects.filter(item__session=session)
    assert {d.item_id: d.outcome for d in decisions} == {
        items[name].pk: outcome for name, (outcome, _v, _m) in FIVE.items()
    }
    assert len({d.final_at for d in decisions}) == 1 and all(d.is_final for d in decisions)
    assert not session.agenda.filter(active=True).exists()


def test_the_identity_piece_is_erased_once_the_decision_is_final(
    five, django_capture_on_commit_callbacks
):
    session, members, items = five
    pieces = {
        name: DossierDocument.objects.get(dossier_id=item.dossier_id, kind="identity")
        for name, item in items.items()
    }

    close(session, members[0], django_capture_on_commit_callbacks)

    for name, piece in pieces.items():
        storage, path = piece.file.storage, piece.file.name
        kept = DossierDocument.objects.filter(pk=piece.pk).exists()
        erased = DossierEvent.objects.filter(dossier_id=piece.dossier_id, action="erase_identity")
        if name in JUDGED:
            assert (kept, storage.exists(path), erased.count()) == (False, False, 1), name
        else:  # still needed for the next session
            assert (kept, storage.exists(path), erased.count()) == (True, True, 0), name


def test_closing_tells_each_candidate_once(five, django_capture_on_commit_callbacks):
    session, members, items = five
    mail.outbox.clear()

    close(session, members[0], django_capture_on_commit_callbacks)

    received = {
        name: [m for m in mail.outbox if m.to == [item.dossier.candidate.user.email]]
        for name, item in items.items()
    }
    assert {name: len(messages) for name, messages in received.items()} == dict.fromkeys(FIVE, 1)
    for name, [message] in received.items():
        assert items[name].dossier.reference in message.subject


def test_a_partially_validated_candidate_opens_a_new_dossier_carrying_the_acquired_units(
    five, branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    from candidates import services as candidates

    session, members, items = five
    close(session, members[0], django_capture_on_commit_callbacks)
    partial = items["partial"].dossier
    acquired = AcquiredUnit.objects.get(candidate=partial.candidate)

    again = admissible_dossier(partial.candidate, open_cqp, staff)

    assert again.previous_id == partial.pk
    carried = again.carried_over.get()
    assert (carried.unit, carried.acquired) == (acquired.unit, acquired)
    assert acquired.unit.code == "BC01"

    # A later jury judges the remaining unit only.
    candidates.dossier_assign_evaluator(dossier=again, evaluator=evaluator, actor=staff)
    to_ready(again, evaluator, Pathway.TRAINING)  # one VAE request per CQP and year
    later, (president, employee, _expert), (item,) = convened_session(
        branch, open_cqp, staff, [again], prefix="later."
    )
    open_all(later, (president, employee, _expert))
    assert list(units(item)) == ["BC02"]
    with refused(later, match="Only the units still to acquire are judged"):
        services.vote_cast(
            item=item,
            proposal=Outcome.CERTIFIED,
            unit_votes={acquired.unit_id: True, units(item)["BC02"].pk: True},
            actor=employee.user,
        )
    with refused(later, match="Only the units still to acquire are judged"):
        services.decision_record(
            item=item,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[acquired.unit_id, units(item)["BC02"].pk],
            actor=president.user,
        )
    vote(item, employee, Outcome.CERTIFIED, "BC02")
    decision = decide(item, president, Outcome.CERTIFIED, "BC02")
    assert lines(decision) == {"BC02": True}

    close(later, president, django_capture_on_commit_callbacks)

    again.refresh_from_db()
    assert again.status == S.CERTIFIED
    granted = AcquiredUnit.objects.filter(candidate=partial.candidate).order_by("unit__code")
    assert [(a.unit.code, a.dossier_id) for a in granted] == [
        ("BC01", partial.pk),
        ("BC02", again.pk),
    ]


def test_an_absent_or_deferred_dossier_goes_before_a_later_session(
    five, branch, open_cqp, staff, django_capture_on_commit_callbacks
):
    session, members, items = five
    close(session, members[0], django_capture_on_commit_callbacks)
    absent, deferred = items["absent"], items["deferred"]

    later, (president, *_others), (absent_again, deferred_again) = convened_session(
        branch, open_cqp, staff, [absent.dossier, deferred.dossier], prefix="later."
    )
    absent.dossier.refresh_from_db()
    assert absent.dossier.status == S.IN_JURY
    assert absent_again.pk != absent.pk and absent_again.active
    absent.refresh_from_db()
    assert not absent.active

    open_all(later, (president, *_others))
    decide(absent_again, president, Outcome.CERTIFIED, "BC01", "BC02")
    decide(deferred_again, president, Outcome.NOT_VALIDATED, motivation="Pièces absentes.")
    close(later, president, django_capture_on_commit_callbacks)

    statuses = dict(
        Dossier.objects.filter(pk__in=[absent.dossier_id, deferred.dossier_id]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {absent.dossier_id: S.CERTIFIED, deferred.dossier_id: S.NOT_VALIDATED}
    # The first session's decisions stay on record as they were.
    assert JuryDecision.objects.get(item=absent).outcome == Outcome.ABSENT
    assert JuryDecision.objects.get(item=deferred).outcome == Outcome.DEFERRED


def test_nothing_changes_once_the_session_is_closed(
    five, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    session, (president, employee, expert), items = five
    certified, absent = items["certified"], items["absent"]
    vote(certified, employee, Outcome.CERTIFIED, "BC01", "BC02")
    close(session, president, django_capture_on_commit_callbacks)
    late = ready_dossier("late@example.org", open_cqp, staff, evaluator)

    # votes
    with refused(session):
        vote(certified, employee, Outcome.NOT_VALIDATED)
    with refused(session):
        vote(certified, expert, Outcome.CERTIFIED, "BC01", "BC02")
    # decisions
    with refused(session):
        decide(certified, president, Outcome.NOT_VALIDATED, motivation="Revu.")
    with refused(session):
        decide(absent, president, Outcome.CERTIFIED, "BC01", "BC02")
    with refused(session):
        services.member_declare_conflict(item=certified, reason="Tardif.", actor=expert.user)
    # members
    with refused(session, TransitionNotAllowed):
        seat(session, staff, College.EXPERT)
    with refused(session, TransitionNotAllowed):
        services.member_remove(member=expert, actor=staff)
    # agenda
    with refused(session, TransitionNotAllowed):
        services.agenda_add(session=session, dossiers_to_add=[late], actor=staff)
    with refused(session, TransitionNotAllowed):
        services.agenda_remove(item=absent, actor=staff)
    # the session itself
    with refused(session, TransitionNotAllowed):
        services.session_close(session=session, actor=president.user)
    with refused(session, TransitionNotAllowed):
        open_all(session, (president, employee, expert))
    with refused(session, TransitionNotAllowed):
        services.session_cancel(session=session, actor=staff, comment="Trop tard.")
