"""Producing the PDFs: the work of the Celery tasks, idempotent and safe to run twice at once.

A run renders without holding any lock (WeasyPrint takes a tenth of a second or more: the
database stays free meanwhile), then locks the document's row, checks it still waits for
this production, stores the file and marks it ready. A second run (a retry, the sweep, a
redelivered message) finds it ready and keeps nothing. A failure is recorded on the document
and raised again so that Celery retries with backoff; the periodic sweep re-queues whatever
is left pending or failed (broker down when it was queued, worker killed mid-task).
"""

import datetime
import logging
import secrets
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cqp.lifecycle import apply_transition
from cqp.queueing import reset as reset_broker_pause
from cqp.queueing import send_task

from ..documents import rendering
from ..lifecycles import CERTIFICATE_LIFECYCLE
from ..models import Certificate, DocumentStatus, JuryMinutes

logger = logging.getLogger(__name__)

TO_PRODUCE = (DocumentStatus.PENDING, DocumentStatus.FAILED)
# The sweep leaves alone what was queued this recently (its task is probably on its way), and
# what failed this many times — each sweep round allows the task's own retries, so about ten
# rounds, an hour or more — staff then see the error and produce it again from the admin.
SWEEP_GRACE = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 60


def queue(document) -> None:
    """Queue the document's task; a broker that cannot be reached leaves it for the sweep."""
    from ..tasks import produce_certificate_task, produce_minutes_task

    task = produce_certificate_task if isinstance(document, Certificate) else produce_minutes_task
    send_task(task, document.pk, what=f"{type(document).__name__} {document.pk}")


def _store(document, content: bytes) -> Callable[[], None]:
    """Save the new PDF; returns what takes it back should the row not be saved with it.

    The previous file (produced again) is deleted once committed. A storage that overwrites
    (S3's default) saves the new one under the previous name: that file is the one the row
    names, so it is never deleted.
    """
    old_name = document.pdf.name
    # A new name each time: a storage that overwrites (S3's default) never replaces the file
    # the row names before the row names the new one.
    stem = document.file_name.removesuffix(".pdf")
    document.pdf.save(f"{stem}-{secrets.token_hex(4)}.pdf", ContentFile(content), save=False)
    new_name = document.pdf.name
    storage = document.pdf.storage
    if old_name and old_name != new_name:
        transaction.on_commit(lambda: storage.delete(old_name), robust=True)

    def discard() -> None:
        if new_name == old_name:
            return
        try:
            storage.delete(new_name)
        except Exception:  # an orphan file, not a wrong document: the failure matters more
            logger.exception("%s not deleted after a failed production", new_name)

    return discard


def _produce(model, pk: int, render, finish) -> bool:
    """Render, then lock, check, store and mark ready; False when there is nothing to do."""
    document = model.objects.filter(pk=pk).first()
    if document is None or document.status not in TO_PRODUCE:
        return False  # gone, ready (a second run) or revoked: nothing to produce
    asked_at = document.queued_at
    discard = None
    try:
        content = render(document)
        with transaction.atomic():
            document = model.objects.select_for_update().filter(pk=pk).first()
            if document is None or document.status not in TO_PRODUCE:
                return False  # another run finished first, or it was revoked meanwhile
            if document.queued_at != asked_at:
                # Asked for again while this run rendered (new logo, sweep): the run queued
                # then renders what is current.
                return False
            discard = _store(document, content)
            document.attempts += 1
            document.last_error = ""
            document.produced_at = timezone.now()
            finish(document)
    except Exception as error:
        if discard is not None:  # stored, but the row does not name it (rolled back)
            discard()
        _record_failure(model, pk, error)
        raise
    return True


def _record_failure(model, pk: int, error: Exception) -> None:
    with transaction.atomic():
        document = model.objects.select_for_update().filter(pk=pk).first()
        if document is None or document.status not in TO_PRODUCE:
            return
        document.attempts += 1
        document.last_error = f"{type(error).__name__}: {error}"[:2000]
        fields = ["attempts", "last_error"]
        if isinstance(document, Certificate):
            document.save(update_fields=fields)
            if document.status != DocumentStatus.FAILED:
                apply_transition(CERTIFICATE_LIFECYCLE, document, "fail", actor=None)
        else:
            document.status = DocumentStatus.FAILED
            document.save(update_fields=[*fields, "status"])


def certificate_produce(certificate_id: int) -> bool:
    """Render and store a certificate's or attestation's PDF (idempotent)."""

    def finish(certificate):
        certificate.save(update_fields=["pdf", "attempts", "last_error", "produced_at"])
        apply_transition(CERTIFICATE_LIFECYCLE, certificate, "produce", actor=None)

    return _produce(Certificate, certificate_id, rendering.certificate_pdf, finish)


def minutes_produce(minutes_id: int) -> bool:
    """Render and store a session's minutes (idempotent)."""

    def finish(minutes):
        minutes.status = DocumentStatus.READY
        minutes.save(update_fields=["pdf", "attempts", "last_error", "produced_at", "status"])

    return _produce(JuryMinutes, minutes_id, rendering.minutes_pdf, finish)


def documents_left_pending(now: datetime.datetime | None = None) -> list:
    """Documents pending or failed, queued before the grace period: the sweep queues them."""
    before = (now or timezone.now()) - SWEEP_GRACE
    left = []
    for model in (Certificate, JuryMinutes):
        left += list(
            model.objects.filter(
                status__in=TO_PRODUCE, queued_at__lt=before, attempts__lt=MAX_ATTEMPTS
            )
        )
    return left


def sweep(now: datetime.datetime | None = None) -> int:
    """Queue again every document left pending; returns how many."""
    reset_broker_pause()  # the sweep runs in a worker that just got its message: it is back
    documents = documents_left_pending(now)
    for document in documents:
        type(document).objects.filter(pk=document.pk).update(queued_at=timezone.now())
        queue(document)
    return len(documents)
