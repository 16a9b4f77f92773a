"""The dossier's pieces: added, replaced, deleted while the dossier allows it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqp.errors import DomainError
from cqp.lifecycle import apply_transition

from ..lifecycles import DOSSIER_LIFECYCLE
from ..models import (
    Dossier,
    DossierDocument,
)
from ..uploads import check_upload, display_name
from ._common import S, _require_owner


def document_upload(*, dossier: Dossier, kind: str, upload, actor) -> DossierDocument:
    """Add a piece (PDF, PNG or JPEG, checked on its content) while the dossier allows it."""
    _require_owner(actor, dossier)
    if kind not in DossierDocument.Kind.values:
        raise DomainError(_("Unknown kind of piece."))
    content_type, extension = check_upload(upload)
    _require_piece_kind_allowed(dossier, kind)
    with transaction.atomic():
        document = DossierDocument(
            dossier=dossier,
            kind=kind,
            original_name=display_name(upload.name, extension),
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "add_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {document.original_name}",
        )
        _store(document, upload, extension)
    return document


def document_replace(*, document: DossierDocument, upload, actor) -> DossierDocument:
    """Replace a piece's file (same kind); the old file is deleted."""
    dossier = document.dossier
    _require_owner(actor, dossier)
    content_type, extension = check_upload(upload)
    _require_piece_kind_allowed(dossier, document.kind)
    with transaction.atomic():
        document = _lock_piece(document)  # a second tab may have replaced or deleted it
        old_name = document.file.name
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "replace_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {display_name(upload.name, extension)}",
        )
        document.original_name = display_name(upload.name, extension)
        document.content_type, document.size = content_type, upload.size
        document.uploaded_by, document.uploaded_at = actor, timezone.now()
        _store(document, upload, extension)
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return document


def document_delete(*, document: DossierDocument, actor) -> None:
    dossier = document.dossier
    _require_owner(actor, dossier)
    _require_piece_kind_allowed(dossier, document.kind)
    with transaction.atomic():
        document = _lock_piece(document)
        name, storage = document.file.name, document.file.storage
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "delete_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {document.original_name}",
        )
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))


def _lock_piece(document: DossierDocument) -> DossierDocument:
    """The piece as stored now, locked until the transaction ends; refused if it is gone."""
    locked = (
        DossierDocument.objects.select_for_update()
        .filter(pk=document.pk, dossier_id=document.dossier_id)
        .first()
    )
    if locked is None:
        raise DomainError(_("This piece no longer exists (it was replaced or deleted meanwhile)."))
    return locked


def _require_piece_kind_allowed(dossier: Dossier, kind: str) -> None:
    dossier.refresh_from_db(fields=["status"])
    if dossier.status == S.VAE and kind != DossierDocument.Kind.VAE_BOOKLET:
        raise DomainError(_("During the VAE pathway, only the VAE booklet can be added."))


def _store(document: DossierDocument, upload, extension: str) -> None:
    """Write the file then the row, last in the transaction; no file is left if the row fails."""
    document.file.save(f"piece{extension}", upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
