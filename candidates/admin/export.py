"""The dossiers as CSV (French Excel: UTF-8 with BOM, semicolons), streamed."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from certifications.admin.history import person

from ..models import Dossier

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
    gettext_lazy("evaluator's due date"),
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
            dossier.evaluator_due_on.isoformat() if dossier.evaluator_due_on else "",
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
