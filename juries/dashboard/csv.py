"""One dashboard table as a CSV file, for Excel in French: UTF-8 with BOM, ";" separated, every
cell neutralised against formula injection (the dossiers export's conventions)."""

import csv
import datetime
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import number_format

from candidates.admin.export import csv_cell

from .tables import Table


def _plain(value) -> str:
    """A cell's text: local date and time, numbers as the reader writes them."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return number_format(value, decimal_pos=1)
    return str(value)


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_cell(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(_plain(cell.value)) for cell in row])
    return buffer.getvalue()


def csv_response(table: Table) -> HttpResponse:
    """The table as a download named dashboard-<table>-<today>.csv."""
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    filename = f"dashboard-{table.key}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
