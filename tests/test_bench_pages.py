"""bench_pages: every page measured in process on the demo data, a subset, the sessions it
opens removed, a page that fails makes it fail, wrk's real reports read, unknown pages refused.

No timing is asserted: only that the figures are there.
"""

import json
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import NoReverseMatch, reverse

from candidates.models import Candidate, Dossier
from cqp.models import User
from juries.bench import pages
from juries.bench.load import LoadError, parse_wrk
from juries.bench.measure import percentile
from juries.bench.pages import DASHBOARD_URL_NAMES, PAGE_NAMES, Scenario
from juries.models import Certificate

# Captured from wrk 4.1.0 against the bench's gunicorn (the candidate dossier page, logged in).
WRK_GUNICORN = """\
Running 3s test @ http://127.0.0.1:59649/candidat/dossiers/21/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   296.05ms  104.72ms 579.90ms   70.75%
    Req/Sec    28.07     17.68    70.00     60.98%
  Latency Distribution
     50%  271.03ms
     75%  393.17ms
     90%  456.76ms
     99%  545.93ms
  147 requests in 3.03s, 2.04MB read
Requests/sec:     48.57
Transfer/sec:    689.57KB
"""
# Captured from wrk 4.1.0 against a server answering 500 to everything.
WRK_SERVER_ERRORS = """\
Running 2s test @ http://127.0.0.1:18766/boom
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.14ms    2.04ms  16.54ms   86.22%
    Req/Sec     1.13k   234.58     1.47k    60.00%
  Latency Distribution
     50%    1.23ms
     75%    2.44ms
     90%    4.92ms
     99%    9.78ms
  4483 requests in 2.00s, 578.01KB read
  Non-2xx or 3xx responses: 4483
Requests/sec:   2236.10
Transfer/sec:    288.31KB
"""
# Captured from wrk 4.1.0 (--timeout 1s) against a server taking 1.5 s to answer.
WRK_TIMEOUTS = """\
Running 3s test @ http://127.0.0.1:18766/slow
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     5.86      6.12    15.00     71.43%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  21 requests in 3.01s, 2.32KB read
  Socket errors: connect 0, read 0, write 0, timeout 21
Requests/sec:      6.97
Transfer/sec:     787.66B
"""


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    """The demo data, its certificates produced (the verification page needs a ready one)."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())


def bench(tmp_path, *args):
    """Run the command in process only, twice a page; (its report, its JSON figures)."""
    report = tmp_path / "bench.json"
    out = StringIO()
    call_command(
        "bench_pages",
        "--no-load",
        "--repeat",
        "2",
        "--json",
        str(report),
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue(), json.loads(report.read_text())


def dashboard_is_built() -> bool:
    for name in DASHBOARD_URL_NAMES:
        try:
            reverse(name)
            return True
        except NoReverseMatch:
            pass
    return False


@pytest.mark.django_db
def test_it_measures_every_page_on_the_demo_data(demo, tmp_path):
    out, figures = bench(tmp_path)

    measured = [page["page"] for page in figures["pages"]]
    skipped = [page["page"] for page in figures["skipped"]]
    dashboards = ["dashboard", "dashboard-staff"]
    if dashboard_is_built():
        assert measured == list(PAGE_NAMES)
        assert skipped == []
    else:
        assert measured == [name for name in PAGE_NAMES if name not in dashboards]
        assert skipped == dashboards
        assert "- skipped dashboard: no URL named admin-dashboard or dashboard:index" in out
    for page in figures["pages"]:
        assert page["status"] == 200, page
        assert page["error"] == ""
        assert page["queries"] > 0
        assert len(page["times_ms"]) == 2
        assert all(isinstance(ms, float) and ms > 0 for ms in page["times_ms"])
        assert page["median_ms"] > 0 and page["p95_ms"] >= page["median_ms"]
        assert f"| {page['page']} " in out
    assert "Not measured: --no-load." in out
    assert figures["rows"] == {
        "candidates": Candidate.objects.count(),
        "dossiers": Dossier.objects.count(),
        "certificates": Certificate.objects.count(),
    }


@pytest.mark.django_db
def test_it_picks_the_pages_and_users_from_the_data(demo, tmp_path):
    _out, figures = bench(tmp_path, "--pages", "candidate-dossier,jury-session,evaluator-list")

    by_page = {page["page"]: page for page in figures["pages"]}
    assert by_page["candidate-dossier"]["user"].startswith("candidate candidat.")
    assert by_page["jury-session"]["user"] == ("president jury.president@demo.cqp.fr (2 dossiers)")
    assert by_page["evaluator-list"]["user"].startswith("evaluator evaluateur@demo.cqp.fr")


@pytest.mark.django_db
def test_it_measures_only_the_pages_asked_for_in_that_order(demo, tmp_path):
    out, figures = bench(tmp_path, "--pages", "verification, admin-candidates-search-staff")

    assert [page["page"] for page in figures["pages"]] == [
        "verification",
        "admin-candidates-search-staff",
    ]
    search = figures["pages"][1]
    assert search["path"].startswith("/admin/candidates/candidate/?q=")
    assert search["user"].startswith("staff staff.immo@demo.cqp.fr (IMMO branch, ")
    assert figures["skipped"] == []
    assert "| evaluator-list " not in out


@pytest.mark.django_db
def test_it_leaves_no_session_and_no_login_behind(demo, tmp_path):
    candidate = User.objects.get(email="candidat.jury-certifie@demo.cqp.fr")
    last_login = candidate.last_login

    bench(tmp_path, "--pages", "candidate-dossier,admin-dossiers")

    assert Session.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.last_login == last_login


@pytest.mark.django_db
def test_it_fails_when_a_page_does_not_answer_200(monkeypatch, tmp_path):
    unknown = Scenario(name="verification", who="anonymous", path="/verify/ZZZZZZZZZZ/", user=None)
    monkeypatch.setitem(pages.SCENARIOS, "verification", lambda picker: unknown)

    with pytest.raises(CommandError, match="verification"):
        bench(tmp_path, "--pages", "verification")

    figures = json.loads((tmp_path / "bench.json").read_text())
    assert figures["pages"][0]["status"] == 404
    assert figures["pages"][0]["verdict"] == "ERROR"
    assert figures["pages"][0]["queries"] is None


def test_it_refuses_an_unknown_page_with_the_list_of_pages():
    with pytest.raises(CommandError) as refused:
        call_command("bench_pages", "--no-load", "--pages", "verification,homepage")

    message = str(refused.value)
    assert message.startswith("Unknown page(s): homepage. Pages: candidate-dossier, ")
    assert "admin-candidates-search-staff" in message


def test_it_reads_a_real_wrk_report():
    result = parse_wrk(WRK_GUNICORN)

    assert result.requests == 147
    assert result.requests_per_second == 48.57
    assert result.latency_p50_ms == 271.03
    assert result.latency_p99_ms == 545.93
    assert result.errors == 0


def test_it_counts_the_error_answers_of_a_wrk_report():
    result = parse_wrk(WRK_SERVER_ERRORS)

    assert (result.requests, result.non_2xx_3xx, result.socket_errors) == (4483, 4483, 0)
    assert result.errors == 4483
    assert result.latency_p50_ms == 1.23
    assert result.latency_p99_ms == 9.78


def test_it_counts_the_timeouts_of_a_wrk_report_in_microseconds():
    result = parse_wrk(WRK_TIMEOUTS)

    assert (result.requests, result.non_2xx_3xx, result.socket_errors) == (21, 0, 21)
    assert result.requests_per_second == 6.97
    assert result.latency_p99_ms == 0.0


def test_it_refuses_text_that_is_not_a_wrk_report():
    with pytest.raises(LoadError, match="not a wrk report"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_its_p95_is_a_measured_value_by_nearest_rank():
    times = [float(n) for n in range(1, 31)]

    assert percentile(times, 0.95) == 29.0
    assert percentile([3.0, 1.0], 0.95) == 3.0
