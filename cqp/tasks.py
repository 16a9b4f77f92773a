from celery import shared_task

from . import mail, queueing


@shared_task
def send_email_task(email_id: int) -> bool:
    """Send one e-mail of the outbox (idempotent: an e-mail already sent is skipped).

    A failure is recorded on the e-mail; the periodic sweep tries again (one retry policy).
    """
    return mail.send_email(email_id)


@shared_task
def send_pending_emails_task() -> int:
    """Periodic sweep: queue the e-mails left pending (broker down, worker killed)."""
    queueing.reset()  # this runs in a worker that just got its message: the broker is back
    ids = mail.pending_email_ids()
    for email_id in ids:
        send_email_task.delay(email_id)
    return len(ids)
