"""The dashboard's figures: one function computes every table, aggregated in the database.

A table is a tuple of rows of plain values (status codes rather than their labels: labels are
put on when the tables are shown, in the reader's language), so that the figures pickle into
the cache and serve every language. The number of queries does not depend on the data.
"""

import datetime
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    Window,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone

from candidates.models import (
    CLOSED_STATUSES,
    FINAL_DECISION_STATUSES,
    OPEN_STATUSES,
    Dossier,
    DossierStatus,
    Pathway,
)
from certifications.models import Cqp
from cqp.queries import count_subquery

from ..models import (
    OPEN_SESSION_STATUSES,
    AgendaItem,
    Certificate,
    DocumentStatus,
    JuryMember,
    JuryMinutes,
    JurySession,
)
from .durations import Duration, median_durations

DEFAULT_CACHE_SECONDS = 300
UPCOMING_SESSIONS_SHOWN = 10
# The statuses a dossier waits in before the jury has decided on it.
AWAITING_JURY_STATUSES = (DossierStatus.READY_FOR_JURY, DossierStatus.IN_JURY)
# The things still to produce or to check, in the order the page lists them.
PENDING_KEYS = (
    "certificates_pending",
    "certificates_failed",
    "attestations_pending",
    "attestations_failed",
    "minutes_pending",
    "minutes_failed",
    "dossiers_incomplete",
    "dossiers_submitted",
)


@dataclass(frozen=True)
class Filters:
    """What the figures are computed on: branches (None: every branch), a CQP, a period."""

    branch_ids: frozenset[int] | None = None
    cqp_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None

    @property
    def has_period(self) -> bool:
        return self.start is not None or self.end is not None

    def cache_key(self) -> str:
        branches = "all" if self.branch_ids is None else ".".join(map(str, sorted(self.branch_ids)))
        if len(branches) > 100:  # cache backends limit key lengths
            branches = hashlib.sha256(branches.encode()).hexdigest()
        return (
            f"cqp-dashboard:v1:{branches}:{self.cqp_id or ''}:{self.start or ''}:{self.end or ''}"
        )


class CqpCounts(NamedTuple):
    code: str
    title: str
    open: int
    decided: int  # in a final decision status
    other_closed: int  # inadmissible, withdrawn, archived
    total: int


class PathwayCount(NamedTuple):
    pathway: str  # a Pathway value, "" while not chosen
    count: int
    share: float | None  # % of the dossiers opened (None when there are none)


class Outcomes(NamedTuple):
    """Final decisions of a year (`year`) or on a CQP (`code`, `title`)."""

    year: int | None
    code: str
    title: str
    certified: int
    partially_validated: int
    not_validated: int
    total: int
    success_rate: float | None  # % certified
    partly_rate: float | None  # % at least partly validated


class Pending(NamedTuple):
    key: str  # one of PENDING_KEYS
    count: int


class UpcomingSession(NamedTuple):
    pk: int
    starts_at: datetime.datetime
    place: str
    by_video: bool
    cqp_codes: tuple[str, ...]
    dossiers: int  # active on the agenda
    members: int


@dataclass(frozen=True)
class Figures:
    """Every table of the dashboard for one set of filters, as computed at `computed_at`."""

    filters: Filters
    computed_at: datetime.datetime
    by_state: tuple[tuple[str, int], ...]  # (DossierStatus value, dossiers), every status
    by_cqp: tuple[CqpCounts, ...]
    pathways: tuple[PathwayCount, ...]
    outcomes_by_year: tuple[Outcomes, ...]
    outcomes_by_cqp: tuple[Outcomes, ...]
    durations: tuple[Duration, ...]  # the whole period first, then each year
    pending: tuple[Pending, ...]
    sessions: tuple[UpcomingSession, ...]
    sessions_total: int
    certificates_this_year: int

    @property
    def dossiers_total(self) -> int:
        return sum(count for _status, count in self.by_state)

    @property
    def open_dossiers(self) -> int:
        return sum(count for status, count in self.by_state if status in OPEN_STATUSES)

    @property
    def awaiting_jury(self) -> int:
        return sum(count for status, count in self.by_state if status in AWAITING_JURY_STATUSES)

    @property
    def decisions_total(self) -> int:
        return sum(row.total for row in self.outcomes_by_year)


# --- helpers -----------------------------------------------------------------------------------


def cache_seconds() -> int:
    return getattr(settings, "DASHBOARD_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)


def _midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the local time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _in_period(field: str, filters: Filters) -> Q:
    """`field` (a datetime) falls between the start and the end day, both included."""
    q = Q()
    if filters.start is not None:
        q &= Q(**{f"{field}__gte": _midnight(filters.start)})
    if filters.end is not None:
        q &= Q(**{f"{field}__lt": _midnight(filters.end + datetime.timedelta(days=1))})
    return q


def _dossiers(filters: Filters):
    dossiers = Dossier.objects.order_by()
    if filters.branch_ids is not None:
        dossiers = dossiers.filter(cqp__branch_id__in=filters.branch_ids)
    if filters.cqp_id is not None:
        dossiers = dossiers.filter(cqp_id=filters.cqp_id)
    return dossiers


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- the tables --------------------------------------------------------------------------------


class Counted(NamedTuple):
    """Dossiers of one CQP in one status, with one pathway (or decided in one year)."""

    cqp: tuple[str, str]  # code, title
    key: str | int  # the pathway, or the year of the decision
    status: str
    n: int


def _opened_counts(filters: Filters) -> list[Counted]:
    """Per CQP, pathway and status: the dossiers opened in the period."""
    rows = (
        _dossiers(filters)
        .filter(_in_period("created_at", filters))
        .values_list("cqp__code", "cqp__title", "pathway", "status")
        .annotate(n=Count("pk"))
    )
    return [Counted((code, title), pathway, status, n) for code, title, pathway, status, n in rows]


def _decision_counts(filters: Filters) -> list[Counted]:
    """Per CQP, year and outcome: the final decisions taken in the period."""
    rows = (
        _decided(filters)
        .annotate(year=ExtractYear("status_changed_at"))
        .values_list("cqp__code", "cqp__title", "year", "status")
        .annotate(n=Count("pk"))
    )
    return [Counted((code, title), int(year), status, n) for code, title, year, status, n in rows]


def _by_state(opened: list[Counted]) -> tuple[tuple[str, int], ...]:
    counts = dict.fromkeys(DossierStatus.values, 0)
    for row in opened:
        counts[row.status] = counts.get(row.status, 0) + row.n
    return tuple(counts.items())


def _by_cqp(opened: list[Counted]) -> tuple[CqpCounts, ...]:
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for cqp, _pathway, status, n in opened:
        row = counts.setdefault(cqp, {"open": 0, "decided": 0, "other_closed": 0})
        if status in FINAL_DECISION_STATUSES:
            row["decided"] += n
        elif status in CLOSED_STATUSES:
            row["other_closed"] += n
        else:
            row["open"] += n
    rows = [CqpCounts(*cqp, **row, total=sum(row.values())) for cqp, row in counts.items()]
    return tuple(sorted(rows, key=lambda row: (-row.total, row.code, row.title)))


def _pathways(opened: list[Counted]) -> tuple[PathwayCount, ...]:
    counts = dict.fromkeys([*Pathway.values, ""], 0)
    for row in opened:
        counts[row.key] = counts.get(row.key, 0) + row.n
    total = sum(counts.values())
    return tuple(PathwayCount(key, n, _percent(n, total)) for key, n in counts.items())


def _outcomes(year, code, title, by_status: dict[str, int]) -> Outcomes:
    certified = by_status.get(DossierStatus.CERTIFIED, 0)
    partial = by_status.get(DossierStatus.PARTIALLY_VALIDATED, 0)
    refused = by_status.get(DossierStatus.NOT_VALIDATED, 0)
    total = certified + partial + refused
    return Outcomes(
        year,
        code,
        title,
        certified,
        partial,
        refused,
        total,
        _percent(certified, total),
        _percent(certified + partial, total),
    )


def _outcome_tables(decided: list[Counted]) -> tuple[tuple[Outcomes, ...], tuple[Outcomes, ...]]:
    """The decisions per year, and per CQP (most decisions first)."""
    by_year: dict[int, dict[str, int]] = {}
    by_cqp: dict[tuple[str, str], dict[str, int]] = {}
    for cqp, year, status, n in decided:
        for table, key in ((by_year, year), (by_cqp, cqp)):
            counts = table.setdefault(key, {})
            counts[status] = counts.get(status, 0) + n
    years = tuple(_outcomes(year, "", "", by_year[year]) for year in sorted(by_year))
    cqps = sorted(
        (_outcomes(None, *cqp, counts) for cqp, counts in by_cqp.items()),
        key=lambda row: (-row.total, row.code, row.title),
    )
    return years, tuple(cqps)


def _decided(filters: Filters):
    """The dossiers whose final decision was taken in the period."""
    return _dossiers(filters).filter(
        _in_period("status_changed_at", filters), status__in=FINAL_DECISION_STATUSES
    )


def _durations(filters: Filters) -> tuple[Duration, ...]:
    """Median days from opening to the final decision: the whole period, then each year."""
    return median_durations(_decided(filters))


def _pending(filters: Filters) -> tuple[tuple[Pending, ...], int]:
    """What is still to produce or to check, now; and the certificates given this year."""
    certificates = Certificate.objects.order_by()
    minutes = JuryMinutes.objects.order_by()
    if filters.branch_ids is not None:
        certificates = certificates.filter(branch_id__in=filters.branch_ids)
        minutes = minutes.filter(session__branch_id__in=filters.branch_ids)
    if filters.cqp_id is not None:
        certificates = certificates.filter(dossier__cqp_id=filters.cqp_id)
        minutes = minutes.filter(session__cqps=filters.cqp_id)
    kind = Certificate.Kind
    pending, failed = DocumentStatus.PENDING, DocumentStatus.FAILED
    # Two queries, each reading only its rows through an index (status; branch and year):
    # one pass over every certificate of a national branch took 50 ms.
    counts = certificates.filter(status__in=(pending, failed)).aggregate(
        certificates_pending=Count("pk", filter=Q(kind=kind.CERTIFICATE, status=pending)),
        certificates_failed=Count("pk", filter=Q(kind=kind.CERTIFICATE, status=failed)),
        attestations_pending=Count("pk", filter=Q(kind=kind.PARTIAL_ATTESTATION, status=pending)),
        attestations_failed=Count("pk", filter=Q(kind=kind.PARTIAL_ATTESTATION, status=failed)),
    )
    counts |= (
        certificates.filter(kind=kind.CERTIFICATE, year=timezone.localdate().year)
        .exclude(status=DocumentStatus.REVOKED)
        .aggregate(this_year=Count("pk"))
    )
    counts |= minutes.aggregate(
        minutes_pending=Count("pk", filter=Q(status=pending)),
        minutes_failed=Count("pk", filter=Q(status=failed)),
    )
    waiting = (DossierStatus.INCOMPLETE, DossierStatus.SUBMITTED)
    counts |= (
        _dossiers(filters)
        .filter(status__in=waiting)
        .aggregate(
            dossiers_incomplete=Count("pk", filter=Q(status=DossierStatus.INCOMPLETE)),
            dossiers_submitted=Count("pk", filter=Q(status=DossierStatus.SUBMITTED)),
        )
    )
    return tuple(Pending(key, counts[key]) for key in PENDING_KEYS), counts["this_year"]


def _sessions(filters: Filters) -> tuple[tuple[UpcomingSession, ...], int]:
    """The next sessions of the scope (planned or convened, not yet held), and how many."""
    sessions = JurySession.objects.filter(
        status__in=OPEN_SESSION_STATUSES, starts_at__gte=timezone.now()
    )
    if filters.branch_ids is not None:
        sessions = sessions.filter(branch_id__in=filters.branch_ids)
    if filters.cqp_id is not None:
        sessions = sessions.filter(cqps=filters.cqp_id)
    active_items = AgendaItem.objects.filter(session=OuterRef("pk"), active=True)
    rows = list(
        sessions.annotate(
            dossier_count=count_subquery(active_items, "session"),
            member_count=count_subquery(
                JuryMember.objects.filter(session=OuterRef("pk")), "session"
            ),
            total=Window(Count("pk")),
        )
        .prefetch_related(
            Prefetch("cqps", queryset=Cqp.objects.only("code").order_by("code", "pk"))
        )
        .order_by("starts_at", "pk")[:UPCOMING_SESSIONS_SHOWN]
    )
    upcoming = tuple(
        UpcomingSession(
            pk=session.pk,
            starts_at=session.starts_at,
            place=session.place,
            by_video=bool(session.video_link),
            cqp_codes=tuple(cqp.code for cqp in session.cqps.all()),
            dossiers=session.dossier_count,
            members=session.member_count,
        )
        for session in rows
    )
    return upcoming, (rows[0].total if rows else 0)


def compute_figures(filters: Filters) -> Figures:
    """Every table of the dashboard for `filters` (about ten queries, whatever the data)."""
    opened = _opened_counts(filters)
    outcomes_by_year, outcomes_by_cqp = _outcome_tables(_decision_counts(filters))
    pending, certificates_this_year = _pending(filters)
    sessions, sessions_total = _sessions(filters)
    return Figures(
        filters=filters,
        computed_at=timezone.now(),
        by_state=_by_state(opened),
        by_cqp=_by_cqp(opened),
        pathways=_pathways(opened),
        outcomes_by_year=outcomes_by_year,
        outcomes_by_cqp=outcomes_by_cqp,
        durations=_durations(filters),
        pending=pending,
        sessions=sessions,
        sessions_total=sessions_total,
        certificates_this_year=certificates_this_year,
    )


def cached_figures(filters: Filters) -> Figures:
    """The figures for `filters`, computed at most once per DASHBOARD_CACHE_SECONDS."""
    key = filters.cache_key()
    figures = cache.get(key)
    if not isinstance(figures, Figures):
        figures = compute_figures(filters)
        cache.set(key, figures, cache_seconds())
    return figures
