"""The juries' part of a person's data: decisions on their dossiers, their certificates.

Anonymised: the holder's names become initials in every certificate's printed data, so the
verification page still answers (with initials only); the stored PDFs, which print the full
names and the birth date, are deleted (staff can produce them again, with initials); the
jury's free texts about the person are emptied and the minutes produced again.
"""

from contextlib import suppress

from django.urls import reverse
from django.utils.translation import gettext as _

from candidates.personal_data import initial
from cqp.errors import DomainError
from cqp.personal_data import Contributor, ExportPart, anonymised_text, delete_files_on_commit

from .documents.models import Certificate, CertificateEvent, DocumentStatus, JuryMinutes
from .models import JuryDecision, JuryMember, Vote


def export_juries(user) -> ExportPart | None:
    decisions = (
        # A decision is the candidate's once the session closed (the pages say the same).
        JuryDecision.objects.filter(item__dossier__candidate__user=user, final_at__isnull=False)
        .select_related("item__dossier", "item__session", "corrects")
        .prefetch_related("units__unit")
        .order_by("decided_at", "id")
    )
    certificates = (
        Certificate.objects.filter(dossier__candidate__user=user)
        .select_related("dossier")
        .order_by("id")
    )
    if not decisions and not certificates:
        return None
    files = []
    exported_certificates = []
    for certificate in certificates:
        entry = {
            "kind": certificate.get_kind_display(),
            "number": certificate.number,
            "verification_code": certificate.display_code,
            "verification_address": reverse(
                "verification:certificate", args=[certificate.public_code]
            ),
            "dossier": certificate.dossier.reference,
            "status": certificate.get_status_display(),
            "revoked_at": certificate.revoked_at,
            "revoked_reason": certificate.revoked_reason,
            "printed_data": certificate.snapshot,
        }
        if certificate.is_ready and certificate.revoked_at is None:
            name = f"documents/{certificate.file_name}"
            files.append((name, certificate.pdf))
            entry["file"] = name
        exported_certificates.append(entry)
    return ExportPart(
        {
            "decisions": [
                {
                    "dossier": decision.item.dossier.reference,
                    "jury_date": decision.item.session.starts_at,
                    "outcome": decision.get_outcome_display(),
                    "motivation": decision.motivation,
                    "units": [
                        {"code": u.unit.code, "title": u.unit.title} for u in decision.units.all()
                    ],
                    "final_at": decision.final_at,
                    "corrects_decision_of": decision.corrects.decided_at
                    if decision.corrects_id
                    else None,
                }
                for decision in decisions
            ],
            "certificates": exported_certificates,
        },
        files,
    )


def anonymise_juries(user, actor) -> None:
    from .services.documents import minutes_produce_again

    decisions = JuryDecision.objects.filter(item__dossier__candidate__user=user)
    # A refusal or a partial validation must give its reasons: the text says it was removed.
    decisions.exclude(motivation="").update(motivation=anonymised_text())
    Vote.objects.filter(item__dossier__candidate__user=user).update(comment="")
    stored = []
    certificates = list(
        Certificate.objects.select_for_update().filter(dossier__candidate__user=user)
    )
    for certificate in certificates:
        holder = certificate.snapshot.get("holder", {})
        certificate.snapshot["holder"] = {
            "first_name": initial(holder.get("first_name", "")),
            "last_name": initial(holder.get("last_name", "")),
            "birth_date": "",
            "birth_place": "",
        }
        if certificate.revoked_reason:
            certificate.revoked_reason = anonymised_text()
        if certificate.pdf:
            stored.append((certificate.pdf.storage, certificate.pdf.name))
            certificate.pdf = ""
        certificate.save(update_fields=["snapshot", "pdf", "revoked_reason"])
    CertificateEvent.objects.filter(certificate__in=[c.pk for c in certificates]).update(comment="")
    delete_files_on_commit(stored)
    sessions = decisions.values("item__session")
    for minutes in JuryMinutes.objects.filter(session__in=sessions).exclude(
        status=DocumentStatus.PENDING
    ):
        # Already being produced: it reads the names after this transaction commits.
        with suppress(DomainError):
            minutes_produce_again(minutes)


def sits_on_juries(user) -> str:
    if JuryMember.objects.filter(user=user).exists():
        return _("The account is also a jury member's.")
    return ""


JURIES = Contributor(
    key="juries",
    export=export_juries,
    anonymise=anonymise_juries,
    refusal=sits_on_juries,
    order=20,
)
