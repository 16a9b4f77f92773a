"""Notifications by e-mail through the outbox (`OutgoingEmail`)."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutgoingEmail
from .queueing import send_task

logger = logging.getLogger(__name__)
# The sweep keeps trying (every few minutes) for this long, then gives up: the e-mail stays
# in the outbox with its last error, for an administrator to see.
GIVE_UP_AFTER = timezone.timedelta(hours=48)


def queue_email(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    attachment: tuple[str, str, str] | None = None,
) -> OutgoingEmail | None:
    """Render `<template>_subject.txt` and `<template>.txt` and queue the message.

    Call it inside the service's transaction: the row commits with the event it reports,
    and the send is queued only once the transaction has committed. `attachment`: one text
    file as (name, content, MIME type), e.g. a calendar invitation.
    """
    recipients = sorted({address.strip().lower() for address in to if address})
    if not recipients:
        return None
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context).strip() + "\n"
    name, content, mimetype = attachment or ("", "", "")
    email = OutgoingEmail.objects.create(
        to=", ".join(recipients),
        subject=subject,
        body=body,
        attachment_name=name,
        attachment_type=mimetype,
        attachment_content=content,
    )
    transaction.on_commit(lambda: _enqueue(email.pk), robust=True)
    return email


def _enqueue(email_id: int) -> None:
    from .tasks import send_email_task

    # Broker unreachable (or, eager, SMTP down): the e-mail stays pending for the sweep.
    send_task(send_email_task, email_id, what=f"E-mail {email_id}")


def send_email(email_id: int) -> bool:
    """Send one pending e-mail; returns False when it was already sent (idempotent)."""
    failure = None
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False  # sent already, or being sent by another worker
        email.attempts += 1
        try:
            message = EmailMessage(
                subject=email.subject,
                body=email.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=email.recipients,
            )
            if email.attachment_name:
                message.attach(
                    email.attachment_name, email.attachment_content, email.attachment_type
                )
            message.send()
        except Exception as error:  # SMTP failures vary: record it, the task retries
            failure = error
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
        else:
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "sent_at", "last_error"])
    if failure is not None:
        raise failure
    return True


def pending_email_ids(*, older_than_seconds: int = 120) -> list[int]:
    """E-mails still unsent some time after their creation, and not given up."""
    now = timezone.now()
    return list(
        OutgoingEmail.objects.filter(
            sent_at__isnull=True,
            created_at__lte=now - timezone.timedelta(seconds=older_than_seconds),
            created_at__gte=now - GIVE_UP_AFTER,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
