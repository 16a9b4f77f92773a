"""The audit trail: one function writes it, a middleware feeds it from the administration."""

from django.db import models

from .models import AuditAction, AuditEntry
from .ratelimit import client_ip_or_none

SUMMARY_MAX = 300


def audit_record(
    *,
    actor,
    action: AuditAction,
    target: models.Model | None = None,
    subject=None,
    subject_id: int | None = None,
    request=None,
    summary: str = "",
    view_name: str = "",
    target_model: str = "",
    target_id: str = "",
) -> AuditEntry:
    """Write one entry (in the caller's transaction, if any).

    The object is `target`, or named by `target_model` ("app.model") and `target_id`.
    """
    if request is not None and not view_name and request.resolver_match is not None:
        view_name = request.resolver_match.view_name
    if target is not None:
        target_model, target_id = target._meta.label_lower, str(target.pk)
    if request is not None:
        # The view recorded what it did: the admin's middleware adds no generic entry.
        request._cqp_audited = True
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject_id=subject.pk if subject is not None else subject_id,
        view_name=view_name[:150],
        target_model=target_model,
        target_id=target_id[:64],
        summary=summary[:SUMMARY_MAX],
        client=(client_ip_or_none(request) or "") if request is not None else "",
    )


def record_download_by_other(
    request, *, target: models.Model, subject_id: int | None, label: str
) -> None:
    """A document read by someone other than the person it is about (subject_id: their user).

    What the person reads of their own is not traced; what others read of it is, and the
    person finds it in their data export. The label names the document, never its content.
    """
    record_downloads_by_others(request, [(target, subject_id, label)])


def record_downloads_by_others(request, documents) -> None:
    """`record_download_by_other` for many documents at once: (target, subject_id, label)."""
    client = client_ip_or_none(request) or ""
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=request.user,
            action=AuditAction.DOWNLOAD,
            subject_id=subject_id,
            view_name=view_name[:150],
            target_model=target._meta.label_lower,
            target_id=str(target.pk),
            summary=label[:SUMMARY_MAX],
            client=client,
        )
        for target, subject_id, label in documents
        if subject_id is None or subject_id != request.user.pk
    )
    request._cqp_audited = True
