"""The CPNEF decisions, read-only (they are recorded from the CQP page), and their minutes."""

from django.contrib import admin
from django.http import Http404
from django.urls import path

from ..models import CpnefDecision
from .scoping import BranchScopedAdmin


@admin.register(CpnefDecision)
class CpnefDecisionAdmin(BranchScopedAdmin):
    branch_path = "cqp__branch"
    list_display = ["cqp", "outcome", "meeting_date", "reference", "decided_by", "created_at"]
    list_filter = ["outcome", ("cqp__branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["cqp__branch", "decided_by"]
    search_fields = ["cqp__title", "cqp__code", "reference"]
    date_hierarchy = "meeting_date"
    fields = ["cqp", "outcome", "meeting_date", "reference", "comment", "decided_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # decisions are recorded from the CQP page, through the service

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/minutes/",
                self.admin_site.admin_view(self.minutes_view),
                name="certifications_cpnefdecision_minutes",
            )
        ] + super().get_urls()

    def minutes_view(self, request, object_id):
        """The minutes file, for those who may see the decision (files are never public)."""
        from django.http import FileResponse

        decision = self.get_object(request, object_id)
        if decision is None or not decision.minutes:
            raise Http404
        return FileResponse(
            decision.minutes.open("rb"),
            as_attachment=True,
            filename=decision.minutes.name.rsplit("/", 1)[-1],
        )
