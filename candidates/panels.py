"""Panels other apps add to the dossier's pages, without `candidates` importing them.

A panel is a callable `(request, dossier) -> dict | None`: {"template": ..., "context": {...}}
to show, None when it has nothing to show for this dossier and user. Apps register theirs
from their AppConfig.ready: on the candidate's dossier page (the juries add the dossier's
certificates and attestations) and on the dossier's admin page (its jury sessions).
"""

from collections.abc import Callable

from django.template.loader import render_to_string

from .models import Dossier

Panel = Callable[..., dict | None]

_PANELS: list[Panel] = []
_ADMIN_SECTIONS: list[Panel] = []


def register_dossier_panel(panel: Panel) -> None:
    """A panel of the dossier page (`/candidat/dossiers/<id>/`)."""
    if panel not in _PANELS:  # ready() may run more than once (tests, reloads)
        _PANELS.append(panel)


def register_admin_dossier_section(section: Panel) -> None:
    """A read-only section of the dossier's admin page, below its own."""
    if section not in _ADMIN_SECTIONS:
        _ADMIN_SECTIONS.append(section)


def dossier_panels(request, dossier: Dossier) -> list[str]:
    """The registered panels rendered for this dossier and user, in registration order."""
    return _render(_PANELS, request, dossier)


def admin_dossier_sections(request, dossier: Dossier) -> list[str]:
    return _render(_ADMIN_SECTIONS, request, dossier)


def _render(panels: list[Panel], request, dossier: Dossier) -> list[str]:
    rendered = []
    for panel in panels:
        shown = panel(request, dossier)
        if shown:
            rendered.append(
                render_to_string(shown["template"], shown.get("context", {}), request=request)
            )
    return rendered
