"""Authentication helpers shared by the login pages and django-axes."""

from django.conf import settings
from django.shortcuts import render


def login_username(request, credentials) -> str | None:
    """The e-mail address a login attempt names, lower-cased (logins ignore case).

    django-axes counts failures per (address, client); without this, "Jo@x.fr" and "jo@x.fr"
    would be counted apart and an attacker would get five guesses per spelling.
    """
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username") if request is not None else None
    return username.strip().lower() if isinstance(username, str) else None


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out login gets (429): when to try again, and the way out."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
