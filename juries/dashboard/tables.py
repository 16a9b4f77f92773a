"""The figures as the page and the CSV files show them: titled tables in the reader's language,
each with its chart (if any). The page and the CSV files read the same cells."""

from collections.abc import Sequence
from typing import NamedTuple

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from candidates.models import DossierStatus, Pathway

from . import charts
from .figures import Figures, Outcomes

CQP_CHART_ROWS = 15
SESSION_CQPS_SHOWN = 6  # a session may judge a hundred CQPs: the page names the first ones

PENDING_LABELS = {
    "certificates_pending": gettext_lazy("Certificates being produced"),
    "certificates_failed": gettext_lazy("Certificates whose production failed (retried)"),
    "attestations_pending": gettext_lazy("Attestations of partial validation being produced"),
    "attestations_failed": gettext_lazy(
        "Attestations of partial validation whose production failed (retried)"
    ),
    "minutes_pending": gettext_lazy("Jury minutes being produced"),
    "minutes_failed": gettext_lazy("Jury minutes whose production failed (retried)"),
    "dossiers_incomplete": gettext_lazy("Dossiers waiting for pieces (incomplete)"),
    "dossiers_submitted": gettext_lazy("Dossiers submitted, completeness to check"),
}
OUTCOME_SERIES = (
    ("certified", gettext_lazy("Certified")),
    ("partially_validated", gettext_lazy("Partially validated")),
    ("not_validated", gettext_lazy("Not validated")),
)


class Cell(NamedTuple):
    value: object  # str, int, float, datetime or None (shown as a dash, empty in CSV)
    numeric: bool = False
    url: str = ""
    short: str = ""  # what the page shows instead of a long value (the CSV keeps it whole)


class Table(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    chart: SafeString | None = None
    key: str = ""  # the `export` parameter that downloads it (set from SECTIONS)


def _row(label, *numbers) -> tuple[Cell, ...]:
    """A row headed by `label`, then figures."""
    return (Cell(str(label)), *(Cell(n, numeric=True) for n in numbers))


def _opened_note(figures: Figures) -> str:
    if figures.filters.has_period:
        return _("Dossiers opened in the period.")
    return _("Every dossier, whenever opened.")


def _states(figures: Figures) -> Table:
    labels = dict(DossierStatus.choices)
    bars = [(labels.get(status, status), count) for status, count in figures.by_state]
    return Table(
        _("Dossiers by state"),
        (_("State"), _("Dossiers")),
        tuple(_row(label, count) for label, count in bars),
        note=_opened_note(figures),
        chart=charts.bar_chart(
            chart_id="chart-states",
            title=_("Dossiers by state"),
            description=_("One bar per state; the figures are in the table below."),
            bars=bars,
        )
        if figures.dossiers_total
        else None,
    )


def _cqps(figures: Figures) -> Table:
    top = figures.by_cqp[:CQP_CHART_ROWS]
    return Table(
        _("Dossiers by CQP"),
        (_("CQP code"), _("CQP title"), _("Open"), _("Decided"), _("Other closed"), _("Total")),
        tuple(
            (Cell(row.code), *_row(row.title, row.open, row.decided, row.other_closed, row.total))
            for row in figures.by_cqp
        ),
        note=_opened_note(figures),
        chart=charts.bar_chart(
            chart_id="chart-cqps",
            title=ngettext(
                "The CQP with the most dossiers",
                "The %(count)d CQPs with the most dossiers",
                len(top),
            )
            % {"count": len(top)},
            description=_("Dossiers per CQP; every CQP is in the table below."),
            bars=[(f"{row.code} — {row.title}", row.total) for row in top],
        )
        if top
        else None,
    )


def _pathways(figures: Figures) -> Table:
    labels = {**dict(Pathway.choices), "": _("Not yet chosen")}

    def label(pathway: str) -> str:
        return str(labels.get(pathway, pathway))

    return Table(
        _("Pathways"),
        (_("Pathway"), _("Dossiers"), _("Share (%)")),
        tuple(_row(label(row.pathway), row.count, row.share) for row in figures.pathways),
        note=_opened_note(figures),
        chart=charts.bar_chart(
            chart_id="chart-pathways",
            title=_("Dossiers by pathway"),
            description=_("One bar per pathway; the shares are in the table below."),
            bars=[(label(row.pathway), row.count) for row in figures.pathways],
        )
        if figures.dossiers_total
        else None,
    )


def _outcome_columns(first: Sequence[str]) -> tuple[str, ...]:
    return (
        *first,
        *(str(label) for _key, label in OUTCOME_SERIES),
        _("Total"),
        _("Success rate (%)"),
        _("At least partly validated (%)"),
    )


def _outcome_numbers(row: Outcomes) -> tuple[Cell, ...]:
    figures = (
        row.certified,
        row.partially_validated,
        row.not_validated,
        row.total,
        row.success_rate,
        row.partly_rate,
    )
    return tuple(Cell(n, numeric=True) for n in figures)


def _decided_note(figures: Figures) -> str:
    if figures.filters.has_period:
        return _("Final decisions taken in the period (success rate: certified out of all).")
    return _("Every final decision (success rate: certified out of all).")


def _outcomes_by_year(figures: Figures) -> Table:
    rows = figures.outcomes_by_year
    return Table(
        _("Decisions per year"),
        _outcome_columns([_("Year")]),
        tuple((Cell(str(row.year)), *_outcome_numbers(row)) for row in rows),
        note=_decided_note(figures),
        chart=charts.stacked_bar_chart(
            chart_id="chart-outcomes",
            title=_("Decisions per year"),
            description=_("Certified, partially validated and not validated, per year."),
            series=[(key, str(label)) for key, label in OUTCOME_SERIES],
            bars=[
                (str(row.year), (row.certified, row.partially_validated, row.not_validated))
                for row in rows
            ],
        )
        if rows
        else None,
    )


def _outcomes_by_cqp(figures: Figures) -> Table:
    return Table(
        _("Decisions per CQP"),
        _outcome_columns([_("CQP code"), _("CQP title")]),
        tuple(
            (Cell(row.code), Cell(row.title), *_outcome_numbers(row))
            for row in figures.outcomes_by_cqp
        ),
        note=_decided_note(figures),
    )


def _durations(figures: Figures) -> Table:
    overall, *years = figures.durations
    return Table(
        _("Time from opening to decision"),
        (_("Year of the decision"), _("Decisions"), _("Median (days)")),
        (
            _row(_("Every year"), overall.decisions, overall.median_days),
            *(_row(str(row.year), row.decisions, row.median_days) for row in years),
        ),
        note=_("Median number of days from the opening of the dossier to its final decision."),
    )


def _pending(figures: Figures) -> Table:
    return Table(
        _("Documents and dossiers pending"),
        (_("Waiting"), _("Number")),
        tuple(_row(PENDING_LABELS[row.key], row.count) for row in figures.pending),
        note=_("The current state, whatever the period chosen."),
    )


def _cqp_codes(codes: tuple[str, ...]) -> Cell:
    short = ""
    if len(codes) > SESSION_CQPS_SHOWN:
        short = _("%(codes)s and %(more)d more") % {
            "codes": ", ".join(codes[:SESSION_CQPS_SHOWN]),
            "more": len(codes) - SESSION_CQPS_SHOWN,
        }
    return Cell(", ".join(codes), short=short)


def _sessions(figures: Figures) -> Table:
    def place(session):
        if session.place:
            return session.place
        return _("By video") if session.by_video else ""

    shown = len(figures.sessions)
    return Table(
        _("Sessions to come"),
        (_("Date"), _("Place"), _("CQPs"), _("Dossiers on the agenda"), _("Members")),
        tuple(
            (
                Cell(
                    session.starts_at,
                    url=reverse("admin:juries_jurysession_change", args=[session.pk]),
                ),
                Cell(place(session)),
                _cqp_codes(session.cqp_codes),
                Cell(session.dossiers, numeric=True),
                Cell(session.members, numeric=True),
            )
            for session in figures.sessions
        ),
        note=_(
            "Planned or convened sessions, whatever the period chosen: %(total)d to come, "
            "the next %(shown)d listed."
        )
        % {"total": figures.sessions_total, "shown": shown}
        if shown
        else _("No planned or convened session to come."),
    )


# The page's tables in order, by the `export` key that downloads each.
SECTIONS = {
    "states": _states,
    "cqps": _cqps,
    "pathways": _pathways,
    "outcomes-years": _outcomes_by_year,
    "outcomes-cqps": _outcomes_by_cqp,
    "durations": _durations,
    "pending": _pending,
    "sessions": _sessions,
}


def dashboard_tables(figures: Figures) -> dict[str, Table]:
    """Every table of the page, by key, in the order the page shows them."""
    return {key: build(figures)._replace(key=key) for key, build in SECTIONS.items()}


def dashboard_table(figures: Figures, key: str) -> Table | None:
    """One table (for its CSV file), or None for an unknown key."""
    build = SECTIONS.get(key)
    return None if build is None else build(figures)._replace(key=key)
