"""Produce the documents left pending or failed, now, in this process.

Celery beat runs the same sweep every five minutes; without a broker (tasks run eagerly,
the embedded default) nothing sweeps, so run this command from cron, or after an outage.
"""

from django.core.management.base import BaseCommand

from juries.models import Certificate, JuryMinutes
from juries.services import production


class Command(BaseCommand):
    help = "Produce now the certificates, attestations and minutes left pending or failed."

    def handle(self, *args, **options):
        produced = failed = 0
        for document in production.documents_left_pending(now=_far_enough()):
            produce = (
                production.certificate_produce
                if isinstance(document, Certificate)
                else production.minutes_produce
            )
            try:
                produced += produce(document.pk)
            except Exception as error:  # recorded on the document; go on with the others
                failed += 1
                self.stderr.write(f"{_label(document)}: {type(error).__name__}: {error}")
        self.stdout.write(f"{produced} document(s) produced, {failed} failed.")
        return None


def _far_enough():
    """Past the sweep's grace period: everything pending counts, even if queued just now."""
    from django.utils import timezone

    return timezone.now() + production.SWEEP_GRACE


def _label(document) -> str:
    if isinstance(document, JuryMinutes):
        return f"minutes {document.pk}"
    return document.number
