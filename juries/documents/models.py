"""Documents produced by closed jury sessions.

A `Certificate` (a certificate or an attestation of partial validation) takes its number and
public code when the session closes, with a snapshot of what it prints; a Celery task renders
its PDF. The number and the code never change, even when the PDF is produced again, and a
revoked number stays taken. `JuryMinutes` is the procès-verbal of a closed session.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from candidates.models import Dossier
from certifications.models import Branch
from cqp.models import LifecycleEvent

from .codes import display_code


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Being produced")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed (retried)")
    REVOKED = "revoked", _("Revoked")


def document_path(document, filename: str) -> str:
    """Private storage; never under MEDIA_URL's public part (documents go through views)."""
    return f"documents/{document.storage_folder}/{filename}"


class ProducedDocument(models.Model):
    """A PDF a Celery task produces from the database: its status, file and attempts."""

    status = models.CharField(
        _("status"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    pdf = models.FileField(_("PDF"), upload_to=document_path, blank=True, max_length=255)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("last queued"), default=timezone.now)
    produced_at = models.DateTimeField(_("produced"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY and bool(self.pdf)


class CertificateCounter(models.Model):
    """The last number a branch gave in a year (locked while numbering: no gap, no reuse)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="certificate_counter_once"),
        ]

    def __str__(self):
        return f"{self.branch_id}/{self.year}: {self.last}"


class Certificate(ProducedDocument):
    """What a final certification or partial validation yields, as the candidate holds it."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("Certificate")
        PARTIAL_ATTESTATION = "partial_attestation", _("Attestation of partial validation")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="certificates"
    )
    decision = models.OneToOneField(
        "juries.JuryDecision",
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=30, unique=True)
    public_code = models.CharField(_("verification code"), max_length=16, unique=True)
    snapshot = models.JSONField(_("printed data"), default=dict)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revoking"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificate or attestation")
        verbose_name_plural = _("certificates and attestations")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "year", "sequence"], name="certificate_number_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=DocumentStatus.REVOKED)
                | (Q(revoked_at__isnull=False) & ~Q(revoked_reason="")),
                name="certificate_revoked_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return f"{self.number} — {self.get_kind_display()}"

    @property
    def storage_folder(self) -> str:
        return f"certificates/{self.year}"

    @property
    def file_name(self) -> str:
        return f"{self.number}.pdf"

    @property
    def display_code(self) -> str:
        return display_code(self.public_code)

    @property
    def is_revoked(self) -> bool:
        return self.status == DocumentStatus.REVOKED

    @property
    def holder_name(self) -> str:
        holder = self.snapshot.get("holder", {})
        return f"{holder.get('first_name', '')} {holder.get('last_name', '')}".strip()


class CertificateEvent(LifecycleEvent):
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")

    class Meta(LifecycleEvent.Meta):
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")


class JuryMinutes(ProducedDocument):
    """The minutes (procès-verbal) of a closed session: members, presence, every decision."""

    session = models.OneToOneField(
        "juries.JurySession",
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="minutes",
    )

    class Meta:
        verbose_name = _("jury minutes")
        verbose_name_plural = _("jury minutes")
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return str(self.session)

    @property
    def storage_folder(self) -> str:
        return f"minutes/{timezone.localtime(self.session.starts_at).year}"

    @property
    def file_name(self) -> str:
        return f"pv-{self.session.branch.code}-{self.session_id}.pdf"
