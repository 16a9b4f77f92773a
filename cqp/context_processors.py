from .roles import spaces_for


def spaces(request):
    """The current user's spaces, for the navigation bar (computed once, on first use)."""
    user = getattr(request, "user", None)
    return {"user_spaces": (lambda: spaces_for(user)) if user is not None else list}
