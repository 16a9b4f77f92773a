"""Panels other apps add to the dossier page, without `candidates` importing them.

A panel is a callable `(request, dossier) -> dict | None`: {"template": ..., "context": {...}}
to show, None when it has nothing to show for this dossier and user. Apps register theirs
from their AppConfig.ready (the juries add the dossier's certificates and attestations).
"""

from collections.abc import Callable

from django.template.loader import render_to_string

from .models import Dossier

Panel = Callable[..., dict | None]

_PANELS: list[Panel] = []


def register_dossier_panel(panel: Panel) -> None:
    if panel not in _PANELS:  # ready() may run more than once (tests, reloads)
        _PANELS.append(panel)


def dossier_panels(request, dossier: Dossier) -> list[str]:
    """The registered panels rendered for this dossier and user, in registration order."""
    rendered = []
    for panel in _PANELS:
        shown = panel(request, dossier)
        if shown:
            rendered.append(
                render_to_string(shown["template"], shown.get("context", {}), request=request)
            )
    return rendered
