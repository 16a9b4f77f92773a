"""Admin of branches, memberships, providers, habilitations, evaluators and equivalences."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqp.admin import SuperuserOnlyAdmin
from cqp.errors import DomainError

from .. import services
from ..forms import AccreditationAdminForm
from ..models import (
    Branch,
    BranchMembership,
    CompetenceUnit,
    EvaluatorAccreditation,
    Habilitation,
    IdccConvention,
    TrainingProvider,
    UnitEquivalence,
)
from ..permissions import member_branch_ids, staff_branch_ids
from .scoping import BranchScopedAdmin


@admin.register(IdccConvention)
class IdccConventionAdmin(admin.ModelAdmin):
    """Reference data, read-only for everyone (loaded by a data migration)."""

    list_display = ["idcc", "label"]
    search_fields = ["idcc", "label"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        # Branch members need it for the IDCC autocomplete of their branch page.
        return request.user.is_superuser or bool(member_branch_ids(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Branch)
class BranchAdmin(BranchScopedAdmin):
    branch_path = "id"
    list_display = ["name", "code", "idcc_list", "cpnef_name", "signatory_name"]
    search_fields = ["name", "slug", "code", "idcc_conventions__idcc"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["idcc_conventions"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "code", "siret", "idcc_conventions"]}),
        (gettext_lazy("CPNEF"), {"fields": ["cpnef_name", "address"]}),
        (
            gettext_lazy("Certificates"),
            {
                "fields": ["logo", "signatory_name", "signatory_title"],
                "description": gettext_lazy(
                    "Documents already produced keep their logo and signatory: select them in "
                    "“Certificates and attestations” and choose “Produce the PDFs again”."
                ),
            },
        ),
    ]

    def branch_id_of(self, obj):
        return obj.pk

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("idcc_conventions")

    def has_add_permission(self, request):
        return request.user.is_superuser  # branches are created by the platform's administrators

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["name", "slug", "code"]

    def get_prepopulated_fields(self, request, obj=None):
        # The slug is read-only for staff: prepopulating a missing field fails the page.
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}

    @admin.display(description=gettext_lazy("IDCC"))
    def idcc_list(self, obj):
        return ", ".join(c.idcc for c in obj.idcc_conventions.all()) or "—"


@admin.register(BranchMembership)
class BranchMembershipAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """Who is staff or CPNEF member of which branch; managed by administrators."""

    list_display = ["user", "branch", "role", "created_at"]
    list_filter = ["role", "branch"]
    list_select_related = ["user", "branch"]
    search_fields = ["user__email", "user__last_name", "branch__name"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        return False  # revoke and grant again

    def save_model(self, request, obj, form, change):
        membership = services.membership_grant(
            user=obj.user, branch=obj.branch, role=obj.role, actor=request.user
        )
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        services.membership_revoke(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_revoke(membership=membership, actor=request.user)


class ValidTodayFilter(admin.SimpleListFilter):
    title = gettext_lazy("validity")
    parameter_name = "valid"

    def lookups(self, request, model_admin):
        return [("yes", _("Valid today")), ("no", _("Not valid today"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        valid = Q(valid_from__lte=today) & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        if self.value() == "yes":
            return queryset.filter(valid)
        if self.value() == "no":
            return queryset.exclude(valid)
        return queryset


class HabilitationInline(admin.TabularInline):
    model = Habilitation
    extra = 0
    fields = ["cqp", "scope", "valid_from", "valid_until", "reference"]

    def get_queryset(self, request):
        # "provider" for each row's title (str(habilitation) names its provider).
        qs = super().get_queryset(request).select_related("provider", "cqp__branch")
        if request.user.is_superuser:
            return qs
        # Only the rows the user may change: a CPNEF role elsewhere gives no hand on the
        # habilitations of that branch (the habilitation list shows them read-only).
        return qs.filter(cqp__branch__in=staff_branch_ids(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from .scoping import limit_choices

        limit_choices(db_field, request, kwargs)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "cqp":
            # Read the choices once for the formset, not once per row.
            field.choices = list(field.choices)
        return field

    # Rights come from memberships (as in BranchScopedAdmin), not from Django permissions.
    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or bool(member_branch_ids(request.user))

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


@admin.register(TrainingProvider)
class TrainingProviderAdmin(BranchScopedAdmin):
    """Providers the branch works with; a provider may work with several branches."""

    branch_path = "branches"
    deletable = True
    list_display = ["name", "siret", "email", "phone", "habilitation_count"]
    ordering = ["name"]  # explicit: the habilitation count's GROUP BY drops Meta.ordering
    search_fields = ["name", "siret", "nda"]
    fields = ["name", "siret", "nda", "address", "email", "phone", "branches"]
    filter_horizontal = ["branches"]
    inlines = [HabilitationInline]

    def get_queryset(self, request):
        # Filtering on the branches relation joins rows: count and list each provider once,
        # and count only the habilitations of the user's branches (a shared provider's other
        # habilitations are another branch's business).
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs.annotate(_habilitations=Count("habilitations", distinct=True))
        mine = Q(habilitations__cqp__branch__in=self.visible_branch_ids(request))
        return qs.annotate(
            _habilitations=Count("habilitations", filter=mine, distinct=True)
        ).distinct()

    def has_view_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            ids = self.visible_branch_ids(request)
            return obj.branches.filter(pk__in=ids).exists()
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return obj.branches.filter(pk__in=staff_branch_ids(request.user)).exists()
        return super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("habilitations"), ordering="_habilitations")
    def habilitation_count(self, obj):
        return obj._habilitations

    def save_related(self, request, form, formsets, change):
        hidden = []
        if change and not request.user.is_superuser:
            # Staff are offered only their branches: keep the links to the others.
            hidden = list(
                form.instance.branches.exclude(pk__in=staff_branch_ids(request.user)).values_list(
                    "pk", flat=True
                )
            )
        super().save_related(request, form, formsets, change)
        if hidden:
            form.instance.branches.add(*hidden)
        # Staff always keep their own branch on the providers they create or edit.
        if not request.user.is_superuser and not form.cleaned_data.get("branches"):
            form.instance.branches.add(*staff_branch_ids(request.user))


@admin.register(Habilitation)
class HabilitationAdmin(BranchScopedAdmin):
    branch_path = "cqp__branch"
    deletable = True
    list_display = ["provider", "cqp", "scope", "valid_from", "valid_until", "is_valid_today"]
    list_filter = [ValidTodayFilter, "scope", ("cqp__branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["provider", "cqp__branch"]
    search_fields = ["provider__name", "provider__siret", "cqp__title", "cqp__code"]
    autocomplete_fields = ["provider"]

    @admin.display(description=gettext_lazy("valid today"), boolean=True)
    def is_valid_today(self, obj):
        return obj.is_valid_on(timezone.localdate())


@admin.register(EvaluatorAccreditation)
class EvaluatorAccreditationAdmin(BranchScopedAdmin):
    form = AccreditationAdminForm
    deletable = True
    list_display = ["user", "user_email", "branch", "cqp_list", "valid_from", "valid_until"]
    list_filter = [ValidTodayFilter, ("branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "branch"]
    search_fields = ["user__email", "user__last_name", "user__first_name", "reference"]
    filter_horizontal = ["cqps"]
    fieldsets = [
        (
            gettext_lazy("Evaluator"),
            {"fields": ["evaluator_email", "evaluator_first_name", "evaluator_last_name"]},
        ),
        (None, {"fields": ["branch", "cqps", "valid_from", "valid_until", "reference"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cqps")

    @admin.display(description=gettext_lazy("e-mail"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description=gettext_lazy("CQPs"))
    def cqp_list(self, obj):
        return ", ".join(c.code for c in obj.cqps.all()) or _("All CQPs of the branch")

    def save_model(self, request, obj, form, change):
        # The form checked the same rules; a DomainError here (a race) is turned into a
        # message by BranchScopedAdmin.changeform_view, with the transaction rolled back.
        data = form.cleaned_data
        services.evaluator_accreditation_save(
            accreditation=obj,
            email=data["evaluator_email"],
            first_name=data.get("evaluator_first_name", ""),
            last_name=data.get("evaluator_last_name", ""),
            cqps=data.get("cqps") or [],
            actor=request.user,
        )

    def save_related(self, request, form, formsets, change):
        pass  # the CQPs were set by the service


@admin.register(CompetenceUnit)
class CompetenceUnitAdmin(BranchScopedAdmin):
    """Units are edited on their référentiel's page; this list serves search and autocomplete."""

    branch_path = "referentiel__cqp__branch"
    list_display = ["code", "title", "referentiel"]
    list_select_related = ["referentiel__cqp__branch"]
    search_fields = ["code", "title", "referentiel__cqp__title", "referentiel__cqp__code"]

    def has_module_permission(self, request):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UnitEquivalenceForm(forms.ModelForm):
    class Meta:
        model = UnitEquivalence
        fields = ["from_unit", "to_unit"]

    def clean(self):
        data = super().clean()
        if data.get("from_unit") and data.get("to_unit"):
            try:
                services.check_unit_equivalence(data["from_unit"], data["to_unit"])
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return data


@admin.register(UnitEquivalence)
class UnitEquivalenceAdmin(BranchScopedAdmin):
    branch_path = "to_unit__referentiel__cqp__branch"
    deletable = True
    list_display = ["from_unit", "from_version", "to_unit", "to_version", "declared_by"]
    list_select_related = [
        "from_unit__referentiel__cqp",
        "to_unit__referentiel__cqp",
        "declared_by",
    ]
    search_fields = ["from_unit__code", "to_unit__code", "to_unit__referentiel__cqp__title"]
    autocomplete_fields = ["from_unit", "to_unit"]
    fields = ["from_unit", "to_unit"]
    form = UnitEquivalenceForm

    def has_change_permission(self, request, obj=None):
        # Declared, never edited (saving would declare a second one): delete and declare again.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("held in"))
    def from_version(self, obj):
        return obj.from_unit.referentiel

    @admin.display(description=gettext_lazy("counts in"))
    def to_version(self, obj):
        return obj.to_unit.referentiel

    def save_model(self, request, obj, form, change):
        equivalence = services.unit_equivalence_declare(
            from_unit=obj.from_unit, to_unit=obj.to_unit, actor=request.user
        )
        obj.pk = equivalence.pk
