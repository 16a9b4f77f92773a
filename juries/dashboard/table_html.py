"""The dashboard's tables as HTML, written in Python and cached: a branch's CQP tables run to
hundreds of rows, which the template language renders about ten times slower."""

import datetime
from html import escape
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .figures import Figures, cache_seconds
from .tables import Cell, Table, dashboard_tables

DASH = "—"


def _text(value) -> str:
    """A cell's text as the template language shows it (local time, localised numbers)."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() gives, thirty times faster
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return str(localize(value))


def _cell(cell: Cell, tag: str, attributes: str = "") -> str:
    text = escape(cell.short or _text(cell.value))
    if cell.url:
        text = f'<a href="{escape(cell.url)}">{text}</a>'
    css = ' class="cqp-dashboard__number"' if cell.numeric else ""
    return f"<{tag}{attributes}{css}>{text}</{tag}>"


def table_html(table: Table) -> SafeString:
    """The table, its caption hidden (the section's heading says it), row headers first."""
    head = "".join(f'<th scope="col">{escape(str(column))}</th>' for column in table.columns)
    body = "".join(
        "<tr>"
        + _cell(row[0], "th", ' scope="row"')
        + "".join(_cell(cell, "td") for cell in row[1:])
        + "</tr>"
        for row in table.rows
    )
    return mark_safe(  # every text above went through escape()
        '<table class="cqp-report cqp-dashboard__table">'
        f'<caption class="visually-hidden">{escape(str(table.title))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


class Section(NamedTuple):
    """A table of the page, ready to show: strings only, so that it caches cheaply."""

    key: str
    title: str
    note: str
    chart: SafeString  # empty without a chart
    table: SafeString  # empty without rows


def page_sections(figures: Figures) -> tuple[Section, ...]:
    """The page's tables in the reader's language, rendered once per figures and language
    (a superuser's page holds thousands of cells: rendering them is most of a request)."""
    key = ":".join(
        (
            figures.filters.cache_key(),
            "html",
            get_language() or "",
            str(figures.computed_at.timestamp()),
        )
    )
    sections = cache.get(key)
    if sections is None:
        sections = tuple(
            Section(
                table.key,
                str(table.title),
                str(table.note),
                table.chart or mark_safe(""),
                table_html(table) if table.rows else mark_safe(""),
            )
            for table in dashboard_tables(figures).values()
        )
        cache.set(key, sections, cache_seconds())
    return sections
