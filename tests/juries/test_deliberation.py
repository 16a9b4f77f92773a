"""The deliberation through its services: quorum, votes, tally, decisions, closing."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from candidates.models import AcquiredUnit, DossierStatus
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from juries import services
from juries.models import JuryDecision, JuryMember, JuryRules, Outcome, SessionStatus, Vote
from tests.juries.test_sessions import ready_dossier, seat

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def jury(branch, open_cqp, staff, evaluator):
    """A convened session: president (employer), employee, expert; two dossiers on the agenda."""
    session = services.session_create(
        branch=branch,
        cqps=[open_cqp],
        starts_at=timezone.now() + datetime.timedelta(days=10),
        place="Paris",
        actor=staff,
    )
    president = seat(session, staff, College.EMPLOYER, Role.PRESIDENT, "president@example.org")
    employee = seat(session, staff, College.EMPLOYEE, email="employee@example.org")
    expert = seat(session, staff, College.EXPERT, email="expert@example.org")
    first = ready_dossier("first@example.org", open_cqp, staff, evaluator)
    second = ready_dossier("second@example.org", open_cqp, staff, evaluator)
    items = services.agenda_add(session=session, dossiers_to_add=[first, second], actor=staff)
    services.session_convene(session=session, actor=staff)
    session.refresh_from_db()
    return session, (president, employee, expert), items


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
