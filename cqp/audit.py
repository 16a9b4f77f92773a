"""The audit trail: one function writes it, a middleware feeds it from the administration."""

from django.db import models

from .models import AuditAction, AuditEntry
from .ratelimit import client_address

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
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject_id=subject.pk if subject is not None else subject_id,
        view_name=view_name[:150],
        target_model=target_model,
        target_id=target_id[:64],
        summary=summary[:SUMMARY_MAX],
        client=client_address(request)[:64] if request is not None else "",
    )


def record_download_by_other(
    request, *, target: models.Model, subject_id: int | None, label: str
) -> None:
    """A document read by someone other than the person it is about (subject_id: their user).

    What the person reads of their own is not traced; what others read of it is, and the
    person finds it in their data export.
    """
    if subject_id is not None and subject_id == request.user.pk:
        return
    audit_record(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        target=target,
        subject_id=subject_id,
        request=request,
        summary=label,
    )
