"""Helpers for the personal data tests."""

from django.core.files.base import ContentFile

from candidates.models import DossierDocument

PIECE = b"%PDF-1.4\n% piece of the dossier\n%%EOF\n"


def add_piece(dossier, name="CV Dupuis.pdf") -> DossierDocument:
    """A piece already in the dossier (the upload itself is tested elsewhere)."""
    return DossierDocument.objects.create(
        dossier=dossier,
        kind=DossierDocument.Kind.CV,
        file=ContentFile(PIECE, name="cv.pdf"),
        original_name=name,
        content_type="application/pdf",
        size=len(PIECE),
        uploaded_by=dossier.candidate.user,
    )
