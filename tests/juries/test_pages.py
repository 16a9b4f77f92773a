"""The jury's pages: my sessions, the session and its agenda, the dossier, votes, decisions."""

import datetime

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from candidates import services as dossiers
from candidates.models import Candidate, ConflictOfInterest, Dossier, DossierStatus
from cqp.models import User
from juries import services
from juries.models import (
    AgendaItem,
    JuryDecision,
    JuryMember,
    JurySession,
    Outcome,
    SessionStatus,
    Vote,
)
from tests.candidates.evaluation import to_ready
from tests.candidates.test_evaluator_pages import accredited, open_cqp_with_units
from tests.candidates.test_evaluator_space import admissible_dossier
from tests.juries.test_sessions import ready_dossier, seat

College = JuryMember.College
Role = JuryMember.Role
LIST = reverse("juries:session_list")


@pytest.fixture(autouse=True)
def english(client):
    """Pages and messages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def in_days(n):
    return timezone.now() + datetime.timedelta(days=n)


def new_session(branch, cqp, staff, **fields):
    return services.session_create(
        branch=branch,
        cqps=[cqp],
        starts_at=fields.pop("starts_at", in_days(10)),
        place=fields.pop("place", "Paris"),
        actor=staff,
    )


@pytest.fixture
def jury(branch, open_cqp, staff, evaluator):
    """A convened session: president (employer), employee, expert; two dossiers on the agenda."""
    session = new_session(branch, open_cqp, staff)
    president = seat(session, staff, College.EMPLOYER, Role.PRESIDENT, "president@example.org")
    employee = seat(session, staff, College.EMPLOYEE, email="employee@example.org")
    expert = seat(session, staff, College.EXPERT, email="expert@example.org")
    first = ready_dossier("first@example.org", open_cqp, staff, evaluator)
    second = ready_dossier("second@example.org", open_cqp, staff, evaluator)
    items = services.agenda_add(session=session, dossiers_to_add=[first, second], actor=staff)
    services.session_convene(session=session, actor=staff)
    session.refresh_from_db()
    return session, (president, employee, expert), items


def session_url(session, name="session_detail"):
    return reverse(f"juries:{name}", args=[session.pk])


def item_url(item, name="item_detail"):
    return reverse(f"juries:{name}", args=[item.session_id, item.pk])


def open_all(session, members):
    services.session_open_deliberation(
        session=session, present_member_ids=[m.pk for m in members], actor=members[0].user
    )
    session.refresh_from_db()


def units(item):
    return services.units_to_judge(item)


def cast(item, member, proposal, *validated):
    return services.vote_cast(
        item=item,
        proposal=proposal,
        unit_votes={u.pk: u.code in validated for u in units(item)},
        actor=member.user,
    )


def vote_data(item, proposal, *validated, comment=""):
    data = {"proposal": proposal, "comment": comment}
    for unit in units(item):
        data[f"unit_{unit.pk}"] = "validate" if unit.code in validated else "reject"
    return data


def decision_data(item, outcome, *validated, motivation=""):
    data = {"outcome": outcome, "motivation": motivation}
    for unit in units(item):
        if unit.code in validated:
            data[f"unit_{unit.pk}"] = "on"
    return data


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- access -----------------------------------------------------------------------------------


def test_a_member_sees_the_session_and_its_dossiers(client, jury):
    session, (_president, employee, _expert), (first, second) = jury
    client.force_login(employee.user)

    page = client.get(session_url(session))
    dossier = client.get(item_url(first))

    assert page.status_code == 200
    html = page.content.decode()
    assert first.dossier.reference in html and second.dossier.reference in html
    assert str(first.dossier.candidate) in html
    assert dossier.status_code == 200
    assert dossier.context["dossier"] == first.dossier


@pytest.fixture
def outsiders(jury, branch, open_cqp, staff, superuser, evaluator):
    """Who must not see the session: a member of another session of the branch, the
    branch's staff, a superuser, the candidate of a dossier on the agenda."""
    _session, _members, (first, _second) = jury
    other = new_session(branch, open_cqp, staff)
    elsewhere = seat(other, staff, College.EMPLOYER, Role.PRESIDENT, "elsewhere@example.org")
    return {
        "member of another session": elsewhere.user,
        "branch staff": staff,
        "superuser": superuser,
        "candidate on the agenda": first.dossier.candidate.user,
        "evaluator of the dossier": evaluator,
    }


@pytest.mark.parametrize(
    "who",
    [
        "member of another session",
        "branch staff",
        "superuser",
        "candidate on the agenda",
        "evaluator of the dossier",
    ],
)
def test_anyone_but_its_members_gets_a_404(client, jury, outsiders, who):
    session, _members, (first, _second) = jury
    client.force_login(outsiders[who])

    for url in (session_url(session), item_url(first)):
        assert client.get(url).status_code == 404
    for url in (
        session_url(session, "open_deliberation"),
        session_url(session, "close_session"),
        item_url(first, "vote"),
        item_url(first, "conflict"),
        item_url(first, "decision"),
    ):
        assert client.post(url).status_code == 404
    assert session.events.filter(action="open_deliberation").count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client, jury):
    session, _members, (first, _second) = jury
    for url in (LIST, session_url(session), item_url(first)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert client.post(item_url(first, "vote")).status_code == 302


def test_a_dossier_of_another_session_is_not_found_through_this_one(client, jury, branch, staff):
    session, (president, _employee, _expert), (first, _second) = jury
    other = JurySession.objects.create(
        branch=branch, starts_at=in_days(5), place="Lyon", created_by=staff
    )
    client.force_login(president.user)
    # The item exists, but not on this session's agenda.
    assert client.get(reverse("juries:item_detail", args=[other.pk, first.pk])).status_code == 404
    assert client.get(reverse("juries:item_detail", args=[session.pk, 999999])).status_code == 404


def test_someone_without_a_seat_gets_a_403_on_my_sessions(client, plain_user, staff):
    for user in (plain_user, staff):
        client.force_login(user)
        assert client.get(LIST).status_code == 403


def test_my_sessions_lists_the_convened_and_past_ones_not_the_planned(
    client, jury, branch, open_cqp, staff
):
    session, (president, employee, _expert), _items = jury
    planned = new_session(branch, open_cqp, staff, place="Planifiée")
    services.member_add(
        session=planned, user=employee.user, college=College.EMPLOYEE, role=Role.MEMBER, actor=staff
    )
    cancelled = new_session(branch, open_cqp, staff, place="Annulée", starts_at=in_days(3))
    services.member_add(
        session=cancelled,
        user=employee.user,
        college=College.EMPLOYEE,
        role=Role.MEMBER,
        actor=staff,
    )
    services.session_cancel(session=cancelled, actor=staff, comment="Salle indisponible.")
    client.force_login(employee.user)

    page = client.get(LIST)

    assert page.status_code == 200
    assert [s.session for s in page.context["upcoming"]] == [session]
    assert [s.session for s in page.context["past"]] == [cancelled]
    html = page.content.decode()
    assert "Planifiée" not in html
    assert "Employee representative" in html and open_cqp.code in html
    [upcoming] = page.context["upcoming"]
    assert upcoming.session.agenda_size == 2
    # A planned session's page is not open to its members yet.
    assert client.get(session_url(planned)).status_code == 404


def test_a_cancelled_session_stays_visible_to_its_members_without_its_dossiers(client, jury, staff):
    session, (_president, employee, _expert), (first, _second) = jury
    services.session_cancel(session=session, actor=staff, comment="Quorum impossible.")
    client.force_login(employee.user)

    page = client.get(session_url(session))

    assert page.status_code == 200
    assert page.context["agenda"] == []
    assert "This session was cancelled" in page.content.decode()
    assert client.get(item_url(first)).status_code == 404


def test_the_jury_space_shows_in_the_navigation_of_its_members(client, jury):
    _session, (_president, employee, _expert), _items = jury
    client.force_login(employee.user)
    page = client.get(LIST)
    assert f'href="{LIST}" aria-current="page"' in page.content.decode()


# --- opening the deliberation -------------------------------------------------------------------


def test_the_president_opens_the_deliberation_with_a_quorum(client, jury):
    session, members, _items = jury
    president, employee, expert = members
    client.force_login(president.user)
    page = client.get(session_url(session))
    assert page.context["open_form"] is not None
    assert "Open the deliberation" in page.content.decode()

    response = client.post(
        session_url(session, "open_deliberation"), {"present": [president.pk, employee.pk]}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.DELIBERATING
    presence = dict(JuryMember.objects.filter(session=session).values_list("pk", "present"))
    assert presence == {president.pk: True, employee.pk: True, expert.pk: False}
    assert "The deliberation is open" in shown_messages(response)[0]


def test_without_quorum_the_page_says_why_and_nothing_changes(client, jury):
    session, (president, _employee, expert), _items = jury
    client.force_login(president.user)

    page = client.post(
        session_url(session, "open_deliberation"), {"present": [president.pk, expert.pk]}
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "Nothing was saved" in html
    assert "An employer and an employee representative must both be present." in html
    assert 'value="%d"' % president.pk in html  # the ticks are kept
    session.refresh_from_db()
    assert session.status == SessionStatus.CONVENED
    assert not JuryMember.objects.filter(session=session, present__isnull=False).exists()


def test_nobody_ticked_is_refused_with_the_quorum_message(client, jury):
    session, (president, _employee, _expert), _items = jury
    client.force_login(president.user)
    page = client.post(session_url(session, "open_deliberation"), {})
    assert "Quorum not reached: 0 present out of 3 members" in page.content.decode()


def test_a_member_who_does_not_preside_can_neither_open_nor_close(client, jury):
    session, (president, employee, expert), _items = jury
    client.force_login(employee.user)
    assert client.get(session_url(session)).context["open_form"] is None

    response = client.post(
        session_url(session, "open_deliberation"),
        {"present": [president.pk, employee.pk, expert.pk]},
    )

    assert response.status_code == 302
    assert shown_messages(response) == ["Only the jury's president may do this."]
    session.refresh_from_db()
    assert session.status == SessionStatus.CONVENED
    client.get(session_url(session))  # the message is shown
    open_all(session, (president, employee, expert))
    response = client.post(session_url(session, "close_session"))
    assert shown_messages(response) == ["Only the jury's president may do this."]


# --- votes and conflicts --------------------------------------------------------------------------


def test_members_vote_through_the_page_and_change_their_vote(client, jury):
    session, members, (first, _second) = jury
    _president, employee, _expert = members
    open_all(session, members)
    client.force_login(employee.user)
    page = client.get(item_url(first))
    assert page.context["vote_form"] is not None
    assert "Record my vote" in page.content.decode()

    response = client.post(
        item_url(first, "vote"), vote_data(first, Outcome.CERTIFIED, "BC01", "BC02")
    )
    assert response.status_code == 302
    response = client.post(
        item_url(first, "vote"),
        vote_data(first, Outcome.PARTIALLY_VALIDATED, "BC01", comment="BC02 fragile."),
    )

    [vote] = Vote.objects.filter(item=first, member=employee)
    assert vote.proposal == Outcome.PARTIALLY_VALIDATED
    assert vote.comment == "BC02 fragile."
    assert {(u.unit.code, u.validate) for u in vote.units.all()} == {
        ("BC01", True),
        ("BC02", False),
    }
    # The form comes back filled with the vote.
    form = client.get(item_url(first)).context["vote_form"]
    bc01, bc02 = units(first)
    assert form["proposal"].value() == Outcome.PARTIALLY_VALIDATED
    assert form[f"unit_{bc01.pk}"].value() == "validate"
    assert form[f"unit_{bc02.pk}"].value() == "reject"
    agenda = client.get(session_url(session)).context["agenda"]
    assert [item.vote_state for item in agenda] == ["voted", "to_vote"]


def test_a_vote_must_judge_each_unit_unless_absent_or_deferred(client, jury):
    session, members, (first, _second) = jury
    open_all(session, members)
    client.force_login(members[1].user)
    data = vote_data(first, Outcome.CERTIFIED, "BC01")
    del data[f"unit_{units(first)[1].pk}"]

    page = client.post(item_url(first, "vote"), data)

    assert page.status_code == 200
    assert "Say whether you validate this unit." in page.content.decode()
    assert not Vote.objects.exists()
    client.post(item_url(first, "vote"), {"proposal": Outcome.DEFERRED})
    vote = Vote.objects.get()
    assert vote.proposal == Outcome.DEFERRED and not vote.units.exists()


def test_no_vote_before_the_deliberation(client, jury):
    _session, (_president, employee, _expert), (first, _second) = jury
    client.force_login(employee.user)
    page = client.get(item_url(first))
    assert page.context["vote_form"] is None
    assert "voting opens when the president opens the deliberation" in page.content.decode()

    response = client.post(item_url(first, "vote"), vote_data(first, Outcome.CERTIFIED, "BC01"))

    assert response.status_code == 302
    assert "Not possible while the session is “Convened”." in shown_messages(response)
    assert not Vote.objects.exists()


def test_a_member_recorded_absent_does_not_vote(client, jury):
    session, (president, employee, expert), (first, _second) = jury
    open_all(session, (president, employee))
    client.force_login(expert.user)
    page = client.get(item_url(first))
    assert page.context["vote_form"] is None
    assert "You were not recorded present" in page.content.decode()
    response = client.post(
        item_url(first, "vote"), vote_data(first, Outcome.CERTIFIED, "BC01", "BC02")
    )
    assert shown_messages(response) == ["Only the members present vote."]
    assert not Vote.objects.exists()


def test_a_member_declares_a_conflict_and_gets_no_vote_form(client, jury):
    session, members, (first, second) = jury
    _president, _employee, expert = members
    open_all(session, members)
    cast(first, expert, Outcome.CERTIFIED, "BC01", "BC02")
    client.force_login(expert.user)
    assert "Declare a conflict of interest" in client.get(item_url(first)).content.decode()

    response = client.post(item_url(first, "conflict"), {"reason": "Même employeur."})

    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get(dossier=first.dossier, person=expert.user)
    assert conflict.role == ConflictOfInterest.Role.JURY_MEMBER
    assert not Vote.objects.filter(item=first, member=expert).exists()
    page = client.get(item_url(first))
    assert page.context["vote_form"] is None and page.context["conflict_form"] is None
    html = page.content.decode()
    assert "You declared a conflict of interest on this dossier" in html
    assert item_url(first, "vote") not in html
    response = client.post(
        item_url(first, "vote"), vote_data(first, Outcome.CERTIFIED, "BC01", "BC02")
    )
    assert not Vote.objects.filter(item=first, member=expert).exists()
    agenda = client.get(session_url(session)).context["agenda"]
    assert [item.vote_state for item in agenda] == ["conflict", "to_vote"]
    assert client.get(item_url(second)).context["vote_form"] is not None


def test_a_conflict_needs_its_reason(client, jury):
    _session, (_president, employee, _expert), (first, _second) = jury
    client.force_login(employee.user)
    page = client.post(item_url(first, "conflict"), {"reason": "  "})
    assert page.status_code == 200
    assert "Say what the conflict of interest is." in page.content.decode()
    assert not ConflictOfInterest.objects.filter(person=employee.user).exists()


# --- the tally and the decisions ------------------------------------------------------------------


def test_the_president_sees_the_tally_and_records_the_decision(client, jury):
    session, members, (first, _second) = jury
    president, employee, expert = members
    open_all(session, members)
    cast(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    cast(first, expert, Outcome.PARTIALLY_VALIDATED, "BC01")
    client.force_login(president.user)

    page = client.get(item_url(first))

    tally = {line.unit.code: (line.validate, line.reject) for line in page.context["tally"].units}
    assert tally == {"BC01": (2, 0), "BC02": (1, 1)}
    html = page.content.decode()
    assert "Tie (1 to 1) — your decision." in html
    assert "Still to vote:" in html  # the president has not voted
    form = page.context["decision_form"]
    bc01, bc02 = units(first)
    assert form[f"unit_{bc01.pk}"].value() is True  # the majority
    assert not form[f"unit_{bc02.pk}"].value()  # a tie: left to the president

    response = client.post(
        item_url(first, "decision"), decision_data(first, Outcome.CERTIFIED, "BC01", "BC02")
    )

    assert response.status_code == 302
    decision = JuryDecision.objects.get(item=first)
    assert decision.outcome == Outcome.CERTIFIED and not decision.is_final
    assert {(u.unit.code, u.validated) for u in decision.units.all()} == {
        ("BC01", True),
        ("BC02", True),
    }
    page = client.get(item_url(first))
    assert page.context["decision_form"]["outcome"].value() == Outcome.CERTIFIED
    assert "Decision recorded (not final until the session closes)" in page.content.decode()


def test_a_refusal_without_motivation_is_refused_on_the_page(client, jury):
    session, members, (first, _second) = jury
    open_all(session, members)
    client.force_login(members[0].user)

    page = client.post(item_url(first, "decision"), decision_data(first, Outcome.NOT_VALIDATED))

    assert page.status_code == 200
    assert "A partial validation or a refusal must be reasoned." in page.content.decode()
    assert not JuryDecision.objects.exists()
    client.post(
        item_url(first, "decision"),
        decision_data(first, Outcome.NOT_VALIDATED, motivation="Mise en situation insuffisante."),
    )
    assert JuryDecision.objects.get().motivation == "Mise en situation insuffisante."


def test_a_decision_against_the_majority_is_refused_on_the_page(client, jury):
    session, members, (first, _second) = jury
    president, employee, expert = members
    open_all(session, members)
    cast(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    client.force_login(president.user)
    page = client.post(
        item_url(first, "decision"),
        decision_data(first, Outcome.PARTIALLY_VALIDATED, "BC01", motivation="BC02 faible."),
    )
    assert "BC02: the decision must follow the majority of the votes cast." in (
        page.content.decode()
    )
    assert not JuryDecision.objects.exists()


def test_a_member_who_does_not_preside_sees_no_tally_and_cannot_decide(client, jury):
    session, members, (first, _second) = jury
    open_all(session, members)
    client.force_login(members[1].user)
    page = client.get(item_url(first))
    assert page.context["tally"] is None and page.context["decision_form"] is None

    response = client.post(item_url(first, "decision"), decision_data(first, Outcome.ABSENT))

    assert shown_messages(response) == ["Only the jury's president may do this."]
    assert not JuryDecision.objects.exists()


def test_closing_through_the_page_names_the_undecided_then_makes_the_decisions_final(client, jury):
    session, members, (first, second) = jury
    president = members[0]
    open_all(session, members)
    client.force_login(president.user)
    client.post(item_url(first, "decision"), decision_data(first, Outcome.ABSENT))
    page = client.get(session_url(session))
    assert page.context["close_problems"] == [
        f"Dossiers without a decision: {second.dossier.reference}."
    ]

    response = client.post(session_url(session, "close_session"), follow=True)

    assert f"Dossiers without a decision: {second.dossier.reference}." in (
        response.content.decode()
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.DELIBERATING
    client.post(item_url(second, "decision"), decision_data(second, Outcome.DEFERRED))

    response = client.post(session_url(session, "close_session"), follow=True)

    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    assert all(decision.is_final for decision in JuryDecision.objects.all())
    assert "The session is closed" in response.content.decode()
    # Closed: the agenda shows the decided dossiers, the dossier page no form.
    agenda = response.context["agenda"]
    assert [(item.pk, item.decision_outcome) for item in agenda] == [
        (first.pk, Outcome.ABSENT),
        (second.pk, Outcome.DEFERRED),
    ]
    page = client.get(item_url(first))
    assert page.status_code == 200
    assert page.context["decision_form"] is None and page.context["vote_form"] is None
    assert "The jury's decision" in page.content.decode()


def test_a_closed_session_shows_a_member_their_vote_and_the_final_decision(client, jury):
    session, members, (first, second) = jury
    president, employee, _expert = members
    open_all(session, members)
    cast(first, employee, Outcome.CERTIFIED, "BC01", "BC02")
    bc01, bc02 = units(first)
    services.decision_record(
        item=first,
        outcome=Outcome.CERTIFIED,
        validated_unit_ids=[bc01.pk, bc02.pk],
        actor=president.user,
    )
    services.decision_record(
        item=second, outcome=Outcome.DEFERRED, validated_unit_ids=[], actor=president.user
    )
    services.session_close(session=session, actor=president.user)
    client.force_login(employee.user)

    page = client.get(item_url(first))

    assert page.context["vote"].proposal == Outcome.CERTIFIED
    assert page.context["decision"].is_final
    assert page.context["conflict_form"] is None
    assert client.get(LIST).context["past"][0].session == session


# --- the dossier page's content ---------------------------------------------------------------


def test_the_dossier_page_shows_the_evaluation_the_pieces_and_the_candidate(client, jury):
    _session, (_president, employee, _expert), (first, _second) = jury
    dossier = first.dossier
    client.force_login(employee.user)

    page = client.get(item_url(first))

    html = page.content.decode()
    assert dossier.candidate.last_name in html and dossier.candidate.first_name in html
    assert "Positioning unit by unit" in html  # the evaluation summary
    assert html.count('class="criterion-met"') == 2  # one criterion per unit, both met
    assert [d.original_name for d in page.context["documents"]] == ["piece.pdf", "livret-2.pdf"]
    [identity, booklet] = page.context["documents"]
    assert (identity.original_name, booklet.original_name) == ("piece.pdf", "livret-2.pdf")
    assert piece_url(first, booklet) in html


def piece_url(item, document):
    return reverse("juries:document_download", args=[item.session_id, item.pk, document.pk])


def test_a_member_downloads_the_pieces_of_a_dossier_on_the_agenda(client, jury):
    _session, (_president, employee, _expert), (first, second) = jury
    document = first.dossier.documents.get(kind="vae_booklet")
    client.force_login(employee.user)

    response = client.get(piece_url(first, document))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # A piece of another dossier is not reached through this one.
    assert client.get(piece_url(second, document)).status_code == 404


def test_outsiders_do_not_download_the_pieces(client, jury, outsiders):
    _session, _members, (first, _second) = jury
    document = first.dossier.documents.get(kind="vae_booklet")
    for who in ("member of another session", "branch staff"):
        client.force_login(outsiders[who])
        assert client.get(piece_url(first, document)).status_code == 404


def test_a_member_who_evaluated_a_dossier_sees_it_but_does_not_vote_on_it(
    client, branch, open_cqp, staff, evaluator
):
    session = new_session(branch, open_cqp, staff)
    president = seat(session, staff, College.EMPLOYER, Role.PRESIDENT, "president@example.org")
    employee = seat(session, staff, College.EMPLOYEE, email="employee@example.org")
    as_expert = services.member_add(
        session=session, user=evaluator, college=College.EXPERT, role=Role.MEMBER, actor=staff
    )
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_convene(session=session, actor=staff)
    open_all(session, (president, employee, as_expert))
    client.force_login(evaluator)

    page = client.get(item_url(item))

    assert page.status_code == 200
    assert page.context["vote_form"] is None
    assert "You evaluated this dossier: you do not vote on it." in page.content.decode()
    agenda = client.get(session_url(session)).context["agenda"]
    assert [i.vote_state for i in agenda] == ["evaluated"]
    client.force_login(president.user)
    page = client.get(item_url(item))
    # The evaluator is not waited for.
    assert {m.pk for m in page.context["yet_to_vote"]} == {president.pk, employee.pk}


# --- query bounds -------------------------------------------------------------------------------


def crowded_session(branch, cqp, staff, count):
    """A deliberating session whose agenda holds `count` dossiers (rows written in bulk)."""
    session = new_session(branch, cqp, staff)
    president = seat(session, staff, College.EMPLOYER, Role.PRESIDENT, "p@example.org")
    seat(session, staff, College.EMPLOYEE, email="e@example.org")
    users = User.objects.bulk_create(
        [User(email=f"bulk{n}@example.org", last_name=f"Nom{n}") for n in range(count)]
    )
    candidates = Candidate.objects.bulk_create(
        [Candidate(user=u, first_name="Prénom", last_name=u.last_name) for u in users]
    )
    referentiel = cqp.referentiels.get()
    rows = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=c,
                cqp=cqp,
                referentiel=referentiel,
                reference=f"2099-{n:06d}",
                funding="cpf",
                status=DossierStatus.IN_JURY,
            )
            for n, c in enumerate(candidates)
        ]
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(session=session, dossier=d, order=n, added_by=staff)
            for n, d in enumerate(rows)
        ]
    )
    JurySession.objects.filter(pk=session.pk).update(status=SessionStatus.DELIBERATING)
    JuryMember.objects.filter(session=session).update(present=True)
    return session, president


# My sessions: session, user, jury seat (403 check), seats with their sessions, branches and
# counts, the CQPs, the navigation (memberships, candidate profile, accreditation).
LIST_QUERIES = 8


@pytest.mark.parametrize("count", [1, 15])
def test_my_sessions_keeps_its_query_count(
    client, branch, open_cqp, staff, plain_user, django_assert_max_num_queries, count
):
    statuses = [SessionStatus.CONVENED, SessionStatus.DELIBERATING, SessionStatus.CLOSED]
    for n in range(count):
        session = JurySession.objects.create(
            branch=branch,
            starts_at=in_days(n - 5),
            place="Paris",
            status=statuses[n % 3],
            created_by=staff,
        )
        session.cqps.set([open_cqp])
        JuryMember.objects.create(session=session, user=plain_user, college=College.EXPERT)
    client.force_login(plain_user)

    with django_assert_max_num_queries(LIST_QUERIES):
        page = client.get(LIST)

    assert len(page.context["upcoming"]) + len(page.context["past"]) == count


# Session page: session, user, seat with the session and branch, members, CQPs, the agenda
# (votes, conflicts and decisions annotated), dossiers without a decision (closing), and the
# navigation (memberships, candidate profile, accreditation, jury seat).
SESSION_QUERIES = 11


@pytest.mark.parametrize("count", [1, 300])
def test_the_session_page_keeps_its_query_count(
    client, branch, open_cqp, staff, django_assert_max_num_queries, count
):
    session, president = crowded_session(branch, open_cqp, staff, count)
    client.force_login(president.user)

    with django_assert_max_num_queries(SESSION_QUERIES):
        page = client.get(session_url(session))

    assert page.status_code == 200
    assert len(page.context["agenda"]) == count
    assert page.content.decode().count("/dossiers/") == count


# Dossier page, as the president while deliberating (the fullest): session, user, seat, item,
# pieces, positioning and plan with their lines, units with competences and criteria, carried
# over, assessments with criteria and conflicts, the member's conflict, who is excluded from
# the vote (conflicts, assessors), the member's vote, the units to judge, the tally (units,
# votes and their lines), the decision, who is yet to vote, comments, the neighbours on the
# agenda, the evaluator's note, the navigation.
DOSSIER_QUERIES = 38


@pytest.mark.parametrize("unit_count", [2, 12])
def test_the_dossier_page_keeps_its_query_count(
    client, candidate, branch, staff, cpnef, django_assert_max_num_queries, unit_count
):
    cqp = open_cqp_with_units(branch, staff, cpnef, f"J{unit_count}", units=unit_count)
    evaluator = accredited(branch, "eval.j@example.org")
    dossier = admissible_dossier(candidate, cqp, staff)
    dossiers.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    to_ready(dossier, evaluator)
    session = new_session(branch, cqp, staff)
    president = seat(session, staff, College.EMPLOYER, Role.PRESIDENT, "p@example.org")
    employee = seat(session, staff, College.EMPLOYEE, email="e@example.org")
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    services.session_convene(session=session, actor=staff)
    open_all(session, (president, employee))
    cast(item, employee, Outcome.CERTIFIED, *[u.code for u in units(item)])
    cast(item, president, Outcome.CERTIFIED, *[u.code for u in units(item)])
    client.force_login(president.user)

    with django_assert_max_num_queries(DOSSIER_QUERIES):
        page = client.get(item_url(item))

    assert page.status_code == 200
    assert len(page.context["units"]) == unit_count
    assert len(page.context["tally"].units) == unit_count
    assert page.content.decode().count('class="criterion-met"') == unit_count * 3
