"""Branch scoping for the admin: staff change their branch's objects, CPNEF members view them.

Admin rights come from branch memberships, not from Django's model permissions, so adding a
member to a branch is all it takes. Later apps reuse `BranchScopedAdmin` for their models.
"""

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpResponseRedirect

from cqp.errors import DomainError

from ..models import Branch, Cqp, TrainingProvider
from ..permissions import cpnef_branch_ids, member_branch_ids, staff_branch_ids


class BranchScopedAdmin(admin.ModelAdmin):
    branch_path = "branch"  # lookup from the model to its Branch
    cpnef_may_view = True  # CPNEF members see these objects (read-only)
    deletable = False  # lifecycle objects are archived, never deleted

    # --- scope ---------------------------------------------------------------------------

    def visible_branch_ids(self, request) -> frozenset[int]:
        if self.cpnef_may_view:
            return member_branch_ids(request.user)
        return staff_branch_ids(request.user)

    def branch_id_of(self, obj: Model):
        """Follow `branch_path` on an instance (the last step is read as `<field>_id`)."""
        parts = self.branch_path.split("__")
        for part in parts[:-1]:
            obj = getattr(obj, part)
        return getattr(obj, f"{parts[-1]}_id")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.branch_path}__in": self.visible_branch_ids(request)})

    # --- rights --------------------------------------------------------------------------

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(self.visible_branch_ids(request))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        ids = self.visible_branch_ids(request)
        return bool(ids) and (obj is None or self.branch_id_of(obj) in ids)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        ids = staff_branch_ids(request.user)
        return bool(ids) and (obj is None or self.branch_id_of(obj) in ids)

    def has_add_permission(self, request):
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    def has_delete_permission(self, request, obj=None):
        return self.deletable and self.has_change_permission(request, obj)

    # --- writes ----------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A rule refused the save (a race the form could not see): say so, keep nothing."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:  # raised inside the admin's transaction: rolled back
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())

    # --- choices -------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        limit_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def limit_choices(db_field, request, kwargs) -> None:
    """Offer only the user's branches, their CQPs and their providers in relation fields.

    The queryset also validates the submitted id: an id typed by hand is refused.
    """
    if request.user.is_superuser:
        return
    ids = staff_branch_ids(request.user)
    if db_field.related_model is Branch:
        kwargs["queryset"] = Branch.objects.filter(pk__in=ids)
    elif db_field.related_model is Cqp:
        kwargs["queryset"] = Cqp.objects.filter(branch__in=ids).select_related("branch")
    elif db_field.related_model is TrainingProvider:
        kwargs["queryset"] = TrainingProvider.objects.filter(branches__in=ids).distinct()


class ReadOnlyInline(admin.TabularInline):
    """History rows: shown, never added, changed or deleted from the admin."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


def is_cpnef_member_somewhere(request) -> bool:
    return bool(cpnef_branch_ids(request.user))
