"""An evaluator may sit on the jury, but never votes on a dossier they evaluated."""

import datetime

import pytest
from django.utils import timezone, translation

from cqp.errors import DomainError
from juries import services
from juries.models import JuryMember, Outcome, Vote
from tests.juries.test_sessions import ready_dossier, seat

College = JuryMember.College


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


def test_the_evaluator_of_a_dossier_does_not_vote_on_it(branch, open_cqp, staff, evaluator):
    session = services.session_create(
        branch=branch,
        cqps=[open_cqp],
        starts_at=timezone.now() + datetime.timedelta(days=5),
        place="Paris",
        actor=staff,
    )
    president = seat(session, staff, College.EMPLOYER, JuryMember.Role.PRESIDENT)
    employee = seat(session, staff, College.EMPLOYEE)
    as_expert = services.member_add(
        session=session,
        user=evaluator,
        college=College.EXPERT,
        role=JuryMember.Role.MEMBER,
        actor=staff,
    )
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_convene(session=session, actor=staff)
    services.session_open_deliberation(
        session=session,
        present_member_ids=[president.pk, employee.pk, as_expert.pk],
        actor=president.user,
    )
    units = {unit.pk: True for unit in services.units_to_judge(item)}

    with pytest.raises(DomainError, match="You evaluated this dossier"):
        services.vote_cast(item=item, proposal=Outcome.CERTIFIED, unit_votes=units, actor=evaluator)
    assert not Vote.objects.exists()
    services.vote_cast(item=item, proposal=Outcome.CERTIFIED, unit_votes=units, actor=employee.user)


def test_a_president_in_conflict_breaks_no_tie_and_defers(branch, open_cqp, staff, evaluator):
    session = services.session_create(
        branch=branch,
        cqps=[open_cqp],
        starts_at=timezone.now() + datetime.timedelta(days=5),
        place="Paris",
        actor=staff,
    )
    president = seat(session, staff, College.EMPLOYER, JuryMember.Role.PRESIDENT)
    employee = seat(session, staff, College.EMPLOYEE)
    employer = seat(session, staff, College.EMPLOYER)
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_convene(session=session, actor=staff)
    services.session_open_deliberation(
        session=session,
        present_member_ids=[president.pk, employee.pk, employer.pk],
        actor=president.user,
    )
    services.member_declare_conflict(item=item, reason="Mon neveu.", actor=president.user)
    units = services.units_to_judge(item)
    services.vote_cast(
        item=item,
        proposal=Outcome.CERTIFIED,
        unit_votes={u.pk: True for u in units},
        actor=employee.user,
    )
    services.vote_cast(
        item=item,
        proposal=Outcome.NOT_VALIDATED,
        unit_votes={u.pk: False for u in units},
        actor=employer.user,
    )

    with pytest.raises(DomainError, match="votes are tied"):
        services.decision_record(
            item=item,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[u.pk for u in units],
            actor=president.user,
        )
    decision = services.decision_record(
        item=item, outcome=Outcome.DEFERRED, validated_unit_ids=[], actor=president.user
    )
    assert decision.outcome == Outcome.DEFERRED
