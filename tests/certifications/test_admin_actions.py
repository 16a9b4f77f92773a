"""Admin actions through their URLs: CQP transitions, CPNEF decisions, référentiel editing."""

import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.messages import ERROR, SUCCESS
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certifications import services
from certifications.models import (
    BranchMembership,
    CompetenceUnit,
    CpnefDecision,
    Cqp,
    CqpEvent,
    CqpStatus,
    EvaluatorAccreditation,
    Habilitation,
    ReferentielEvent,
    ReferentielStatus,
    UnitEquivalence,
)
from cqp.models import User
from tests import factories

S = CqpStatus
R = ReferentielStatus
APPROVE = CpnefDecision.Outcome.APPROVE
REJECT = CpnefDecision.Outcome.REJECT
REQUEST_CHANGES = CpnefDecision.Outcome.REQUEST_CHANGES
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def today():
    return timezone.localdate()


# --- reading an admin form like a browser -------------------------------------------------------


class _FormReader(HTMLParser):
    """Collects what a browser would send for the <form id=...> of a page (no file inputs)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._textarea = None
        self._select = None
        self._select_multiple = False

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside or "name" not in attrs:
            if self.inside and tag == "option" and self._select and "selected" in attrs:
                self._add(self._select, attrs.get("value", ""))
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
                return
            self._add(name, attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self._add(name, "")
        elif tag == "select":
            self._select = name
            self.data.setdefault(name, [])

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def form_data(response, form_id) -> dict[str, list[str]]:
    """The values a browser would post from the admin form `form_id` of `response`."""
    assert response.status_code == 200
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    assert reader.data, f"no form {form_id!r} on the page"
    # A browser drops the newline that opens a <textarea>'s content.
    return {
        name: [v[1:] if v.startswith("\n") else v for v in values]
        for name, values in reader.data.items()
    }


def errors_of(response) -> dict:
    """Errors of the admin page's main form (change form or custom action page)."""
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    return form.errors


def message_levels(response) -> list[int]:
    return [m.level for m in response.context["messages"]]


# --- helpers to reach a status -------------------------------------------------------------------


def submitted(cqp, staff):
    services.cqp_submit(cqp=cqp, actor=staff)
    cqp.refresh_from_db()
    return cqp


def approved(cqp, staff, cpnef):
    submitted(cqp, staff)
    services.cpnef_decision_record(cqp=cqp, outcome=APPROVE, meeting_date=today(), actor=cpnef)
    cqp.refresh_from_db()
    return cqp


def published(cqp, staff):
    referentiel = cqp.referentiels.get(status=R.DRAFT)
    services.referentiel_publish(referentiel=referentiel, actor=staff)
    referentiel.refresh_from_db()
    return referentiel


def transition_url(cqp, action):
    return reverse("admin:certifications_cqp_transition", args=[cqp.pk, action])


def decide_url(cqp):
    return reverse("admin:certifications_cqp_decide", args=[cqp.pk])


def cqp_change_url(cqp):
    return reverse("admin:certifications_cqp_change", args=[cqp.pk])


def referentiel_change_url(referentiel):
    return reverse("admin:certifications_referentiel_change", args=[referentiel.pk])


def state(cqp):
    """Everything the CQP pages may write, to check that nothing was."""
    cqp.refresh_from_db()
    return (
        cqp.status,
        list(cqp.events.values_list("action", flat=True)),
        cqp.cpnef_decisions.count(),
    )


# --- CQP transitions -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_transition_page_shows_staff_a_comment_form(client, staff, cqp):
    client.force_login(staff)

    response = client.get(transition_url(cqp, "submit"))

    assert response.status_code == 200
    assert response.context["allowed"] is True
    assert 'name="comment"' in response.content.decode()


@pytest.mark.django_db
def test_staff_submit_a_cqp_through_the_transition_page(client, staff, cqp):
    client.force_login(staff)

    response = client.post(transition_url(cqp, "submit"), {"comment": "Prêt pour la CPNEF."})

    assert response.status_code == 302
    assert response.url == cqp_change_url(cqp)
    cqp.refresh_from_db()
    assert cqp.status == S.SUBMITTED
    event = cqp.events.get(action="submit")
    assert (event.from_status, event.to_status) == (S.DRAFT, S.SUBMITTED)
    assert (event.actor, event.comment) == (staff, "Prêt pour la CPNEF.")


@pytest.mark.django_db
def test_cpnef_members_may_not_take_staff_actions(client, cpnef, cqp):
    client.force_login(cpnef)
    before = state(cqp)

    assert client.get(transition_url(cqp, "submit")).status_code == 403
    assert client.post(transition_url(cqp, "submit"), {"comment": ""}).status_code == 403
    assert state(cqp) == before


@pytest.mark.django_db
def test_another_branchs_staff_get_a_404_from_the_transition_page(client, other_staff, cqp):
    client.force_login(other_staff)
    before = state(cqp)

    assert client.get(transition_url(cqp, "submit")).status_code == 404
    assert client.post(transition_url(cqp, "submit"), {"comment": ""}).status_code == 404
    assert state(cqp) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "expire", "nonsense"])
def test_the_transition_page_refuses_actions_that_are_not_the_staffs(client, staff, cqp, action):
    submitted(cqp, staff)
    client.force_login(staff)
    before = state(cqp)

    assert client.post(transition_url(cqp, action), {"comment": "x"}).status_code == 404
    assert state(cqp) == before


@pytest.mark.django_db
def test_users_without_admin_access_are_sent_to_the_login(client, plain_user, cqp):
    client.force_login(plain_user)

    response = client.post(transition_url(cqp, "submit"), {"comment": ""})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert cqp.status == S.DRAFT


@pytest.mark.django_db
def test_suspending_without_a_comment_is_a_form_error(client, staff, cpnef, cqp):
    approved(cqp, staff, cpnef)
    client.force_login(staff)
    before = state(cqp)

    response = client.post(transition_url(cqp, "suspend"), {"comment": "  "})

    assert response.status_code == 200
    assert "comment" in errors_of(response)
    assert state(cqp) == before


@pytest.mark.django_db
def test_staff_suspend_an_approved_cqp_with_a_reason(client, staff, cpnef, cqp):
    approved(cqp, staff, cpnef)
    client.force_login(staff)

    response = client.post(transition_url(cqp, "suspend"), {"comment": "Référentiel en révision."})

    assert response.status_code == 302
    cqp.refresh_from_db()
    assert cqp.status == S.SUSPENDED
    assert cqp.events.get(action="suspend").comment == "Référentiel en révision."


@pytest.mark.django_db
def test_an_action_not_allowed_from_the_status_is_refused_by_the_page(client, staff, cqp):
    client.force_login(staff)
    before = state(cqp)

    page = client.get(transition_url(cqp, "suspend"))
    posted = client.post(transition_url(cqp, "suspend"), {"comment": "Pour voir."})

    assert page.status_code == 200
    assert page.context["allowed"] is False
    assert 'class="errornote"' in page.content.decode()
    assert 'name="comment"' not in page.content.decode()  # no form to submit
    assert posted.status_code == 200
    assert errors_of(posted)["__all__"]  # the service refused it: shown, not a 500
    assert state(cqp) == before


@pytest.mark.django_db
def test_submitting_a_cqp_without_units_shows_the_reason(client, staff, branch):
    empty = services.cqp_create(branch=branch, code="VIDE", title="CQP vide", actor=staff)
    client.force_login(staff)

    response = client.post(transition_url(empty, "submit"), {"comment": ""})

    assert response.status_code == 200
    assert errors_of(response)["__all__"]
    assert state(empty) == (S.DRAFT, ["create"], 0)


# --- CPNEF decisions -----------------------------------------------------------------------------


def decision_data(outcome, *, comment="", meeting_date=None, minutes=None, reference="PV-12"):
    data = {
        "outcome": outcome,
        "meeting_date": (meeting_date or today()).isoformat(),
        "reference": reference,
        "comment": comment,
    }
    if minutes is not None:
        data["minutes"] = minutes
    return data


@pytest.mark.django_db
def test_cpnef_members_get_the_decision_form(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    client.force_login(cpnef)

    response = client.get(decide_url(cqp))

    assert response.status_code == 200
    assert response.context["allowed"] is True
    assert 'name="outcome"' in response.content.decode()


@pytest.mark.django_db
def test_staff_may_not_decide(client, staff, cqp):
    submitted(cqp, staff)
    client.force_login(staff)
    before = state(cqp)

    assert client.get(decide_url(cqp)).status_code == 403
    assert client.post(decide_url(cqp), decision_data(APPROVE)).status_code == 403
    assert state(cqp) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["other_cpnef", "other_staff"])
def test_another_branchs_members_get_a_404_from_the_decision_page(
    client, request, staff, cqp, role
):
    submitted(cqp, staff)
    client.force_login(request.getfixturevalue(role))
    before = state(cqp)

    assert client.get(decide_url(cqp)).status_code == 404
    assert client.post(decide_url(cqp), decision_data(APPROVE)).status_code == 404
    assert state(cqp) == before


@pytest.mark.django_db
def test_a_superuser_who_is_no_cpnef_member_may_not_decide(client, staff, superuser, cqp):
    submitted(cqp, staff)
    client.force_login(superuser)
    before = state(cqp)

    assert client.post(decide_url(cqp), decision_data(APPROVE)).status_code == 403
    assert state(cqp) == before


@pytest.mark.django_db
def test_a_cpnef_member_approves_a_project_submitted_by_staff(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    client.force_login(cpnef)

    response = client.post(decide_url(cqp), decision_data(APPROVE))

    assert response.status_code == 302
    assert response.url == cqp_change_url(cqp)
    cqp.refresh_from_db()
    assert cqp.status == S.APPROVED
    decision = cqp.cpnef_decisions.get()
    assert (decision.outcome, decision.decided_by, decision.reference) == (APPROVE, cpnef, "PV-12")
    assert cqp.events.get(action="approve").actor == cpnef


@pytest.mark.django_db
def test_a_member_may_not_approve_the_project_they_submitted(client, staff, branch, cqp):
    BranchMembership.objects.create(
        user=staff, branch=branch, role=BranchMembership.BranchRole.CPNEF
    )
    client.force_login(staff)
    client.post(transition_url(cqp, "submit"), {"comment": ""})
    before = state(cqp)

    response = client.post(decide_url(cqp), decision_data(APPROVE))

    assert response.status_code == 200
    assert errors_of(response)["__all__"]
    assert before[0] == S.SUBMITTED
    assert state(cqp) == before


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [REJECT, REQUEST_CHANGES])
def test_refusing_without_a_comment_is_a_form_error(client, staff, cpnef, cqp, outcome):
    submitted(cqp, staff)
    client.force_login(cpnef)
    before = state(cqp)

    response = client.post(decide_url(cqp), decision_data(outcome, comment=""))

    assert response.status_code == 200
    assert "comment" in errors_of(response)
    assert state(cqp) == before


@pytest.mark.django_db
def test_a_meeting_in_the_future_is_refused(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    client.force_login(cpnef)
    before = state(cqp)

    response = client.post(
        decide_url(cqp),
        decision_data(APPROVE, meeting_date=today() + datetime.timedelta(days=3)),
    )

    assert response.status_code == 200
    assert errors_of(response)
    assert state(cqp) == before


@pytest.mark.django_db
def test_a_cqp_that_awaits_no_decision_cannot_be_decided(client, cpnef, cqp):
    client.force_login(cpnef)
    before = state(cqp)

    page = client.get(decide_url(cqp))
    posted = client.post(decide_url(cqp), decision_data(APPROVE))

    assert page.status_code == 200
    assert page.context["allowed"] is False
    assert 'name="outcome"' not in page.content.decode()
    assert posted.status_code == 200
    assert errors_of(posted)["__all__"]
    assert state(cqp) == before


@pytest.mark.django_db
def test_the_minutes_are_stored_with_the_decision(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    client.force_login(cpnef)
    minutes = SimpleUploadedFile("pv-cpnef.pdf", PDF, content_type="application/pdf")

    response = client.post(
        decide_url(cqp),
        decision_data(REQUEST_CHANGES, comment="Préciser le bloc 2.", minutes=minutes),
    )

    assert response.status_code == 302
    decision = cqp.cpnef_decisions.get()
    with decision.minutes.open("rb") as stored:
        assert stored.read() == PDF
    cqp.refresh_from_db()
    assert cqp.status == S.CHANGES_REQUESTED


@pytest.mark.django_db
def test_minutes_that_are_not_a_pdf_are_refused(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    client.force_login(cpnef)
    before = state(cqp)
    fake = SimpleUploadedFile("pv.pdf", b"<html>not a pdf</html>", content_type="application/pdf")

    response = client.post(decide_url(cqp), decision_data(APPROVE, minutes=fake))

    assert response.status_code == 200
    assert "minutes" in errors_of(response)
    assert state(cqp) == before


@pytest.fixture
def decision_with_minutes(cqp, staff, cpnef):
    submitted(cqp, staff)
    return services.cpnef_decision_record(
        cqp=cqp,
        outcome=REQUEST_CHANGES,
        meeting_date=today(),
        comment="Revoir les critères.",
        minutes=SimpleUploadedFile("pv-2025.pdf", PDF),
        actor=cpnef,
    )


def minutes_url(decision):
    return reverse("admin:certifications_cpnefdecision_minutes", args=[decision.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef", "second_cpnef", "superuser"])
def test_the_minutes_are_served_to_members_of_the_branch(
    client, request, decision_with_minutes, role
):
    client.force_login(request.getfixturevalue(role))

    response = client.get(minutes_url(decision_with_minutes))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["other_staff", "other_cpnef"])
def test_the_minutes_are_hidden_from_another_branch(client, request, decision_with_minutes, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(minutes_url(decision_with_minutes)).status_code == 404


@pytest.mark.django_db
def test_the_minutes_need_an_admin_login(client, plain_user, decision_with_minutes):
    client.force_login(plain_user)

    response = client.get(minutes_url(decision_with_minutes))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_a_decision_without_minutes_has_nothing_to_download(client, staff, cpnef, cqp):
    submitted(cqp, staff)
    decision = services.cpnef_decision_record(
        cqp=cqp, outcome=APPROVE, meeting_date=today(), actor=cpnef
    )
    client.force_login(staff)

    assert client.get(minutes_url(decision)).status_code == 404


# --- new référentiel version ---------------------------------------------------------------------


def new_version_url(cqp):
    return reverse("admin:certifications_cqp_new_version", args=[cqp.pk])


@pytest.mark.django_db
def test_staff_copy_a_published_version_into_a_draft(client, staff, cqp):
    first = published(cqp, staff)
    client.force_login(staff)

    response = client.post(new_version_url(cqp))

    draft = cqp.referentiels.get(status=R.DRAFT)
    assert response.status_code == 302
    assert response.url == referentiel_change_url(draft)
    assert (draft.version, draft.based_on) == (2, first)
    assert list(draft.units.values_list("code", flat=True)) == ["BC01", "BC02"]
    first.refresh_from_db()
    assert first.status == R.PUBLISHED  # still the version in force until the copy is published


@pytest.mark.django_db
def test_a_get_on_new_version_creates_nothing(client, staff, cqp):
    published(cqp, staff)
    client.force_login(staff)

    response = client.get(new_version_url(cqp))

    assert response.status_code == 302
    assert cqp.referentiels.count() == 1


@pytest.mark.django_db
def test_a_second_draft_is_refused_with_a_message(client, staff, cqp):
    client.force_login(staff)

    response = client.post(new_version_url(cqp), follow=True)

    assert response.redirect_chain[-1][0] == cqp_change_url(cqp)
    assert message_levels(response) == [ERROR]
    assert cqp.referentiels.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("cpnef", 403), ("other_staff", 404)])
def test_only_the_branchs_staff_create_versions(client, request, staff, cqp, role, status):
    published(cqp, staff)
    client.force_login(request.getfixturevalue(role))

    assert client.post(new_version_url(cqp)).status_code == status
    assert cqp.referentiels.count() == 1


# --- the référentiel editor ----------------------------------------------------------------------


def contents(referentiel):
    return [
        (
            unit.order,
            unit.code,
            unit.title,
            [c.text for c in unit.competences.all()],
            [c.text for c in unit.criteria.all()],
        )
        for unit in referentiel.units.prefetch_related("competences", "criteria")
    ]


@pytest.mark.django_db
def test_staff_edit_units_competences_and_criteria_on_the_referentiel_page(client, staff, cqp):
    draft = cqp.referentiels.get()
    client.force_login(staff)
    data = form_data(client.get(referentiel_change_url(draft)), "referentiel_form")
    assert data["units-TOTAL_FORMS"] == ["2"]
    # Change the first unit, delete the second one, add a third.
    data["units-0-title"] = ["Prospecter et conseiller"]
    data["units-0-competences_text"] = ["Prospecter un secteur\n\n  Estimer un bien  \nConseiller"]
    data["units-0-criteria_text"] = ["L'estimation est argumentée\nLe mandat est signé"]
    data["units-1-DELETE"] = ["on"]
    data.update(
        {
            "units-TOTAL_FORMS": ["3"],
            "units-2-id": [""],
            "units-2-referentiel": [str(draft.pk)],
            "units-2-order": ["3"],
            "units-2-code": ["BC03"],
            "units-2-title": ["Négocier et conclure"],
            "units-2-competences_text": ["Négocier le prix\nRédiger le compromis"],
            "units-2-criteria_text": ["Le compromis est conforme"],
            "units-2-evaluation_modalities": ["Mise en situation"],
        }
    )

    response = client.post(referentiel_change_url(draft), data)

    assert response.status_code == 302, errors_of(response)
    assert contents(draft) == [
        (
            1,
            "BC01",
            "Prospecter et conseiller",
            ["Prospecter un secteur", "Estimer un bien", "Conseiller"],
            ["L'estimation est argumentée", "Le mandat est signé"],
        ),
        (
            3,
            "BC03",
            "Négocier et conclure",
            ["Négocier le prix", "Rédiger le compromis"],
            ["Le compromis est conforme"],
        ),
    ]
    assert list(draft.units.get(code="BC01").competences.values_list("order", flat=True)) == [
        1,
        2,
        3,
    ]
    assert draft.units.get(code="BC03").evaluation_modalities == "Mise en situation"


@pytest.mark.django_db
def test_saving_the_referentiel_page_unchanged_keeps_the_units(client, staff, cqp):
    draft = cqp.referentiels.get()
    before = contents(draft)
    ids = list(CompetenceUnit.objects.values_list("competences__id", flat=True))
    client.force_login(staff)
    data = form_data(client.get(referentiel_change_url(draft)), "referentiel_form")

    response = client.post(referentiel_change_url(draft), data)

    assert response.status_code == 302
    assert contents(draft) == before
    assert list(CompetenceUnit.objects.values_list("competences__id", flat=True)) == ids


@pytest.mark.django_db
def test_two_units_with_one_code_are_a_form_error(client, staff, cqp):
    draft = cqp.referentiels.get()
    before = contents(draft)
    client.force_login(staff)
    data = form_data(client.get(referentiel_change_url(draft)), "referentiel_form")
    data["units-1-code"] = data["units-0-code"]

    response = client.post(referentiel_change_url(draft), data)

    assert response.status_code == 200
    assert contents(draft) == before


@pytest.mark.django_db
def test_a_published_version_is_read_only_in_the_admin(client, staff, cqp):
    version = published(cqp, staff)
    before = contents(version)
    client.force_login(staff)

    page = client.get(referentiel_change_url(version))
    posted = client.post(
        referentiel_change_url(version), {"source": "Modifié", "units-TOTAL_FORMS": "0"}
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="units-0-title"' not in html
    assert "Compétence" in html  # the contents are shown, read-only
    assert posted.status_code == 403
    version.refresh_from_db()
    assert version.source == ""
    assert contents(version) == before


# --- référentiel transitions ---------------------------------------------------------------------


def referentiel_transition_url(referentiel, action):
    return reverse("admin:certifications_referentiel_transition", args=[referentiel.pk, action])


@pytest.mark.django_db
def test_publishing_a_new_version_retires_the_previous_one(client, staff, cqp):
    first = published(cqp, staff)
    second = services.referentiel_new_version(referentiel=first, actor=staff)
    client.force_login(staff)

    response = client.post(referentiel_transition_url(second, "publish"))

    assert response.status_code == 302
    assert response.url == referentiel_change_url(second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (R.RETIRED, R.PUBLISHED)
    assert second.published_at is not None
    assert first.events.filter(action="retire", actor=staff).exists()
    assert second.events.filter(action="publish", actor=staff).exists()


@pytest.mark.django_db
def test_publishing_an_empty_draft_is_refused_with_a_message(client, staff, branch):
    empty = services.cqp_create(branch=branch, code="VIDE", title="CQP vide", actor=staff)
    draft = empty.referentiels.get()
    client.force_login(staff)

    response = client.post(referentiel_transition_url(draft, "publish"), follow=True)

    assert message_levels(response) == [ERROR]
    draft.refresh_from_db()
    assert draft.status == R.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("cpnef", 403), ("other_staff", 404)])
def test_only_the_branchs_staff_publish(client, request, cqp, role, status):
    draft = cqp.referentiels.get()
    client.force_login(request.getfixturevalue(role))

    assert client.post(referentiel_transition_url(draft, "publish")).status_code == status
    draft.refresh_from_db()
    assert draft.status == R.DRAFT


@pytest.mark.django_db
def test_a_get_on_the_referentiel_transition_asks_for_confirmation(client, staff, cqp):
    draft = cqp.referentiels.get()
    client.force_login(staff)

    response = client.get(referentiel_transition_url(draft, "publish"))

    assert response.status_code == 200
    assert response.context["allowed"] is True
    assert response.context["unit_count"] == 2
    assert 'method="post"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == R.DRAFT


def test_the_publish_confirmation_names_the_version_it_replaces(client, staff, cqp):
    published = cqp.referentiels.get()
    services.referentiel_publish(referentiel=published, actor=staff)
    draft = services.referentiel_new_version(referentiel=published, actor=staff)
    client.force_login(staff)

    response = client.get(referentiel_transition_url(draft, "publish"))

    assert response.context["replaced"] == published


def test_the_retire_confirmation_of_a_draft_says_it_is_not_possible(client, staff, cqp):
    draft = cqp.referentiels.get()
    client.force_login(staff)

    response = client.get(referentiel_transition_url(draft, "retire"))

    assert response.status_code == 200
    assert response.context["allowed"] is False
    assert 'method="post"' not in response.content.decode().split('id="content-main"')[1]


# --- bulk actions --------------------------------------------------------------------------------


def run_action(client, model_name, action, objects):
    return client.post(
        reverse(f"admin:certifications_{model_name}_changelist"),
        {
            "action": action,
            "select_across": "0",
            "index": "0",
            "_selected_action": [str(o.pk) for o in objects],
        },
        follow=True,
    )


@pytest.mark.django_db
def test_staff_submit_several_cqps_from_the_changelist(client, staff, branch, cqp, other_cqp):
    second = factories.cqp_with_referentiel(branch=branch, code="GI", title="Gestionnaire")
    empty = services.cqp_create(branch=branch, code="VIDE", title="CQP vide", actor=staff)
    client.force_login(staff)

    response = run_action(client, "cqp", "submit_selected", [cqp, second, empty, other_cqp])

    assert response.status_code == 200
    statuses = dict(Cqp.objects.values_list("code", "status"))
    assert statuses == {"NI": S.SUBMITTED, "GI": S.SUBMITTED, "VIDE": S.DRAFT, "VJJ": S.DRAFT}
    assert sorted(message_levels(response)) == [SUCCESS, ERROR]  # one error, one summary
    assert CqpEvent.objects.filter(action="submit", actor=staff).count() == 2


@pytest.mark.django_db
def test_cpnef_members_have_no_bulk_actions(client, cpnef, cqp):
    client.force_login(cpnef)

    response = run_action(client, "cqp", "submit_selected", [cqp])

    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action is offered at all
    cqp.refresh_from_db()
    assert cqp.status == S.DRAFT


@pytest.mark.django_db
def test_staff_publish_several_versions_from_the_changelist(client, staff, branch, cqp, other_cqp):
    second = factories.cqp_with_referentiel(branch=branch, code="GI", title="Gestionnaire")
    client.force_login(staff)
    drafts = [cqp.referentiels.get(), second.referentiels.get(), other_cqp.referentiels.get()]

    response = run_action(client, "referentiel", "publish_selected", drafts)

    assert response.status_code == 200
    for draft in drafts:
        draft.refresh_from_db()
    assert [d.status for d in drafts] == [R.PUBLISHED, R.PUBLISHED, R.DRAFT]


# --- CQP add and change forms --------------------------------------------------------------------


def cqp_form(client, url, **values):
    data = form_data(client.get(url), "cqp_form")
    data.update({name: [str(v)] for name, v in values.items()})
    return data


@pytest.mark.django_db
def test_staff_add_a_cqp_through_the_service(client, staff, branch):
    client.force_login(staff)
    url = reverse("admin:certifications_cqp_add")
    data = cqp_form(client, url, branch=branch.pk, code="AGI", title="Agent immobilier", level="4")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    created = Cqp.objects.get(code="AGI")
    assert (created.branch, created.status, created.level) == (branch, S.DRAFT, "4")
    event = created.events.get()
    assert (event.action, event.actor, event.to_status) == ("create", staff, S.DRAFT)
    version = created.referentiels.get()
    assert (version.version, version.status) == (1, R.DRAFT)
    assert ReferentielEvent.objects.filter(referentiel=version, action="create").exists()


@pytest.mark.django_db
def test_staff_may_not_add_a_cqp_to_another_branch(client, staff, other_branch):
    client.force_login(staff)
    url = reverse("admin:certifications_cqp_add")
    data = cqp_form(client, url, branch=other_branch.pk, code="AGI", title="Agent immobilier")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "branch" in errors_of(response)
    assert not Cqp.objects.filter(code="AGI").exists()


@pytest.mark.django_db
def test_a_code_already_used_in_the_branch_is_a_form_error_on_add(client, staff, branch, cqp):
    client.force_login(staff)
    url = reverse("admin:certifications_cqp_add")
    data = cqp_form(client, url, branch=branch.pk, code="NI", title="Doublon")

    response = client.post(url, data)

    assert response.status_code == 200
    assert errors_of(response)
    assert Cqp.objects.filter(code="NI").count() == 1


@pytest.mark.django_db
def test_a_code_already_used_in_the_branch_is_a_form_error_on_change(client, staff, branch, cqp):
    factories.CqpFactory(branch=branch, code="GI")
    client.force_login(staff)
    data = cqp_form(client, cqp_change_url(cqp), code="GI")

    response = client.post(cqp_change_url(cqp), data)

    assert response.status_code == 200
    assert "code" in errors_of(response)
    cqp.refresh_from_db()
    assert cqp.code == "NI"


@pytest.mark.django_db
def test_the_status_is_never_a_field_of_the_cqp_form(client, staff, cqp):
    client.force_login(staff)

    add = client.get(reverse("admin:certifications_cqp_add"))
    change = client.get(cqp_change_url(cqp))

    for response in (add, change):
        assert "status" not in response.context["adminform"].form.fields
        assert 'name="status"' not in response.content.decode()


@pytest.mark.django_db
def test_changing_a_cqp_keeps_its_status(client, staff, cpnef, cqp):
    approved(cqp, staff, cpnef)
    events = cqp.events.count()
    client.force_login(staff)
    data = cqp_form(
        client, cqp_change_url(cqp), title="Négociateur immobilier (2025)", status=S.ARCHIVED
    )

    response = client.post(cqp_change_url(cqp), data)

    assert response.status_code == 302, errors_of(response)
    cqp.refresh_from_db()
    assert (cqp.title, cqp.status) == ("Négociateur immobilier (2025)", S.APPROVED)
    assert cqp.events.count() == events


@pytest.mark.django_db
def test_the_branch_of_a_cqp_cannot_be_changed(client, staff, other_branch, cqp, branch):
    client.force_login(staff)
    data = cqp_form(client, cqp_change_url(cqp), branch=other_branch.pk)

    client.post(cqp_change_url(cqp), data)

    cqp.refresh_from_db()
    assert cqp.branch == branch


# --- evaluator accreditations --------------------------------------------------------------------


def accreditation_data(branch, cqps, email, **extra):
    return {
        "evaluator_email": email,
        "evaluator_first_name": "Inès",
        "evaluator_last_name": "Moreau",
        "branch": str(branch.pk),
        "cqps": [str(c.pk) for c in cqps],
        "valid_from": today().isoformat(),
        "valid_until": "",
        "reference": "ACC-7",
        **extra,
    }


ACCREDITATION_ADD = "admin:certifications_evaluatoraccreditation_add"


@pytest.mark.django_db
def test_accrediting_an_unknown_address_creates_the_evaluators_account(client, staff, branch, cqp):
    client.force_login(staff)

    response = client.post(
        reverse(ACCREDITATION_ADD), accreditation_data(branch, [cqp], " Ines.Moreau@Example.org ")
    )

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(email="ines.moreau@example.org")
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.is_staff) == ("Inès", "Moreau", False)
    accreditation = EvaluatorAccreditation.objects.get(user=user)
    assert accreditation.branch == branch
    assert list(accreditation.cqps.all()) == [cqp]


@pytest.mark.django_db
def test_accrediting_a_known_address_reuses_the_account(client, staff, branch, cqp, plain_user):
    client.force_login(staff)
    users = User.objects.count()

    response = client.post(
        reverse(ACCREDITATION_ADD), accreditation_data(branch, [], plain_user.email.upper())
    )

    assert response.status_code == 302, errors_of(response)
    assert User.objects.count() == users
    assert EvaluatorAccreditation.objects.get().user == plain_user


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "superuser"])
def test_a_cqp_of_another_branch_is_refused_in_an_accreditation(
    client, request, branch, cqp, other_cqp, role
):
    client.force_login(request.getfixturevalue(role))
    users = User.objects.count()

    response = client.post(
        reverse(ACCREDITATION_ADD),
        accreditation_data(branch, [cqp, other_cqp], "new.evaluator@example.org"),
    )

    assert response.status_code == 200
    assert "cqps" in errors_of(response)
    assert not EvaluatorAccreditation.objects.exists()
    assert User.objects.count() == users


# --- unit equivalences and habilitations ---------------------------------------------------------

EQUIVALENCE_ADD = "admin:certifications_unitequivalence_add"


@pytest.mark.django_db
def test_an_equivalence_between_units_of_one_version_is_refused(client, staff, cqp):
    first, second = cqp.referentiels.get().units.all()
    client.force_login(staff)

    response = client.post(reverse(EQUIVALENCE_ADD), {"from_unit": first.pk, "to_unit": second.pk})

    assert response.status_code == 200
    assert errors_of(response)["__all__"]
    assert not UnitEquivalence.objects.exists()


@pytest.mark.django_db
def test_staff_declare_an_equivalence_between_two_versions(client, staff, cqp):
    first = published(cqp, staff)
    second = services.referentiel_new_version(referentiel=first, actor=staff)
    old = first.units.get(code="BC01")
    new = second.units.get(code="BC02")
    client.force_login(staff)

    response = client.post(reverse(EQUIVALENCE_ADD), {"from_unit": old.pk, "to_unit": new.pk})

    assert response.status_code == 302, errors_of(response)
    assert UnitEquivalence.objects.get(from_unit=old, to_unit=new).declared_by == staff


@pytest.mark.django_db
def test_staff_add_a_habilitation_from_the_provider_page(client, staff, branch, cqp):
    provider = factories.ProviderFactory()
    provider.branches.add(branch)
    url = reverse("admin:certifications_trainingprovider_change", args=[provider.pk])
    client.force_login(staff)
    data = form_data(client.get(url), "trainingprovider_form")
    data.update(
        {
            "habilitations-TOTAL_FORMS": ["1"],
            "habilitations-0-cqp": [str(cqp.pk)],
            "habilitations-0-scope": [Habilitation.Scope.TRAIN],
            "habilitations-0-valid_from": [today().isoformat()],
            "habilitations-0-reference": ["HAB-1"],
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    habilitation = provider.habilitations.get()
    assert (habilitation.cqp, habilitation.scope) == (cqp, Habilitation.Scope.TRAIN)


@pytest.mark.django_db
def test_staff_swap_the_codes_of_two_units_in_one_save(client, staff, cqp):
    draft = cqp.referentiels.get()
    titles = dict(draft.units.values_list("code", "title"))
    client.force_login(staff)
    data = form_data(client.get(referentiel_change_url(draft)), "referentiel_form")
    data["units-0-code"], data["units-1-code"] = data["units-1-code"], data["units-0-code"]

    response = client.post(referentiel_change_url(draft), data)

    assert response.status_code == 302, errors_of(response)
    assert dict(draft.units.values_list("code", "title")) == {
        "BC01": titles["BC02"],
        "BC02": titles["BC01"],
    }


@pytest.mark.django_db
def test_staff_delete_a_unit_and_give_its_code_to_another_in_one_save(client, staff, cqp):
    draft = cqp.referentiels.get()
    kept = draft.units.get(code="BC01")
    client.force_login(staff)
    data = form_data(client.get(referentiel_change_url(draft)), "referentiel_form")
    data["units-0-code"] = ["BC02"]
    data["units-1-DELETE"] = ["on"]

    response = client.post(referentiel_change_url(draft), data)

    assert response.status_code == 302, errors_of(response)
    assert list(draft.units.values_list("pk", "code")) == [(kept.pk, "BC02")]


@pytest.fixture
def two_versions(cqp, staff):
    first = published(cqp, staff)
    return first, services.referentiel_new_version(referentiel=first, actor=staff)


@pytest.mark.django_db
def test_changing_an_equivalence_never_adds_a_second_one(client, staff, two_versions):
    first, second = two_versions
    equivalence = UnitEquivalence.objects.get(from_unit__code="BC01", to_unit__code="BC01")
    before = set(UnitEquivalence.objects.values_list("pk", "from_unit", "to_unit"))
    client.force_login(staff)
    url = reverse("admin:certifications_unitequivalence_change", args=[equivalence.pk])

    response = client.post(
        url,
        {"from_unit": first.units.get(code="BC02").pk, "to_unit": second.units.get(code="BC01").pk},
    )

    assert response.status_code == 403  # declared, never edited: deleted and declared again
    assert set(UnitEquivalence.objects.values_list("pk", "from_unit", "to_unit")) == before


@pytest.mark.django_db
def test_staff_delete_an_equivalence(client, staff, two_versions):
    equivalence = UnitEquivalence.objects.first()
    client.force_login(staff)
    url = reverse("admin:certifications_unitequivalence_delete", args=[equivalence.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not UnitEquivalence.objects.filter(pk=equivalence.pk).exists()


@pytest.mark.django_db
def test_a_cqp_of_another_branch_is_refused_on_the_provider_page(client, staff, branch, other_cqp):
    provider = factories.ProviderFactory()
    provider.branches.add(branch)
    url = reverse("admin:certifications_trainingprovider_change", args=[provider.pk])
    client.force_login(staff)
    data = form_data(client.get(url), "trainingprovider_form")
    data.update(
        {
            "habilitations-TOTAL_FORMS": ["1"],
            "habilitations-0-cqp": [str(other_cqp.pk)],
            "habilitations-0-scope": [Habilitation.Scope.TRAIN],
            "habilitations-0-valid_from": [today().isoformat()],
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert not Habilitation.objects.exists()
