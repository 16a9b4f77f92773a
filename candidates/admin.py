"""Admin of dossiers and candidates for branch staff (scoped to their branch).

Dossiers are never edited through the form: every change is a lifecycle action, taken on a
small page of its own that calls the matching service.
"""

import csv
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from certifications.admin.cqp import status_badge
from certifications.admin.history import EventInline, person
from certifications.admin.scoping import BranchScopedAdmin, ReadOnlyInline
from certifications.models import Branch, EvaluatorAccreditation
from certifications.permissions import member_branch_ids, staff_branch_ids
from cqp.errors import DomainError

from . import services
from .lifecycles import DOSSIER_LIFECYCLE, step_label
from .models import Candidate, CarriedOverUnit, Dossier, DossierDocument, DossierEvent
from .permissions import is_dossier_staff

# --- the staff's actions on a dossier -----------------------------------------------------------


@dataclass(frozen=True)
class StaffAction:
    service: object
    comment_required: bool = False
    comment_label: str = gettext_lazy("Comment")
    comment_help: str = gettext_lazy("Kept in the dossier's history, which the candidate sees.")
    evaluator: bool = False  # the form offers the accredited evaluators


STAFF_ACTIONS = {
    "declare_complete": StaffAction(services.dossier_declare_complete),
    "declare_incomplete": StaffAction(
        services.dossier_declare_incomplete,
        comment_required=True,
        comment_label=gettext_lazy("Missing items"),
        comment_help=gettext_lazy("Sent to the candidate, who completes the dossier."),
    ),
    "declare_admissible": StaffAction(services.dossier_declare_admissible),
    "declare_inadmissible": StaffAction(
        services.dossier_declare_inadmissible,
        comment_required=True,
        comment_label=gettext_lazy("Reasons"),
        comment_help=gettext_lazy("Sent to the candidate."),
    ),
    "assign_evaluator": StaffAction(services.dossier_assign_evaluator, evaluator=True),
    "reassign_evaluator": StaffAction(
        services.dossier_reassign_evaluator,
        comment_required=True,
        comment_label=gettext_lazy("Reason for the change"),
        evaluator=True,
    ),
    "archive": StaffAction(
        services.dossier_archive,
        comment_required=True,
        comment_label=gettext_lazy("Reason for archiving"),
    ),
}


def accredited_evaluators(dossier: Dossier):
    """Active users holding, today, an accreditation of the dossier's branch covering its CQP."""
    valid = (
        EvaluatorAccreditation.objects.valid_on(timezone.localdate())
        .filter(branch_id=dossier.cqp.branch_id)
        .filter(Q(cqps=None) | Q(cqps=dossier.cqp_id))
    )
    users = get_user_model().objects.filter(is_active=True, pk__in=valid.values("user_id"))
    users = users.exclude(pk=dossier.candidate.user_id)
    if dossier.evaluator_id:
        users = users.exclude(pk=dossier.evaluator_id)
    return users.order_by("last_name", "first_name", "email")


class DossierActionForm(forms.Form):
    """Confirmation of a staff action: an evaluator when one is chosen, and a comment."""

    evaluator = forms.ModelChoiceField(label=gettext_lazy("Evaluator"), queryset=None)
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea({"rows": 4}))

    def __init__(self, *args, action: StaffAction, dossier: Dossier, **kwargs):
        super().__init__(*args, **kwargs)
        if action.evaluator:
            field = self.fields["evaluator"]
            field.queryset = accredited_evaluators(dossier)
            field.help_text = _("Only evaluators accredited today for this CQP are offered.")
        else:
            del self.fields["evaluator"]
        comment = self.fields["comment"]
        comment.required = action.comment_required
        comment.label, comment.help_text = action.comment_label, action.comment_help


# --- inlines ------------------------------------------------------------------------------------


class DocumentInline(ReadOnlyInline):
    model = DossierDocument
    fields = [
        "kind",
        "original_name",
        "content_type",
        "file_size",
        "uploaded_at",
        "uploader",
        "link",
    ]
    readonly_fields = fields
    view_on_site = False  # the download link below is the way to the file

    @admin.display(description=gettext_lazy("size"))
    def file_size(self, document):
        return filesizeformat(document.size)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=gettext_lazy("uploaded by"))
    def uploader(self, document):
        return person(document.uploaded_by)

    @admin.display(description="")
    def link(self, document):
        url = reverse("candidates:document_download", args=[document.dossier_id, document.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class CarriedOverInline(ReadOnlyInline):
    model = CarriedOverUnit
    view_on_site = False
    fields = ["unit", "acquired_on", "granted_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        # "dossier" and "unit" for each row's title (str names both).
        return super().get_queryset(request).select_related("dossier", "unit", "acquired__dossier")

    @admin.display(description=gettext_lazy("acquired on"))
    def acquired_on(self, carried):
        return carried.acquired.acquired_on

    @admin.display(description=gettext_lazy("granted by the decision on"))
    def granted_by(self, carried):
        return carried.acquired.dossier.reference


class DossierEventInline(EventInline):
    model = DossierEvent
    lifecycle = DOSSIER_LIFECYCLE

    @admin.display(description=gettext_lazy("step"))
    def action_label(self, event):
        return step_label(event.action)


# --- dossiers -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    gettext_lazy("reference"),
    gettext_lazy("last name"),
    gettext_lazy("first names"),
    gettext_lazy("e-mail"),
    gettext_lazy("CQP code"),
    gettext_lazy("CQP title"),
    gettext_lazy("status"),
    gettext_lazy("funding"),
    gettext_lazy("pathway"),
    gettext_lazy("evaluator"),
    gettext_lazy("opened"),
    gettext_lazy("submitted"),
]


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def csv_row(dossier: Dossier) -> list[str]:
    candidate = dossier.candidate
    submitted = dossier.submitted_at
    return [
        csv_cell(value)
        for value in (
            dossier.reference,
            candidate.last_name,
            candidate.first_name,
            candidate.user.email,
            dossier.cqp.code,
            dossier.cqp.title,
            dossier.get_status_display(),
            dossier.get_funding_display(),
            dossier.get_pathway_display() if dossier.pathway else "",
            person(dossier.evaluator) if dossier.evaluator_id else "",
            timezone.localtime(dossier.created_at).date().isoformat(),
            timezone.localtime(submitted).date().isoformat() if submitted else "",
        )
    ]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def csv_response(queryset, filename: str) -> StreamingHttpResponse:
    """The dossiers as CSV for Excel in French: UTF-8 with BOM, ";" separated, streamed."""
    language = translation.get_language()
    rows = queryset.select_related("candidate__user", "cqp", "evaluator").order_by("reference")

    def lines():
        writer = csv.writer(_Echo(), delimiter=";")
        with translation.override(language):  # streamed after the view has returned
            yield "\ufeff" + writer.writerow([str(column) for column in CSV_COLUMNS])
            for dossier in rows.iterator(chunk_size=500):
                yield writer.writerow(csv_row(dossier))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Dossier)
class DossierAdmin(BranchScopedAdmin):
    branch_path = "cqp__branch"
    list_display = [
        "reference",
        "candidate",
        "cqp",
        "status_display",
        "funding",
        "pathway",
        "evaluator",
        "created_at",
    ]
    list_filter = [
        "status",
        ("cqp", admin.RelatedOnlyFieldListFilter),
        "funding",
        "candidate__situation",
        ("evaluator", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["candidate", "cqp", "evaluator"]
    search_fields = [
        "reference",
        "candidate__last_name",
        "candidate__first_name",
        "candidate__user__email",
    ]
    search_help_text = gettext_lazy("Reference, candidate's name or e-mail address.")
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
                    "evaluator",
                    "training_provider",
                ]
            },
        ),
    ]
    readonly_fields = [f.name for f in Dossier._meta.fields] + ["status_display"]
    inlines = [DocumentInline, CarriedOverInline, DossierEventInline]
    actions = ["declare_complete_selected", "declare_admissible_selected", "export_csv"]
    change_form_template = "admin/candidates/dossier/change_form.html"
    change_list_template = "admin/candidates/dossier/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("candidate__user", "cqp__branch", "referentiel__cqp", "evaluator")
        )

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
        return status_badge(dossier.status, dossier.get_status_display())

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
            extra_context["dossier_actions"] = self.available_actions(request, dossier)
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
            },
        )


# --- candidates ---------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    first_name = forms.CharField(label=gettext_lazy("First names"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150)
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=None)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        only = list(branches[:2])
        if len(only) == 1:
            self.fields["branch"].initial = only[0].pk


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    """Candidates with a dossier in the user's branches; their profile is theirs to change."""

    list_display = ["__str__", "email_address", "situation", "birth_date", "dossier_count"]
    list_filter = ["situation"]
    list_select_related = ["user"]
    search_fields = ["last_name", "first_name", "user__email"]
    search_help_text = gettext_lazy("Name or e-mail address.")
    fields = [
        "last_name",
        "first_name",
        "email_address",
        "birth_date",
        "birth_place",
        "phone",
        "address",
        "postal_code",
        "city",
        "situation",
        "employer_name",
        "employer_siret",
        "created_at",
    ]
    readonly_fields = fields
    change_list_template = "admin/candidates/candidate/change_list.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return qs.annotate(_dossier_count=Count("dossiers"))
        ids = member_branch_ids(request.user)
        in_branch = Q(dossiers__cqp__branch__in=ids)
        # A subquery rather than a join: one row per candidate, the count stays right.
        return qs.filter(
            pk__in=Dossier.objects.filter(cqp__branch__in=ids).values("candidate_id")
        ).annotate(_dossier_count=Count("dossiers", filter=in_branch))

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(member_branch_ids(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)  # objects outside the scope are not found

    def has_add_permission(self, request):
        return False  # staff invite candidates; the candidate completes the profile

    def has_change_permission(self, request, obj=None):
        return False  # the candidate owns their profile

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("e-mail address"), ordering="user__email")
    def email_address(self, candidate):
        return candidate.user.email

    @admin.display(description=gettext_lazy("dossiers"), ordering="_dossier_count")
    def dossier_count(self, candidate):
        return candidate._dossier_count

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_invite": self._may_invite(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "invite/",
                self.admin_site.admin_view(self.invite_view),
                name="candidates_candidate_invite",
            )
        ] + super().get_urls()

    @staticmethod
    def _may_invite(request) -> bool:
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    def invite_view(self, request):
        if not self._may_invite(request):
            raise PermissionDenied
        branches = Branch.objects.order_by("name")
        if not request.user.is_superuser:
            branches = branches.filter(pk__in=staff_branch_ids(request.user))
        form = InviteForm(request.POST or None, branches=branches)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.candidate_invite(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    branch=data["branch"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Invitation sent to %(email)s. The candidate appears in this list once "
                        "they have opened a dossier."
                    )
                    % {"email": data["email"]},
                )
                return HttpResponseRedirect(reverse("admin:candidates_candidate_changelist"))
        return TemplateResponse(
            request,
            "admin/candidates/candidate/invite.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Invite a candidate"),
                "form": form,
            },
        )
