"""Jury sessions in the admin, for branch staff: planning, members, agenda, convocation,
cancellation, quorum rules; scoped to the staff's branch, read-only for CPNEF members."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from candidates.models import DossierStatus
from juries import services
from juries.models import AgendaItem, JuryMember, JuryRules, JurySession, SessionStatus
from tests import factories
from tests.candidates.conftest import make_candidate
from tests.candidates.test_admin import make_dossier
from tests.juries.test_sessions import in_days, paritaire, ready_dossier, seat

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role
CHANGELIST = reverse("admin:juries_jurysession_changelist")
ADD = reverse("admin:juries_jurysession_add")
FEW, MANY = 1, 30


@pytest.fixture
def client(client):
    """The admin in English, so that tests read the messages as written."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def session(branch, open_cqp, staff):
    return services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(20), place="Paris", actor=staff
    )


def change_url(session):
    return reverse("admin:juries_jurysession_change", args=[session.pk])


def url(name, session, *args):
    return reverse(f"admin:juries_jurysession_{name}", args=[session.pk, *args])


def errors_of(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def in_jury(email, cqp):
    """A dossier already before the jury (the services' path to it is tested elsewhere)."""
    return make_dossier(make_candidate(email), cqp, status=S.IN_JURY)


def put_on_agenda(session, dossier, staff, order=0):
    return AgendaItem.objects.create(session=session, dossier=dossier, order=order, added_by=staff)


# --- planning -----------------------------------------------------------------------------------


def test_staff_plan_a_session_through_the_add_form(client, staff, branch, open_cqp, other_cqp):
    client.force_login(staff)
    page = client.get(ADD)
    assert page.status_code == 200
    assert list(page.context["form"].fields["branch"].queryset) == [branch]
    assert list(page.context["form"].fields["cqps"].queryset) == [open_cqp]

    when = timezone.localtime(in_days(15)).replace(hour=14, minute=0, second=0, microsecond=0)
    response = client.post(
        ADD,
        {
            "branch": branch.pk,
            "cqps": [open_cqp.pk],
            "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
            "place": "Salle du conseil",
            "video_link": "",
        },
    )

    session = JurySession.objects.get()
    assert response.status_code == 302 and response.url == change_url(session)
    assert session.starts_at == when and session.place == "Salle du conseil"
    assert list(session.cqps.all()) == [open_cqp]
    assert session.events.get().action == "create"
    assert session.created_by == staff


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at": -2}, "A session is planned in the future."),
        ({"place": "", "video_link": ""}, "Give the place of the session or its video link."),
    ],
)
def test_the_add_form_shows_what_the_service_refuses(
    client, staff, branch, open_cqp, fields, message
):
    data = {"branch": branch.pk, "cqps": [open_cqp.pk], "starts_at": 10, "place": "Lyon"}
    data.update(fields)
    data["starts_at"] = timezone.localtime(in_days(data["starts_at"])).strftime("%Y-%m-%dT%H:%M")
    client.force_login(staff)

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert not JurySession.objects.exists()


def test_the_add_form_refuses_another_branch_and_its_cqps(
    client, staff, branch, other_branch, open_cqp, other_cqp
):
    client.force_login(staff)
    when = timezone.localtime(in_days(10)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        ADD,
        {"branch": other_branch.pk, "cqps": [other_cqp.pk], "starts_at": when, "place": "X"},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"branch", "cqps"}
    assert not JurySession.objects.exists()


def test_a_video_session_needs_no_place(client, staff, branch, open_cqp):
    client.force_login(staff)
    when = timezone.localtime(in_days(10)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        ADD,
        {
            "branch": branch.pk,
            "cqps": [open_cqp.pk],
            "starts_at": when,
            "video_link": "https://visio.example.org/jury",
        },
    )

    session = JurySession.objects.get()
    assert session.place == "" and session.video_link == "https://visio.example.org/jury"
    listing = client.get(CHANGELIST)
    assert "By video" in listing.content.decode()


def test_dates_and_place_are_read_only_once_planned(client, staff, session):
    client.force_login(staff)

    page = client.get(change_url(session))
    response = client.post(change_url(session), {"place": "Ailleurs"})

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.place == "Paris"


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_upcoming_sessions_first_with_their_counts(
    client, staff, branch, open_cqp, evaluator
):
    def plan(days):
        return services.session_create(
            branch=branch, cqps=[open_cqp], starts_at=in_days(days), place="P", actor=staff
        )

    later, sooner, past, older = plan(40), plan(5), plan(1), plan(2)
    JurySession.objects.filter(pk=past.pk).update(starts_at=in_days(-3))
    JurySession.objects.filter(pk=older.pk).update(starts_at=in_days(-30))
    paritaire(sooner, staff)
    put_on_agenda(sooner, in_jury("a@example.org", open_cqp), staff)
    removed = put_on_agenda(sooner, in_jury("b@example.org", open_cqp), staff)
    removed.active = False
    removed.save()
    client.force_login(staff)

    response = client.get(CHANGELIST)

    rows = list(response.context["cl"].result_list)
    assert rows == [sooner, later, past, older]
    assert (rows[0]._member_count, rows[0]._agenda_count) == (3, 1)
    assert (rows[1]._member_count, rows[1]._agenda_count) == (0, 0)
    html = response.content.decode()
    assert "cqp-status--planned" in html and open_cqp.code in html


def test_the_list_filters_by_status_and_cqp(client, staff, session, branch, open_cqp):
    cancelled = services.session_create(
        branch=branch, cqps=[open_cqp], starts_at=in_days(9), place="P", actor=staff
    )
    services.session_cancel(session=cancelled, actor=staff, comment="Report.")
    client.force_login(staff)

    by_status = client.get(CHANGELIST, {"status": "cancelled"})
    by_cqp = client.get(CHANGELIST, {"cqps__id__exact": open_cqp.pk})

    assert list(by_status.context["cl"].result_list) == [cancelled]
    assert set(by_cqp.context["cl"].result_list) == {session, cancelled}


def test_each_branch_sees_its_own_sessions(
    client, staff, other_staff, cpnef, superuser, session, other_branch, other_cqp
):
    from certifications import services as catalogue

    catalogue.referentiel_publish(referentiel=other_cqp.referentiels.get(), actor=other_staff)
    other = JurySession.objects.create(
        branch=other_branch, starts_at=in_days(3), place="Lille", created_by=other_staff
    )
    seen = {}
    for user in (staff, cpnef, other_staff, superuser):
        client.force_login(user)
        seen[user] = set(client.get(CHANGELIST).context["cl"].result_list)
    assert seen == {
        staff: {session},
        cpnef: {session},
        other_staff: {other},
        superuser: {session, other},
    }


# --- members ------------------------------------------------------------------------------------


def test_staff_add_a_member_by_e_mail_and_remove_them(client, staff, session):
    person = factories.UserFactory(email="juror@example.org", first_name="Anne", last_name="Roy")
    client.force_login(staff)
    assert client.get(url("member_add", session)).status_code == 200

    response = client.post(
        url("member_add", session),
        {"email": "JUROR@example.org", "college": College.EMPLOYER, "role": Role.PRESIDENT},
    )

    assert response.status_code == 302 and response.url == change_url(session)
    member = session.members.get()
    assert (member.user, member.college, member.role) == (person, College.EMPLOYER, Role.PRESIDENT)
    page = client.get(change_url(session))
    assert "Anne Roy" in page.content.decode()
    remove = url("member_remove", session, member.pk)
    assert remove in page.content.decode()

    confirm = client.get(remove)
    assert confirm.status_code == 200 and "Anne Roy" in confirm.content.decode()
    assert session.members.exists()
    response = client.post(remove)

    assert response.status_code == 302
    assert not session.members.exists()
    assert "leaves" in session.events.order_by("-id").first().comment


def test_the_branch_people_are_offered_and_others_found_by_e_mail(
    client, staff, cpnef, session, other_staff
):
    stranger = factories.UserFactory(email="stranger@example.org")
    client.force_login(staff)

    page = client.get(url("member_add", session))
    offered = set(page.context["form"].fields["person"].queryset)
    client.post(
        url("member_add", session),
        {"person": cpnef.pk, "college": College.EMPLOYEE, "role": Role.MEMBER},
    )
    again = set(client.get(url("member_add", session)).context["form"].fields["person"].queryset)

    assert {staff, cpnef} <= offered
    assert stranger not in offered and other_staff not in offered
    assert session.members.get().user == cpnef
    assert cpnef not in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a person or give their e-mail address."),
        ({"email": "nobody@example.org"}, "No active account has this e-mail address."),
        ({"email": "inactive@example.org"}, "No active account has this e-mail address."),
    ],
)
def test_a_member_is_someone_with_an_active_account(client, staff, session, data, message):
    factories.UserFactory(email="inactive@example.org", is_active=False)
    client.force_login(staff)

    response = client.post(
        url("member_add", session), {"college": College.EXPERT, "role": Role.MEMBER, **data}
    )

    assert response.status_code == 200
    assert message in errors_of(response)
    assert not session.members.exists()


def test_a_second_president_is_refused_on_the_form(client, staff, session):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    factories.UserFactory(email="second@example.org")
    client.force_login(staff)

    response = client.post(
        url("member_add", session),
        {"email": "second@example.org", "college": College.EMPLOYEE, "role": Role.PRESIDENT},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This jury already has a president."]
    assert session.members.count() == 1


# --- agenda -------------------------------------------------------------------------------------


def test_staff_put_ready_dossiers_on_the_agenda_one_by_one(
    client, staff, session, open_cqp, evaluator
):
    first = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    second = ready_dossier("b@example.org", open_cqp, staff, evaluator)
    client.force_login(staff)

    page = client.get(url("agenda_add", session))
    assert page.status_code == 200
    assert page.context["dossiers"] == [first, second]
    assert first.reference in page.content.decode()

    response = client.post(url("agenda_add", session), {"dossiers": [second.pk]})

    assert response.status_code == 302 and response.url == change_url(session)
    [item] = session.agenda.all()
    assert item.dossier == second and item.active
    second.refresh_from_db()
    assert second.status == S.IN_JURY
    assert client.get(url("agenda_add", session)).context["dossiers"] == [first]
    assert second.reference in client.get(change_url(session)).content.decode()


def test_ticking_nothing_adds_nothing(client, staff, session, open_cqp, evaluator):
    ready_dossier("a@example.org", open_cqp, staff, evaluator)
    client.force_login(staff)

    response = client.post(url("agenda_add", session), {})

    assert response.status_code == 200
    assert "Tick the dossiers to put on the agenda." in errors_of(response)
    assert not session.agenda.exists()


def test_a_dossier_not_ready_cannot_be_ticked(client, staff, session, open_cqp, evaluator):
    busy = in_jury("busy@example.org", open_cqp)
    client.force_login(staff)

    response = client.post(url("agenda_add", session), {"dossiers": [busy.pk]})

    assert response.status_code == 200
    assert "no longer ready for the jury" in errors_of(response)
    assert not session.agenda.exists()


def test_staff_put_every_ready_dossier_of_a_cqp_on_the_agenda(
    client, staff, session, open_cqp, evaluator
):
    ready = [ready_dossier(f"c{i}@example.org", open_cqp, staff, evaluator) for i in range(3)]
    client.force_login(staff)
    add_ready = url("agenda_add_ready", session, open_cqp.pk)
    assert add_ready in client.get(url("agenda_add", session)).content.decode()

    confirm = client.get(add_ready)
    assert confirm.status_code == 200
    assert "3 dossiers of" in confirm.content.decode()
    assert not session.agenda.exists()
    response = client.post(add_ready, follow=True)

    assert {item.dossier_id for item in session.agenda.all()} == {d.pk for d in ready}
    assert "3 dossiers put on the agenda." in response.content.decode()


def test_every_ready_dossier_of_none_is_a_clear_refusal(client, staff, session, open_cqp):
    client.force_login(staff)

    response = client.post(url("agenda_add_ready", session, open_cqp.pk))

    assert response.status_code == 200
    assert "is ready for the jury" in response.context["form"].non_field_errors()[0]


def test_a_cqp_outside_the_session_has_no_bulk_page(
    client, staff, session, branch, cpnef, other_cqp
):
    from tests.candidates.test_dossier_lifecycle import make_open_cqp

    second = make_open_cqp(branch, staff, cpnef, code="GL")
    client.force_login(staff)
    for cqp in (second, other_cqp):
        assert client.post(url("agenda_add_ready", session, cqp.pk)).status_code == 404


def test_staff_take_a_dossier_off_the_agenda_with_a_comment(
    client, staff, session, open_cqp, evaluator
):
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    [item] = services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    client.force_login(staff)
    remove = url("agenda_remove", session, item.pk)
    assert remove in client.get(change_url(session)).content.decode()
    assert client.get(remove).status_code == 200

    response = client.post(remove, {"comment": "Pièce manquante."})

    assert response.status_code == 302
    item.refresh_from_db()
    dossier.refresh_from_db()
    assert not item.active and dossier.status == S.READY_FOR_JURY
    assert dossier.events.order_by("-id").first().comment == "Pièce manquante."
    again = client.post(remove, {"comment": ""})
    assert "no longer on the agenda" in again.context["form"].non_field_errors()[0]


# --- convocation and cancellation ---------------------------------------------------------------


def test_convening_is_refused_with_the_composition_then_sends_the_invitations(
    client, staff, session, open_cqp, evaluator, django_capture_on_commit_callbacks
):
    seat(session, staff, College.EMPLOYER, Role.PRESIDENT)
    client.force_login(staff)
    convene = url("action", session, "convene")
    page = client.get(change_url(session))
    assert convene in page.content.decode()
    assert "The jury needs at least one employee representative." in page.context["problems"]

    refused = client.post(convene)

    assert refused.status_code == 200
    [error] = refused.context["form"].non_field_errors()
    assert "employee representative" in error and "agenda is empty" in error
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED

    seat(session, staff, College.EMPLOYEE)
    dossier = ready_dossier("a@example.org", open_cqp, staff, evaluator)
    services.agenda_add(session=session, dossiers_to_add=[dossier], actor=staff)
    assert client.get(change_url(session)).context["problems"] == []
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(convene)

    assert response.status_code == 302 and response.url == change_url(session)
    session.refresh_from_db()
    assert session.status == SessionStatus.CONVENED
    members = {member.user.email for member in session.members.select_related("user")}
    invitations = [m for m in mail.outbox if m.to[0] in members]
    assert {m.to[0] for m in invitations} == members
    for message in invitations:
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == ("jury.ics", "text/calendar")
        assert "BEGIN:VCALENDAR" in content
    assert any(m.to == [dossier.candidate.user.email] for m in mail.outbox)
    page = client.get(change_url(session))
    assert [a["action"] for a in page.context["session_actions"]] == ["cancel"]


def test_cancelling_requires_a_reason(client, staff, session, open_cqp):
    client.force_login(staff)
    cancel = url("action", session, "cancel")

    refused = client.post(cancel, {"comment": "  "})

    assert refused.status_code == 200 and "comment" in refused.context["form"].errors
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED

    response = client.post(cancel, {"comment": "Quorum impossible."})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.events.order_by("-id").first().comment == "Quorum impossible."
    page = client.get(change_url(session))
    assert page.context["session_actions"] == []
    assert page.context["member_add_url"] is None and page.context["agenda_add_url"] is None


def test_a_cancelled_session_changes_no_more(client, staff, session):
    services.session_cancel(session=session, actor=staff, comment="Report.")
    factories.UserFactory(email="late@example.org")
    client.force_login(staff)

    for name, args in [("member_add", ()), ("agenda_add", ()), ("action", ("convene",))]:
        page = client.get(url(name, session, *args))
        assert page.status_code == 200 and page.context["allowed"] is False
    client.post(
        url("member_add", session),
        {"email": "late@example.org", "college": College.EXPERT, "role": Role.MEMBER},
    )
    client.post(url("action", session, "convene"))

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert not session.members.exists()


def test_an_unknown_action_is_not_found(client, staff, session):
    client.force_login(staff)
    for action in ("open_deliberation", "close", "change_members", "nope"):
        assert client.post(url("action", session, action)).status_code == 404


def test_the_history_shows_each_step(client, staff, session):
    seat(session, staff, College.EXPERT, email="expert@example.org")
    client.force_login(staff)

    html = client.get(change_url(session)).content.decode()

    assert "Change the members" in html and "expert@example.org" in html


# --- access -------------------------------------------------------------------------------------


@pytest.fixture
def every_page(session, staff, open_cqp):
    member = seat(session, staff, College.EMPLOYER)
    item = put_on_agenda(session, in_jury("a@example.org", open_cqp), staff)
    return [
        change_url(session),
        reverse("admin:juries_jurysession_history", args=[session.pk]),
        url("action", session, "convene"),
        url("action", session, "cancel"),
        url("member_add", session),
        url("member_remove", session, member.pk),
        url("agenda_add", session),
        url("agenda_add_ready", session, open_cqp.pk),
        url("agenda_remove", session, item.pk),
    ]


def test_staff_of_another_branch_find_nothing(client, other_staff, session, every_page):
    client.force_login(other_staff)

    for page in every_page:
        assert client.get(page).status_code == 404, page
        assert client.post(page, {"comment": "x"}).status_code == 404, page

    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED and session.members.count() == 1
    assert session.agenda.filter(active=True).count() == 1


def test_cpnef_members_read_the_session_without_acting(client, cpnef, session, every_page):
    client.force_login(cpnef)

    page = client.get(every_page[0])
    assert page.status_code == 200
    assert page.context["session_actions"] == []
    assert page.context["member_add_url"] is None and page.context["agenda_add_url"] is None
    assert all(remove is None for _, remove in page.context["members"])
    assert all(remove is None for _, remove in page.context["agenda"])
    assert "/remove/" not in page.content.decode()
    assert client.get(every_page[1]).status_code == 200  # the history
    for action in every_page[2:]:
        assert client.get(action).status_code == 403, action
        assert client.post(action, {"comment": "x"}).status_code == 403, action
    assert client.get(ADD).status_code == 403

    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED and session.members.count() == 1
    assert session.agenda.filter(active=True).count() == 1


def test_a_superuser_acts_on_any_branch(client, superuser, session):
    factories.UserFactory(email="juror@example.org")
    client.force_login(superuser)

    page = client.get(change_url(session))
    client.post(
        url("member_add", session),
        {"email": "juror@example.org", "college": College.EXPERT, "role": Role.MEMBER},
    )

    assert [a["action"] for a in page.context["session_actions"]] == ["convene", "cancel"]
    assert session.members.get().user.email == "juror@example.org"


# --- query bounds -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_session_list_query_count_is_bounded(
    client, staff, branch, open_cqp, rows, django_assert_max_num_queries
):
    for n in range(rows):
        planned = JurySession.objects.create(
            branch=branch, starts_at=in_days(n + 1), place="P", created_by=staff
        )
        planned.cqps.set([open_cqp])
        JuryMember.objects.create(
            session=planned, user=factories.UserFactory(), college=College.EXPERT
        )
        put_on_agenda(planned, in_jury(f"c{n}@example.org", open_cqp), staff)
    client.force_login(staff)
    client.get(CHANGELIST)  # warm the session and content types

    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST)

    assert response.context["cl"].result_count == rows
    assert all(s._agenda_count == 1 for s in response.context["cl"].result_list)


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_session_page_query_count_is_bounded(
    client, staff, session, open_cqp, rows, django_assert_max_num_queries
):
    paritaire(session, staff)
    for n in range(rows):
        put_on_agenda(session, in_jury(f"c{n}@example.org", open_cqp), staff, order=n)
        session.events.create(action="change_agenda", to_status=session.status, actor=staff)
    client.force_login(staff)
    client.get(change_url(session))

    with django_assert_max_num_queries(12):
        response = client.get(change_url(session))

    assert len(response.context["agenda"]) == rows


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_add_dossiers_page_query_count_is_bounded(
    client, staff, session, open_cqp, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_dossier(make_candidate(f"c{n}@example.org"), open_cqp, status=S.READY_FOR_JURY)
    client.force_login(staff)
    client.get(url("agenda_add", session))

    with django_assert_max_num_queries(8):
        response = client.get(url("agenda_add", session))

    assert len(response.context["dossiers"]) == rows


# --- quorum rules -------------------------------------------------------------------------------


RULES_ADD = reverse("admin:juries_juryrules_add")


def test_staff_set_their_branch_quorum_once(client, staff, branch, other_branch):
    client.force_login(staff)
    page = client.get(RULES_ADD)
    assert list(page.context["adminform"].form.fields["branch"].queryset) == [branch]

    response = client.post(
        RULES_ADD, {"branch": branch.pk, "quorum_percent": 60, "both_colleges_required": "on"}
    )

    assert response.status_code == 302
    rules = JuryRules.objects.get()
    assert (rules.branch, rules.quorum_percent, rules.both_colleges_required) == (branch, 60, True)
    again = client.get(RULES_ADD)  # one row per branch: now changed
    assert again.status_code == 302 and again.url == reverse("admin:juries_juryrules_changelist")
    change = reverse("admin:juries_juryrules_change", args=[rules.pk])
    client.post(change, {"quorum_percent": 75})
    rules.refresh_from_db()
    assert (rules.quorum_percent, rules.both_colleges_required, rules.branch) == (75, False, branch)


@pytest.mark.parametrize("percent", [0, 100, 101])
def test_a_quorum_is_a_share_between_1_and_99(client, staff, branch, percent):
    client.force_login(staff)

    response = client.post(RULES_ADD, {"branch": branch.pk, "quorum_percent": percent})

    assert response.status_code == 200
    assert "between 1 and 99" in str(response.context["adminform"].form.errors)
    assert not JuryRules.objects.exists()


def test_staff_cannot_set_another_branch_quorum(client, staff, other_branch):
    client.force_login(staff)

    response = client.post(RULES_ADD, {"branch": other_branch.pk, "quorum_percent": 60})

    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    assert not JuryRules.objects.exists()


def test_cpnef_members_read_the_quorum_rule_only(client, cpnef, other_staff, branch):
    rules = JuryRules.objects.create(branch=branch, quorum_percent=60)
    change = reverse("admin:juries_juryrules_change", args=[rules.pk])
    client.force_login(cpnef)

    assert client.get(change).status_code == 200
    assert client.post(change, {"quorum_percent": 10}).status_code == 403
    assert client.post(RULES_ADD, {"branch": branch.pk, "quorum_percent": 10}).status_code == 403
    client.force_login(other_staff)
    listing = client.get(reverse("admin:juries_juryrules_changelist"))
    assert list(listing.context["cl"].result_list) == []
    rules.refresh_from_db()
    assert rules.quorum_percent == 60


def test_dates_far_ahead_stay_in_the_paris_time_zone(client, staff, branch, open_cqp):
    """The date typed is Paris time, whatever the season."""
    client.force_login(staff)
    summer = datetime.datetime(timezone.localdate().year + 1, 7, 1, 9, 30)

    client.post(
        ADD,
        {
            "branch": branch.pk,
            "cqps": [open_cqp.pk],
            "starts_at": summer.strftime("%Y-%m-%dT%H:%M"),
            "place": "Paris",
        },
    )

    session = JurySession.objects.get()
    assert timezone.localtime(session.starts_at).replace(tzinfo=None) == summer
