"""Admin of dossiers and candidates for branch staff (scoped to their branch).

Dossiers are never edited through the form: every change is a lifecycle action, taken on a
small page of its own that calls the matching service.
"""

from . import candidates, dossiers  # noqa: F401  (registers the ModelAdmins)
