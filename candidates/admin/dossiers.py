"""The dossiers of the staff's branch: list, filters, search, action pages, export."""

import datetime

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from certifications.admin.cqp import status_badge
from certifications.admin.history import person
from certifications.admin.scoping import BranchScopedAdmin
from certifications.models import Cqp, EvaluatorAccreditation
from certifications.permissions import staff_branch_ids
from cqp.admin_lists import ListRowsMixin, SelectListFilter, id_or_none
from cqp.errors import DomainError

from .. import services
from ..lifecycles import DOSSIER_LIFECYCLE, WITH_EVALUATOR
from ..models import Candidate, Dossier, PositioningAssessment
from ..panels import admin_dossier_sections
from ..permissions import is_dossier_staff
from ..selectors import dossiers_matching
from .actions import STAFF_ACTIONS, DossierActionForm, awaiting_evaluator
from .evaluation import evaluation_sections
from .export import csv_response
from .inlines import CarriedOverInline, DocumentInline, DossierEventInline


class EvaluatorFollowUpFilter(admin.SimpleListFilter):
    """Dossiers waiting for an evaluator (after a conflict of interest) or for their work."""

    title = gettext_lazy("evaluator's follow-up")
    parameter_name = "follow_up"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", _("Awaiting an evaluator")),
            ("overdue", _("Overdue")),
            ("week", _("Due within a week")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("awaiting", "overdue", "week"):
            return queryset
        queryset = queryset.filter(status__in=WITH_EVALUATOR)
        today = timezone.localdate()
        if value == "awaiting":
            return queryset.filter(evaluator__isnull=True)
        if value == "overdue":
            return queryset.filter(evaluator_due_on__lt=today)
        return queryset.filter(evaluator_due_on__range=(today, today + datetime.timedelta(days=7)))


class CqpFilter(SelectListFilter):
    """The CQPs of the user's branches (not read from the dossiers: a DISTINCT over each)."""

    title = gettext_lazy("CQP")
    parameter_name = "cqp"

    def lookups(self, request, model_admin):
        cqps = Cqp.objects.order_by("code", "id")
        if not request.user.is_superuser:
            cqps = cqps.filter(branch__in=model_admin.visible_branch_ids(request))
        return [
            (pk, f"{code} — {title}") for pk, code, title in cqps.values_list("pk", "code", "title")
        ]

    def filter_on(self, queryset, value):
        cqp_id = id_or_none(value)
        return queryset.none() if cqp_id is None else queryset.filter(cqp_id=cqp_id)


class EvaluatorFilter(SelectListFilter):
    """The evaluators accredited by the user's branches, and "none assigned"."""

    title = gettext_lazy("evaluator")
    parameter_name = "evaluator"
    NONE = "none"

    def lookups(self, request, model_admin):
        accredited = EvaluatorAccreditation.objects.all()
        if not request.user.is_superuser:
            accredited = accredited.filter(branch__in=model_admin.visible_branch_ids(request))
        people = (
            get_user_model()
            .objects.filter(pk__in=accredited.values("user_id"))
            .order_by("last_name", "first_name", "id")
            .values_list("pk", "first_name", "last_name", "email")
        )
        return [(self.NONE, _("None assigned"))] + [
            (pk, f"{first} {last} ({email})".strip()) for pk, first, last, email in people
        ]

    def filter_on(self, queryset, value):
        if value == self.NONE:
            return queryset.filter(evaluator__isnull=True)
        evaluator_id = id_or_none(value)
        if evaluator_id is None:  # not "none" and not an id: no evaluator is called that
            return queryset.none()
        return queryset.filter(evaluator_id=evaluator_id)


@admin.register(Dossier)
class DossierAdmin(ListRowsMixin, BranchScopedAdmin):
    branch_path = "cqp__branch"
    counted_with = (Candidate,)  # filtered on the candidate's situation
    list_display = [
        "reference",
        "candidate",
        "cqp",
        "status_display",
        "funding",
        "pathway",
        "evaluator_display",
        "due_on_display",
        "created_at",
    ]
    list_filter = [
        "status",
        EvaluatorFollowUpFilter,
        CqpFilter,
        "funding",
        "candidate__situation",
        EvaluatorFilter,
    ]
    list_select_related = ["candidate", "cqp", "evaluator"]
    # Searched through the reference and the candidate's search key (get_search_results).
    search_fields = ["reference"]
    search_help_text = gettext_lazy(
        "Reference, candidate's name or e-mail address (accents and case aside)."
    )
    # One COUNT per page (the total without filters costs a second one over every row).
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["reference", "candidate", "cqp", "referentiel", "previous"]}),
        (
            gettext_lazy("Status"),
            {
                "fields": [
                    "status_display",
                    "status_changed_at",
                    "created_at",
                    "submitted_at",
                    "completeness_checked_at",
                ]
            },
        ),
        (
            gettext_lazy("Path"),
            {
                "fields": [
                    "funding",
                    "pathway",
                    "vae_requested_on",
                    "eligibility",
                    "evaluator",
                    "evaluator_due_on",
                    "training_provider",
                ]
            },
        ),
    ]
    readonly_fields = [f.name for f in Dossier._meta.fields] + ["status_display", "eligibility"]
    inlines = [DocumentInline, CarriedOverInline, DossierEventInline]
    actions = ["declare_complete_selected", "declare_admissible_selected", "export_csv"]
    change_form_template = "admin/candidates/dossier/change_form.html"
    change_list_template = "admin/candidates/dossier/change_list.html"

    def get_queryset(self, request):
        # What the list shows (list_select_related); a dossier's page reads more (get_object).
        return super().get_queryset(request).select_related("candidate", "cqp", "evaluator")

    def get_search_results(self, request, queryset, search_term):
        return dossiers_matching(queryset, search_term), False

    def get_object(self, request, object_id, from_field=None):
        """Read once per request (the dossier page asks twice: for its context and its form),
        with what the page shows."""
        cache = request.__dict__.setdefault("_cqp_dossiers", {})
        if (object_id, from_field) not in cache:
            queryset = self.get_queryset(request).select_related(
                "candidate__user", "cqp__branch", "referentiel__cqp"
            )
            try:
                dossier = queryset.get(pk=int(object_id)) if from_field is None else None
            except (Dossier.DoesNotExist, ValueError, TypeError):
                dossier = None
            if from_field is not None:  # not used by our pages; Django's own lookup then
                dossier = super().get_object(request, object_id, from_field)
            cache[object_id, from_field] = dossier
        return cache[object_id, from_field]

    # --- rights: looked at, never edited; staff act through the lifecycle actions -----------

    def has_add_permission(self, request):
        return False  # candidates open their dossiers

    def has_change_permission(self, request, obj=None):
        return False  # the status moves only through the actions below

    def has_act_permission(self, request) -> bool:
        """Staff actions (bulk actions, export): the branch's staff and superusers."""
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, dossier):
        return status_badge(dossier.status, DOSSIER_LIFECYCLE.status_label(dossier.status))

    @admin.display(description=gettext_lazy("evaluator"), ordering="evaluator__last_name")
    def evaluator_display(self, dossier):
        if awaiting_evaluator(dossier):
            return format_html(
                '<strong class="cqp-warning">{}</strong>', _("Awaiting an evaluator")
            )
        return person(dossier.evaluator) if dossier.evaluator_id else "—"

    @admin.display(description=gettext_lazy("evaluator's due date"), ordering="evaluator_due_on")
    def due_on_display(self, dossier):
        due_on = dossier.evaluator_due_on
        if due_on is None:
            return "—"
        text = date_format(due_on, "SHORT_DATE_FORMAT")
        if dossier.status in WITH_EVALUATOR and due_on < timezone.localdate():
            return format_html('<strong class="cqp-warning">{} ({})</strong>', text, _("overdue"))
        return text

    @admin.display(description=gettext_lazy("VAE eligibility"))
    def eligibility(self, dossier):
        try:
            positioning = dossier.positioning
        except PositioningAssessment.DoesNotExist:
            return "—"
        if positioning.eligibility_valid_until is None:
            return "—"
        return _("Eligible since %(since)s, valid until %(until)s") % {
            "since": date_format(positioning.assessed_on, "SHORT_DATE_FORMAT"),
            "until": date_format(positioning.eligibility_valid_until, "SHORT_DATE_FORMAT"),
        }

    # --- bulk actions and export --------------------------------------------------------------

    @admin.action(
        description=gettext_lazy("Declare the selected dossiers complete"),
        permissions=["act"],
    )
    def declare_complete_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            services.dossier_declare_complete,
            lambda n: ngettext(
                "%(count)d dossier declared complete.", "%(count)d dossiers declared complete.", n
            ),
        )

    @admin.action(
        description=gettext_lazy("Declare the selected dossiers admissible"),
        permissions=["act"],
    )
    def declare_admissible_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            services.dossier_declare_admissible,
            lambda n: ngettext(
                "%(count)d dossier declared admissible.",
                "%(count)d dossiers declared admissible.",
                n,
            ),
        )

    def _bulk(self, request, queryset, service, done_message):
        done = 0
        for dossier in queryset:
            try:
                service(dossier=dossier, actor=request.user)
            except DomainError as error:
                messages.error(request, f"{dossier.reference}: {error.message}")
            else:
                done += 1
        if done:
            messages.success(request, done_message(done) % {"count": done})

    @admin.action(
        description=gettext_lazy("Export the selected dossiers as CSV"), permissions=["act"]
    )
    def export_csv(self, request, queryset):
        return csv_response(queryset, f"dossiers-{timezone.localdate():%Y-%m-%d}.csv")

    def export_view(self, request):
        """The current changelist (its filters and search) as CSV."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return csv_response(changelist.queryset, f"dossiers-{timezone.localdate():%Y-%m-%d}.csv")

    # --- object pages -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="candidates_dossier_export"),
            path(
                "<path:object_id>/action/<str:action>/",
                view(self.action_view),
                name="candidates_dossier_action",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        dossier = self.get_object(request, object_id)
        if dossier is not None:
            actions = self.available_actions(request, dossier)
            extra_context["dossier_actions"] = actions
            extra_context["evaluation"] = evaluation_sections(dossier)
            extra_context["awaiting_evaluator"] = awaiting_evaluator(dossier)
            # Sections other apps add (the juries: sessions, decisions, documents).
            extra_context["app_sections"] = admin_dossier_sections(request, dossier)
            extra_context["reassign_url"] = next(
                (a["url"] for a in actions if a["action"] == "reassign_evaluator"), None
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def available_actions(self, request, dossier: Dossier) -> list[dict]:
        """Buttons shown on the dossier page, for this user and this status."""
        if not is_dossier_staff(request.user, dossier):
            return []
        return [
            {
                "action": transition.action,
                "label": transition.label,
                "url": reverse(
                    "admin:candidates_dossier_action", args=[dossier.pk, transition.action]
                ),
            }
            for transition in DOSSIER_LIFECYCLE.actions_from(dossier.status)
            if transition.action in STAFF_ACTIONS and self._offered(dossier, transition.action)
        ]

    @staticmethod
    def _offered(dossier: Dossier, action: str) -> bool:
        """Admissibility is judged once the dossier is declared complete (the service checks)."""
        complete = dossier.completeness_checked_at is not None
        if action == "declare_complete":
            return not complete
        if action == "declare_admissible":
            return complete
        return True

    def action_view(self, request, object_id, action):
        if action not in STAFF_ACTIONS:
            raise Http404
        dossier = self.get_object(request, object_id)
        if dossier is None:
            raise Http404
        if not is_dossier_staff(request.user, dossier):
            raise PermissionDenied
        staff_action = STAFF_ACTIONS[action]
        transition = DOSSIER_LIFECYCLE.get(action)
        allowed = DOSSIER_LIFECYCLE.can(dossier.status, action)
        change_url = reverse("admin:candidates_dossier_change", args=[dossier.pk])
        form = DossierActionForm(
            request.POST if request.method == "POST" and allowed else None,
            action=staff_action,
            dossier=dossier,
        )
        if allowed and request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            arguments = {"dossier": dossier, "actor": request.user, "comment": data["comment"]}
            if staff_action.evaluator:
                arguments["evaluator"] = data["evaluator"]
                arguments["due_on"] = data["due_on"]
            try:
                staff_action.service(**arguments)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("%(dossier)s: %(action)s — done.")
                    % {"dossier": dossier.reference, "action": transition.label},
                )
                return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/candidates/dossier/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": dossier,
                "title": f"{transition.label} — {dossier.reference}",
                "change_url": change_url,
                "form": form,
                "transition": transition,
                "allowed": allowed,
                "status_label": dossier.get_status_display(),
                "no_evaluator": staff_action.evaluator
                and not form.fields["evaluator"].queryset.exists(),
                "evaluator_action": staff_action.evaluator,
                "awaiting_evaluator": awaiting_evaluator(dossier),
            },
        )
