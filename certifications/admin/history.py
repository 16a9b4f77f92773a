"""Read-only history of a lifecycle (event rows), with labels instead of codes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from .scoping import ReadOnlyInline

ACTION_LABELS = {"create": gettext_lazy("Created")}


def person(user) -> str:
    """A name, not a link: the user admin is for administrators only."""
    if user is None:
        return str(gettext_lazy("System"))
    return user.get_full_name() or user.email


class EventInline(ReadOnlyInline):
    lifecycle = None  # the Lifecycle whose events these are
    fields = ["created_at", "action_label", "from_label", "to_label", "actor_name", "comment"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("History")
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=gettext_lazy("action"))
    def action_label(self, event):
        if event.action in ACTION_LABELS:
            return ACTION_LABELS[event.action]
        try:
            return self.lifecycle.get(event.action).label
        except KeyError:
            return event.action

    @admin.display(description=gettext_lazy("from"))
    def from_label(self, event):
        return self.lifecycle.status_label(event.from_status) if event.from_status else "—"

    @admin.display(description=gettext_lazy("to"))
    def to_label(self, event):
        return self.lifecycle.status_label(event.to_status)

    @admin.display(description=gettext_lazy("by"))
    def actor_name(self, event):
        return person(event.actor)
