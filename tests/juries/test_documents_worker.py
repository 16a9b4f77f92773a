"""The documents' tasks through the real broker (Redis) and a real Celery worker: closing a
session produces its documents; with the broker down at the close, the periodic sweep does.

Selected by `make test-postgres` (CELERY_BROKER_URL set); deselected by default.
"""

import datetime

import pytest
from django.utils import timezone

from juries.models import Certificate, CertificateEvent, DocumentStatus, JuryMinutes
from juries.tasks import produce_certificate_task, produce_minutes_task, sweep_documents_task
from tests.celery_worker import worker
from tests.juries.documents import close_three
from tests.juries.test_documents import (
    Closed,
    broker_down,
    media,
    messages_in_english,
    pdf_text,
    stored_files,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

__all__ = ["media", "messages_in_english", "worker"]  # fixtures

D = DocumentStatus


def assert_produced_once(closed: Closed) -> None:
    for document in closed.documents():
        assert document.status == D.READY, document
        assert document.attempts == 1 and document.last_error == ""
        assert stored_files(document) == [document.file_name]
    for certificate in (closed.certificate, closed.attestation):
        assert list(certificate.events.values_list("action", "actor")) == [("produce", None)]


def test_closing_a_session_produces_its_documents_in_the_worker(
    worker, branch, open_cqp, staff, evaluator
):
    closed = Closed(*close_three(branch, open_cqp, staff, evaluator))

    assert worker.wait_for_runs(produce_certificate_task, 2) == [True, True]
    assert worker.wait_for_runs(produce_minutes_task, 1) == [True]
    assert_produced_once(closed)
    holder = closed.items[0].dossier.candidate
    text = pdf_text(closed.certificate)
    assert holder.last_name.upper() in text and closed.certificate.number in text
    assert Certificate.objects.count() == 2


def test_with_the_broker_down_at_the_close_the_sweep_produces_each_document_once(
    worker, branch, open_cqp, staff, evaluator
):
    certificate_down, minutes_down = broker_down()
    with certificate_down as certificate_delay, minutes_down as minutes_delay:
        closed = Closed(*close_three(branch, open_cqp, staff, evaluator))

    # The first refusal pauses the queueing (cqp.queueing): the others are not even tried.
    assert certificate_delay.call_count == 1 and minutes_delay.call_count == 0
    issued = dict(Certificate.objects.values_list("pk", "number"))
    assert {d.status for d in closed.documents()} == {D.PENDING}
    assert worker.ran(produce_certificate_task) == worker.ran(produce_minutes_task) == []

    # The beat's next run, once the grace period is over.
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Certificate.objects.update(queued_at=an_hour_ago)
    JuryMinutes.objects.update(queued_at=an_hour_ago)
    sweep = sweep_documents_task.delay()

    assert worker.wait_for(sweep.id) == [3]
    assert worker.wait_for_runs(produce_certificate_task, 2) == [True, True]
    assert worker.wait_for_runs(produce_minutes_task, 1) == [True]
    assert_produced_once(closed)
    assert dict(Certificate.objects.values_list("pk", "number")) == issued

    # The next sweep finds nothing left: nothing is produced twice.
    again = sweep_documents_task.delay()
    assert worker.wait_for(again.id) == [0]
    assert len(worker.ran(produce_certificate_task)) == 2
    assert CertificateEvent.objects.filter(action="produce").count() == 2
