"""The dossier's admin page, as the juries add to it: the sessions it went to, its decision
in each, and the documents those decisions yielded (registered in apps.py)."""

from candidates.models import Dossier

from ..selectors import dossier_certificates, dossier_jury_items

TEMPLATE = "admin/juries/dossier_section.html"


def jury_section(request, dossier: Dossier) -> dict | None:
    """None for a dossier that never went to a jury (two queries otherwise)."""
    items = dossier_jury_items(dossier)
    if not items:
        return None
    certificates = list(dossier_certificates(dossier))
    return {"template": TEMPLATE, "context": {"jury_items": items, "certificates": certificates}}
