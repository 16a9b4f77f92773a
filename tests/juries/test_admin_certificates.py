"""Certificates, attestations and minutes in the admin, for branch staff: the list (filters,
search by number, code or name), each document's page, its download, producing it again,
revoking it; the documents section of a closed session and its ZIP. Scoped to the branch,
read-only for CPNEF members."""

import datetime
import io
import zipfile

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate, DossierStatus
from certifications.models import BranchMembership
from cqp.errors import DomainError
from juries import services
from juries.models import Certificate, DocumentStatus, JuryMinutes
from tests.candidates.conftest import make_candidate
from tests.candidates.test_admin import make_dossier
from tests.juries.documents import close_three
from tests.juries.test_admin_decisions import closed_session, decided

D = DocumentStatus
CHANGELIST = reverse("admin:juries_certificate_changelist")
FEW, MANY = 1, 30


@pytest.fixture
def client(client):
    """The admin in English, so that tests read the messages as written."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def produced(branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks):
    """A closed session whose certificate, attestation and minutes are produced (PDFs).
    Returns (session, certificate, attestation, minutes)."""
    with django_capture_on_commit_callbacks(execute=True):
        session, _members, _items = close_three(branch, open_cqp, staff, evaluator)
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    attestation = Certificate.objects.get(kind=Certificate.Kind.PARTIAL_ATTESTATION)
    return session, certificate, attestation, JuryMinutes.objects.get(session=session)


@pytest.fixture
def pending(branch, open_cqp, staff, evaluator):
    """The same session, its tasks never run: every document is still being produced."""
    session, _members, _items = close_three(branch, open_cqp, staff, evaluator)
    return session, list(Certificate.objects.order_by("sequence"))


def change_url(certificate):
    return reverse("admin:juries_certificate_change", args=[certificate.pk])


def url(name, certificate):
    return reverse(f"admin:juries_certificate_{name}", args=[certificate.pk])


def session_url(name, session):
    return reverse(f"admin:juries_jurysession_{name}", args=[session.pk])


def verify_url(certificate):
    return reverse("verification:certificate", args=[certificate.public_code])


def listed(response) -> list[str]:
    return [c.number for c in response.context["cl"].result_list]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def errors_of(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def no_store(response) -> bool:
    return {"private", "no-store"} <= {v.strip() for v in response["Cache-Control"].split(",")}


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def ready(certificate):
    """Mark a document produced, with a small stand-in PDF (the tasks are tested elsewhere)."""
    certificate.pdf.save(certificate.file_name, ContentFile(b"%PDF-1.4 stand-in"), save=False)
    certificate.status = D.READY
    certificate.produced_at = timezone.now()
    certificate.save(update_fields=["pdf", "status", "produced_at"])
    return certificate


def many_documents(branch, cqp, staff, rows):
    """A closed session with `rows` certified dossiers, each with its certificate (ready, but
    the last one still pending) and the session's minutes: created through the issuing
    service, not the deliberation (tested elsewhere)."""
    session, members = closed_session(branch, cqp, staff)
    today = timezone.localdate()
    certificates = []
    for n in range(rows):
        dossier = make_dossier(
            make_candidate(f"c{n}@example.org"), cqp, status=DossierStatus.CERTIFIED
        )
        item = decided(session, dossier, members, staff, order=n)
        certificate = services.certificate_issue(decision=item.decisions.get(), decided_on=today)
        certificates.append(ready(certificate) if n < rows - 1 or rows == 1 else certificate)
    services.session_documents_issue(session=session, decided_on=today)
    return session, certificates


# --- the list -----------------------------------------------------------------------------------


def test_staff_list_their_branchs_documents_with_holder_cqp_and_status(client, staff, produced):
    _session, certificate, attestation, _minutes = produced
    client.force_login(staff)

    page = client.get(CHANGELIST)

    assert page.status_code == 200
    assert listed(page) == [attestation.number, certificate.number]  # the latest first
    html = page.content.decode()
    assert certificate.holder_name in html and attestation.holder_name in html
    assert "Attestation of partial validation" in html and "NI" in html
    assert html.count('class="cqp-status cqp-status--ready"') == 2
    produced_on = timezone.localtime(certificate.produced_at).strftime("%m/%d/%Y")
    assert produced_on in html


def test_cpnef_members_list_the_documents_and_other_branches_see_none(
    client, cpnef, other_staff, produced
):
    client.force_login(cpnef)
    page = client.get(CHANGELIST)
    assert len(listed(page)) == 2
    assert page.context["action_form"] is None  # no action to take

    client.force_login(other_staff)
    assert listed(client.get(CHANGELIST)) == []


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ({"kind": "partial_attestation"}, "partial_attestation"),
        ({"kind": "certificate"}, "certificate"),
    ],
)
def test_the_list_filters_by_kind(client, staff, produced, query, kind):
    client.force_login(staff)

    page = client.get(CHANGELIST, query)

    assert [c.kind for c in page.context["cl"].result_list] == [kind]


def test_the_list_filters_by_status_and_year(client, staff, produced):
    _session, certificate, attestation, _minutes = produced
    services.certificate_revoke(certificate=certificate, reason="Erreur de saisie.", actor=staff)
    client.force_login(staff)

    assert listed(client.get(CHANGELIST, {"status": "revoked"})) == [certificate.number]
    assert listed(client.get(CHANGELIST, {"status": "ready"})) == [attestation.number]
    assert len(listed(client.get(CHANGELIST, {"year": str(certificate.year)}))) == 2
    assert listed(client.get(CHANGELIST, {"year": str(certificate.year - 1)})) == []


def test_the_branch_filter_shows_only_for_more_than_one_branch(client, staff, superuser, produced):
    client.force_login(staff)
    filters = client.get(CHANGELIST).context["cl"].list_filter
    assert filters == ["status", "kind", "year"]  # one branch: no branch filter

    client.force_login(superuser)
    filters = client.get(CHANGELIST).context["cl"].list_filter
    assert filters[-1][0] == "branch"


def test_the_list_finds_a_number_a_code_as_typed_and_a_last_name(client, staff, produced):
    _session, certificate, attestation, _minutes = produced
    Candidate.objects.filter(pk=attestation.dossier.candidate_id).update(last_name="Zidane-Roux")
    client.force_login(staff)

    def found(term):
        return listed(client.get(CHANGELIST, {"q": term}))

    assert found(certificate.number) == [certificate.number]
    assert found(certificate.number.lower()[-6:]) == [certificate.number]
    assert found(certificate.display_code) == [certificate.number]  # ABCDE-FGHJK
    assert found(certificate.display_code.lower()) == [certificate.number]
    assert found(certificate.public_code) == [certificate.number]
    assert found("zidane") == [attestation.number]
    assert found("NOSUCHCODE") == []


def test_a_code_of_another_branch_is_not_found(client, other_staff, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(other_staff)

    assert listed(client.get(CHANGELIST, {"q": certificate.display_code})) == []


def test_nothing_is_added_changed_or_deleted_through_the_admin(client, staff, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(staff)

    assert client.get(reverse("admin:juries_certificate_add")).status_code == 403
    assert client.get(url("delete", certificate)).status_code == 403
    page = client.get(change_url(certificate))
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    before = Certificate.objects.get(pk=certificate.pk).number
    client.post(change_url(certificate), {"number": "HACK-1"})
    assert Certificate.objects.get(pk=certificate.pk).number == before


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_list_query_count_is_bounded(
    client, staff, branch, open_cqp, rows, django_assert_max_num_queries
):
    many_documents(branch, open_cqp, staff, rows)
    client.force_login(staff)
    client.get(CHANGELIST)

    with django_assert_max_num_queries(9):
        page = client.get(CHANGELIST)

    assert len(listed(page)) == rows


# --- the document's page ----------------------------------------------------------------------


def test_the_page_shows_what_is_printed_the_code_and_the_links(client, staff, produced):
    session, _certificate, attestation, _minutes = produced
    decision = attestation.decision
    client.force_login(staff)

    page = client.get(change_url(attestation))

    html = page.content.decode()
    snapshot = attestation.snapshot
    assert attestation.number in html
    assert attestation.display_code in html and verify_url(attestation) in html
    assert snapshot["holder"]["last_name"] in html and "born on 05/17/1990 in Lyon" in html
    assert "NI — Négociateur immobilier" in html
    [held] = snapshot["units_held"]
    [remaining] = snapshot["units_remaining"]
    assert f"{held['code']} — {held['title']}" in html and "acquired on" in html
    assert f"{remaining['code']} — {remaining['title']}" in html
    jury_day = timezone.localtime(session.starts_at).strftime("%m/%d/%Y")
    assert jury_day in html
    dossier_link = reverse("admin:candidates_dossier_change", args=[attestation.dossier_id])
    assert dossier_link in html and attestation.dossier.reference in html
    record = reverse("admin:juries_jurysession_record", args=[session.pk, decision.item_id])
    assert record in html and "Partially validated" in html
    # Lifecycle history: issued pending, then produced by the task.
    history = page.context["inline_admin_formsets"][0]
    assert [form.original.action for form in history] == ["produce"]
    assert "Revocation" not in html and "last error" not in html.lower()


def test_staff_see_download_regenerate_and_revoke_buttons(client, staff, cpnef, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(staff)

    buttons = client.get(change_url(certificate)).context["certificate_actions"]

    assert [b["url"] for b in buttons] == [
        url("pdf", certificate),
        url("regenerate", certificate),
        url("revoke", certificate),
    ]
    client.force_login(cpnef)
    buttons = client.get(change_url(certificate)).context["certificate_actions"]
    assert [b["url"] for b in buttons] == [url("pdf", certificate)]


def test_a_pending_document_offers_neither_download_nor_regeneration(client, staff, pending):
    _session, (certificate, _attestation) = pending
    client.force_login(staff)

    page = client.get(change_url(certificate))

    assert [b["name"] for b in page.context["certificate_actions"]] == ["revoke"]
    assert "The PDF is being produced" in page.content.decode()


def test_a_failed_document_shows_its_attempts_and_last_error(client, staff, pending):
    _session, (certificate, _attestation) = pending
    Certificate.objects.filter(pk=certificate.pk).update(
        status=D.FAILED, attempts=3, last_error="OSError: font not found"
    )
    client.force_login(staff)

    page = client.get(change_url(certificate))

    html = page.content.decode()
    assert "OSError: font not found" in html and "3 attempts" in html
    assert [b["name"] for b in page.context["certificate_actions"]] == ["regenerate", "revoke"]


def test_other_branches_do_not_find_the_document(client, other_staff, other_cpnef, produced):
    _session, certificate, _attestation, _minutes = produced
    for user in (other_staff, other_cpnef):
        client.force_login(user)
        for page in ("change", "pdf", "regenerate", "revoke"):
            assert client.get(url(page, certificate)).status_code == 404, page
        assert client.post(url("revoke", certificate), {"reason": "x"}).status_code == 404
    assert Certificate.objects.get(pk=certificate.pk).status == D.READY


def test_the_page_query_count_is_bounded(client, staff, produced, django_assert_max_num_queries):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(staff)
    client.get(change_url(certificate))

    with django_assert_max_num_queries(7):
        client.get(change_url(certificate))


# --- download -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_staff_and_cpnef_members_download_the_pdf(client, request, role, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(request.getfixturevalue(role))

    response = client.get(url("pdf", certificate))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert no_store(response)
    assert f'filename="{certificate.number}.pdf"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert content(response).startswith(b"%PDF")


def test_a_document_without_its_pdf_yet_is_not_downloaded(client, staff, pending):
    _session, (certificate, _attestation) = pending
    client.force_login(staff)

    assert client.get(url("pdf", certificate)).status_code == 404


# --- producing again --------------------------------------------------------------------------


def test_staff_produce_the_pdf_again_with_the_same_number_and_code(
    client, staff, produced, django_capture_on_commit_callbacks
):
    _session, certificate, _attestation, _minutes = produced
    number, code, first = certificate.number, certificate.public_code, certificate.produced_at
    client.force_login(staff)
    confirm = client.get(url("regenerate", certificate))
    assert confirm.status_code == 200 and "current logo and signatory" in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("regenerate", certificate))

    assert response.status_code == 302 and response["Location"] == change_url(certificate)
    certificate.refresh_from_db()
    assert (certificate.number, certificate.public_code) == (number, code)
    assert certificate.status == D.READY and certificate.produced_at > first
    assert certificate.pdf.open("rb").read(4) == b"%PDF"
    assert list(certificate.events.order_by("pk").values_list("action", "actor")) == [
        ("produce", None),
        ("regenerate", staff.pk),
        ("produce", None),
    ]
    assert "same number, same verification code" in messages_of(response)[0]


def test_a_pending_document_is_not_produced_again(client, staff, pending):
    _session, (certificate, _attestation) = pending
    client.force_login(staff)

    response = client.post(url("regenerate", certificate))

    assert response.status_code == 200
    assert "not possible in this status" in response.content.decode()
    assert not certificate.events.filter(action="regenerate").exists()


# --- revoking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_revoking_requires_a_reason_and_changes_nothing_without(client, staff, produced, reason):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(staff)

    response = client.post(url("revoke", certificate), {"reason": reason})

    assert response.status_code == 200
    assert "Give the reason for revoking" in errors_of(response)
    certificate.refresh_from_db()
    assert certificate.status == D.READY and certificate.revoked_at is None
    assert not certificate.events.filter(action="revoke").exists()


def test_staff_revoke_and_the_verification_page_says_so_at_once(client, staff, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(staff)
    page = client.get(url("revoke", certificate))
    assert "verification page shows at once" in page.content.decode()

    response = client.post(url("revoke", certificate), {"reason": "Fraude au livret VAE."})

    assert response.status_code == 302 and response["Location"] == change_url(certificate)
    certificate.refresh_from_db()
    assert certificate.status == D.REVOKED and certificate.revoked_by == staff
    assert certificate.revoked_reason == "Fraude au livret VAE."
    public = client.get(verify_url(certificate)).content.decode()
    assert "Revoked" in public and "Fraude au livret VAE." in public
    page = client.get(change_url(certificate)).content.decode()
    assert "Revocation" in page and "Fraude au livret VAE." in page
    assert [
        b["name"] for b in client.get(change_url(certificate)).context["certificate_actions"]
    ] == ["pdf"]  # the branch keeps the PDF it issued; nothing more to do


def test_a_revoked_document_is_not_revoked_twice(client, staff, produced):
    _session, certificate, _attestation, _minutes = produced
    services.certificate_revoke(certificate=certificate, reason="Erreur.", actor=staff)
    client.force_login(staff)

    response = client.post(url("revoke", certificate), {"reason": "Encore."})

    assert response.status_code == 200
    assert "not possible in this status" in response.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).revoked_reason == "Erreur."


def test_a_refusal_of_the_service_is_a_form_error(client, staff, produced, monkeypatch):
    """A rule the page could not see (e.g. revoked in another tab meanwhile): the service's
    refusal shows in the form, and nothing is written."""
    _session, certificate, _attestation, _minutes = produced

    def refuse(**kwargs):
        raise DomainError("Revoked meanwhile.")

    monkeypatch.setattr(services, "certificate_revoke", refuse)
    client.force_login(staff)

    response = client.post(url("revoke", certificate), {"reason": "Fraude."})

    assert response.status_code == 200
    assert errors_of(response) == "Revoked meanwhile."
    assert Certificate.objects.get(pk=certificate.pk).status == D.READY


def test_cpnef_members_may_neither_revoke_nor_produce_again(client, cpnef, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(cpnef)

    for page in ("regenerate", "revoke"):
        assert client.get(url(page, certificate)).status_code == 403
        assert client.post(url(page, certificate), {"reason": "x"}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == D.READY and certificate.events.count() == 1


# --- the list's action -----------------------------------------------------------------------


def test_the_action_produces_the_selected_documents_again_and_counts(
    client, staff, produced, django_capture_on_commit_callbacks
):
    _session, certificate, attestation, _minutes = produced
    services.certificate_revoke(certificate=attestation, reason="Erreur.", actor=staff)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST,
            {
                "action": "regenerate_selected",
                "_selected_action": [certificate.pk, attestation.pk],
                "index": 0,
            },
            follow=True,
        )

    assert messages_of(response) == [
        "1 document is being produced again.",
        "1 document skipped: only ready or failed documents are produced again.",
    ]
    assert certificate.events.filter(action="regenerate", actor=staff).count() == 1
    assert Certificate.objects.get(pk=certificate.pk).status == D.READY  # produced again
    assert not attestation.events.filter(action="regenerate").exists()


def test_the_action_skips_the_branches_where_the_user_is_not_staff(
    client, staff, other_branch, produced
):
    _session, certificate, attestation, _minutes = produced
    BranchMembership.objects.create(
        user=staff, branch=other_branch, role=BranchMembership.BranchRole.CPNEF
    )
    Certificate.objects.filter(pk=attestation.pk).update(branch=other_branch)
    client.force_login(staff)

    response = client.post(
        CHANGELIST,
        {
            "action": "regenerate_selected",
            "_selected_action": [certificate.pk, attestation.pk],
            "index": 0,
        },
        follow=True,
    )

    assert messages_of(response)[0] == "1 document is being produced again."
    assert not attestation.events.filter(action="regenerate").exists()


def test_cpnef_members_have_no_action(client, cpnef, produced):
    _session, certificate, _attestation, _minutes = produced
    client.force_login(cpnef)

    client.post(
        CHANGELIST,
        {"action": "regenerate_selected", "_selected_action": [certificate.pk], "index": 0},
    )

    assert not certificate.events.filter(action="regenerate").exists()


def test_the_branch_page_says_how_to_print_a_new_logo(client, staff, branch):
    client.force_login(staff)

    page = client.get(reverse("admin:certifications_branch_change", args=[branch.pk]))

    assert "Produce the PDFs again" in page.content.decode()


# --- the session's documents --------------------------------------------------------------------


def test_a_closed_session_lists_its_documents_and_how_many_are_ready(client, staff, produced):
    session, certificate, attestation, minutes = produced
    client.force_login(staff)

    page = client.get(session_url("change", session))

    html = page.content.decode()
    assert "3 of 3 documents ready" in html
    documents = page.context["documents"]
    assert [c.number for c in documents.certificates] == [certificate.number, attestation.number]
    for document in (certificate, attestation):
        assert url("pdf", document) in html and change_url(document) in html
        assert document.holder_name in html
    assert session_url("minutes_pdf", session) in html
    assert session_url("minutes_regenerate", session) in html
    assert page.context["documents_zip_url"] == session_url("documents_zip", session)


def test_the_count_waits_for_pending_documents_and_not_for_revoked_ones(
    client, staff, cpnef, pending
):
    session, (certificate, _attestation) = pending
    services.certificate_revoke(certificate=certificate, reason="Erreur.", actor=staff)
    client.force_login(staff)

    page = client.get(session_url("change", session))

    html = page.content.decode()
    assert "0 of 2 documents ready" in html and "1 revoked" in html
    assert page.context["documents_zip_url"] is None
    assert page.context["minutes_regenerate_url"] is None  # being produced
    assert "Download all (ZIP)" not in html


def test_an_open_session_has_no_documents_section(client, staff, branch, open_cqp):
    session = services.session_create(
        branch=branch,
        cqps=[open_cqp],
        starts_at=timezone.now() + datetime.timedelta(days=10),
        place="Paris",
        actor=staff,
    )
    client.force_login(staff)

    page = client.get(session_url("change", session))

    assert page.context["documents"] is None
    assert 'id="session-documents"' not in page.content.decode()


@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_the_zip_holds_every_ready_pdf_of_the_session(client, request, role, produced):
    session, certificate, attestation, minutes = produced
    client.force_login(request.getfixturevalue(role))

    response = client.get(session_url("documents_zip", session))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert no_store(response)
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(content(response)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(
        [f"{certificate.number}.pdf", f"{attestation.number}.pdf", minutes.file_name]
    )
    for name in archive.namelist():
        assert archive.read(name).startswith(b"%PDF")


def test_the_zip_leaves_out_what_is_not_ready(client, staff, produced):
    session, certificate, attestation, minutes = produced
    services.certificate_revoke(certificate=certificate, reason="Erreur.", actor=staff)
    client.force_login(staff)

    response = client.get(session_url("documents_zip", session))

    names = zipfile.ZipFile(io.BytesIO(content(response))).namelist()
    assert sorted(names) == sorted([f"{attestation.number}.pdf", minutes.file_name])


def test_no_zip_when_nothing_is_ready(client, staff, pending):
    session, _certificates = pending
    client.force_login(staff)

    response = client.get(session_url("documents_zip", session))

    assert response.status_code == 302 and response["Location"] == session_url("change", session)
    assert messages_of(response) == ["No document of this session is ready yet."]


def test_other_branches_get_neither_zip_nor_minutes(client, other_staff, other_cpnef, produced):
    session, _certificate, _attestation, _minutes = produced
    for user in (other_staff, other_cpnef):
        client.force_login(user)
        for name in ("documents_zip", "minutes_pdf", "minutes_regenerate"):
            assert client.get(session_url(name, session)).status_code == 404, name


@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_staff_and_cpnef_members_download_the_minutes(client, request, role, produced):
    session, _certificate, _attestation, minutes = produced
    client.force_login(request.getfixturevalue(role))

    response = client.get(session_url("minutes_pdf", session))

    assert response.status_code == 200 and no_store(response)
    assert f'filename="{minutes.file_name}"' in response["Content-Disposition"]
    assert content(response).startswith(b"%PDF")


def test_staff_produce_the_minutes_again(
    client, staff, produced, django_capture_on_commit_callbacks
):
    session, _certificate, _attestation, minutes = produced
    first = minutes.produced_at
    client.force_login(staff)
    assert client.get(session_url("minutes_regenerate", session)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(session_url("minutes_regenerate", session))

    assert response.status_code == 302
    assert response["Location"] == session_url("change", session)
    minutes.refresh_from_db()
    assert minutes.status == D.READY and minutes.produced_at > first
    assert minutes.pdf.open("rb").read(4) == b"%PDF"


def test_minutes_being_produced_are_not_produced_again(client, staff, pending):
    session, _certificates = pending
    client.force_login(staff)

    response = client.post(session_url("minutes_regenerate", session))

    assert response.status_code == 200
    assert "being produced already" in response.content.decode()


def test_cpnef_members_do_not_produce_the_minutes_again(client, cpnef, produced):
    session, _certificate, _attestation, minutes = produced
    client.force_login(cpnef)

    page = client.get(session_url("change", session))
    assert page.context["minutes_regenerate_url"] is None
    assert client.get(session_url("minutes_regenerate", session)).status_code == 403
    assert client.post(session_url("minutes_regenerate", session)).status_code == 403
    assert JuryMinutes.objects.get(pk=minutes.pk).status == D.READY


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_closed_session_page_with_its_documents_query_count_is_bounded(
    client, staff, branch, open_cqp, rows, django_assert_max_num_queries
):
    session, certificates = many_documents(branch, open_cqp, staff, rows)
    client.force_login(staff)
    client.get(session_url("change", session))

    with django_assert_max_num_queries(12):
        page = client.get(session_url("change", session))

    assert len(page.context["documents"].certificates) == rows
    assert page.context["documents"].minutes is not None
