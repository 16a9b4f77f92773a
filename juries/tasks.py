"""Celery tasks of the juries: documents' PDFs and the sweep that re-queues those left behind.

Tasks take ids and are idempotent (the services lock the row and skip what is done); late
acknowledgement means a worker killed mid-task leaves the message to another worker.
"""

from celery import shared_task

from .services import production

RETRY = {
    "autoretry_for": (Exception,),
    "retry_backoff": 10,  # 10 s, 20 s, 40 s ... (with jitter), then the sweep takes over
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**RETRY)
def produce_certificate_task(certificate_id: int) -> bool:
    return production.certificate_produce(certificate_id)


@shared_task(**RETRY)
def produce_minutes_task(minutes_id: int) -> bool:
    return production.minutes_produce(minutes_id)


@shared_task
def sweep_documents_task() -> int:
    """Periodic: queue again the documents left pending or failed."""
    return production.sweep()
