"""What the dossier page shows below the dossier: pieces, carried-over units, history."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.admin.history import EventInline, person
from certifications.admin.scoping import ReadOnlyInline

from ..lifecycles import DOSSIER_LIFECYCLE, step_label
from ..models import CarriedOverUnit, DossierDocument, DossierEvent


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

    @admin.display(description=gettext_lazy("file"))  # a header, for screen readers too
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
