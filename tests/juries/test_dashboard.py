"""The branch dashboard (issue 8): exact figures on small known data, filters, scope, CSV files,
the admin index's headline figures and the query budget."""

import csv
import datetime
import io
import itertools
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from candidates.models import Dossier, DossierStatus, Funding, Pathway
from certifications.models import BranchMembership
from juries.dashboard.durations import Duration, durations_in_python
from juries.dashboard.figures import (
    CqpCounts,
    Filters,
    Outcomes,
    PathwayCount,
    _decided,
    _durations,
    cached_figures,
    compute_figures,
)
from juries.dashboard.scope import EVERY_BRANCH
from juries.models import (
    AgendaItem,
    Certificate,
    DocumentStatus,
    JuryMember,
    JuryMinutes,
    JurySession,
    SessionStatus,
)
from tests import factories
from tests.candidates.conftest import make_candidate

S = DossierStatus
URL = "/admin/dashboard/"
UTC = datetime.UTC
_emails = itertools.count(1)


def at(year, month, day, hour=10):
    """A moment in UTC (10:00 UTC is the same day in Paris, whatever the season)."""
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


def dossier(cqp, status=S.DRAFT, *, opened, decided=None, pathway=""):
    """A dossier opened at `opened`, in `status` since `decided` (or since its opening)."""
    candidate = make_candidate(f"dashboard{next(_emails)}@example.org")
    made = Dossier.objects.create(
        candidate=candidate,
        cqp=cqp,
        referentiel=cqp.referentiels.first(),
        funding=Funding.CPF,
        reference=uuid.uuid4().hex[:20],
        status=status,
        pathway=pathway,
    )
    Dossier.objects.filter(pk=made.pk).update(
        created_at=opened, status_changed_at=decided or opened
    )
    return made


def session(branch, author, *cqps, days, status=SessionStatus.PLANNED, place="Paris", video=""):
    starts_at = timezone.now() + datetime.timedelta(days=days)
    made = JurySession.objects.create(
        branch=branch,
        starts_at=starts_at,
        place=place,
        video_link=video,
        status=status,
        created_by=author,
    )
    made.cqps.set(cqps)
    return made


def seat(jury_session, count):
    for _ in range(count):
        JuryMember.objects.create(
            session=jury_session, user=factories.UserFactory(), college="employer"
        )


@pytest.fixture
def gl(branch):
    return factories.cqp_with_referentiel(branch=branch, code="GL", title="Gestionnaire locatif")


@pytest.fixture
def known(branch, other_branch, cqp, gl, other_cqp, staff, other_staff):
    """The branch: 6 dossiers on NI, 2 on GL; the other branch: 1 certified dossier and a
    session (never counted for the branch). Sessions: 2 to come, 1 held, 1 cancelled."""
    d = {
        "ni_certified": dossier(
            cqp, S.CERTIFIED, opened=at(2024, 1, 10), decided=at(2024, 3, 10), pathway=Pathway.VAE
        ),  # 60 days
        "ni_partial": dossier(
            cqp,
            S.PARTIALLY_VALIDATED,
            opened=at(2024, 2, 1),
            decided=at(2024, 4, 11),
            pathway=Pathway.TRAINING,
        ),  # 70 days
        "ni_refused": dossier(
            cqp,
            S.NOT_VALIDATED,
            opened=at(2023, 11, 1),
            decided=at(2023, 12, 1),
            pathway=Pathway.VAE,
        ),  # 30 days
        "ni_submitted": dossier(cqp, S.SUBMITTED, opened=at(2024, 5, 1)),
        "ni_incomplete": dossier(cqp, S.INCOMPLETE, opened=at(2024, 6, 1)),
        "ni_ready": dossier(
            cqp, S.READY_FOR_JURY, opened=at(2024, 6, 15), pathway=Pathway.TRAINING
        ),
        "gl_certified": dossier(
            gl, S.CERTIFIED, opened=at(2024, 3, 1), decided=at(2024, 9, 1), pathway="training"
        ),  # 184 days
        "gl_withdrawn": dossier(gl, S.WITHDRAWN, opened=at(2024, 4, 1)),
        "other": dossier(
            other_cqp, S.CERTIFIED, opened=at(2024, 1, 1), decided=at(2024, 2, 1), pathway="vae"
        ),
    }
    first = session(branch, staff, cqp, gl, days=5)
    seat(first, 3)
    AgendaItem.objects.create(session=first, dossier=d["ni_ready"], added_by=staff)
    AgendaItem.objects.create(
        session=first, dossier=d["ni_submitted"], added_by=staff, active=False
    )
    second = session(
        branch,
        staff,
        gl,
        days=20,
        status=SessionStatus.CONVENED,
        place="",
        video="https://visio.example.org/jury",
    )
    seat(second, 1)
    session(branch, staff, cqp, days=-2)  # held already
    session(branch, staff, cqp, days=8, status=SessionStatus.CANCELLED)
    session(other_branch, other_staff, other_cqp, days=3)
    d["first"], d["second"] = first, second
    return d


def branch_figures(branch, **filters):
    return compute_figures(Filters(branch_ids=frozenset({branch.pk}), **filters))


def states(figures):
    return {status: n for status, n in figures.by_state if n}


# --- the figures --------------------------------------------------------------------------------


def test_it_counts_every_state_in_lifecycle_order_zeros_included(known, branch):
    figures = branch_figures(branch)

    assert [status for status, _n in figures.by_state] == list(S.values)
    assert states(figures) == {
        S.SUBMITTED: 1,
        S.INCOMPLETE: 1,
        S.READY_FOR_JURY: 1,
        S.CERTIFIED: 2,
        S.PARTIALLY_VALIDATED: 1,
        S.NOT_VALIDATED: 1,
        S.WITHDRAWN: 1,
    }
    assert dict(figures.by_state)[S.DRAFT] == 0
    assert figures.dossiers_total == 8
    assert figures.open_dossiers == 3
    assert figures.awaiting_jury == 1


def test_it_counts_dossiers_per_cqp_most_dossiers_first(known, branch):
    assert branch_figures(branch).by_cqp == (
        CqpCounts("NI", "Négociateur immobilier", open=3, decided=3, other_closed=0, total=6),
        CqpCounts("GL", "Gestionnaire locatif", open=0, decided=1, other_closed=1, total=2),
    )


def test_it_counts_pathways_with_their_shares(known, branch):
    assert branch_figures(branch).pathways == (
        PathwayCount("vae", 2, 25.0),
        PathwayCount("training", 3, 37.5),
        PathwayCount("", 3, 37.5),
    )


def test_it_gives_success_rates_per_year_and_per_cqp(known, branch):
    figures = branch_figures(branch)

    assert figures.outcomes_by_year == (
        Outcomes(2023, "", "", 0, 0, 1, 1, 0.0, 0.0),
        Outcomes(2024, "", "", 2, 1, 0, 3, 66.7, 100.0),
    )
    assert figures.outcomes_by_cqp == (
        Outcomes(None, "NI", "Négociateur immobilier", 1, 1, 1, 3, 33.3, 66.7),
        Outcomes(None, "GL", "Gestionnaire locatif", 1, 0, 0, 1, 100.0, 100.0),
    )
    assert figures.decisions_total == 4


def test_it_gives_the_median_time_to_decision_on_even_and_odd_counts(known, branch):
    # Every year: 30, 60, 70 and 184 days (even: the mean of the middle two); 2024: 60, 70
    # and 184 days (odd: the middle one).
    assert branch_figures(branch).durations == (
        Duration(None, 4, 65.0),
        Duration(2023, 1, 30.0),
        Duration(2024, 3, 70.0),
    )


def test_the_database_median_and_the_portable_one_agree(known, branch, other_branch):
    for filters in (
        Filters(branch_ids=frozenset({branch.pk})),
        Filters(branch_ids=None),
        Filters(branch_ids=frozenset({other_branch.pk})),
        Filters(branch_ids=frozenset({branch.pk}), start=datetime.date(2030, 1, 1)),
    ):
        assert _durations(filters) == durations_in_python(_decided(filters)), filters


def test_with_no_decision_the_median_is_unknown(branch, cqp):
    dossier(cqp, S.SUBMITTED, opened=at(2024, 5, 1))

    figures = branch_figures(branch)

    assert figures.durations == (Duration(None, 0, None),)
    assert figures.outcomes_by_year == ()
    assert figures.pathways == (
        PathwayCount("vae", 0, 0.0),
        PathwayCount("training", 0, 0.0),
        PathwayCount("", 1, 100.0),
    )


def test_it_lists_the_sessions_to_come_with_their_agenda_and_members(known, branch):
    figures = branch_figures(branch)

    rows = [
        (s.pk, s.place, s.by_video, s.cqp_codes, s.dossiers, s.members) for s in figures.sessions
    ]
    assert rows == [
        (known["first"].pk, "Paris", False, ("GL", "NI"), 1, 3),
        (known["second"].pk, "", True, ("GL",), 0, 1),
    ]
    assert figures.sessions_total == 2


def test_it_shows_ten_sessions_and_counts_them_all(branch, cqp, staff):
    for days in range(1, 13):
        session(branch, staff, cqp, days=days)

    figures = branch_figures(branch)

    assert len(figures.sessions) == 10
    assert figures.sessions_total == 12
    assert [s.starts_at for s in figures.sessions] == sorted(s.starts_at for s in figures.sessions)


def test_it_counts_documents_and_dossiers_pending_now(known, branch, cqp):
    pending = dict(branch_figures(branch, start=datetime.date(2030, 1, 1)).pending)

    # Not filtered by the period: the incomplete and submitted dossiers are older.
    assert pending == {
        "certificates_pending": 0,
        "certificates_failed": 0,
        "attestations_pending": 0,
        "attestations_failed": 0,
        "minutes_pending": 0,
        "minutes_failed": 0,
        "dossiers_incomplete": 1,
        "dossiers_submitted": 1,
    }


def test_it_counts_certificates_and_minutes_being_produced(branch, open_cqp, staff, evaluator):
    from tests.juries.documents import close_three

    jury_session, _members, _items = close_three(branch, open_cqp, staff, evaluator)
    # The PDFs are queued on commit: in this test's transaction they stay pending.
    assert set(Certificate.objects.values_list("status", flat=True)) == {DocumentStatus.PENDING}
    JuryMinutes.objects.filter(session=jury_session).update(status=DocumentStatus.FAILED)

    figures = branch_figures(branch)

    assert dict(figures.pending) == {
        "certificates_pending": 1,
        "certificates_failed": 0,
        "attestations_pending": 1,
        "attestations_failed": 0,
        "minutes_pending": 0,
        "minutes_failed": 1,
        "dossiers_incomplete": 0,
        "dossiers_submitted": 0,
    }
    assert figures.certificates_this_year == 1


# --- filters ------------------------------------------------------------------------------------


def test_the_period_keeps_dossiers_opened_and_decisions_taken_in_it(known, branch):
    figures = branch_figures(
        branch, start=datetime.date(2024, 1, 1), end=datetime.date(2024, 3, 10)
    )

    # Opened: NI certified (10/01), NI partial (01/02), GL certified (01/03).
    assert states(figures) == {S.CERTIFIED: 2, S.PARTIALLY_VALIDATED: 1}
    # Decided: NI certified only (10/03, the last day, included).
    assert figures.outcomes_by_year == (Outcomes(2024, "", "", 1, 0, 0, 1, 100.0, 100.0),)
    assert figures.durations == (Duration(None, 1, 60.0), Duration(2024, 1, 60.0))
    # Sessions and what is pending are the current state, whatever the period.
    assert figures.sessions_total == 2
    assert dict(figures.pending)["dossiers_submitted"] == 1


def test_the_period_starts_and_ends_on_local_days(branch, cqp):
    # 23:30 UTC on 31/12/2023 is already 01/01/2024 in Paris.
    dossier(cqp, S.SUBMITTED, opened=datetime.datetime(2023, 12, 31, 23, 30, tzinfo=UTC))

    in_2024 = branch_figures(branch, start=datetime.date(2024, 1, 1))
    in_2023 = branch_figures(branch, end=datetime.date(2023, 12, 31))

    assert states(in_2024) == {S.SUBMITTED: 1}
    assert states(in_2023) == {}


def test_the_cqp_filter_keeps_its_dossiers_and_sessions(known, branch, cqp, gl):
    on_gl = branch_figures(branch, cqp_id=gl.pk)
    on_ni = branch_figures(branch, cqp_id=cqp.pk)

    assert states(on_gl) == {S.CERTIFIED: 1, S.WITHDRAWN: 1}
    assert [row.code for row in on_gl.by_cqp] == ["GL"]
    assert on_gl.durations == (Duration(None, 1, 184.0), Duration(2024, 1, 184.0))
    assert on_gl.sessions_total == 2  # both sessions to come judge GL
    assert on_ni.sessions_total == 1
    assert dict(on_ni.pending)["dossiers_incomplete"] == 1
    assert dict(on_gl.pending)["dossiers_incomplete"] == 0


def test_every_branch_is_the_superusers_scope(known):
    figures = compute_figures(Filters(branch_ids=EVERY_BRANCH))

    assert figures.dossiers_total == 9
    assert figures.sessions_total == 3


def test_the_figures_are_cached_per_scope_and_filters(known, branch, cqp, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    filters = Filters(branch_ids=frozenset({branch.pk}))
    first = cached_figures(filters)
    dossier(cqp, S.SUBMITTED, opened=at(2024, 7, 1))

    assert cached_figures(filters) == first  # from the cache
    assert cached_figures(Filters(branch_ids=frozenset({branch.pk}), cqp_id=cqp.pk)) != first
    cache.clear()
    assert cached_figures(filters).dossiers_total == first.dossiers_total + 1


# --- the page -----------------------------------------------------------------------------------


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_it_is_at_admin_dashboard():
    assert reverse("dashboard:index") == URL


def test_branch_staff_see_their_branchs_figures(client, known, staff):
    response = english(client, staff).get(URL)

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.filters == Filters(branch_ids=frozenset({known["ni_certified"].cqp.branch_id}))
    assert figures.dossiers_total == 8
    html = response.content.decode()
    assert "Vendeur jeux et jouets" not in html  # the other branch's CQP
    assert '<div class="breadcrumbs">' in html and "Dashboard" in html
    assert 'name="branch"' not in html  # a single branch: nothing to choose


def test_the_other_branchs_staff_never_count_the_branchs_dossiers(client, known, other_staff):
    figures = english(client, other_staff).get(URL).context["figures"]

    assert states(figures) == {S.CERTIFIED: 1}
    assert figures.sessions_total == 1


def test_a_cpnef_member_sees_their_branch(client, known, cpnef):
    figures = english(client, cpnef).get(URL).context["figures"]

    assert figures.dossiers_total == 8


def test_a_member_of_two_branches_chooses_one(client, known, staff, other_branch):
    BranchMembership.objects.create(
        user=staff, branch=other_branch, role=BranchMembership.BranchRole.CPNEF
    )
    english(client, staff)

    both = client.get(URL).context["figures"]
    other = client.get(URL, {"branch": other_branch.pk}).context["figures"]

    assert both.dossiers_total == 9
    assert other.dossiers_total == 1


def test_a_superuser_sees_every_branch_and_filters_one(client, known, superuser, branch):
    english(client, superuser)

    every = client.get(URL)
    one = client.get(URL, {"branch": branch.pk})

    assert every.context["figures"].dossiers_total == 9
    assert 'name="branch"' in every.content.decode()
    assert one.context["figures"].dossiers_total == 8


def test_a_superuser_cannot_pick_a_cqp_of_another_branch(
    client, known, superuser, branch, other_cqp
):
    response = english(client, superuser).get(URL, {"branch": branch.pk, "cqp": other_cqp.pk})

    assert response.status_code == 200
    assert response.context.get("figures") is None
    assert "This CQP is not one of the chosen branch&#x27;s." in response.content.decode()


def test_the_page_filters_by_cqp_and_period(client, known, staff, gl):
    response = english(client, staff).get(
        URL, {"cqp": gl.pk, "start": "2024-03-01", "end": "2024-12-31"}
    )

    figures = response.context["figures"]
    assert states(figures) == {S.CERTIFIED: 1, S.WITHDRAWN: 1}
    assert figures.filters.start == datetime.date(2024, 3, 1)
    html = response.content.decode()
    assert 'value="2024-03-01"' in html and 'type="date"' in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2024-05-01", "end": "2024-04-30"}, "end", "cannot be before its start"),
        ({"start": "not a date"}, "start", "Enter a valid date."),
        ({"end": "0001-01-01"}, "end", "Enter a date between 1900 and 2100."),
        ({"start": "9999-12-31"}, "start", "Enter a date between 1900 and 2100."),
        ({"cqp": "abc"}, "cqp", "Select a valid choice."),
    ],
)
def test_bad_filters_show_errors_and_no_figures(
    client, known, staff, other_cqp, params, field, message
):
    response = english(client, staff).get(URL, params)

    assert response.status_code == 200
    form = response.context["form"]
    assert response.context.get("figures") is None
    assert message in " ".join(form.errors[field])
    assert "no figure is shown until they are valid" in response.content.decode()


def test_a_single_branch_member_cannot_ask_for_another_branch(client, known, staff, other_branch):
    response = english(client, staff).get(URL, {"branch": other_branch.pk})

    assert response.context["figures"].dossiers_total == 8  # their own branch's, still


def test_a_cqp_of_another_branch_is_not_a_choice(client, known, staff, other_cqp):
    response = english(client, staff).get(URL, {"cqp": other_cqp.pk})

    assert response.context.get("figures") is None
    assert "Select a valid choice." in " ".join(response.context["form"].errors["cqp"])


def test_a_staff_user_without_a_branch_is_refused(client, known):
    user = factories.UserFactory(is_staff=True)
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"export": "states"}).status_code == 403


def test_anonymous_visitors_go_to_the_admin_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={URL}"


def test_candidates_go_to_the_admin_login(client, known):
    candidate = Dossier.objects.first().candidate
    client.force_login(candidate.user)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_page_draws_accessible_charts(client, known, staff):
    html = english(client, staff).get(URL).content.decode()

    assert html.count('<svg class="cqp-chart"') == 4  # states, CQPs, pathways, decisions
    assert 'role="img" aria-labelledby="chart-states-title chart-states-desc"' in html
    assert '<title id="chart-states-title">Dossiers by state</title>' in html
    assert 'class="cqp-chart__bar cqp-chart__bar--certified"' in html
    assert "style=" not in html.split('id="content-main"')[1]
    assert "<script" not in html.split('id="content-main"')[1]
    assert "admin-cqp/dashboard.css" in html


def test_the_page_rendered_from_the_cache_is_the_same(client, known, staff):
    english(client, staff)
    first = client.get(URL).content.decode()
    again = client.get(URL).content.decode()

    assert again.count('<svg class="cqp-chart"') == 4  # still markup, not escaped text
    main = 'id="content-main"'
    assert again.split(main)[1] == first.split(main)[1]


def test_a_session_judging_many_cqps_names_the_first_ones_on_the_page(client, branch, staff):
    cqps = [
        factories.cqp_with_referentiel(branch=branch, code=f"C{n:02d}", units=1) for n in range(8)
    ]
    session(branch, staff, *cqps, days=3)

    response = english(client, staff).get(URL)
    rows = download(client, {"export": "sessions"})

    assert "C00, C01, C02, C03, C04, C05 and 2 more" in response.content.decode()
    assert rows[1][2] == ", ".join(f"C{n:02d}" for n in range(8))


def test_titles_are_escaped_in_the_filters_and_the_tables(client, branch, staff):
    odd = factories.cqp_with_referentiel(branch=branch, code="<b>", title="<i>Odd</i> & co")
    dossier(odd, S.SUBMITTED, opened=at(2024, 5, 1))

    html = english(client, staff).get(URL, {"cqp": odd.pk}).content.decode()

    assert "<i>Odd</i>" not in html and "<b>" not in html
    assert (
        f'<option value="{odd.pk}" selected>&lt;b&gt; — &lt;i&gt;Odd&lt;/i&gt; &amp; co</option>'
        in html
    )
    assert '<th scope="row">&lt;b&gt;</th><td>&lt;i&gt;Odd&lt;/i&gt; &amp; co</td>' in html


def test_the_page_says_when_the_figures_were_computed(client, known, staff, settings):
    settings.DASHBOARD_CACHE_SECONDS = 600
    response = english(client, staff).get(URL)

    computed = timezone.localtime(response.context["figures"].computed_at).strftime("%H:%M")
    assert f"Figures computed at {computed}, refreshed every 10 minutes." in (
        response.content.decode()
    )


def test_each_table_has_its_csv_link_keeping_the_filters(client, known, staff, gl):
    html = english(client, staff).get(URL, {"cqp": gl.pk}).content.decode()

    for key in (
        "states",
        "cqps",
        "pathways",
        "outcomes-years",
        "outcomes-cqps",
        "durations",
        "pending",
        "sessions",
    ):
        assert f'href="?cqp={gl.pk}&amp;export={key}"' in html, key


def test_an_empty_scope_shows_empty_tables(client, branch, staff):
    response = english(client, staff).get(URL)

    assert response.status_code == 200
    assert response.context["figures"].dossiers_total == 0
    assert "cqp-chart" not in response.content.decode()


# --- CSV ----------------------------------------------------------------------------------------


def download(client, params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="dashboard-{params["export"]}-{today}.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_states_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "states"})

    assert rows[0] == ["State", "Dossiers"]
    assert len(rows) == 1 + len(S.values)
    assert rows[1] == ["Draft", "0"]
    assert ["Certified", "2"] in rows and ["Withdrawn", "1"] in rows


def test_the_cqps_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "cqps"})

    assert rows == [
        ["CQP code", "CQP title", "Open", "Decided", "Other closed", "Total"],
        ["NI", "Négociateur immobilier", "3", "3", "0", "6"],
        ["GL", "Gestionnaire locatif", "0", "1", "1", "2"],
    ]


def test_the_pathways_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "pathways"})

    assert rows == [
        ["Pathway", "Dossiers", "Share (%)"],
        ["VAE", "2", "25.0"],
        ["Training", "3", "37.5"],
        ["Not yet chosen", "3", "37.5"],
    ]


def test_the_outcomes_csvs(client, known, staff):
    english(client, staff)
    header = [
        "Certified",
        "Partially validated",
        "Not validated",
        "Total",
        "Success rate (%)",
        "At least partly validated (%)",
    ]

    assert download(client, {"export": "outcomes-years"}) == [
        ["Year", *header],
        ["2023", "0", "0", "1", "1", "0.0", "0.0"],
        ["2024", "2", "1", "0", "3", "66.7", "100.0"],
    ]
    assert download(client, {"export": "outcomes-cqps"}) == [
        ["CQP code", "CQP title", *header],
        ["NI", "Négociateur immobilier", "1", "1", "1", "3", "33.3", "66.7"],
        ["GL", "Gestionnaire locatif", "1", "0", "0", "1", "100.0", "100.0"],
    ]


def test_the_durations_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "durations"})

    assert rows == [
        ["Year of the decision", "Decisions", "Median (days)"],
        ["Every year", "4", "65.0"],
        ["2023", "1", "30.0"],
        ["2024", "3", "70.0"],
    ]


def test_the_pending_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "pending"})

    assert rows[0] == ["Waiting", "Number"]
    assert rows[-2:] == [
        ["Dossiers waiting for pieces (incomplete)", "1"],
        ["Dossiers submitted, completeness to check", "1"],
    ]
    assert len(rows) == 9


def test_the_sessions_csv(client, known, staff):
    rows = download(english(client, staff), {"export": "sessions"})

    first = timezone.localtime(known["first"].starts_at).strftime("%Y-%m-%d %H:%M")
    second = timezone.localtime(known["second"].starts_at).strftime("%Y-%m-%d %H:%M")
    assert rows == [
        ["Date", "Place", "CQPs", "Dossiers on the agenda", "Members"],
        [first, "Paris", "GL, NI", "1", "3"],
        [second, "By video", "GL", "0", "1"],
    ]


def test_the_csv_keeps_the_filters(client, known, staff, gl):
    rows = download(english(client, staff), {"export": "cqps", "cqp": gl.pk})

    assert rows[1:] == [["GL", "Gestionnaire locatif", "0", "1", "1", "2"]]


def test_the_csv_neutralises_formulas(client, branch, staff):
    formula = factories.cqp_with_referentiel(branch=branch, code="+X", title="=HYPERLINK(1)")
    dossier(formula, S.SUBMITTED, opened=at(2024, 5, 1))

    rows = download(english(client, staff), {"export": "cqps"})

    assert rows[1] == ["'+X", "'=HYPERLINK(1)", "1", "0", "0", "1"]


def test_the_csv_numbers_are_french_in_french(client, known, staff):
    client.force_login(staff)

    rows = download(client, {"export": "pathways"})

    assert rows[1][1:] == ["2", "25,0"]


def test_an_unknown_table_is_not_found(client, known, staff):
    assert english(client, staff).get(URL, {"export": "nothing"}).status_code == 404


def test_a_csv_with_bad_filters_shows_the_errors(client, known, staff):
    response = english(client, staff).get(URL, {"export": "states", "start": "yesterday"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors["start"]


# --- the admin index ----------------------------------------------------------------------------


def test_the_admin_index_shows_the_headline_figures(client, known, staff):
    html = english(client, staff).get(reverse("admin:index")).content.decode()

    assert 'href="/admin/dashboard/"' in html
    assert "<strong>3</strong> open dossiers" in html
    assert "<strong>1</strong> dossier awaiting the jury" in html
    assert "<strong>0</strong> certificates this year" in html
    assert "<strong>2</strong> jury sessions to come" in html


def test_the_index_and_the_dashboard_share_the_cached_figures(client, known, staff, cqp):
    english(client, staff)
    client.get(reverse("admin:index"))
    dossier(cqp, S.SUBMITTED, opened=at(2024, 7, 1))

    assert client.get(URL).context["figures"].dossiers_total == 8  # the index's figures


def test_the_admin_index_has_no_headline_for_a_user_without_branch(client, db):
    client.force_login(factories.UserFactory(is_staff=True))

    html = client.get(reverse("admin:index")).content.decode()

    assert "/admin/dashboard/" not in html


def test_an_app_index_has_no_headline(client, known, staff):
    html = english(client, staff).get(reverse("admin:app_list", args=["juries"])).content
    assert b"cqp-headline" not in html


# --- the query budget ---------------------------------------------------------------------------


def many(branch, staff, cqps):
    """Dossiers in every state on every CQP, decided over two years, and sessions."""
    for index, status in enumerate(S.values * 2):
        for cqp in cqps:
            decided = at(2023 + index % 2, 1 + index % 12, 1 + index % 27)
            dossier(
                cqp,
                status,
                opened=at(2022, 1 + index % 12, 1),
                decided=decided,
                pathway=["", "vae", "training"][index % 3],
            )
    for days in range(1, 14):
        jury_session = session(branch, staff, *cqps, days=days)
        seat(jury_session, 2)


@pytest.mark.parametrize("user_name", ["staff", "superuser"])
def test_the_page_needs_the_same_queries_for_one_or_many_dossiers(
    client, request, django_assert_max_num_queries, branch, cqp, gl, staff, user_name
):
    user = request.getfixturevalue(user_name)
    english(client, user)
    dossier(cqp, S.CERTIFIED, opened=at(2024, 1, 1), decided=at(2024, 2, 1))
    seat(session(branch, staff, cqp, days=1), 1)
    budget = 15
    with django_assert_max_num_queries(budget) as one:
        assert client.get(URL).status_code == 200
    cache.clear()
    many(branch, staff, [cqp, gl])
    with django_assert_max_num_queries(budget) as lots:
        assert client.get(URL).status_code == 200
    assert len(lots.captured_queries) == len(one.captured_queries)
    # From the cache: only the session, the user, the scope and the filters' choices.
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(6):
        client.get(URL, {"export": "cqps"})
