"""The dossier page's panel of certificates and attestations (registered in apps.py).

While a document is being produced the panel reloads itself every few seconds (htmx), and
stops once every document is ready; without JavaScript it asks to reload the page later.
"""

from candidates.models import FINAL_DECISION_STATUSES, Dossier

from .models import Certificate, DocumentStatus
from .permissions import may_read_certificates
from .selectors import dossier_certificates
from .services.production import MAX_ATTEMPTS

TEMPLATE = "juries/documents_panel.html"
IN_PRODUCTION = (DocumentStatus.PENDING, DocumentStatus.FAILED)


def panel_context(dossier: Dossier, certificates: list[Certificate]) -> dict:
    return {
        "dossier": dossier,
        "certificates": certificates,
        # A document that failed past the sweep's last attempt waits for staff: stop polling.
        "in_production": any(
            c.status in IN_PRODUCTION and c.attempts < MAX_ATTEMPTS for c in certificates
        ),
        "S": DocumentStatus,
    }


def documents_panel(request, dossier: Dossier) -> dict | None:
    """The panel for the dossier page: None when there is no document, or for a user who may
    not read them (the dossier's evaluator)."""
    # Only a final decision yields documents (a correction keeps the dossier decided): the
    # pages of dossiers still on their way ask nothing more.
    if dossier.status not in FINAL_DECISION_STATUSES:
        return None
    if not may_read_certificates(request.user, dossier):
        return None
    certificates = list(dossier_certificates(dossier))
    if not certificates:
        return None
    return {"template": TEMPLATE, "context": panel_context(dossier, certificates)}
