"""`manage.py bench_pages`: the main pages' SQL query counts and timings, then their
throughput under load, against the issue's targets.

In process (django.test.Client, DEBUG off): each page's query count (one request) and its
median and p95 time over `--repeat` requests. Under load (when wrk is installed): the same
pages served by gunicorn on loopback, wrk with 16 connections, requests per second and p99,
side by side with a trivial view on the same server. The pages and users are picked from the
data (see juries/bench/pages.py); the sessions the bench opens are deleted at the end.
"""

import argparse
import gc
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...bench import load, report
from ...bench.measure import (
    DEFAULT_REPEAT,
    DEFAULT_WARMUP,
    Sessions,
    in_process_settings,
    measure,
)
from ...bench.pages import MAX_QUERIES, PAGE_NAMES, pick

LOAD_WARMUP_SECONDS = 1  # unreported wrk run before each page: both workers warm


class Command(BaseCommand):
    help = (
        "Measure the main pages: SQL queries, median and p95 time in process, then requests "
        "per second and p99 under load (gunicorn + wrk) against a trivial view."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pages", help="comma-separated subset of: %s" % ", ".join(PAGE_NAMES))
        parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed requests")
        parser.add_argument(
            "--warmup", type=int, default=DEFAULT_WARMUP, help="untimed first requests"
        )
        parser.add_argument(
            "--load",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="serve the pages with gunicorn and load them with wrk (default: if wrk is "
            "on PATH)",
        )
        parser.add_argument(
            "--duration", type=int, default=load.DEFAULT_DURATION, help="seconds of wrk a page"
        )
        parser.add_argument("--connections", type=int, default=load.DEFAULT_CONNECTIONS)
        parser.add_argument("--workers", type=int, default=load.DEFAULT_WORKERS)
        parser.add_argument("--json", dest="json_path", help="write the raw figures there")

    def handle(self, *args, **options):
        names = _page_names(options["pages"])
        if options["repeat"] < 1 or options["warmup"] < 0 or options["duration"] < 1:
            raise CommandError("--repeat and --duration must be at least 1, --warmup 0.")
        with_load, no_load_reason = _load_wanted(options["load"])
        about = report.context()
        scenarios, skipped = pick(names)
        sessions = Sessions()
        # The server gets a key of its own: its sessions are signed with it.
        load_sessions = Sessions(secret_key=load.new_secret_key())
        loaded, load_errors = [], []
        # As cqp/wsgi.py does once the application is loaded: measured in process, the pages
        # run under the garbage collector's settings of the served ones.
        gc.collect()
        gc.freeze()
        try:
            results = self._in_process(scenarios, sessions, options)
            if with_load:
                answering = [scenario for scenario, result in results if result.ok]
                loaded, load_errors = self._under_load(answering, load_sessions, options)
        finally:
            sessions.delete()
            load_sessions.delete()

        in_rows = report.in_process_rows(results)
        load_rows = report.load_rows(loaded) if loaded else []
        found = (about, in_rows, skipped, load_rows, load_errors, no_load_reason, options)
        self.stdout.write("\n".join(self._report(*found)))
        if options["json_path"]:
            raw = json.dumps(_raw(*found), indent=2, ensure_ascii=False)
            Path(options["json_path"]).write_text(raw + "\n", encoding="utf-8")
        failed = [row["page"] for row in in_rows if row["error"]]
        failed += [name for name, _error in load_errors]
        if failed:
            raise CommandError("ERROR (see above): %s." % ", ".join(failed))

    def _in_process(self, scenarios, sessions, options):
        results = []
        with in_process_settings():
            for scenario in scenarios:
                self.stderr.write(f"in process: {scenario.name} {scenario.path}")
                result = measure(
                    scenario, sessions, repeat=options["repeat"], warmup=options["warmup"]
                )
                results.append((scenario, result))
        return results

    def _under_load(self, scenarios, sessions, options):
        """([(name, scenario, WrkResult)], [(name, error)]): the trivial view first."""
        pages = [("trivial", None, load.TRIVIAL_PATH, "")]
        pages += [(s.name, s, s.path, sessions.cookie_for(s.user)) for s in scenarios]
        loaded, errors = [], []
        run = {"connections": options["connections"]}
        try:
            with load.gunicorn_server(
                secret_key=sessions.secret_key, workers=options["workers"]
            ) as base_url:
                for name, scenario, path, cookie in pages:
                    self.stderr.write(f"under load: {name} {path}")
                    status = load.get_status(base_url, path, cookie)
                    if status != 200:
                        errors.append((name, f"answered {status} through gunicorn"))
                        continue
                    url = base_url + path
                    load.run_wrk(url, cookie, duration=LOAD_WARMUP_SECONDS, **run)
                    result = load.run_wrk(url, cookie, duration=options["duration"], **run)
                    loaded.append((name, scenario, result))
        except load.LoadError as error:  # reported after the figures measured so far
            errors.append(("load", str(error)))
        return loaded, errors

    def _report(self, about, in_rows, skipped, load_rows, load_errors, no_load_reason, options):
        lines = ["# bench_pages", "", *report.context_lines(about), "", "## In process", ""]
        lines += [
            f"django.test.Client, DEBUG off; queries: one request; times: {options['repeat']} "
            f"requests after {options['warmup']} warm-up.",
            "",
        ]
        lines += report.in_process_table(in_rows) if in_rows else ["No page measured."]
        lines += [f"- skipped {name}: {reason}" for name, reason in skipped]
        lines += ["", "## Under load", ""]
        if no_load_reason:
            lines.append(f"Not measured: {no_load_reason}.")
        elif load_rows:
            lines += [
                f"gunicorn, {options['workers']} sync workers, DEBUG off; wrk from loopback, "
                f"{load.WRK_THREADS} threads, {options['connections']} connections, "
                f"{options['duration']} s a page.",
                "",
                *report.load_table(load_rows),
            ]
        lines += [f"- {report.ERROR} {name}: {error}" for name, error in load_errors]
        missed = report.misses(in_rows) + report.misses(load_rows) + len(load_errors)
        lines += [
            "",
            f"**{report.MISSED}: {missed} row(s)**, marked {report.MISSED} or {report.ERROR} above."
            if missed
            else "All targets met.",
            f"(≤ {MAX_QUERIES} queries stands for a count independent of the data volume: "
            "compare with a run on small data.)",
        ]
        return lines


def _page_names(option: str | None) -> list[str]:
    if not option:
        return list(PAGE_NAMES)
    names = [name.strip() for name in option.split(",") if name.strip()]
    unknown = [name for name in names if name not in PAGE_NAMES]
    if unknown or not names:
        raise CommandError(
            "Unknown page(s): %s. Pages: %s."
            % (", ".join(unknown) or "(none given)", ", ".join(PAGE_NAMES))
        )
    return names


def _load_wanted(option: bool | None) -> tuple[bool, str]:
    """(measure under load?, why not)."""
    if option is False:
        return False, "--no-load"
    if not load.wrk_available():
        if option:
            raise CommandError("--load needs wrk on PATH (Debian: apt-get install wrk).")
        return False, "wrk is not on PATH (Debian: apt-get install wrk)"
    return True, ""


def _raw(about, in_rows, skipped, load_rows, load_errors, no_load_reason, options) -> dict:
    """Every figure, for --json."""
    options = {key: options[key] for key in ("repeat", "warmup", "duration", "connections")}
    return {
        **about,
        "options": options,
        "pages": in_rows,
        "skipped": [{"page": name, "reason": reason} for name, reason in skipped],
        "load": {
            "not_measured": no_load_reason or None,
            "pages": load_rows,
            "errors": [{"page": name, "error": error} for name, error in load_errors],
        },
    }
