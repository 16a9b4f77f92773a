"""Admin of référentiel versions: units, competences and criteria edited on one page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqp.errors import DomainError

from .. import services
from ..forms import CompetenceUnitInlineForm, lines_of
from ..lifecycles import CLOSED_PROJECT, OPEN_PROJECT, REFERENTIEL_LIFECYCLE
from ..models import CompetenceUnit, Referentiel, ReferentielEvent, ReferentielStatus
from ..permissions import is_branch_staff
from .cqp import status_badge
from .history import EventInline
from .scoping import BranchScopedAdmin


class CompetenceUnitInline(admin.StackedInline):
    model = CompetenceUnit
    form = CompetenceUnitInlineForm
    extra = 0
    ordering = ["order", "id"]
    fields = [
        ("order", "code", "is_optional"),
        "title",
        "competences_text",
        "criteria_text",
        "evaluation_modalities",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("competences", "criteria")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is not None and obj.is_editable and not obj.units.exists() else 0

    def _editable(self, request, obj):
        return (
            obj is not None
            and obj.is_editable
            and obj.cqp.status not in OPEN_PROJECT | CLOSED_PROJECT
            and is_branch_staff(request.user, obj.cqp.branch_id)
        )

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_view_permission(self, request, obj=None):
        return True

    def get_readonly_fields(self, request, obj=None):
        if self._editable(request, obj):
            return []
        return [
            "order",
            "code",
            "is_optional",
            "title",
            "competence_list",
            "criterion_list",
            "evaluation_modalities",
        ]

    def get_fields(self, request, obj=None):
        if self._editable(request, obj):
            return self.fields
        return [
            ("order", "code", "is_optional"),
            "title",
            "competence_list",
            "criterion_list",
            "evaluation_modalities",
        ]

    @admin.display(description=gettext_lazy("competences"))
    def competence_list(self, unit):
        return "\n".join(f"• {c.text}" for c in unit.competences.all()) or "—"

    @admin.display(description=gettext_lazy("evaluation criteria"))
    def criterion_list(self, unit):
        return "\n".join(f"• {c.text}" for c in unit.criteria.all()) or "—"


class ReferentielEventInline(EventInline):
    model = ReferentielEvent
    lifecycle = REFERENTIEL_LIFECYCLE


@admin.register(Referentiel)
class ReferentielAdmin(BranchScopedAdmin):
    branch_path = "cqp__branch"
    list_display = ["cqp", "version", "status_display", "unit_count", "published_at", "branch"]
    list_filter = ["status", ("cqp__branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["cqp__branch"]
    search_fields = ["cqp__title", "cqp__code", "cqp__registry_number", "units__title"]
    ordering = ["cqp__title", "-version"]
    fields = ["cqp", "version", "status_display", "based_on", "published_at", "source"]
    readonly_fields = ["cqp", "version", "status_display", "based_on", "published_at"]
    inlines = [CompetenceUnitInline, ReferentielEventInline]
    actions = ["publish_selected"]
    change_form_template = "admin/certifications/referentiel/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_unit_count=Count("units", distinct=True))

    def has_add_permission(self, request):
        return False  # versions are created from the CQP page ("new version") or by import

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False  # a published or retired version is immutable
        if obj is not None and obj.cqp.status in OPEN_PROJECT | CLOSED_PROJECT:
            return False  # under CPNEF review (frozen until the decision), or on record only
        return super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=gettext_lazy("units"), ordering="_unit_count")
    def unit_count(self, obj):
        return obj._unit_count

    @admin.display(description=gettext_lazy("branch"), ordering="cqp__branch__name")
    def branch(self, obj):
        return obj.cqp.branch

    # --- writes go through the services -------------------------------------------------

    def save_model(self, request, obj, form, change):
        if "source" in form.changed_data:
            services.referentiel_update_source(
                referentiel=obj, source=form.cleaned_data["source"], actor=request.user
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not CompetenceUnit:
            return super().save_formset(request, form, formset, change)
        referentiel = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = [f for f in formset.deleted_forms if f.instance.pk]
        kept = [f for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
        for unit_form in deleted:
            services.unit_delete(unit=unit_form.instance, actor=request.user)
            formset.deleted_objects.append(unit_form.instance)
        # Codes may move between units (a swap): free the changed ones first. The admin
        # saves the whole page in one transaction, so these placeholders are never seen.
        for unit_form in kept:
            unit = unit_form.instance
            if unit.pk and "code" in unit_form.changed_data:
                services.unit_save(
                    referentiel=referentiel,
                    unit=unit,
                    code=f"~{unit.pk}",
                    title=unit_form.cleaned_data["title"],
                    actor=request.user,
                )
        for unit_form in kept:
            unit = unit_form.instance
            data = unit_form.cleaned_data
            is_new = unit.pk is None
            unit = services.unit_save(
                referentiel=referentiel,
                unit=None if is_new else unit,
                code=data["code"],
                title=data["title"],
                order=data["order"],
                is_optional=data["is_optional"],
                evaluation_modalities=data["evaluation_modalities"],
                actor=request.user,
            )
            services.unit_set_contents(
                unit=unit,
                competences=lines_of(data["competences_text"]),
                criteria=lines_of(data["criteria_text"]),
                actor=request.user,
            )
            if is_new:
                formset.new_objects.append(unit)
            else:
                formset.changed_objects.append((unit, unit_form.changed_data))

    # --- lifecycle ----------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Publish the selected versions"))
    def publish_selected(self, request, queryset):
        for referentiel in queryset.select_related("cqp"):
            try:
                services.referentiel_publish(referentiel=referentiel, actor=request.user)
            except DomainError as error:
                messages.error(request, f"{referentiel}: {error.message}")
            else:
                messages.success(request, _("%s published.") % referentiel)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="certifications_referentiel_transition",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["under_review"] = obj.cqp.status in OPEN_PROJECT
        if obj is not None and is_branch_staff(request.user, obj.cqp.branch_id):
            extra_context["referentiel_actions"] = [
                {
                    "label": t.label,
                    "action": t.action,
                    "url": reverse(
                        "admin:certifications_referentiel_transition", args=[obj.pk, t.action]
                    ),
                }
                for t in REFERENTIEL_LIFECYCLE.actions_from(obj.status)
            ]
            if obj.status != ReferentielStatus.DRAFT:
                extra_context["new_version_url"] = reverse(
                    "admin:certifications_cqp_new_version", args=[obj.cqp_id]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, action):
        """Publish or retire this version: GET asks for confirmation, POST does it."""
        referentiel = self.get_object(request, object_id)
        if referentiel is None:
            raise Http404
        if not is_branch_staff(request.user, referentiel.cqp.branch_id):
            raise PermissionDenied
        service = {
            "publish": services.referentiel_publish,
            "retire": services.referentiel_retire,
        }.get(action)
        if service is None:
            raise Http404
        transition = REFERENTIEL_LIFECYCLE.get(action)
        change_url = reverse("admin:certifications_referentiel_change", args=[referentiel.pk])
        if request.method == "POST":
            try:
                service(referentiel=referentiel, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("%(referentiel)s: %(action)s — done.")
                    % {"referentiel": referentiel, "action": transition.label},
                )
            return HttpResponseRedirect(change_url)
        published = referentiel.cqp.referentiels.filter(status=ReferentielStatus.PUBLISHED).first()
        return TemplateResponse(
            request,
            "admin/certifications/referentiel/transition.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": referentiel,
                "change_url": change_url,
                "title": f"{transition.label} — {referentiel}",
                "transition": transition,
                "allowed": REFERENTIEL_LIFECYCLE.can(referentiel.status, action),
                "status_label": referentiel.get_status_display(),
                "replaced": published if published and published.pk != referentiel.pk else None,
                "unit_count": referentiel.units.count(),
                "incomplete_units": referentiel.units.annotate(_criteria=Count("criteria")).filter(
                    Q(_criteria=0) | Q(evaluation_modalities="")
                ),
            },
        )
