"""`manage.py bench_certificates`: it prints its figures and leaves no row and no file."""

import re
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def files_under(folder) -> list[Path]:
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


def bench_folders() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("cqp-bench-*"))


@pytest.mark.django_db(transaction=True)  # the command's own transaction, really rolled back
def test_the_bench_prints_its_figures_and_leaves_nothing_behind(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    rows, folders = row_counts(), bench_folders()
    out = StringIO()

    call_command("bench_certificates", "--count", "2", "--warmup", "1", stdout=out)

    output = out.getvalue()
    for label in ("pipeline", "bare WeasyPrint"):
        line = next(line for line in output.splitlines() if line.startswith(label))
        median, mean = map(float, re.findall(r"(?:median|mean) (\d+\.\d) ms", line))
        assert median > 0 and mean > 0
    assert re.search(r"ratio \(medians\)\s+\d+\.\d\d×", output)
    assert "≤ 1.25×" in output
    assert "2 certificates timed, after 1 warm-up" in output
    assert row_counts() == rows
    assert files_under(tmp_path) == []
    assert bench_folders() == folders


@pytest.mark.django_db
def test_the_bench_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="--count"):
        call_command("bench_certificates", "--count", "0", stdout=StringIO())
