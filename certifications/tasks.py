from celery import shared_task

from . import services


@shared_task
def archive_expired_cqps_task() -> int:
    """Periodic: archive the CQPs whose registration end date has passed (idempotent)."""
    return services.cqps_archive_expired()
