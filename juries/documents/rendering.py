"""The certificate's, the attestation's and the minutes' PDFs: their context and template.

The certificate prints its snapshot (frozen at issue) with the branch's current identity
(logo, signatory): producing it again after the branch changes them updates only those.
"""

from collections import Counter

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from ..models import (
    JUDGING_OUTCOMES,
    Certificate,
    JuryDecision,
    JuryMember,
    JuryMinutes,
    Outcome,
)
from .pdf import file_data_uri, qr_data_uri, render_html, render_pdf
from .snapshot import parse_date

CERTIFICATE_TEMPLATE = "juries/documents/certificate.html"
MINUTES_TEMPLATE = "juries/documents/minutes.html"
# From this much content on, the certificate tightens its spacing (dense), then its type too
# (compact), to keep to one page: one per unit row, and the attestation's second table, its
# headings and its note count as ATTESTATION_EXTRA rows.
DENSE_FROM = 6
COMPACT_FROM = 10
TIGHT_FROM = 15
ATTESTATION_EXTRA = 3
# Each level keeps the rules of the looser ones (the template's CSS classes).
DENSITY_CLASSES = {
    "normal": "",
    "dense": "dense",
    "compact": "dense compact",
    "tight": "dense compact tight",
}


def verification_url(certificate: Certificate) -> str:
    path = reverse("verification:certificate", args=[certificate.public_code])
    return settings.SITE_URL.rstrip("/") + path


def certificate_context(certificate: Certificate) -> dict:
    snapshot = certificate.snapshot
    branch = certificate.branch
    url = verification_url(certificate)
    units_held = [
        {**unit, "acquired_on": parse_date(unit.get("acquired_on", ""))}
        for unit in snapshot["units_held"]
    ]
    units_remaining = snapshot["units_remaining"]
    is_attestation = certificate.kind == Certificate.Kind.PARTIAL_ATTESTATION
    rows = len(units_held) + len(units_remaining) + (ATTESTATION_EXTRA if is_attestation else 0)
    return {
        "certificate": certificate,
        "is_attestation": is_attestation,
        "data": snapshot,
        "holder": snapshot["holder"],
        "birth_date": parse_date(snapshot["holder"].get("birth_date", "")),
        "jury_date": parse_date(snapshot["jury_date"]),
        "decided_on": parse_date(snapshot["decided_on"]),
        "units_held": units_held,
        "units_remaining": units_remaining,
        "density_classes": DENSITY_CLASSES[density(rows)],
        "branch": branch,
        "logo": file_data_uri(branch.logo),
        "verification_url": url,
        # Printed under the QR code for those who type it: host and page, then the code.
        "verification_prefix": settings.SITE_URL.rstrip("/").split("://")[-1]
        + reverse("verification:search"),
        "qr": qr_data_uri(url),
    }


def density(rows: int) -> str:
    """How tightly the certificate sets `rows` rows of content: normal, dense, compact, tight."""
    for level, start in (("tight", TIGHT_FROM), ("compact", COMPACT_FROM), ("dense", DENSE_FROM)):
        if rows >= start:
            return level
    return "normal"


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
        # `certificate` (reverse one-to-one): the document issued, or none (the template
        # reads a missing one as empty).
        .select_related(
            "item__dossier__candidate", "item__dossier__cqp", "decided_by", "certificate"
        )
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
        "outcome_counts": outcome_counts(decisions),
        "cqps": sorted(session.cqps.all(), key=lambda cqp: cqp.code),
    }


def outcome_counts(decisions) -> list[tuple[str, int]]:
    """(label, count) per outcome, in the choices' order: the judging outcomes always, absent
    and deferred only when some dossier had them."""
    counts = Counter(decision.outcome for decision in decisions)
    return [
        (label, counts[value])
        for value, label in Outcome.choices
        if value in JUDGING_OUTCOMES or counts[value]
    ]


def minutes_pdf(minutes: JuryMinutes) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(MINUTES_TEMPLATE, minutes_context(minutes))
