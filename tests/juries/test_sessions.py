"""Jury sessions through their services: planning, composition, agenda, cancellation."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from candidates.models import DossierStatus
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from juries import services
from juries.models import AgendaItem, JuryMember, SessionStatus
from tests import factories
from tests.candidates.conftest import make_candidate
from tests.candidates.evaluation import to_ready
from tests.candidates.test_evaluator_space import admissible_dossier

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


def in_days(n):
    return timezone.now() + datetime.timedelta(days=n)


@pytest.fixture
def session(branch, open_cqp, staff):
    return services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(20), place="Paris", actor=staff
    )


def ready_dossier(email, cqp, staff, evaluator):
    from candidates import services as candidates

    dossier = admissible_dossier(make_candidate(email), cqp, staff)
    candidates.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    return to_ready(dossier, evaluator)


def seat(session, staff, college, role=Role.MEMBER, email=None):
    user = factories.UserFactory(email=email) if email else factories.UserFactory()
    return services.member_add(session=session, user=user, college=college, role=role, actor=staff)


def paritaire(session, staff):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    seat(session, staff, College.EMPLOYEE)
    seat(session, staff, College.EXPERT)


# --- planning ---------------------------------------------------------------------------------


def test_staff_plan_a_session_on_their_cqps(session, open_cqp):
    assert session.status == SessionStatus.PLANNED
    assert list(session.cqps.all()) == [open_cqp]
    assert session.events.get().action == "create"


def test_staff_of_another_branch_cannot_plan_one(branch, open_cqp, other_staff):
    with pytest.raises(ActionNotPermitted):
        services.session_create(
            branch=branch, cqps=[open_cqp], starts_at=in_days(3), place="Lyon", actor=other_staff
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at": -1}, "in the future"),
        ({"place": "", "video_link": ""}, "place of the session or its video link"),
        ({"cqps": []}, "Choose the CQPs"),
    ],
)
def test_it_refuses_a_session_badly_planned(fields, message, branch, open_cqp, staff):
    arguments = {"cqps": [open_cqp], "starts_at": 3, "place": "Lyon", "video_link": ""}
    arguments.update(fields)
    arguments["starts_at"] = in_days(arguments["starts_at"])
    with pytest.raises(DomainError, match=message):
        services.session_create(branch=branch, actor=staff, **arguments)


def test_it_refuses_a_cqp_of_another_branch(branch, open_cqp, other_cqp, staff):
    with pytest.raises(DomainError, match="its own branch"):
        services.session_create(
            branch=branch, cqps=[open_cqp, other_cqp], starts_at=in_days(3), place="X", actor=staff
        )


# --- composition ------------------------------------------------------------------------------


def test_a_paritaire_jury_with_one_president_has_no_problem(session, staff):
    paritaire(session, staff)
    assert services.composition_problems(session) == []
    assert session.events.filter(action="change_members").count() == 3


def test_it_names_what_the_composition_lacks(session, staff):
    seat(session, staff, College.EXPERT)
    problems = services.composition_problems(session)
    assert len(problems) == 3
    assert any("employer" in p for p in problems) and any("employee" in p for p in problems)
    assert any("president" in p for p in problems)


def test_a_jury_has_one_president_only(session, staff):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    with pytest.raises(DomainError, match="already has a president"):
        seat(session, staff, College.EMPLOYEE, Role.PRESIDENT)
    assert session.members.count() == 1


def test_the_database_refuses_a_second_president(session, staff):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        JuryMember.objects.create(
            session=session,
            user=factories.UserFactory(),
            college=College.EMPLOYEE,
            role=Role.PRESIDENT,
        )


def test_a_person_sits_once(session, staff):
    member = seat(session, staff, College.EMPLOYER)
    with pytest.raises(DomainError, match="already sits"):
        services.member_add(
            session=session, user=member.user, college=College.EXPERT, role=Role.MEMBER, actor=staff
        )


def test_only_the_branch_staff_seat_members(session, other_staff, cpnef):
    for actor in (other_staff, cpnef):
        with pytest.raises(ActionNotPermitted):
            seat(session, actor, College.EMPLOYER)
    assert session.members.count() == 0


def test_a_member_leaves_with_an_event(session, staff):
    member = seat(session, staff, College.EMPLOYER)
    services.member_remove(member=member, actor=staff)
    assert session.members.count() == 0
    assert "leaves" in session.events.order_by("-id").first().comment


# --- agenda -----------------------------------------------------------------------------------


def test_ready_dossiers_go_on_the_agenda_and_before_the_jury(session, open_cqp, staff, evaluator):
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    dossier.refresh_from_db()
    assert dossier.status == S.IN_JURY
    assert item.active and item.session == session
    assert dossier.events.order_by("-id").first().action == "put_on_agenda"


def test_a_dossier_sits_on_one_session_at_a_time(session, branch, open_cqp, staff, evaluator):
    other = services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(40), place="Lyon", actor=staff
    )
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    with pytest.raises(DomainError, match="not ready for the jury"):
        services.agenda_add(session=other, dossiers_to_add=[dossier], actor=staff)
    assert not other.agenda.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.create(session=other, dossier=dossier, added_by=staff)


def test_the_agenda_takes_every_ready_dossier_of_a_cqp(session, open_cqp, staff, evaluator):
    ready = [ready_dossier(f"c{i}@example.org", open_cqp, staff, evaluator) for i in range(3)]
    items = services.agenda_add_ready(session=session, cqp=open_cqp, actor=staff)
    assert sorted(item.dossier_id for item in items) == sorted(d.pk for d in ready)
    assert [item.order for item in items] == [1, 2, 3]


def test_adding_is_all_or_nothing(session, open_cqp, staff, evaluator, candidate):
    ready = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    not_ready = admissible_dossier(candidate, open_cqp, staff)
    with pytest.raises(DomainError, match=not_ready.reference):
        services.agenda_add(session=session, dossiers_to_add=[ready, not_ready], actor=staff)
    ready.refresh_from_db()
    assert ready.status == S.READY_FOR_JURY
    assert not session.agenda.exists()


def test_a_dossier_of_another_cqp_is_refused(session, branch, staff, evaluator, cpnef):
    from tests.candidates.test_dossier_lifecycle import make_open_cqp

    second = make_open_cqp(branch, staff, cpnef, code="GL")
    dossier = ready_dossier("a@example.org", second, staff, evaluator)
    with pytest.raises(DomainError, match="not a dossier of the CQPs"):
        services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)


def test_a_candidate_on_the_agenda_cannot_sit_on_the_jury(session, open_cqp, staff, evaluator):
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    with pytest.raises(DomainError, match="candidate on the agenda"):
        services.member_add(
            session=session,
            user=dossier.candidate.user,
            college=College.EXPERT,
            role=Role.MEMBER,
            actor=staff,
        )


def test_a_dossier_taken_off_the_agenda_is_ready_again_and_can_come_back(
    session, open_cqp, staff, evaluator
):
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.agenda_remove(item=item, actor=staff, comment="Pièce manquante.")
    dossier.refresh_from_db()
    item.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY and not item.active
    with pytest.raises(DomainError, match="no longer on the agenda"):
        services.agenda_remove(item=item, actor=staff)
    [again] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    assert again.pk == item.pk and again.active


# --- cancellation -----------------------------------------------------------------------------


def test_cancelling_frees_the_dossiers(session, open_cqp, staff, evaluator):
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_cancel(session=session, actor=staff, comment="Quorum impossible.")
    session.refresh_from_db()
    dossier.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert dossier.status == S.READY_FOR_JURY
    assert not session.agenda.filter(active=True).exists()


def test_a_cancelled_session_changes_no_more(session, staff):
    services.session_cancel(session=session, actor=staff, comment="Report.")
    with pytest.raises(TransitionNotAllowed):
        seat(session, staff, College.EMPLOYER)
    with pytest.raises(DomainError, match="reason"):
        services.session_cancel(session=session, actor=staff, comment=" ")


# --- convocation ------------------------------------------------------------------------------


def test_convening_sends_each_member_an_invitation_and_each_candidate_the_date(
    session, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    from django.core import mail

    paritaire(session, staff)
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.session_convene(session=session, actor=staff)

    session.refresh_from_db()
    assert session.status == SessionStatus.CONVENED
    members = {m.user.email for m in session.members.all()}
    to_members = [m for m in mail.outbox if m.to[0] in members]
    assert {m.to[0] for m in to_members} == members
    for message in to_members:
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == ("jury.ics", "text/calendar")
        assert "BEGIN:VEVENT" in content and f"UID:jury-session-{session.pk}@" in content
        assert "\r\n" in content and "LOCATION:Paris" in content
    [to_candidate] = [m for m in mail.outbox if m.to == [dossier.candidate.user.email]]
    assert dossier.reference in to_candidate.subject


def test_it_refuses_to_convene_an_incomplete_jury_or_an_empty_agenda(session, staff):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    with pytest.raises(DomainError) as caught:
        services.session_convene(session=session, actor=staff)
    assert "employee representative" in str(caught.value)
    assert "agenda is empty" in str(caught.value)
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED


def test_a_long_location_is_folded_and_escaped_in_the_invitation(session):
    from juries.calendar import session_invitation

    session.place = "Salle du conseil, 3 rue de l'Arrivée; bâtiment B " * 3
    text = session_invitation(session, summary="Jury", description="Deux lignes\nici")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\\," in text and "\\;" in text and "Deux lignes\\nici" in text


def test_members_and_agenda_are_fixed_once_the_deliberation_opens(
    session, open_cqp, staff, evaluator
):
    paritaire(session, staff)
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_convene(session=session, actor=staff)
    members = list(session.members.all())
    president = next(m for m in members if m.is_president)
    services.session_open_deliberation(
        session=session, present_member_ids=[m.pk for m in members], actor=president.user
    )
    late = ready_dossier("b@example.org", open_cqp, staff, evaluator)
    events = session.events.count()

    with pytest.raises(TransitionNotAllowed):
        seat(session, staff, College.EXPERT)
    with pytest.raises(TransitionNotAllowed):
        services.member_remove(member=members[-1], actor=staff)
    with pytest.raises(TransitionNotAllowed):
        services.agenda_add(session=session, dossiers_to_add=[late], actor=staff)
    with pytest.raises(TransitionNotAllowed):
        services.agenda_remove(item=item, actor=staff)
    with pytest.raises(TransitionNotAllowed):
        services.session_cancel(session=session, actor=staff, comment="Trop tard.")

    assert session.members.count() == len(members)
    assert list(session.agenda.values_list("dossier_id", "active")) == [(dossier.pk, True)]
    assert session.events.count() == events
    dossier.refresh_from_db()
    late.refresh_from_db()
    assert (dossier.status, late.status) == (S.IN_JURY, S.READY_FOR_JURY)
