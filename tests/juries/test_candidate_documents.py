"""The documents on the dossier page and their downloads: the panel per status (with htmx
polling while a PDF is being produced), its fragment, the certificate's and the minutes' PDFs
for each role.

Anonymous visitors are sent to the login page (like the dossier's pieces); anyone logged in
who may not read a document gets a 404 (its existence is not disclosed).
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from juries import services
from juries.models import Certificate, DocumentStatus, JuryDecision, JuryMinutes, Outcome
from tests.juries.documents import close_three
from tests.juries.test_sessions import seat

POLLING = ('hx-trigger="every 3s"', 'hx-swap="outerHTML"')


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def produced(branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks):
    """A closed session whose certificate, attestation and minutes are produced."""
    with django_capture_on_commit_callbacks(execute=True):
        session, members, items = close_three(branch, open_cqp, staff, evaluator)
    documents = SimpleNamespace(
        session=session,
        members=members,
        items=items,
        certificate=Certificate.objects.get(decision__item=items[0]),
        attestation=Certificate.objects.get(decision__item=items[1]),
        minutes=JuryMinutes.objects.get(session=session),
    )
    for document in (documents.certificate, documents.attestation, documents.minutes):
        assert document.is_ready, document.last_error
    return documents


@pytest.fixture
def member_elsewhere(branch, open_cqp, staff):
    """Someone who sits on another session of the branch."""
    session = services.session_create(
        branch=branch,
        cqps=[open_cqp],
        starts_at=timezone.now() + datetime.timedelta(days=30),
        place="Lyon",
        actor=staff,
    )
    return seat(session, staff, "employer", email="elsewhere@example.org").user


def user_for(role, request, produced):
    people = {
        "holder": lambda: produced.certificate.dossier.candidate.user,
        "other_candidate": lambda: produced.attestation.dossier.candidate.user,
        "president": lambda: produced.members[0].user,
        "member": lambda: produced.members[1].user,
    }
    if role in people:
        return people[role]()
    return request.getfixturevalue(role)


def dossier_url(certificate):
    return reverse("candidates:dossier_detail", args=[certificate.dossier_id])


def panel_url(certificate):
    return reverse("documents:dossier_panel", args=[certificate.dossier_id])


def pdf_url(certificate):
    return reverse("documents:certificate_pdf", args=[certificate.pk])


def minutes_url(minutes):
    return reverse("documents:minutes_pdf", args=[minutes.pk])


def panel_of(response) -> str:
    """The documents' panel in a dossier page ("" when the page has none)."""
    html = response.content.decode()
    if 'id="dossier-documents"' not in html:
        return ""
    start = html.index('<section id="dossier-documents"')
    return html[start : html.index("</section>", start)]


def set_status(certificate, status):
    Certificate.objects.filter(pk=certificate.pk).update(status=status)


def never_produced(certificate, status):
    """As if its PDF had never been produced: `status` and no file."""
    Certificate.objects.filter(pk=certificate.pk).update(status=status, pdf="")


# --- the panel --------------------------------------------------------------------------------


def test_the_holder_finds_their_certificate_ready_to_download(client, produced):
    certificate = produced.certificate
    client.force_login(certificate.dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(certificate)))

    assert "Certificates and attestations" in panel
    assert "Certificate" in panel and certificate.number in panel
    assert timezone.localtime(certificate.created_at).strftime("%m/%d/%Y") in panel
    assert f'href="{pdf_url(certificate)}"' in panel and "Download (PDF)" in panel
    verify = reverse("verification:certificate", args=[certificate.public_code])
    assert f'href="{verify}"' in panel and certificate.display_code in panel
    assert "hx-get" not in panel and "being produced" not in panel
    assert produced.attestation.number not in panel  # another candidate's


def test_the_attestation_shows_on_its_dossier(client, produced):
    attestation = produced.attestation
    client.force_login(attestation.dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(attestation)))

    assert "Attestation of partial validation" in panel and attestation.number in panel
    assert f'href="{pdf_url(attestation)}"' in panel


@pytest.mark.parametrize("status", [DocumentStatus.PENDING, DocumentStatus.FAILED])
def test_while_being_produced_the_panel_says_so_and_polls_itself(client, produced, status):
    certificate = produced.certificate
    never_produced(certificate, status)
    client.force_login(certificate.dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(certificate)))

    assert "being produced" in panel
    assert "<noscript> Reload this page later to download it.</noscript>" in panel
    assert "Download (PDF)" not in panel and pdf_url(certificate) not in panel
    assert f'hx-get="{panel_url(certificate)}"' in panel
    for attribute in POLLING:
        assert attribute in panel
    assert certificate.number in panel  # numbered already


@pytest.mark.parametrize("status", [DocumentStatus.PENDING, DocumentStatus.FAILED])
def test_while_produced_again_the_holder_keeps_the_previous_pdf(client, produced, status):
    """Staff produce it again (a new logo): until the new one is stored, the old one stays."""
    certificate = produced.certificate
    set_status(certificate, status)
    client.force_login(certificate.dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(certificate)))

    assert f'href="{pdf_url(certificate)}"' in panel and "Being updated" in panel
    assert f'hx-get="{panel_url(certificate)}"' in panel  # the new one replaces it soon
    assert_pdf(client.get(pdf_url(certificate)), f"{certificate.number}.pdf")


def test_a_revoked_document_shows_its_date_and_reason_and_no_download(client, produced, staff):
    certificate = produced.certificate
    services.certificate_revoke(certificate=certificate, reason="Fraude établie.", actor=staff)
    certificate.refresh_from_db()
    client.force_login(certificate.dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(certificate)))

    revoked_on = timezone.localtime(certificate.revoked_at).strftime("%m/%d/%Y")
    assert f"Revoked on {revoked_on}: Fraude établie." in panel
    assert "Download (PDF)" not in panel and pdf_url(certificate) not in panel
    assert "hx-get" not in panel
    assert certificate.display_code in panel  # the verification page says revoked


def test_no_panel_without_a_document(client, produced):
    refused = produced.items[2].dossier
    client.force_login(refused.candidate.user)

    response = client.get(reverse("candidates:dossier_detail", args=[refused.pk]))

    assert response.status_code == 200
    assert response.context["panels"] == []
    assert panel_of(response) == ""


@pytest.mark.parametrize("role", ["staff", "cpnef", "superuser"])
def test_the_branch_sees_the_panel_too(client, request, produced, role):
    client.force_login(user_for(role, request, produced))

    panel = panel_of(client.get(dossier_url(produced.certificate)))

    assert f'href="{pdf_url(produced.certificate)}"' in panel


def test_the_evaluator_sees_the_dossier_but_not_its_documents(client, produced, evaluator):
    client.force_login(evaluator)

    response = client.get(dossier_url(produced.certificate))

    assert response.status_code == 200
    assert panel_of(response) == ""
    assert produced.certificate.number not in response.content.decode()


# --- the fragment -----------------------------------------------------------------------------


def test_the_fragment_is_the_panel_alone_and_stops_polling_once_ready(client, produced):
    certificate = produced.certificate
    client.force_login(certificate.dossier.candidate.user)
    set_status(certificate, DocumentStatus.PENDING)

    response = client.get(panel_url(certificate), headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="dossier-documents"')
    assert "<html" not in html and "<footer" not in html
    assert all(attribute in html for attribute in POLLING)
    assert response["Cache-Control"] == "private, no-store"

    set_status(certificate, DocumentStatus.READY)
    html = client.get(panel_url(certificate), headers={"HX-Request": "true"}).content.decode()

    assert "hx-get" not in html and "hx-trigger" not in html
    assert f'href="{pdf_url(certificate)}"' in html


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("holder", 200),
        ("staff", 200),
        ("cpnef", 200),
        ("superuser", 200),
        ("other_candidate", 404),
        ("evaluator", 404),
        ("other_staff", 404),
        ("member", 404),
    ],
)
def test_the_fragment_is_for_those_who_read_the_documents(client, request, produced, role, status):
    client.force_login(user_for(role, request, produced))

    assert client.get(panel_url(produced.certificate)).status_code == status


def test_the_fragment_sends_anonymous_visitors_to_log_in(client, produced):
    response = client.get(panel_url(produced.certificate))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_page_polling_after_its_session_ended_reloads_to_the_login(client, produced):
    response = client.get(panel_url(produced.certificate), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"


# --- certificate downloads --------------------------------------------------------------------


def assert_pdf(response, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("holder", True),
        ("staff", True),
        ("cpnef", True),
        ("superuser", True),
        ("other_candidate", False),
        ("evaluator", False),
        ("other_staff", False),
        ("other_cpnef", False),
        ("president", False),
        ("member", False),
        ("member_elsewhere", False),
    ],
)
def test_a_certificate_downloads_for_its_holder_and_its_branch_only(
    client, request, produced, role, allowed
):
    certificate = produced.certificate
    client.force_login(user_for(role, request, produced))

    response = client.get(pdf_url(certificate))

    if allowed:
        assert_pdf(response, f"{certificate.number}.pdf")
    else:
        assert response.status_code == 404


def test_a_download_sends_anonymous_visitors_to_log_in(client, produced):
    for url in (pdf_url(produced.certificate), minutes_url(produced.minutes)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_revoked_certificate_is_no_longer_its_holders_to_download(client, produced, staff):
    certificate = produced.certificate
    services.certificate_revoke(certificate=certificate, reason="Fraude établie.", actor=staff)

    client.force_login(certificate.dossier.candidate.user)
    assert client.get(pdf_url(certificate)).status_code == 404

    client.force_login(staff)  # the branch keeps it, as it was issued
    assert_pdf(client.get(pdf_url(certificate)), f"{certificate.number}.pdf")


@pytest.mark.parametrize("status", [DocumentStatus.PENDING, DocumentStatus.FAILED])
@pytest.mark.parametrize("role", ["holder", "staff"])
def test_a_document_not_produced_yet_is_not_served(client, request, produced, status, role):
    never_produced(produced.certificate, status)
    client.force_login(user_for(role, request, produced))

    assert client.get(pdf_url(produced.certificate)).status_code == 404


def test_an_unknown_certificate_is_a_404(client, produced, superuser):
    client.force_login(superuser)
    assert client.get(reverse("documents:certificate_pdf", args=[99999])).status_code == 404


# --- minutes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("staff", True),
        ("cpnef", True),
        ("superuser", True),
        ("president", True),
        ("member", True),
        ("other_staff", False),
        ("other_cpnef", False),
        ("member_elsewhere", False),
        ("holder", False),
        ("evaluator", False),
    ],
)
def test_the_minutes_download_for_the_branch_and_the_sessions_jury_only(
    client, request, produced, role, allowed
):
    minutes = produced.minutes
    client.force_login(user_for(role, request, produced))

    response = client.get(minutes_url(minutes))

    if allowed:
        assert_pdf(response, minutes.file_name)
    else:
        assert response.status_code == 404


def test_minutes_being_produced_are_not_served(client, produced, staff):
    JuryMinutes.objects.filter(pk=produced.minutes.pk).update(status=DocumentStatus.PENDING)
    client.force_login(staff)

    assert client.get(minutes_url(produced.minutes)).status_code == 404


def test_the_jurys_session_page_links_to_the_minutes_once_ready(client, produced):
    client.force_login(produced.members[1].user)
    url = reverse("juries:session_detail", args=[produced.session.pk])

    html = client.get(url).content.decode()
    assert f'href="{minutes_url(produced.minutes)}"' in html and "Minutes (PDF)" in html

    JuryMinutes.objects.filter(pk=produced.minutes.pk).update(status=DocumentStatus.PENDING)
    html = client.get(url).content.decode()
    assert "Minutes (PDF)" not in html


# --- several documents, and the query count ----------------------------------------------------


def correct(item, outcome, staff):
    """Correct the item's latest decision (a partial validation grants the first unit left)."""
    latest = JuryDecision.objects.filter(item=item).order_by("-pk").first()
    validated = (
        [services.units_to_judge(item)[0].pk] if outcome == Outcome.PARTIALLY_VALIDATED else []
    )
    services.decision_correct(
        decision=latest,
        outcome=outcome,
        validated_unit_ids=validated,
        motivation="Erreur matérielle.",
        actor=staff,
    )


def documents_on_refused_dossier(produced, staff, count):
    """The refused dossier corrected into a partial validation, then (count - 1) times back
    and forth: `count` attestations, all revoked but the newest."""
    item = produced.items[2]
    correct(item, Outcome.PARTIALLY_VALIDATED, staff)
    for _ in range(count - 1):
        correct(item, Outcome.NOT_VALIDATED, staff)
        correct(item, Outcome.PARTIALLY_VALIDATED, staff)
    return list(Certificate.objects.filter(dossier=item.dossier).order_by("-created_at", "-pk"))


def test_documents_are_listed_newest_first(client, produced, staff):
    documents = documents_on_refused_dossier(produced, staff, 3)
    assert [d.status for d in documents] == [
        DocumentStatus.PENDING,  # the eager task runs on commit, not captured here
        DocumentStatus.REVOKED,
        DocumentStatus.REVOKED,
    ]
    client.force_login(documents[0].dossier.candidate.user)

    panel = panel_of(client.get(dossier_url(documents[0])))

    positions = [panel.index(d.number) for d in documents]
    assert positions == sorted(positions)
    assert panel.count("Revoked on") == 2
    assert all(attribute in panel for attribute in POLLING)  # the newest is being produced


@pytest.mark.parametrize("count", [1, 4])
@pytest.mark.parametrize("viewer", ["holder", "staff"])
def test_the_dossier_page_query_count_does_not_grow_with_documents(
    client, produced, staff, django_assert_max_num_queries, count, viewer
):
    documents = documents_on_refused_dossier(produced, staff, count)
    assert len(documents) == count
    user = documents[0].dossier.candidate.user if viewer == "holder" else staff
    client.force_login(user)

    # A decided dossier's page (its positioning, units, timeline...) and one for the documents.
    with django_assert_max_num_queries(16):
        response = client.get(dossier_url(documents[0]))
    assert response.status_code == 200
    assert panel_of(response).count("<tr>") == count + 1  # and the header

    with django_assert_max_num_queries(6):
        assert client.get(panel_url(documents[0])).status_code == 200
