"""Closing a session with a real Celery worker behind it, in a real browser.

A session deliberates on Léa's dossier (certified) and Hugo's (BC01 only), its decisions
recorded through the services; the president closes it in the browser. The documents' tasks
go through Redis to an in-process worker, which renders no certificate until Léa's dossier
page has shown hers "being produced" (else a fast worker could beat her to the page). Released,
the worker produces them, and the page, polling with htmx, offers the download without being
reloaded. Staff then find every document ready, the minutes too; the address printed on the
certificate says valid.

Runs under `make test-browser-worker` (PostgreSQL, Redis); `make test-browser` leaves it out.
"""

import threading
from unittest import mock

import pytest
from playwright.sync_api import expect

from candidates.models import DossierStatus
from cqp.celery import app as celery_app
from juries import services
from juries.documents import rendering
from juries.models import Certificate, DocumentStatus, JuryMinutes, Outcome
from juries.tasks import produce_certificate_task, produce_minutes_task
from tests.browser.test_catalogue_journey import log_in
from tests.browser.test_evaluator_journey import fr
from tests.browser.test_jury_journey import (
    PARTIAL_MOTIVATION,
    browser_context_args,
    candidate_downloads_the_document,
    candidate_opens_the_result,
    cqp,
    evaluator,
    member_logs_in,
    new_page,
    open_cqp,
    president_closes,
    printed_address,
    ready_dossier,
    reload,
    staff_download_the_session_documents,
    units,
    visitor_finds_it_valid,
)
from tests.celery_worker import WAIT_SECONDS, worker
from tests.juries.test_deliberation import convened_session, open_all

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

# Fixtures, from the jury's journey and tests/celery_worker.py.
__all__ = ["browser_context_args", "cqp", "evaluator", "new_page", "open_cqp", "units", "worker"]

D = DocumentStatus


@pytest.fixture
def deliberated(branch, open_cqp, units, staff, evaluator):
    """A deliberating session: Léa's dossier certified, Hugo's partially validated (BC01), the
    decisions recorded but not final. Returns (session, president, Léa's, Hugo's dossier)."""
    lea = ready_dossier(open_cqp, staff, evaluator, "lea.dumas@example.org", "Léa", "Dumas")
    hugo = ready_dossier(open_cqp, staff, evaluator, "hugo.moreau@example.org", "Hugo", "Moreau")
    session, members, (lea_item, hugo_item) = convened_session(branch, open_cqp, staff, [lea, hugo])
    open_all(session, members)
    president = members[0].user
    services.decision_record(
        item=lea_item,
        outcome=Outcome.CERTIFIED,
        validated_unit_ids=[unit.pk for unit in units],
        actor=president,
    )
    services.decision_record(
        item=hugo_item,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[units[0].pk],
        motivation=PARTIAL_MOTIVATION,
        actor=president,
    )
    return session, president, lea, hugo


@pytest.fixture
def held_certificates(worker):
    """The worker waits before rendering any certificate until the test sets this event."""
    released = threading.Event()
    render = rendering.certificate_pdf

    def render_once_released(certificate):
        released.wait(WAIT_SECONDS)
        return render(certificate)

    with mock.patch.object(rendering, "certificate_pdf", render_once_released):
        yield released
        released.set()  # a failed test never leaves the worker waiting


def expect_being_produced(watch, certificate):
    """The dossier page's panel: the certificate numbered, its PDF on its way, polling."""
    panel = watch.page.locator("#dossier-documents")
    expect(panel).to_have_attribute("aria-busy", "true")
    expect(panel).to_have_attribute("hx-trigger", "every 3s")
    expect(panel.locator(".notice[role=status]")).to_contain_text(
        fr("A document is being produced: it will be ready to download in a few moments.")
    )
    row = panel.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(certificate.number)
    expect(row.locator(".badge--warning")).to_have_text(fr("Being produced"))
    expect(row.locator("a[href$='.pdf']")).to_have_count(0)


def test_the_worker_produces_the_documents_and_the_dossier_page_offers_them_unreloaded(
    deliberated, worker, held_certificates, new_page, live_server, settings, staff, units
):
    base_url = live_server.url
    settings.SITE_URL = base_url  # the address the documents print and their QR codes hold
    session, president, lea_dossier, hugo_dossier = deliberated
    assert celery_app.conf.task_always_eager is False  # the tasks go through the broker

    # 1. The president closes the session: its documents are numbered, queued, not produced.
    president_watch = member_logs_in(new_page, base_url, president, session, agenda_size=2)
    president_closes(president_watch.page, base_url, session)
    lea_certificate = Certificate.objects.get(dossier=lea_dossier)
    hugo_attestation = Certificate.objects.get(dossier=hugo_dossier)
    minutes = JuryMinutes.objects.get(session=session)
    assert (lea_certificate.status, hugo_attestation.status) == (D.PENDING, D.PENDING)
    assert not lea_certificate.pdf

    # 2. Léa opens her dossier while the worker holds: her certificate is being produced.
    lea_watch = candidate_opens_the_result(new_page, base_url, lea_dossier, DossierStatus.CERTIFIED)
    lea_page = lea_watch.page
    expect_being_produced(lea_watch, lea_certificate)
    lea_watch.screenshot("documents-worker-01-candidate-document-being-produced")
    assert reload(lea_certificate).status == D.PENDING

    # 3. The worker produces the documents; the panel, polling, offers the PDF: no reload.
    lea_page.evaluate("window.stillTheSamePage = true")
    held_certificates.set()
    panel = lea_page.locator("#dossier-documents")
    download = panel.locator(f"a[href$='/documents/certificates/{lea_certificate.pk}.pdf']")
    expect(download).to_be_visible(timeout=WAIT_SECONDS * 1000)
    expect(panel).not_to_have_attribute("aria-busy", "true")  # polling stopped
    expect(panel.locator(".notice")).to_have_count(0)
    assert lea_page.evaluate("window.stillTheSamePage") is True
    lea_watch.screenshot("documents-worker-02-candidate-document-ready")
    assert worker.wait_for_runs(produce_certificate_task, 2) == [True, True]
    assert worker.wait_for_runs(produce_minutes_task, 1) == [True]
    every_code = [unit.code for unit in units]
    lea_pdf = candidate_downloads_the_document(lea_watch, lea_certificate, lea_dossier, every_code)

    # 4. Staff find every document ready, the minutes too, and download them as one ZIP.
    staff_watch = new_page()
    log_in(staff_watch.page, base_url, staff.email)
    expect(staff_watch.page).to_have_url(f"{base_url}/admin/")
    staff_download_the_session_documents(
        staff_watch,
        base_url,
        session,
        [lea_certificate, hugo_attestation],
        minutes,
        screenshot="documents-worker-03-admin-session-documents",
    )

    # 5. The address printed on the certificate: valid, in Léa's name.
    visitor_watch = new_page()
    visitor_finds_it_valid(
        visitor_watch, base_url, printed_address(lea_pdf), lea_certificate, lea_dossier
    )
    visitor_watch.screenshot("documents-worker-04-verification-valid")

    # Produced once each, by the worker (never eagerly, never twice).
    assert not worker.eager
    for document in (lea_certificate, hugo_attestation, minutes):
        reload(document)
        assert (document.status, document.attempts, document.last_error) == (D.READY, 1, "")
    for certificate in (lea_certificate, hugo_attestation):
        assert list(certificate.events.values_list("action", "actor")) == [("produce", None)]

    for watch in (president_watch, lea_watch, staff_watch, visitor_watch):
        watch.assert_clean()
