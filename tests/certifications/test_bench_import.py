"""The import benchmark runs and prints its figures (the figures themselves are not asserted)."""

from io import StringIO

import pytest
from django.core.management import call_command

from certifications.models import Branch, Cqp


@pytest.mark.django_db(transaction=True)
def test_the_import_benchmark_prints_its_figures_and_keeps_nothing():
    out = StringIO()
    call_command("bench_import", "--fiches", "6", stdout=out)
    text = out.getvalue()
    for label in ("fiches", "parse", "parser peak memory", "import (dry run)", "SQL queries"):
        assert label in text
    assert "6 / 0" in text  # created / errors
    assert not Cqp.objects.exists()
    assert not Branch.objects.filter(slug="bench-import").exists()
