"""`manage.py bench_import --fiches N`: how fast and how lean the France Compétences import is.

Builds an export of N fiches from the real sample fiches (renumbered), then measures the
parser alone (time, peak memory) and the whole import as a dry run (time, SQL queries per
fiche) on the configured database. Nothing is kept: the import is rolled back.
"""

import re
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection

from certifications.importers import import_referentiels, iter_fiches
from certifications.models import Branch
from certifications.reference_data import DATA_DIR

FICHE_RE = re.compile(r"<FICHE>.*?</FICHE>", re.S)
NUMBER_RE = re.compile(r"RNCP(\d+)")


def build_export(path: Path, count: int) -> int:
    """Write `count` fiches cycled from the sample, each with its own number; returns bytes."""
    sample = (DATA_DIR / "rncp" / "export_fiches_RNCP_sample.xml").read_text(encoding="utf-8")
    fiches = FICHE_RE.findall(sample)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>'
        )
        for n in range(count):
            fiche = fiches[n % len(fiches)]
            handle.write(NUMBER_RE.sub(f"RNCP{900000 + n}", fiche))
        handle.write("</FICHES>\n")
    return path.stat().st_size


class Command(BaseCommand):
    help = "Measure the référentiel import: parser speed and memory, import speed (dry run)."

    def add_arguments(self, parser):
        parser.add_argument("--fiches", type=int, default=2000)

    def handle(self, *args, fiches, **options):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.xml"
            size = build_export(path, fiches)

            started = time.perf_counter()
            parsed = sum(1 for _fiche in iter_fiches(path))
            parse_seconds = time.perf_counter() - started
            # A second pass for memory: tracing slows Python down, so it is not timed.
            tracemalloc.start()
            sum(1 for _fiche in iter_fiches(path))
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            queries = 0

            def count(execute, sql, params, many, context):
                nonlocal queries
                queries += 1
                return execute(sql, params, many, context)

            branch = Branch(name="Bench", slug="bench-import", code="BENCH")
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                branch.save()
                try:
                    report = import_referentiels(path, branch=branch, dry_run=True)
                finally:
                    branch.delete()
                import_seconds = time.perf_counter() - started

        rows = [
            ("database", connection.vendor),
            ("fiches", f"{parsed:,}"),
            ("file size", f"{size / 1e6:.1f} MB"),
            (
                "parse",
                f"{parse_seconds:.2f} s ({parsed / parse_seconds:,.0f} fiches/s, "
                f"{size / 1e6 / parse_seconds:.0f} MB/s)",
            ),
            ("parser peak memory", f"{peak / 1e6:.2f} MB"),
            (
                "import (dry run)",
                f"{import_seconds:.1f} s ({report.total / import_seconds:,.0f} fiches/s)",
            ),
            ("SQL queries per fiche", f"{queries / max(report.total, 1):.1f}"),
            ("created / errors", f"{report.created} / {report.errors}"),
        ]
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"{label.ljust(width)}  {value}")
