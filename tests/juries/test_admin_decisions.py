"""What each session decided, in the admin: the agenda of a closed session, each dossier's jury
record (tally, every member's vote, every decision on record), the correction of a closed
decision, and the jury section of the dossier's page; scoped to the branch, read-only for CPNEF
members."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from candidates.models import AcquiredUnit, DossierStatus
from juries import services
from juries.models import (
    AgendaItem,
    DecisionUnit,
    JuryDecision,
    JuryMember,
    JurySession,
    Outcome,
    SessionStatus,
    UnitVote,
    Vote,
)
from tests import factories
from tests.candidates.conftest import make_candidate
from tests.candidates.test_admin import make_dossier
from tests.candidates.test_admin_evaluation import open_cqp_with_units
from tests.juries import test_deliberation
from tests.juries.test_deliberation import open_all, state, vote
from tests.juries.test_sessions import in_days

jury = test_deliberation.jury  # the fixture: a convened session with two dossiers

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role
FEW, MANY = 1, 30


@pytest.fixture
def client(client):
    """The admin in English, so that tests read the messages as written."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def change_url(session):
    return reverse("admin:juries_jurysession_change", args=[session.pk])


def record_url(item):
    return reverse("admin:juries_jurysession_record", args=[item.session_id, item.pk])


def correct_url(item):
    return reverse("admin:juries_jurysession_correct", args=[item.session_id, item.pk])


def dossier_url(dossier):
    return reverse("admin:candidates_dossier_change", args=[dossier.pk])


def errors_of(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def held(item):
    return set(
        AcquiredUnit.objects.filter(candidate=item.dossier.candidate).values_list(
            "unit__code", flat=True
        )
    )


@pytest.fixture
def deliberated(jury, staff, evaluator):
    """The jury, with the dossiers' evaluator seated as a second expert, has voted and decided:
    the first dossier partially validated (BC01, an expert against), the second refused (the
    employee declared a conflict on it). The session is still deliberating."""
    session, (president, employee, expert), (first, second) = jury
    as_evaluator = services.member_add(
        session=session, user=evaluator, college=College.EXPERT, role=Role.MEMBER, actor=staff
    )
    members = (president, employee, expert, as_evaluator)
    open_all(session, members)
    bc01, bc02 = services.units_to_judge(first)
    services.vote_cast(
        item=first,
        proposal=Outcome.PARTIALLY_VALIDATED,
        unit_votes={bc01.pk: True, bc02.pk: False},
        comment="Bonne maîtrise de la prospection, gestion locative fragile.",
        actor=president.user,
    )
    vote(first, employee, Outcome.PARTIALLY_VALIDATED, "BC01")
    vote(first, expert, Outcome.NOT_VALIDATED)
    services.member_declare_conflict(
        item=second, reason="Même agence que le candidat.", actor=employee.user
    )
    vote(second, president, Outcome.NOT_VALIDATED)
    vote(second, expert, Outcome.NOT_VALIDATED)
    services.decision_record(
        item=first,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[bc01.pk],
        motivation="BC02 insuffisant.",
        actor=president.user,
    )
    services.decision_record(
        item=second,
        outcome=Outcome.NOT_VALIDATED,
        validated_unit_ids=[],
        motivation="Aucun bloc maîtrisé.",
        actor=president.user,
    )
    session.refresh_from_db()
    return session, members, (first, second)


@pytest.fixture
def closed(deliberated):
    session, members, items = deliberated
    services.session_close(session=session, actor=members[0].user)
    session.refresh_from_db()
    return session, members, items


def correct(client, item, outcome, units=(), motivation="Erreur matérielle au procès-verbal."):
    return client.post(
        correct_url(item),
        {
            "decision": services_current(item).pk,
            "outcome": outcome,
            "units": [u.pk for u in services.units_to_judge(item) if u.code in units],
            "motivation": motivation,
        },
    )


def services_current(item):
    return JuryDecision.objects.filter(item=item).order_by("-decided_at", "-id").first()


# --- the session page ---------------------------------------------------------------------------


def test_a_closed_session_lists_the_dossiers_it_decided(client, staff, closed):
    session, _members, (first, second) = closed
    client.force_login(staff)

    page = client.get(change_url(session))

    agenda = [item for item, _remove in page.context["agenda"]]
    assert [item.pk for item in agenda] == [first.pk, second.pk]
    assert [item.votes_count for item in agenda] == [3, 2]
    assert [item.decision_label for item in agenda] == ["Partially validated", "Not validated"]
    assert all(item.decision_final and not item.decision_corrected for item in agenda)
    html = page.content.decode()
    assert record_url(first) in html and record_url(second) in html
    assert "No dossier on the agenda" not in html


def test_the_session_list_counts_the_dossiers_a_closed_session_decided(client, staff, closed):
    session, _members, _items = closed
    client.force_login(staff)

    page = client.get(reverse("admin:juries_jurysession_changelist"))

    [listed] = page.context["cl"].result_list
    assert listed.pk == session.pk and listed._agenda_count == 2


def test_a_deliberating_session_shows_the_votes_and_decisions_not_final(client, staff, deliberated):
    session, _members, (first, _second) = deliberated
    client.force_login(staff)

    page = client.get(change_url(session))

    agenda = [item for item, _remove in page.context["agenda"]]
    assert [item.votes_count for item in agenda] == [3, 2]
    assert not any(item.decision_final for item in agenda)
    assert "Not final until the session closes" in page.content.decode()
    assert record_url(first) in page.content.decode()


def test_a_planned_session_shows_no_decision_column(client, staff, branch, open_cqp):
    session = services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(20), place="Paris", actor=staff
    )
    client.force_login(staff)

    page = client.get(change_url(session))

    assert page.context["deliberated"] is False
    assert "Votes cast" not in page.content.decode()


# --- the jury record ----------------------------------------------------------------------------


def test_the_jury_record_shows_the_tally_each_vote_and_the_decision(client, staff, closed):
    session, (president, employee, expert, as_evaluator), (first, _second) = closed
    client.force_login(staff)

    page = client.get(record_url(first))

    assert page.status_code == 200
    context = page.context
    assert context["dossier"] == first.dossier
    assert [(t.unit.code, t.validate, t.reject, t.majority) for t in context["tally"].units] == [
        ("BC01", 2, 1, True),
        ("BC02", 0, 3, False),
    ]
    assert dict(context["proposals"]) == {"Partially validated": 2, "Not validated": 1}
    lines = {line.member.pk: line for line in context["members"]}
    assert lines[president.pk].state == "voted"
    assert [(u.code, v) for u, v in lines[president.pk].units] == [("BC01", True), ("BC02", False)]
    assert lines[expert.pk].vote.proposal == Outcome.NOT_VALIDATED
    assert lines[as_evaluator.pk].state == "evaluated" and lines[as_evaluator.pk].vote is None
    [decision] = context["decisions"]
    assert decision.outcome == Outcome.PARTIALLY_VALIDATED and decision.is_final
    assert [u.code for u in decision.validated_units] == ["BC01"]
    assert [u.code for u in decision.rejected_units] == ["BC02"]
    assert context["correct_url"] == correct_url(first)
    html = page.content.decode()
    assert escape("Bonne maîtrise de la prospection, gestion locative fragile.") in html
    assert "BC02 insuffisant." in html and "Excluded: evaluated the dossier" in html
    assert first.dossier.reference in html and first.dossier.cqp.code in html
    assert dossier_url(first.dossier) in html


def test_a_member_in_conflict_is_shown_as_excluded_with_the_reason(client, staff, closed):
    _session, (_president, employee, _expert, _evaluator), (_first, second) = closed
    client.force_login(staff)

    page = client.get(record_url(second))

    lines = {line.member.pk: line for line in page.context["members"]}
    assert lines[employee.pk].state == "conflict" and lines[employee.pk].vote is None
    html = page.content.decode()
    assert "Excluded: conflict of interest" in html
    assert escape("Même agence que le candidat.") in html


def test_the_record_of_a_deliberating_session_offers_no_correction(client, staff, deliberated):
    _session, _members, (first, _second) = deliberated
    client.force_login(staff)

    page = client.get(record_url(first))

    assert page.status_code == 200 and page.context["correct_url"] is None
    assert "Not final until the session closes" in page.content.decode()
    assert "Correct the decision" not in page.content.decode()


# --- correcting a closed decision ---------------------------------------------------------------


def test_staff_correct_a_refusal_through_the_form(client, staff, closed):
    session, _members, (_first, second) = closed
    old = JuryDecision.objects.get(item=second)
    client.force_login(staff)

    form = client.get(correct_url(second))
    assert form.status_code == 200 and form.context["refusal"] == ""
    assert form.context["form"].initial["outcome"] == Outcome.NOT_VALIDATED
    assert form.context["form"].initial["units"] == []
    response = correct(client, second, Outcome.PARTIALLY_VALIDATED, units=["BC01"])

    assert response.status_code == 302 and response.url == record_url(second)
    second.dossier.refresh_from_db()
    assert second.dossier.status == S.PARTIALLY_VALIDATED
    assert held(second) == {"BC01"}
    correction = JuryDecision.objects.get(item=second, corrects=old)
    assert correction.decided_by == staff and correction.is_final
    assert correction.motivation == "Erreur matérielle au procès-verbal."
    assert JuryDecision.objects.get(pk=old.pk).outcome == Outcome.NOT_VALIDATED  # kept

    record = client.get(response.url)
    assert "corrected" in record.content.decode().lower()
    old_shown, new_shown = record.context["decisions"]
    assert old_shown.pk == old.pk and old_shown.superseded_by.pk == correction.pk
    assert new_shown.corrects.pk == old.pk and new_shown.superseded_by is None
    assert record.context["current"].pk == correction.pk
    html = record.content.decode()
    assert "Superseded" in html and "Corrects the decision of" in html
    assert "The decision on %s is corrected" % second.dossier.reference in html

    agenda = [item for item, _remove in client.get(change_url(session)).context["agenda"]]
    assert [(i.decision_label, i.decision_corrected) for i in agenda] == [
        ("Partially validated", False),
        ("Partially validated", True),
    ]


def test_a_correction_can_withdraw_a_unit(client, staff, closed):
    _session, _members, (first, _second) = closed
    client.force_login(staff)

    correct(client, first, Outcome.NOT_VALIDATED, motivation="Fraude établie.")

    first.dossier.refresh_from_db()
    assert first.dossier.status == S.NOT_VALIDATED and held(first) == set()


@pytest.mark.parametrize(
    ("outcome", "units", "motivation", "message"),
    [
        (Outcome.CERTIFIED, ["BC01", "BC02"], "  ", "Give the reasons for correcting"),
        (Outcome.CERTIFIED, ["BC01"], "Erreur.", "every required unit to be validated"),
        (Outcome.NOT_VALIDATED, ["BC01"], "Erreur.", "A refusal validates no unit"),
        (Outcome.PARTIALLY_VALIDATED, [], "Erreur.", "validates some units, not all"),
        (Outcome.ABSENT, [], "Erreur.", "Select a valid choice"),
    ],
)
def test_a_correction_the_rules_refuse_writes_nothing(
    client, staff, closed, outcome, units, motivation, message
):
    session, _members, (first, _second) = closed
    client.force_login(staff)
    before = state(session)

    response = correct(client, first, outcome, units=units, motivation=motivation)

    assert response.status_code == 200
    assert message in errors_of(response)
    assert state(session) == before


def test_a_second_submission_does_not_correct_the_correction(client, staff, closed):
    session, _members, (first, _second) = closed
    client.force_login(staff)
    shown = JuryDecision.objects.get(item=first)
    data = {
        "decision": shown.pk,
        "outcome": Outcome.CERTIFIED,
        "units": [u.pk for u in services.units_to_judge(first)],
        "motivation": "Erreur de report.",
    }
    assert client.post(correct_url(first), data).status_code == 302
    before = state(session)

    again = client.post(correct_url(first), data)

    assert again.status_code == 200 and "corrected already" in errors_of(again)
    assert state(session) == before
    assert JuryDecision.objects.filter(item=first).count() == 2


def test_a_correction_names_a_decision_of_its_own_dossier(client, staff, closed):
    session, _members, (first, second) = closed
    client.force_login(staff)
    before = state(session)

    response = client.post(
        correct_url(first),
        {
            "decision": JuryDecision.objects.get(item=second).pk,
            "outcome": Outcome.NOT_VALIDATED,
            "motivation": "Erreur.",
        },
    )

    assert response.status_code == 200 and "reload the page" in errors_of(response)
    assert state(session) == before


def test_a_decision_is_not_corrected_while_the_session_deliberates(client, staff, deliberated):
    session, _members, (first, _second) = deliberated
    client.force_login(staff)
    before = state(session)

    page = client.get(correct_url(first))
    posted = correct(client, first, Outcome.CERTIFIED, units=["BC01", "BC02"])

    assert page.status_code == 200 and page.context["form"] is None
    assert "still deliberating" in page.context["refusal"]
    assert "<form" not in page.content.decode().split('id="content-main"')[1]
    assert posted.status_code == 200 and posted.context["form"] is None
    assert state(session) == before


def test_an_absence_judged_no_unit_and_is_not_corrected(client, staff, jury):
    session, members, (first, second) = jury
    president = members[0].user
    open_all(session, members)
    services.decision_record(
        item=first, outcome=Outcome.ABSENT, validated_unit_ids=[], actor=president
    )
    services.decision_record(
        item=second,
        outcome=Outcome.NOT_VALIDATED,
        validated_unit_ids=[],
        motivation="Aucun bloc maîtrisé.",
        actor=president,
    )
    services.session_close(session=session, actor=president)
    client.force_login(staff)

    record = client.get(record_url(first))
    page = client.get(correct_url(first))

    assert record.context["correct_url"] is None
    assert "judged no unit" in page.context["refusal"] and page.context["form"] is None
    assert client.get(record_url(second)).context["correct_url"] == correct_url(second)


# --- access -------------------------------------------------------------------------------------


def test_cpnef_members_read_the_record_but_do_not_correct(client, cpnef, closed):
    session, _members, (first, _second) = closed
    client.force_login(cpnef)
    before = state(session)

    record = client.get(record_url(first))

    assert record.status_code == 200 and record.context["correct_url"] is None
    assert "Correct the decision" not in record.content.decode()
    assert client.get(correct_url(first)).status_code == 403
    assert correct(client, first, Outcome.CERTIFIED, units=["BC01", "BC02"]).status_code == 403
    assert state(session) == before


def test_staff_of_another_branch_find_neither_record_nor_correction(client, other_staff, closed):
    session, _members, (first, _second) = closed
    client.force_login(other_staff)
    before = state(session)

    assert client.get(record_url(first)).status_code == 404
    assert client.get(correct_url(first)).status_code == 404
    assert correct(client, first, Outcome.CERTIFIED, units=["BC01", "BC02"]).status_code == 404
    assert state(session) == before


def test_an_item_of_another_session_is_not_found(client, staff, closed, branch, open_cqp):
    session, _members, (first, _second) = closed
    other = services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(30), place="Lyon", actor=staff
    )
    client.force_login(staff)

    for name in ("record", "correct"):
        url = reverse(f"admin:juries_jurysession_{name}", args=[other.pk, first.pk])
        assert client.get(url).status_code == 404, name
    assert client.get(record_url(first)).status_code == 200


def test_a_superuser_reads_and_corrects_any_branch(client, superuser, closed):
    _session, _members, (_first, second) = closed
    client.force_login(superuser)

    assert client.get(record_url(second)).context["correct_url"] == correct_url(second)
    assert correct(client, second, Outcome.PARTIALLY_VALIDATED, units=["BC01"]).status_code == 302
    assert held(second) == {"BC01"}


# --- the dossier's page -------------------------------------------------------------------------


def test_the_dossier_page_lists_its_jury_sessions_and_decision(client, staff, closed):
    session, _members, (_first, second) = closed
    client.force_login(staff)

    before = client.get(dossier_url(second.dossier))
    correct(client, second, Outcome.PARTIALLY_VALIDATED, units=["BC01"])
    after = client.get(dossier_url(second.dossier))

    [item] = before.context["jury_items"]
    assert item.session == session and item.decision_label == "Not validated"
    assert item.decision_final and not item.decision_corrected
    html = before.content.decode()
    assert 'id="dossier-jury"' in html and record_url(second) in html
    [item] = after.context["jury_items"]
    assert item.decision_label == "Partially validated" and item.decision_corrected
    assert "corrected" in after.content.decode()


def test_cpnef_members_see_the_jury_section_of_the_dossier(client, cpnef, closed):
    _session, _members, (first, _second) = closed
    client.force_login(cpnef)

    page = client.get(dossier_url(first.dossier))

    assert [i.pk for i in page.context["jury_items"]] == [first.pk]
    assert record_url(first) in page.content.decode()


def test_a_dossier_never_before_a_jury_has_no_jury_section(client, staff, open_cqp):
    dossier = make_dossier(make_candidate("c@example.org"), open_cqp)
    client.force_login(staff)

    page = client.get(dossier_url(dossier))

    assert page.status_code == 200
    assert "jury_items" not in page.context
    assert 'id="dossier-jury"' not in page.content.decode()


# --- query bounds -------------------------------------------------------------------------------


def decided(session, dossier, members, staff, order=0, *, corrections=0):
    """A dossier the closed `session` decided (created directly: the services' path to it is
    tested above): every member voted on every unit; the jury certified it, then staff
    corrected it `corrections` times."""
    now = timezone.now()
    item = AgendaItem.objects.create(
        session=session, dossier=dossier, order=order, active=False, added_by=staff
    )
    units = services.units_to_judge(item)
    for member in members:
        cast = Vote.objects.create(item=item, member=member, proposal=Outcome.CERTIFIED)
        UnitVote.objects.bulk_create(
            [UnitVote(vote=cast, unit=unit, validate=True) for unit in units]
        )
    decision = None
    for n in range(corrections + 1):
        decision = JuryDecision.objects.create(
            item=item,
            outcome=Outcome.CERTIFIED,
            motivation=f"Correction {n}." if n else "",
            decided_by=members[0].user if n == 0 else staff,
            decided_at=now + datetime.timedelta(minutes=n),
            final_at=now + datetime.timedelta(minutes=n),
            corrects=decision,
        )
        DecisionUnit.objects.bulk_create(
            [DecisionUnit(decision=decision, unit=unit, validated=True) for unit in units]
        )
    return item


def closed_session(branch, cqp, staff, members=3):
    session = JurySession.objects.create(
        branch=branch,
        starts_at=in_days(-1),
        place="Paris",
        created_by=staff,
        status=SessionStatus.CLOSED,
    )
    session.cqps.set([cqp])
    colleges = [College.EMPLOYER, College.EMPLOYEE, College.EXPERT]
    seated = [
        JuryMember.objects.create(
            session=session,
            user=factories.UserFactory(),
            college=colleges[n % 3],
            role=Role.PRESIDENT if n == 0 else Role.MEMBER,
            present=True,
        )
        for n in range(members)
    ]
    return session, seated


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_closed_session_page_query_count_is_bounded(
    client, staff, branch, open_cqp, rows, django_assert_max_num_queries
):
    session, members = closed_session(branch, open_cqp, staff)
    for n in range(rows):
        dossier = make_dossier(make_candidate(f"c{n}@example.org"), open_cqp, status=S.CERTIFIED)
        decided(session, dossier, members, staff, order=n, corrections=n % 2)
    client.force_login(staff)
    client.get(change_url(session))  # warm the session and content types

    with django_assert_max_num_queries(12):
        response = client.get(change_url(session))

    agenda = [item for item, _remove in response.context["agenda"]]
    assert len(agenda) == rows and all(item.votes_count == 3 for item in agenda)
    assert [item.decision_corrected for item in agenda] == [bool(n % 2) for n in range(rows)]


@pytest.mark.parametrize(("units", "members", "corrections"), [(2, 3, 0), (10, 15, 4)])
def test_the_jury_record_query_count_is_bounded(
    client,
    staff,
    cpnef,
    branch,
    units,
    members,
    corrections,
    django_assert_max_num_queries,
):
    cqp = open_cqp_with_units(branch, staff, cpnef, units)
    session, seated = closed_session(branch, cqp, staff, members)
    dossier = make_dossier(make_candidate("c@example.org"), cqp, status=S.CERTIFIED)
    item = decided(session, dossier, seated, staff, corrections=corrections)
    client.force_login(staff)
    client.get(record_url(item))

    with django_assert_max_num_queries(20):
        record = client.get(record_url(item))
    with django_assert_max_num_queries(14):
        form = client.get(correct_url(item))

    assert len(record.context["members"]) == members
    assert all(len(line.units) == units for line in record.context["members"])
    assert len(record.context["decisions"]) == corrections + 1
    assert [t.validate for t in record.context["tally"].units] == [members] * units
    assert form.context["form"] is not None


@pytest.mark.parametrize("sessions", [1, 6])
def test_the_dossier_page_query_count_does_not_grow_with_its_sessions(
    client, staff, branch, open_cqp, sessions, django_assert_max_num_queries
):
    dossier = make_dossier(make_candidate("c@example.org"), open_cqp, status=S.CERTIFIED)
    for _n in range(sessions):
        session, members = closed_session(branch, open_cqp, staff)
        decided(session, dossier, members, staff, corrections=1)
    client.force_login(staff)
    client.get(dossier_url(dossier))

    with django_assert_max_num_queries(18):
        page = client.get(dossier_url(dossier))

    assert len(page.context["jury_items"]) == sessions
