"""The report: where it ran, then one Markdown table per measurement, with the targets."""

import os
import platform
from pathlib import Path

import django
from django.db import connection
from django.utils import timezone

from candidates.models import Candidate, Dossier

from ..models import Certificate
from .load import WrkResult
from .measure import PageResult
from .pages import MAX_QUERIES, Scenario

MET = "met"
MISSED = "MISSED"
ERROR = "ERROR"


def machine() -> dict:
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def database() -> dict:
    try:
        version = ".".join(str(part) for part in connection.get_database_version())
    except NotImplementedError:
        version = "unknown"
    return {"vendor": connection.display_name, "version": version}


def row_counts() -> dict:
    return {
        "candidates": Candidate.objects.count(),
        "dossiers": Dossier.objects.count(),
        "certificates": Certificate.objects.count(),
    }


def context() -> dict:
    """Where and on what the figures were measured."""
    return {
        "date": timezone.localtime().isoformat(timespec="seconds"),
        "machine": machine(),
        "database": database(),
        "rows": row_counts(),
    }


def context_lines(about: dict) -> list[str]:
    host, db, rows = about["machine"], about["database"], about["rows"]
    ram = f"{host['ram_gib']} GiB RAM" if host["ram_gib"] is not None else "RAM unknown"
    return [
        f"- date: {about['date']}",
        f"- machine: {host['cpus']} CPUs ({host['cpu_model']}), {ram}; "
        f"Python {host['python']}, Django {host['django']}",
        f"- database: {db['vendor']} {db['version']}",
        "- rows: " + ", ".join(f"{count:,} {name}" for name, count in rows.items()),
    ]


def in_process_verdict(result: PageResult, scenario: Scenario) -> tuple[str, str]:
    """(target, verdict) of one page measured in process."""
    target = f"≤ {MAX_QUERIES} queries, p95 < {scenario.max_p95_ms} ms"
    if not result.ok:
        return target, ERROR
    misses = []
    if result.queries > MAX_QUERIES:
        misses.append("queries")
    if result.p95_ms >= scenario.max_p95_ms:
        misses.append("p95")
    return target, f"{MISSED} ({', '.join(misses)})" if misses else MET


def load_verdict(
    result: WrkResult, scenario: Scenario | None, trivial_rps: float
) -> tuple[str, str]:
    """(target, verdict) of one page under load: no error; the share of the trivial view's
    requests per second for the pages that have one."""
    share = scenario.min_trivial_share if scenario else None
    target = "no error" + (f", ≥ {share * 100:.0f} % of trivial" if share else "")
    misses = []
    if result.errors:
        misses.append("errors")
    if share and result.requests_per_second < share * trivial_rps:
        misses.append("rps")
    return target, f"{MISSED} ({', '.join(misses)})" if misses else MET


def in_process_rows(results: list[tuple[Scenario, PageResult]]) -> list[dict]:
    """One row of figures per page measured in process (the table's and the JSON's)."""
    rows = []
    for scenario, result in results:
        target, verdict = in_process_verdict(result, scenario)
        rows.append(
            {
                "page": scenario.name,
                "user": scenario.who,
                "path": scenario.path,
                "status": result.status,
                "error": result.error,
                "queries": result.queries,
                "median_ms": result.median_ms,
                "p95_ms": result.p95_ms,
                "target": target,
                "verdict": verdict,
                "times_ms": result.times_ms,
            }
        )
    return rows


def load_rows(loaded: list[tuple[str, Scenario | None, WrkResult]]) -> list[dict]:
    """One row of figures per page served under load; the trivial view's comes first."""
    trivial_rps = next(r.requests_per_second for name, _s, r in loaded if name == "trivial")
    rows = []
    for name, scenario, result in loaded:
        target, verdict = load_verdict(result, scenario, trivial_rps)
        rows.append(
            {
                "page": name,
                "requests": result.requests,
                "rps": result.requests_per_second,
                "p50_ms": result.latency_p50_ms,
                "p99_ms": result.latency_p99_ms,
                "non_2xx_3xx": result.non_2xx_3xx,
                "socket_errors": result.socket_errors,
                "errors": result.errors,
                "share_of_trivial": result.requests_per_second / trivial_rps
                if trivial_rps
                else None,
                "target": target,
                "verdict": verdict,
            }
        )
    return rows


def misses(rows: list[dict]) -> int:
    return sum(row["verdict"] != MET for row in rows)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, columns padded so that it also reads as plain text."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [
        line(row) for row in rows
    ]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def in_process_table(rows: list[dict]) -> list[str]:
    headers = ["page", "path", "user", "queries", "median ms", "p95 ms", "target", "met?"]
    cells = [
        [
            row["page"],
            row["path"],
            row["user"],
            "—" if row["queries"] is None else str(row["queries"]),
            _ms(row["median_ms"]),
            _ms(row["p95_ms"]),
            row["target"],
            row["verdict"],
        ]
        for row in rows
    ]
    errors = [f"- {ERROR} {row['page']}: {row['error']}" for row in rows if row["error"]]
    return table(headers, cells) + errors


def load_table(rows: list[dict]) -> list[str]:
    headers = ["page", "rps", "p50 ms", "p99 ms", "errors", "% of trivial", "target", "met?"]
    cells = [
        [
            row["page"],
            f"{row['rps']:.1f}",
            _ms(row["p50_ms"]),
            _ms(row["p99_ms"]),
            str(row["errors"]),
            "—" if row["share_of_trivial"] is None else f"{row['share_of_trivial'] * 100:.0f} %",
            row["target"],
            row["verdict"],
        ]
        for row in rows
    ]
    return table(headers, cells)
