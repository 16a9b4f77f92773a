"""The demo's documents: those of the closed session, produced, and one certificate revoked.

Closing the session issued a certificate, an attestation of partial validation and the
minutes; their PDFs are queued for when the seed's transaction commits, but the demo produces
them at once (same services as the tasks, idempotent): the revoked certificate must have its
PDF before it is revoked, and a demo user finds every document ready. The branch gets a logo
first if it has none, so that the PDFs print one. Running it again changes nothing.
"""

import io
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.formats import date_format
from PIL import Image, ImageDraw, ImageFont

from certifications.models import Branch

from . import services
from .documents.rendering import verification_url
from .models import Certificate, JuryMinutes, JurySession
from .services import production

logger = logging.getLogger(__name__)

REVOKED_EMAIL = "candidat.revoque@demo.cqp.fr"
# The demo's signatory when the branch has none (the catalogue's demo gives it one).
SIGNATORY = ("Catherine Aubert", "Présidente de la CPNEFP de l'immobilier")

FONTS = Path(settings.BASE_DIR) / "static" / "fonts" / "lato"
NAVY, GOLD, SLATE = (28, 43, 74), (176, 141, 87), (74, 88, 116)  # the certificate's colours


def revocation_reason() -> str:
    """Why the demo certificate is revoked, dated the day the demo is first seeded."""
    with translation.override("fr"):
        today = date_format(timezone.localdate(), "DATE_FORMAT")
    return (
        "Fraude établie au livret de VAE (attestations d'employeur falsifiées) : décision de la "
        f"CPNEF du {today}."
    )


def seed_documents(session: JurySession, *, staff) -> list[str]:
    """Produce the closed session's documents, revoke the demo's one; returns report lines."""
    _give_identity(session.branch)
    if not JuryMinutes.objects.filter(session=session).exists():
        # A demo database seeded before documents existed: issue them as closing now does.
        services.session_documents_issue(
            session=session, decided_on=timezone.localdate(session.status_changed_at)
        )
    certificates = list(
        Certificate.objects.filter(decision__item__session=session)
        .select_related("branch", "dossier__candidate__user")
        .order_by("sequence")
    )
    for certificate in certificates:
        if certificate.status in production.TO_PRODUCE:
            _produce(production.certificate_produce, certificate)
    minutes = JuryMinutes.objects.filter(session=session).first()
    if minutes is not None and minutes.status in production.TO_PRODUCE:
        _produce(production.minutes_produce, minutes)
    to_revoke = [
        c
        for c in certificates
        if c.dossier.candidate.user.email == REVOKED_EMAIL and not c.is_revoked
    ]
    for certificate in to_revoke:  # after its PDF: the verification page tells it is revoked
        services.certificate_revoke(
            certificate=certificate, reason=revocation_reason(), actor=staff
        )
    return [_describe(certificate) for certificate in _refreshed(certificates)]


def _produce(produce, document) -> None:
    # A rendering failure is recorded on the document (the sweep and the admin retry it): it
    # must not undo the whole demo.
    try:
        produce(document.pk)
    except Exception:
        logger.exception("Demo: %s %s not produced", type(document).__name__, document.pk)


def _refreshed(certificates):
    return (
        Certificate.objects.filter(pk__in=[c.pk for c in certificates])
        .select_related("branch")
        .order_by("sequence")
    )


def _describe(certificate: Certificate) -> str:
    return (
        f"{certificate.number}  {certificate.get_kind_display()}, {certificate.holder_name} "
        f"({certificate.get_status_display().lower()}): {certificate.display_code}  "
        f"{verification_url(certificate)}"
    )


def _give_identity(branch: Branch) -> None:
    """A logo and a signatory for the branch's documents, when it has none.

    There is no service for the branch's identity (administrators edit it in the admin):
    the demo sets the fields as the admin form would.
    """
    changed = []
    if not branch.signatory_name:
        branch.signatory_name, branch.signatory_title = SIGNATORY
        changed += ["signatory_name", "signatory_title"]
    if not branch.logo:
        branch.logo.save(f"{branch.slug}.png", ContentFile(branch_logo_png(branch)), save=False)
        changed.append("logo")
    if changed:
        branch.save(update_fields=changed)


def branch_logo_png(branch: Branch) -> bytes:
    """A sober logo: a gold house in a navy square beside the branch's name (the documents
    print the CPNEF's name next to it). Drawn at twice the size then reduced: smooth edges."""
    scale = 2
    title = ImageFont.truetype(str(FONTS / "Lato-Black.ttf"), 64 * scale)
    name = branch.name.upper()
    width = 250 + int(sum(title.getlength(char) / scale + 3 for char in name))
    image = Image.new("RGBA", (width * scale, 240 * scale), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)

    def s(*values):
        return [value * scale for value in values]

    draw.rounded_rectangle(s(10, 20, 210, 220), radius=28 * scale, fill=NAVY)
    line = 11 * scale
    draw.line(s(48, 118, 110, 62, 172, 118), fill=GOLD, width=line, joint="curve")
    draw.line(s(66, 104, 66, 184, 154, 184, 154, 104), fill=GOLD, width=line, joint="curve")
    draw.rectangle(s(98, 140, 122, 184), fill=GOLD)
    _spaced(draw, (242 * scale, 70 * scale), name, title, NAVY, 3 * scale)
    draw.rectangle(s(245, 168, 315, 173), fill=GOLD)

    image = image.crop(image.getbbox())  # no transparent margin around the drawing
    image = image.resize((image.width // scale, image.height // scale), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Three colours and their anti-aliased edges: a small palette keeps the file small.
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    return out.getvalue()


def _spaced(draw, origin, text, font, fill, spacing) -> None:
    """Text with letter spacing (Pillow has none)."""
    x, y = origin
    for char in text:
        draw.text((x, y), char, fill, font)
        x += draw.textlength(char, font=font) + spacing
