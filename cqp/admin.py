from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, OutgoingEmail, User

admin.site.site_header = _("CQP — administration")
admin.site.site_title = _("CQP administration")
admin.site.index_title = _("Branch management")


class SuperuserOnlyAdmin:
    """Pages for the platform's administrators only; branch members never see them."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, DjangoUserAdmin):
    """Accounts, managed by the platform's administrators."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identity"), {"fields": ["first_name", "last_name"]}),
        (
            _("Rights"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """The outbox, for administrators: what was sent, what is pending and why."""

    list_display = ["subject", "to", "created_at", "sent_at", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    readonly_fields = ["to", "subject", "body", "created_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin:
    """A record nobody edits from the administration, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, SuperuserOnlyAdmin, admin.ModelAdmin):
    """The audit trail, read by the platform's administrators."""

    list_display = ["at", "action", "actor", "subject", "view_name", "target", "summary"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor__email", "subject__email", "view_name", "target_id", "summary"]
    list_select_related = ["actor", "subject"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "action",
        "actor",
        "subject",
        "view_name",
        "target_model",
        "target_id",
        "summary",
        "client",
    ]

    @admin.display(description=_("object"))
    def target(self, entry):
        return f"{entry.target_model} #{entry.target_id}" if entry.target_model else "—"


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ReadOnlyAdmin, SuperuserOnlyAdmin, admin.ModelAdmin):
    """Failed logins per e-mail address and client (django-axes): the lockouts' grounds."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "path_info"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
    exclude = ["get_data", "post_data"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin, SuperuserOnlyAdmin, admin.ModelAdmin):
    """Successful logins and logouts (django-axes)."""

    list_display = ["attempt_time", "logout_time", "username", "ip_address", "user_agent"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
