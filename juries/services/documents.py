"""Issuing, revoking and producing again the documents decisions yield.

A closed session issues, in its closing transaction, one certificate per certification, one
attestation per partial validation (each numbered and coded at once) and its minutes; their
PDFs are produced by tasks queued once that transaction commits (`production.py`).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certifications.models import Branch
from cqp.errors import DomainError
from cqp.lifecycle import apply_transition

from ..documents.codes import new_code
from ..documents.snapshot import certificate_snapshot
from ..lifecycles import CERTIFICATE_LIFECYCLE
from ..models import (
    Certificate,
    CertificateCounter,
    DocumentStatus,
    JuryDecision,
    JuryMinutes,
    JurySession,
    Outcome,
)
from .sessions import _require_staff

DOCUMENT_KINDS = {
    Outcome.CERTIFIED: Certificate.Kind.CERTIFICATE,
    Outcome.PARTIALLY_VALIDATED: Certificate.Kind.PARTIAL_ATTESTATION,
}


def next_number(branch: Branch, year: int) -> tuple[int, str]:
    """The branch's next sequence in `year` and its number, e.g. (123, "IMMO-2026-000123").

    The counter row stays locked until the caller's transaction ends: two sessions closing
    at once take consecutive numbers, and a number once given is never given again.
    """
    CertificateCounter.objects.get_or_create(branch=branch, year=year)
    counter = CertificateCounter.objects.select_for_update().get(branch=branch, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, f"{branch.code}-{year}-{counter.last:06d}"


def _unused_code() -> str:
    while True:  # ~49 bits: a collision is rare enough to simply draw again
        code = new_code()
        if not Certificate.objects.filter(public_code=code).exists():
            return code


def certificate_issue(*, decision: JuryDecision, decided_on: datetime.date) -> Certificate | None:
    """Number, code and snapshot the document a final decision yields (None: it yields none).

    Runs inside the closing (or correcting) transaction, once the units are recorded; the PDF
    is queued when that transaction commits.
    """
    kind = DOCUMENT_KINDS.get(decision.outcome)
    if kind is None:
        return None
    existing = Certificate.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    branch = decision.item.session.branch
    sequence, number = next_number(branch, decided_on.year)
    certificate = Certificate.objects.create(
        dossier=decision.item.dossier,
        decision=decision,
        branch=branch,
        kind=kind,
        year=decided_on.year,
        sequence=sequence,
        number=number,
        public_code=_unused_code(),
        snapshot=certificate_snapshot(decision, decided_on),
    )
    _queue_on_commit(certificate)
    return certificate


def session_documents_issue(*, session: JurySession, decided_on: datetime.date) -> list:
    """The certificates and attestations of a closing session's decisions, and its minutes."""
    decisions = (
        JuryDecision.objects.filter(
            item__session=session,
            corrects=None,
            final_at__isnull=False,
            outcome__in=list(DOCUMENT_KINDS),
        )
        .select_related(
            "item__session__branch",
            "item__dossier__candidate",
            "item__dossier__cqp",
            "item__dossier__referentiel",
        )
        .order_by("item__order", "item_id")
    )
    documents = [certificate_issue(decision=d, decided_on=decided_on) for d in decisions]
    minutes, created = JuryMinutes.objects.get_or_create(session=session)
    if created:
        _queue_on_commit(minutes)
    return [*documents, minutes]


def certificate_revoke(*, certificate: Certificate, reason: str, actor) -> Certificate:
    """Revoke a certificate for good: the reason shows on the public verification page at
    once; its number stays taken."""
    _require_staff(actor, certificate.branch_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for revoking: the verification page shows it."))
    return _revoke(certificate, reason=reason, actor=actor)


def _revoke(certificate: Certificate, *, reason: str, actor) -> Certificate:
    return apply_transition(
        CERTIFICATE_LIFECYCLE,
        certificate,
        "revoke",
        actor=actor,
        comment=reason,
        changes={"revoked_at": timezone.now(), "revoked_reason": reason, "revoked_by": actor},
    )


def revoke_replaced(*, decision: JuryDecision, actor, corrected_on: datetime.date) -> None:
    """A corrected decision's document is revoked: the correction issues its own."""
    certificate = Certificate.objects.filter(decision=decision).first()
    if certificate is None or certificate.is_revoked:
        return
    # Shown on the public page: in the site's language, not the staff member's.
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Replaced: the branch corrected the jury's decision on %(date)s.") % {
            "date": date_format(corrected_on, "SHORT_DATE_FORMAT")
        }
    _revoke(certificate, reason=reason, actor=actor)


def certificate_regenerate(*, certificate: Certificate, actor) -> Certificate:
    """Produce the PDF again (a new logo or signatory): same number, same public code."""
    _require_staff(actor, certificate.branch_id)
    with transaction.atomic():
        certificate = apply_transition(
            CERTIFICATE_LIFECYCLE,
            certificate,
            "regenerate",
            actor=actor,
            changes={"queued_at": timezone.now(), "attempts": 0, "last_error": ""},
        )
        _queue_on_commit(certificate)
    return certificate


def minutes_regenerate(*, minutes: JuryMinutes, actor) -> JuryMinutes:
    _require_staff(actor, minutes.session.branch_id)
    return minutes_produce_again(minutes)


def minutes_produce_again(minutes: JuryMinutes) -> JuryMinutes:
    """Queue the minutes' production again (the system's call: after an anonymisation, the
    names they print changed; staff go through `minutes_regenerate`)."""
    with transaction.atomic():
        locked = JuryMinutes.objects.select_for_update().get(pk=minutes.pk)
        if locked.status == DocumentStatus.PENDING:
            raise DomainError(_("The minutes are being produced already."))
        locked.status = DocumentStatus.PENDING
        locked.queued_at = timezone.now()
        locked.attempts = 0
        locked.last_error = ""
        locked.save(update_fields=["status", "queued_at", "attempts", "last_error"])
        _queue_on_commit(locked)
    return locked


def _queue_on_commit(document) -> None:
    from . import production  # the tasks module imports the services

    transaction.on_commit(lambda: production.queue(document), robust=True)
