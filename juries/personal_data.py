"""The juries' part of a person's data: decisions on their dossiers, their certificates.

Anonymised: the holder's names become initials in every certificate's printed data, so the
verification page still answers (with initials only); the stored PDFs, which print the full
names and the birth date, are deleted (staff can produce them again, with initials); the
jury's free texts about the person are emptied and the minutes produced again.
"""

from contextlib import suppress

from django.db import transaction
from django.urls import reverse

from candidates.personal_data import initial
from cqp.errors import DomainError
from cqp.personal_data import Contributor, ExportPart

from .documents.models import Certificate, DocumentStatus, JuryMinutes
from .models import JuryDecision, Vote


def export_juries(user) -> ExportPart | None:
    decisions = (
        JuryDecision.objects.filter(item__dossier__candidate__user=user)
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
    from .services.documents import minutes_regenerate

    decisions = JuryDecision.objects.filter(item__dossier__candidate__user=user)
    decisions.update(motivation="")
    Vote.objects.filter(item__dossier__candidate__user=user).update(comment="")
    stored = []
    for certificate in Certificate.objects.select_for_update().filter(
        dossier__candidate__user=user
    ):
        holder = certificate.snapshot.get("holder", {})
        certificate.snapshot["holder"] = {
            "first_name": initial(holder.get("first_name", "")),
            "last_name": initial(holder.get("last_name", "")),
            "birth_date": "",
            "birth_place": "",
        }
        if certificate.pdf:
            stored.append((certificate.pdf.storage, certificate.pdf.name))
            certificate.pdf = ""
        certificate.save(update_fields=["snapshot", "pdf"])
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])
    sessions = decisions.values("item__session")
    for minutes in JuryMinutes.objects.filter(session__in=sessions).exclude(
        status=DocumentStatus.PENDING
    ):
        # Already being produced: it reads the names after this transaction commits.
        with suppress(DomainError):
            minutes_regenerate(minutes=minutes, actor=actor)


JURIES = Contributor(key="juries", export=export_juries, anonymise=anonymise_juries, order=20)
