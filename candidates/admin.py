"""Admin of dossiers and candidates for branch staff (scoped to their branch)."""

from django.contrib import admin

from certifications.admin.scoping import BranchScopedAdmin

from .models import Dossier


@admin.register(Dossier)
class DossierAdmin(BranchScopedAdmin):
    branch_path = "cqp__branch"
    list_display = ["reference", "candidate", "cqp", "status", "created_at"]
    list_select_related = ["candidate", "cqp"]
    readonly_fields = [f.name for f in Dossier._meta.fields]

    def has_add_permission(self, request):
        return False  # candidates open their dossiers
