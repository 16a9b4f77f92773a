"""The dashboard's headline figures, for the admin index."""

from django import template
from django.core.exceptions import PermissionDenied

from juries.dashboard.figures import Filters, cached_figures
from juries.dashboard.scope import dashboard_branch_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_headline(context):
    """The unfiltered figures of the user's scope (the dashboard's cached ones), or None for
    a user who may not see the dashboard."""
    request = context.get("request")
    if request is None:
        return None
    try:
        branch_ids = dashboard_branch_ids(request.user)
    except PermissionDenied:
        return None
    return cached_figures(Filters(branch_ids=branch_ids))
