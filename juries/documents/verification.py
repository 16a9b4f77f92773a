"""What the public verification page tells about a certificate: only what it prints, from
its snapshot (the holder's names, never their birth date)."""

from django.utils.translation import gettext as _

from ..models import Certificate, DocumentStatus
from .rendering import verification_url


def certificate_by_code(code: str) -> Certificate | None:
    return (
        Certificate.objects.select_related("branch").filter(public_code=code).first()
        if code
        else None
    )


def verification_data(certificate: Certificate) -> dict:
    """The answer for humans and machines alike (JSON-ready)."""
    snapshot = certificate.snapshot
    revoked = certificate.status == DocumentStatus.REVOKED
    data = {
        "status": "revoked" if revoked else "valid",
        "status_label": _("Revoked") if revoked else _("Valid"),
        "code": certificate.display_code,
        "number": certificate.number,
        "kind": certificate.kind,
        "kind_label": certificate.get_kind_display(),
        "holder": {
            "first_name": snapshot["holder"]["first_name"],
            "last_name": snapshot["holder"]["last_name"],
        },
        "cqp": {
            "code": snapshot["cqp"]["code"],
            "title": snapshot["cqp"]["title"],
            "registry_number": snapshot["cqp"]["registry_number"],
        },
        "units": [{"code": u["code"], "title": u["title"]} for u in snapshot["units_held"]],
        "jury_date": snapshot["jury_date"],
        "decided_on": snapshot["decided_on"],
        "branch": snapshot["branch"]["name"],
        "url": verification_url(certificate),
        "revoked_at": certificate.revoked_at.isoformat() if revoked else None,
        "revoked_reason": certificate.revoked_reason if revoked else None,
    }
    if certificate.kind == Certificate.Kind.PARTIAL_ATTESTATION:
        data["units_remaining"] = [
            {"code": u["code"], "title": u["title"]} for u in snapshot["units_remaining"]
        ]
    return data
