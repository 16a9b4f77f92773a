"""Certificates and attestations for branch staff: the list, and each document's page with
what it prints, its verification code, its production and its history.

Nothing is edited through the admin's form: staff download the PDF, produce it again or revoke
it on the pages beside it (`documents.CertificatePagesMixin`), and produce the PDFs of the
selected documents again from the list (after a new logo or signatory).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from certifications.admin.cqp import status_badge
from certifications.admin.history import EventInline, person
from certifications.admin.scoping import BranchScopedAdmin
from certifications.permissions import staff_branch_ids
from cqp.errors import DomainError

from .. import services
from ..documents.codes import normalise_code
from ..documents.snapshot import parse_date
from ..lifecycles import CERTIFICATE_LIFECYCLE
from ..models import Certificate, CertificateEvent
from .documents import CertificatePagesMixin, certificate_url


class CertificateEventInline(EventInline):
    model = CertificateEvent
    lifecycle = CERTIFICATE_LIFECYCLE


def _date(value: str) -> str:
    day = parse_date(value or "")
    return date_format(day, "SHORT_DATE_FORMAT") if day else "—"


def _units(units: list[dict], with_date: bool):
    if not units:
        return "—"
    lines = []
    for unit in units:
        line = f"{unit['code']} — {unit['title']}"
        if with_date and unit.get("acquired_on"):
            line = _("%(unit)s (acquired on %(date)s)") % {
                "unit": line,
                "date": _date(unit["acquired_on"]),
            }
        lines.append((line,))
    return format_html('<ul class="cqp-units">{}</ul>', format_html_join("", "<li>{}</li>", lines))


@admin.register(Certificate)
class CertificateAdmin(CertificatePagesMixin, BranchScopedAdmin):
    list_display = ["number", "kind_display", "holder", "cqp_code", "status_display", "produced"]
    list_display_links = ["number"]
    list_filter = ["status", "kind", "year", ("branch", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["branch"]
    search_fields = ["number", "dossier__candidate__last_name"]
    search_help_text = gettext_lazy(
        "A number, a verification code (with or without its dash) or a candidate's last name."
    )
    actions = ["regenerate_selected"]
    inlines = [CertificateEventInline]
    change_form_template = "admin/juries/certificate/change_form.html"
    readonly_fields = [
        "number",
        "kind_display",
        "status_display",
        "branch",
        "verification",
        "dossier_link",
        "decision_link",
        "holder_printed",
        "cqp_printed",
        "units_held",
        "units_remaining",
        "jury_date",
        "decided_on",
        "produced_at",
        "attempts",
        "last_error",
        "revoked_at",
        "revoked_by_name",
        "revoked_reason",
    ]

    # --- rights: read-only; staff act through the pages below -------------------------------

    def has_add_permission(self, request):
        return False  # issued when a session closes

    def has_change_permission(self, request, obj=None):
        return False

    def has_regenerate_permission(self, request):
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404  # outside the user's branches: as if it did not exist

    def _one_branch(self, request) -> bool:
        return not request.user.is_superuser and len(self.visible_branch_ids(request)) == 1

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._one_branch(request):
            filters = [f for f in filters if f != ("branch", admin.RelatedOnlyFieldListFilter)]
        return filters

    def get_object(self, request, object_id, from_field=None):
        """Read once per request (the page asks for its context and its form), with what the
        page shows: the branch, the dossier, the decision's agenda item, who revoked it."""
        cache = request.__dict__.setdefault("_certificates", {})
        if (object_id, from_field) not in cache:
            queryset = self.get_queryset(request).select_related(
                "branch", "dossier", "decision__item", "revoked_by"
            )
            field = Certificate._meta.get_field(from_field) if from_field else Certificate._meta.pk
            try:
                certificate = queryset.get(**{field.name: field.to_python(object_id)})
            except (Certificate.DoesNotExist, ValidationError, ValueError):
                certificate = None
            cache[object_id, from_field] = certificate
        return cache[object_id, from_field]

    # --- list ------------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """Also find a verification code as people type it (lowercase, with a dash)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        code = normalise_code(search_term)
        if code:
            results |= queryset.filter(public_code=code)
        return results, may_have_duplicates

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_display(self, certificate):
        return certificate.get_kind_display()

    @admin.display(description=gettext_lazy("holder"))
    def holder(self, certificate):
        return certificate.holder_name or "—"

    @admin.display(description=gettext_lazy("CQP"))
    def cqp_code(self, certificate):
        return certificate.snapshot.get("cqp", {}).get("code", "") or "—"

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, certificate):
        return status_badge(certificate.status, certificate.get_status_display())

    @admin.display(description=gettext_lazy("produced"), ordering="produced_at")
    def produced(self, certificate):
        if certificate.produced_at is None:
            return "—"
        return date_format(timezone.localtime(certificate.produced_at), "SHORT_DATE_FORMAT")

    @admin.action(description=gettext_lazy("Produce the PDFs again"), permissions=["regenerate"])
    def regenerate_selected(self, request, queryset):
        """After a new logo or signatory: each ready or failed document of the user's
        branches is produced again (one service call each); the others are skipped."""
        selected = list(queryset)
        queued = 0
        for certificate in selected:
            if not self.may_act(request, certificate) or not CERTIFICATE_LIFECYCLE.can(
                certificate.status, "regenerate"
            ):
                continue
            try:
                services.certificate_regenerate(certificate=certificate, actor=request.user)
            except DomainError:  # changed meanwhile (revoked, produced again)
                continue
            queued += 1
        skipped = len(selected) - queued
        if queued:
            messages.success(
                request,
                ngettext(
                    "%(count)d document is being produced again.",
                    "%(count)d documents are being produced again.",
                    queued,
                )
                % {"count": queued},
            )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)d document skipped: only ready or failed documents are produced "
                    "again.",
                    "%(count)d documents skipped: only ready or failed documents are produced "
                    "again.",
                    skipped,
                )
                % {"count": skipped},
            )

    # --- the document's page ----------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "number",
                        "kind_display",
                        "status_display",
                        "branch",
                        "verification",
                        "dossier_link",
                        "decision_link",
                    ]
                },
            ),
            (
                gettext_lazy("Printed data"),
                {
                    "fields": [
                        "holder_printed",
                        "cqp_printed",
                        "units_held",
                        "units_remaining",
                        "jury_date",
                        "decided_on",
                    ]
                },
            ),
        ]
        production = ["produced_at", "attempts"]
        if obj is not None and obj.last_error:
            production.append("last_error")
        fieldsets.append((gettext_lazy("Production of the PDF"), {"fields": production}))
        if obj is not None and obj.is_revoked:
            fieldsets.append(
                (
                    gettext_lazy("Revocation"),
                    {"fields": ["revoked_at", "revoked_by_name", "revoked_reason"]},
                )
            )
        return fieldsets

    @admin.display(description=gettext_lazy("verification code"))
    def verification(self, certificate):
        return format_html(
            '<code>{}</code> — <a href="{}">{}</a>',
            certificate.display_code,
            reverse("verification:certificate", args=[certificate.public_code]),
            _("Public verification page"),
        )

    @admin.display(description=gettext_lazy("dossier"))
    def dossier_link(self, certificate):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:candidates_dossier_change", args=[certificate.dossier_id]),
            certificate.dossier.reference,
        )

    @admin.display(description=gettext_lazy("decision"))
    def decision_link(self, certificate):
        decision = certificate.decision
        label = decision.get_outcome_display()
        if decision.corrects_id:
            label = _("%(outcome)s (a correction)") % {"outcome": label}
        return format_html(
            '{} — <a href="{}">{}</a>',
            label,
            reverse(
                "admin:juries_jurysession_record", args=[decision.item.session_id, decision.item_id]
            ),
            _("Jury record"),
        )

    @admin.display(description=gettext_lazy("holder"))
    def holder_printed(self, certificate):
        holder = certificate.snapshot.get("holder", {})
        if not holder.get("birth_date"):
            return certificate.holder_name or "—"
        born = _date(holder["birth_date"])
        if holder.get("birth_place"):
            born = _("%(date)s in %(place)s") % {"date": born, "place": holder["birth_place"]}
        return _("%(name)s, born on %(born)s") % {"name": certificate.holder_name, "born": born}

    @admin.display(description=gettext_lazy("CQP"))
    def cqp_printed(self, certificate):
        cqp = certificate.snapshot.get("cqp", {})
        details = [
            cqp.get("registry_number", ""),
            cqp.get("level", ""),
            _("référentiel version %(version)s") % {"version": cqp["referentiel_version"]}
            if cqp.get("referentiel_version")
            else "",
        ]
        text = f"{cqp.get('code', '')} — {cqp.get('title', '')}"
        details = [detail for detail in details if detail]
        return f"{text} ({', '.join(details)})" if details else text

    @admin.display(description=gettext_lazy("units held"))
    def units_held(self, certificate):
        return _units(certificate.snapshot.get("units_held", []), with_date=True)

    @admin.display(description=gettext_lazy("units still to acquire"))
    def units_remaining(self, certificate):
        return _units(certificate.snapshot.get("units_remaining", []), with_date=False)

    @admin.display(description=gettext_lazy("jury's date"))
    def jury_date(self, certificate):
        return _date(certificate.snapshot.get("jury_date", ""))

    @admin.display(description=gettext_lazy("date of the decision"))
    def decided_on(self, certificate):
        return _date(certificate.snapshot.get("decided_on", ""))

    @admin.display(description=gettext_lazy("revoked by"))
    def revoked_by_name(self, certificate):
        return person(certificate.revoked_by)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        certificate = self.get_object(request, object_id)
        if certificate is None:
            raise Http404
        extra_context = {
            **(extra_context or {}),
            "certificate_actions": self.available_actions(request, certificate),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def available_actions(self, request, certificate: Certificate) -> list[dict]:
        """Buttons on the document's page, for this user and this status."""
        buttons = []
        if certificate.pdf:
            buttons.append(
                {
                    "name": "pdf",
                    "label": _("Download the PDF"),
                    "url": certificate_url("pdf", certificate),
                }
            )
        if not self.may_act(request, certificate):
            return buttons
        if CERTIFICATE_LIFECYCLE.can(certificate.status, "regenerate"):
            buttons.append(
                {
                    "name": "regenerate",
                    "label": _("Produce the PDF again"),
                    "url": certificate_url("regenerate", certificate),
                }
            )
        if CERTIFICATE_LIFECYCLE.can(certificate.status, "revoke"):
            buttons.append(
                {
                    "name": "revoke",
                    "label": _("Revoke"),
                    "url": certificate_url("revoke", certificate),
                }
            )
        return buttons
