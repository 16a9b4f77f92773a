"""Admin of CQPs: the project lifecycle, the CPNEF decision and the import page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cqp.errors import DomainError

from .. import services
from ..forms import CpnefDecisionForm, CqpAdminForm, TransitionForm
from ..lifecycles import CLOSED_PROJECT, CQP_LIFECYCLE, CQP_STAFF_ACTIONS, OPEN_PROJECT
from ..models import CpnefDecision, Cqp, CqpEvent, Referentiel, ReferentielStatus
from ..permissions import is_branch_staff, is_cpnef_member, staff_branch_ids
from .history import EventInline, person
from .importing import ImportViewMixin
from .scoping import BranchScopedAdmin, ReadOnlyInline

STAFF_SERVICES = {
    "submit": services.cqp_submit,
    "resubmit": services.cqp_resubmit,
    "suspend": services.cqp_suspend,
    "reinstate": services.cqp_reinstate,
    "archive": services.cqp_archive,
}
COMMENT_REQUIRED = {"suspend"}


def safe_next(request) -> str | None:
    """The `next` parameter when it points inside this site (e.g. back to the CPNEF space)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def status_badge(status: str, label: str):
    return format_html('<span class="cqp-status cqp-status--{}">{}</span>', status, label)


class CqpEventInline(EventInline):
    model = CqpEvent
    lifecycle = CQP_LIFECYCLE


class CpnefDecisionInline(ReadOnlyInline):
    model = CpnefDecision
    fields = ["meeting_date", "outcome", "reference", "comment", "recorded_by", "minutes_link"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("recorded by"))
    def recorded_by(self, obj):
        return person(obj.decided_by)

    def get_queryset(self, request):
        # "cqp" for each row's title (str(decision) names its CQP).
        return super().get_queryset(request).select_related("cqp", "decided_by")

    @admin.display(description=gettext_lazy("minutes"))
    def minutes_link(self, obj):
        if not obj.minutes:
            return "—"
        url = reverse("admin:certifications_cpnefdecision_minutes", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class ReferentielVersionInline(ReadOnlyInline):
    model = Referentiel
    fields = ["version", "status_display", "published_at", "unit_count", "open_link"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Référentiel versions")

    def get_queryset(self, request):
        # "cqp" for each row's title (str(referentiel) names its CQP).
        return (
            super().get_queryset(request).select_related("cqp").annotate(_unit_count=Count("units"))
        )

    @admin.display(description=gettext_lazy("units"))
    def unit_count(self, obj):
        return obj._unit_count

    @admin.display(description=gettext_lazy("status"))
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=gettext_lazy("action"))  # a header, for screen readers too
    def open_link(self, obj):
        url = reverse("admin:certifications_referentiel_change", args=[obj.pk])
        label = _("Edit this draft") if obj.is_editable else _("See this version")
        return format_html('<a class="button" href="{}">{}</a>', url, label)


@admin.register(Cqp)
class CqpAdmin(ImportViewMixin, BranchScopedAdmin):
    form = CqpAdminForm
    list_display = [
        "code",
        "title",
        "branch",
        "registry_number",
        "level",
        "status_display",
        "published_version",
        "registration_end_date",
    ]
    list_display_links = ["code", "title"]
    list_filter = [("branch", admin.RelatedOnlyFieldListFilter), "status", "level"]
    list_select_related = ["branch"]
    search_fields = ["code", "title", "registry_number"]
    ordering = ["branch__name", "title"]
    readonly_fields = ["status_display", "status_changed_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["branch", "code", "title", "level", "description"]}),
        (
            gettext_lazy("Registration"),
            {"fields": ["registry_number", "registration_end_date"]},
        ),
        (
            gettext_lazy("Classifications"),
            {
                "fields": ["nsf_codes", "rome_codes", "formacodes"],
                "description": gettext_lazy("Codes separated by commas."),
            },
        ),
        (
            gettext_lazy("Status"),
            {"fields": ["status_display", "status_changed_at", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ReferentielVersionInline, CpnefDecisionInline, CqpEventInline]
    actions = ["submit_selected", "archive_selected"]
    change_form_template = "admin/certifications/cqp/change_form.html"
    change_list_template = "admin/certifications/cqp/change_list.html"

    def get_queryset(self, request):
        published = Referentiel.objects.filter(
            cqp=OuterRef("pk"), status=ReferentielStatus.PUBLISHED
        ).values("version")[:1]
        return super().get_queryset(request).annotate(_published_version=Subquery(published))

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status in OPEN_PROJECT | CLOSED_PROJECT:
            return False  # under CPNEF review (frozen until the decision), or on record only
        return super().has_change_permission(request, obj)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not request.user.is_superuser and len(self.visible_branch_ids(request)) == 1:
            columns.remove("branch")  # one branch: the column would repeat its name
        return columns

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("branch")  # a CQP never moves to another branch
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (request.user.is_superuser or staff_branch_ids(request.user)):
            actions.pop("submit_selected", None)
            actions.pop("archive_selected", None)
        return actions

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=gettext_lazy("published version"))
    def published_version(self, obj):
        version = getattr(obj, "_published_version", None)
        return version if version is not None else "—"

    # --- writes go through the services -------------------------------------------------

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.CQP_EDITABLE_FIELDS}
        if change:
            services.cqp_update(cqp=obj, actor=request.user, **fields)
        else:
            code, title = fields.pop("code"), fields.pop("title")
            created = services.cqp_create(
                branch=form.cleaned_data["branch"],
                code=code,
                title=title,
                actor=request.user,
                **fields,
            )
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()

    @admin.action(description=gettext_lazy("Submit the selected CQPs to the CPNEF"))
    def submit_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            services.cqp_submit,
            lambda n: ngettext(
                "%(count)d CQP submitted to the CPNEF.", "%(count)d CQPs submitted to the CPNEF.", n
            ),
        )

    @admin.action(description=gettext_lazy("Archive the selected CQPs"))
    def archive_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            services.cqp_archive,
            lambda n: ngettext("%(count)d CQP archived.", "%(count)d CQPs archived.", n),
        )

    def _bulk(self, request, queryset, service, done_message):
        # done_message(n) is a full ngettext sentence: the participle agrees in French.
        done = 0
        for cqp in queryset:
            try:
                service(cqp=cqp, actor=request.user)
            except DomainError as error:
                messages.error(request, f"{cqp}: {error.message}")
            else:
                done += 1
        if done:
            messages.success(request, done_message(done) % {"count": done})

    # --- object pages -------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="certifications_cqp_import"),
            path(
                "<path:object_id>/transition/<str:action>/",
                view(self.transition_view),
                name="certifications_cqp_transition",
            ),
            path(
                "<path:object_id>/decide/", view(self.decide_view), name="certifications_cqp_decide"
            ),
            path(
                "<path:object_id>/new-version/",
                view(self.new_version_view),
                name="certifications_cqp_new_version",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["cqp_actions"] = self.available_actions(request, obj)
            extra_context["under_review"] = obj.status in OPEN_PROJECT
        return super().change_view(request, object_id, form_url, extra_context)

    def available_actions(self, request, cqp) -> list[dict]:
        """Buttons shown on the CQP page, for this user and this status."""
        buttons = []
        if is_branch_staff(request.user, cqp.branch_id):
            for transition in CQP_LIFECYCLE.actions_from(cqp.status):
                if transition.action in CQP_STAFF_ACTIONS:
                    buttons.append(
                        {
                            "label": transition.label,
                            "url": reverse(
                                "admin:certifications_cqp_transition",
                                args=[cqp.pk, transition.action],
                            ),
                            "action": transition.action,
                        }
                    )
            if (
                cqp.status not in OPEN_PROJECT | CLOSED_PROJECT
                and not cqp.referentiels.filter(status=ReferentielStatus.DRAFT).exists()
            ):
                buttons.append(
                    {
                        "label": _("New référentiel version"),
                        "url": reverse("admin:certifications_cqp_new_version", args=[cqp.pk]),
                        "action": "new_version",
                    }
                )
        if is_cpnef_member(request.user, cqp.branch_id) and cqp.status in OPEN_PROJECT:
            buttons.append(
                {
                    "label": _("Record the CPNEF decision"),
                    "url": reverse("admin:certifications_cqp_decide", args=[cqp.pk]),
                    "action": "decide",
                }
            )
        return buttons

    def _get_visible(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        return obj

    def _page(self, request, template, cqp, title, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": cqp,
                "title": title,
                "change_url": reverse("admin:certifications_cqp_change", args=[cqp.pk]),
                **context,
            },
        )

    def transition_view(self, request, object_id, action):
        cqp = self._get_visible(request, object_id)
        if action not in CQP_STAFF_ACTIONS:
            raise Http404
        if not is_branch_staff(request.user, cqp.branch_id):
            raise PermissionDenied
        transition = CQP_LIFECYCLE.get(action)
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            comment_required=action in COMMENT_REQUIRED,
        )
        change_url = reverse("admin:certifications_cqp_change", args=[cqp.pk])
        if request.method == "POST" and form.is_valid():
            try:
                STAFF_SERVICES[action](
                    cqp=cqp, actor=request.user, comment=form.cleaned_data["comment"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("%(cqp)s: %(action)s — done.") % {"cqp": cqp, "action": transition.label},
                )
                return HttpResponseRedirect(change_url)
        return self._page(
            request,
            "admin/certifications/cqp/transition.html",
            cqp,
            f"{transition.label} — {cqp}",
            form=form,
            transition=transition,
            allowed=CQP_LIFECYCLE.can(cqp.status, action),
            status_label=cqp.get_status_display(),
        )

    def decide_view(self, request, object_id):
        cqp = self._get_visible(request, object_id)
        if not is_cpnef_member(request.user, cqp.branch_id):
            raise PermissionDenied
        # Bound on every POST, an empty one included: it gets the form's errors, not a blank form.
        posted = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        form = CpnefDecisionForm(*posted)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                decision = services.cpnef_decision_record(
                    cqp=cqp,
                    outcome=data["outcome"],
                    meeting_date=data["meeting_date"],
                    reference=data["reference"],
                    comment=data["comment"],
                    minutes=data.get("minutes"),
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Decision recorded: %(decision)s.")
                    % {"decision": decision.get_outcome_display()},
                )
                return HttpResponseRedirect(
                    safe_next(request) or reverse("admin:certifications_cqp_change", args=[cqp.pk])
                )
        return self._page(
            request,
            "admin/certifications/cqp/decide.html",
            cqp,
            _("CPNEF decision — %s") % cqp,
            form=form,
            allowed=cqp.status in OPEN_PROJECT,
            status_label=cqp.get_status_display(),
            referentiel=cqp.referentiels.order_by("-version")
            .prefetch_related("units__competences", "units__criteria")
            .first(),
            decisions=cqp.cpnef_decisions.select_related("decided_by"),
        )

    def new_version_view(self, request, object_id):
        cqp = self._get_visible(request, object_id)
        if not is_branch_staff(request.user, cqp.branch_id):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:certifications_cqp_change", args=[cqp.pk]))
        latest = cqp.referentiels.order_by("-version").first()
        try:
            if latest is not None and latest.status != ReferentielStatus.DRAFT:
                draft = services.referentiel_new_version(referentiel=latest, actor=request.user)
            else:
                draft = services.referentiel_create_draft(cqp=cqp, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("admin:certifications_cqp_change", args=[cqp.pk]))
        messages.success(
            request, _("Draft version %s created: edit it, then publish it.") % draft.version
        )
        return HttpResponseRedirect(
            reverse("admin:certifications_referentiel_change", args=[draft.pk])
        )
