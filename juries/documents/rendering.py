"""The certificate's, the attestation's and the minutes' PDFs: their context and template.

The certificate prints its snapshot (frozen at issue) with the branch's current identity
(logo, signatory): producing it again after the branch changes them updates only those.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from ..models import Certificate, JuryDecision, JuryMember, JuryMinutes
from .pdf import file_data_uri, qr_data_uri, render_html, render_pdf
from .snapshot import parse_date

CERTIFICATE_TEMPLATE = "juries/documents/certificate.html"
MINUTES_TEMPLATE = "juries/documents/minutes.html"


def verification_url(certificate: Certificate) -> str:
    path = reverse("verification:certificate", args=[certificate.public_code])
    return settings.SITE_URL.rstrip("/") + path


def certificate_context(certificate: Certificate) -> dict:
    snapshot = certificate.snapshot
    branch = certificate.branch
    url = verification_url(certificate)
    return {
        "certificate": certificate,
        "is_attestation": certificate.kind == Certificate.Kind.PARTIAL_ATTESTATION,
        "data": snapshot,
        "holder": snapshot["holder"],
        "birth_date": parse_date(snapshot["holder"].get("birth_date", "")),
        "jury_date": parse_date(snapshot["jury_date"]),
        "decided_on": parse_date(snapshot["decided_on"]),
        "branch": branch,
        "logo": file_data_uri(branch.logo),
        "verification_url": url,
        # Printed under the QR code for those who type it: host and page, then the code.
        "verification_prefix": settings.SITE_URL.rstrip("/").split("://")[-1]
        + reverse("verification:search"),
        "qr": qr_data_uri(url),
    }


def certificate_html(certificate: Certificate) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_html(CERTIFICATE_TEMPLATE, certificate_context(certificate))


def certificate_pdf(certificate: Certificate) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(CERTIFICATE_TEMPLATE, certificate_context(certificate))


def minutes_context(minutes: JuryMinutes) -> dict:
    """The session, its members by college (president first) and the jury's own decisions."""
    session = minutes.session
    order = {value: index for index, value in enumerate(JuryMember.College.values)}
    members = sorted(
        session.members.select_related("user"),
        key=lambda m: (order.get(m.college, 99), not m.is_president, m.user.last_name),
    )
    decisions = list(
        JuryDecision.objects.filter(item__session=session, corrects=None)
        .select_related("item__dossier__candidate", "item__dossier__cqp", "decided_by")
        .prefetch_related("units__unit")
        .order_by("item__order", "item_id")
    )
    colleges = [
        (label, [m for m in members if m.college == value])
        for value, label in JuryMember.College.choices
    ]
    return {
        "minutes": minutes,
        "session": session,
        "branch": session.branch,
        "logo": file_data_uri(session.branch.logo),
        "starts_at": timezone.localtime(session.starts_at),
        "closed_at": timezone.localtime(session.status_changed_at),
        "colleges": [(label, seats) for label, seats in colleges if seats],
        "president": next((m for m in members if m.is_president), None),
        "present_count": sum(1 for m in members if m.present),
        "member_count": len(members),
        "decisions": decisions,
        "cqps": sorted(session.cqps.all(), key=lambda cqp: cqp.code),
    }


def minutes_pdf(minutes: JuryMinutes) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(MINUTES_TEMPLATE, minutes_context(minutes))
