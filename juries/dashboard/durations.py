"""Median time from a dossier's opening to its final decision: in the database on
PostgreSQL (PERCENTILE_CONT), in Python elsewhere (SQLite holds the demo); both give the same
answer on the same data."""

import statistics
from typing import NamedTuple

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, IntegerField, Value
from django.db.models.functions import ExtractYear
from django.utils import timezone

DAY_SECONDS = 24 * 60 * 60


class Duration(NamedTuple):
    """Median days from opening to the decision, for one year (None: the whole period)."""

    year: int | None
    decisions: int
    median_days: float | None


class Median(Aggregate):
    """The median of a number (PostgreSQL's continuous percentile)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class SecondsBetween(Func):
    """Seconds from the second datetime to the first (PostgreSQL)."""

    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "
    output_field = FloatField()


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY_SECONDS, 1)


def median_durations(decided) -> tuple[Duration, ...]:
    """The medians over the `decided` dossiers: the whole period first, then each year."""
    if connection.vendor == "postgresql":
        return durations_in_database(decided)
    return durations_in_python(decided)


def durations_in_database(decided) -> tuple[Duration, ...]:
    """One query: the whole period (year NULL, no grouping) united with each year's group."""
    seconds = Median(SecondsBetween(F("status_changed_at"), F("created_at")))

    def medians(year):
        return decided.annotate(year=year).values("year").annotate(n=Count("pk"), m=seconds)

    overall = medians(Value(None, output_field=IntegerField()))
    rows = overall.union(medians(ExtractYear("status_changed_at")), all=True)
    durations = [
        Duration(None if year is None else int(year), n, _days(m))
        for year, n, m in rows.values_list("year", "n", "m")
    ]
    return tuple(sorted(durations, key=lambda row: -1 if row.year is None else row.year))


def durations_in_python(decided) -> tuple[Duration, ...]:
    """The portable way (SQLite, the demo): every duration read, the middle one picked."""
    per_year: dict[int, list[float]] = {}
    every: list[float] = []
    for opened, decided_at in decided.values_list("created_at", "status_changed_at"):
        seconds = (decided_at - opened).total_seconds()
        every.append(seconds)
        per_year.setdefault(timezone.localtime(decided_at).year, []).append(seconds)

    def median(values):
        return _days(statistics.median(values)) if values else None

    return (
        Duration(None, len(every), median(every)),
        *(Duration(year, len(per_year[year]), median(per_year[year])) for year in sorted(per_year)),
    )
