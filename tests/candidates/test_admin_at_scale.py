"""The admin lists at scale: select filters, 50 rows a page, the action checkbox drawn directly,
search through the accent-free key, and query counts that do not grow with the rows; the
evaluator's list computing its progress for the page's dossiers only."""

import datetime
import html as htmllib
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from candidates.models import (
    AcquiredUnit,
    CarriedOverUnit,
    Dossier,
    DossierDocument,
    DossierStatus,
    UnitAssessment,
)
from tests import factories
from tests.candidates.conftest import make_candidate

S = DossierStatus
DOSSIERS = reverse("admin:candidates_dossier_changelist")
CANDIDATES = reverse("admin:candidates_candidate_changelist")
EVALUATOR_LIST = reverse("evaluators:dossier_list")


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def today():
    return timezone.localdate()


def dossier_in(candidate, cqp, status=S.SUBMITTED, *, reference=None, **fields):
    """A dossier written straight in `status` (the lists only read it)."""
    return Dossier.objects.create(
        candidate=candidate,
        cqp=cqp,
        referentiel=cqp.referentiels.order_by("-version").first(),
        funding="cpf",
        status=status,
        reference=reference or f"T-{Dossier.objects.count() + 1:06d}",
        submitted_at=timezone.now() if status != S.DRAFT else None,
        **fields,
    )


def evaluator_of(branch, email, first_name, last_name):
    user = factories.UserFactory(email=email, first_name=first_name, last_name=last_name)
    factories.AccreditationFactory(user=user, branch=branch)
    return user


# --- reading the page ---------------------------------------------------------------------------


def select_options(page, name):
    """(value, label, selected) of each option of the filter's select `name`."""
    content = page.content.decode()
    match = re.search(
        rf'<select name="{name}" id="cqp-filter-{name}">(.*?)</select>', content, re.S
    )
    assert match, f"no select named {name}"
    return [
        (htmllib.unescape(value), htmllib.unescape(label), bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', match.group(1)
        )
    ]


def filter_forms(page):
    """Each select filter's form: {select name: [(hidden name, value), ...]}."""
    content = page.content.decode()
    forms = {}
    for body in re.findall(
        r'<form method="get" class="cqp-select-filter">(.*?)</form>', content, re.S
    ):
        [select] = re.findall(r'<select name="([^"]+)"', body)
        hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', body)
        forms[select] = [(htmllib.unescape(n), htmllib.unescape(v)) for n, v in hidden]
    return forms


CHECKBOX = re.compile(
    r'<input type="checkbox" name="_selected_action" value="(\d+)" class="action-select" '
    r'aria-label="([^"]*)">'
)


def checkboxes(page):
    return [
        (int(value), htmllib.unescape(label))
        for value, label in CHECKBOX.findall(page.content.decode())
    ]


def rows(page):
    return list(page.context["cl"].result_list)


def listed(page):
    return {d.reference for d in rows(page)}


# --- the CQP and evaluator filters --------------------------------------------------------------


@pytest.fixture
def second_cqp(branch):
    return factories.cqp_with_referentiel(branch=branch, code="AGI", title="Agent <immobilier>")


@pytest.fixture
def evaluators(branch, other_branch, open_cqp):
    """Two evaluators accredited by the branch, one by the other branch only."""
    return {
        "ana": evaluator_of(branch, "ana@eval.example", "Ana", "Abel"),
        "zoe": evaluator_of(branch, "zoe@eval.example", "Zoé", "Zola"),
        "foreign": evaluator_of(other_branch, "far@eval.example", "Far", "Away"),
    }


@pytest.fixture
def spread(open_cqp, second_cqp, other_cqp, evaluators):
    """Dossiers on both CQPs of the branch, with or without an evaluator, and one elsewhere."""
    return {
        "ni_ana": dossier_in(
            make_candidate("c1@example.org"), open_cqp, S.POSITIONING, evaluator=evaluators["ana"]
        ),
        "agi_zoe": dossier_in(
            make_candidate("c2@example.org"), second_cqp, S.POSITIONING, evaluator=evaluators["zoe"]
        ),
        "ni_none": dossier_in(make_candidate("c3@example.org"), open_cqp),
        "agi_none": dossier_in(make_candidate("c4@example.org"), second_cqp, S.ADMISSIBLE),
        "elsewhere": dossier_in(
            make_candidate("c5@example.org"),
            other_cqp,
            S.POSITIONING,
            evaluator=evaluators["foreign"],
        ),
        "elsewhere_none": dossier_in(make_candidate("c6@example.org"), other_cqp),
    }


def refs(spread, *keys):
    return {spread[k].reference for k in keys}


def test_the_cqp_select_lists_the_branch_cqps_only(
    client, staff, open_cqp, second_cqp, other_cqp, spread
):
    client.force_login(staff)

    page = client.get(DOSSIERS)

    assert page.status_code == 200
    assert select_options(page, "cqp") == [
        ("", "All", False),
        (str(second_cqp.pk), "AGI — Agent <immobilier>", False),
        (str(open_cqp.pk), "NI — Négociateur immobilier", False),
    ]
    # The label is escaped in the markup, never markup itself.
    assert "Agent &lt;immobilier&gt;" in page.content.decode()
    assert "<immobilier>" not in page.content.decode()
    assert other_cqp.title not in page.content.decode()


def test_a_superuser_chooses_among_every_branch_cqp(
    client, superuser, open_cqp, second_cqp, other_cqp
):
    client.force_login(superuser)
    values = [value for value, _label, _sel in select_options(client.get(DOSSIERS), "cqp")]
    assert values == ["", str(second_cqp.pk), str(open_cqp.pk), str(other_cqp.pk)]


def test_the_evaluator_select_lists_the_branch_evaluators_and_none(
    client, staff, evaluators, spread
):
    client.force_login(staff)

    options = select_options(client.get(DOSSIERS), "evaluator")

    ana, zoe = evaluators["ana"], evaluators["zoe"]
    assert options == [
        ("", "All", False),
        ("none", "None assigned", False),
        (str(ana.pk), "Ana Abel (ana@eval.example)", False),
        (str(zoe.pk), "Zoé Zola (zoe@eval.example)", False),
    ]


def test_a_cpnef_member_gets_the_same_choices_as_the_staff(
    client, cpnef, open_cqp, second_cqp, evaluators
):
    client.force_login(cpnef)
    page = client.get(DOSSIERS)
    assert [v for v, _l, _s in select_options(page, "cqp")] == [
        "",
        str(second_cqp.pk),
        str(open_cqp.pk),
    ]
    assert [v for v, _l, _s in select_options(page, "evaluator")] == [
        "",
        "none",
        str(evaluators["ana"].pk),
        str(evaluators["zoe"].pk),
    ]


def test_filtering_on_a_cqp_or_an_evaluator_gives_their_dossiers(
    client, staff, open_cqp, second_cqp, evaluators, spread
):
    client.force_login(staff)
    ana, zoe = evaluators["ana"], evaluators["zoe"]
    cases = [
        ({}, ("ni_ana", "agi_zoe", "ni_none", "agi_none")),
        ({"cqp": open_cqp.pk}, ("ni_ana", "ni_none")),
        ({"cqp": second_cqp.pk}, ("agi_zoe", "agi_none")),
        ({"evaluator": ana.pk}, ("ni_ana",)),
        ({"evaluator": zoe.pk}, ("agi_zoe",)),
        ({"evaluator": "none"}, ("ni_none", "agi_none")),
        ({"cqp": second_cqp.pk, "evaluator": "none"}, ("agi_none",)),
        ({"cqp": open_cqp.pk, "evaluator": zoe.pk}, ()),
        ({"cqp": "", "evaluator": ""}, ("ni_ana", "agi_zoe", "ni_none", "agi_none")),
    ]
    for query, expected in cases:
        page = client.get(DOSSIERS, query)
        assert page.status_code == 200, query
        assert listed(page) == refs(spread, *expected), query

    page = client.get(DOSSIERS, {"cqp": second_cqp.pk, "evaluator": "none"})
    assert (str(second_cqp.pk), "AGI — Agent <immobilier>", True) in select_options(page, "cqp")
    assert ("none", "None assigned", True) in select_options(page, "evaluator")
    assert [s for _v, _l, s in select_options(page, "cqp")].count(True) == 1


def test_the_filters_do_not_reach_beyond_the_staffs_branch(
    client, staff, other_cqp, evaluators, spread
):
    client.force_login(staff)
    for query in ({"cqp": other_cqp.pk}, {"evaluator": evaluators["foreign"].pk}):
        page = client.get(DOSSIERS, query)
        assert page.status_code == 200
        assert rows(page) == [], query


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "query",
    [
        {"cqp": "abc"},
        {"cqp": "-1"},
        {"cqp": "1.5"},
        {"cqp": " 1"},
        {"cqp": "99999999"},
        {"cqp": "abc", "evaluator": "none"},
        {"evaluator": "99999999"},
        {"evaluator": "abc"},
        {"evaluator": "NONE"},
        {"evaluator": "-1"},
        {"cqp": HUGE},
        {"evaluator": HUGE},
        {"cqp": "²"},
        {"evaluator": "²"},
    ],
    ids=lambda query: "&".join(f"{name}={value}" for name, value in query.items()),
)
def test_a_bogus_filter_value_shows_no_row_and_no_error(client, staff, spread, query):
    client.force_login(staff)
    page = client.get(DOSSIERS, query)
    assert page.status_code == 200
    assert rows(page) == []
    assert checkboxes(page) == []


def test_the_filter_forms_keep_the_lists_other_parameters_but_not_the_page(
    client, staff, open_cqp, evaluators
):
    for n in range(51):
        dossier_in(make_candidate(f"bulk{n:02d}@example.org"), open_cqp)
    client.force_login(staff)
    query = {
        "q": "bulk",
        "status__exact": "submitted",
        "o": "1",
        "evaluator": "none",
        "p": "2",
    }

    page = client.get(DOSSIERS, query)

    assert page.status_code == 200
    assert len(rows(page)) == 1  # the second page
    forms = filter_forms(page)
    assert set(forms) == {"cqp", "evaluator"}
    assert sorted(forms["cqp"]) == sorted(
        [("q", "bulk"), ("status__exact", "submitted"), ("o", "1"), ("evaluator", "none")]
    )
    assert sorted(forms["evaluator"]) == sorted(
        [("q", "bulk"), ("status__exact", "submitted"), ("o", "1")]
    )
    for kept in forms.values():
        assert "p" not in {name for name, _value in kept}


def test_a_kept_parameter_is_escaped_in_its_hidden_input(client, staff, open_cqp):
    client.force_login(staff)
    page = client.get(DOSSIERS, {"q": '"><script>x</script>'})
    assert page.status_code == 200
    assert ("q", '"><script>x</script>') in filter_forms(page)["cqp"]
    assert "<script>x</script>" not in page.content.decode()


# --- 50 rows a page, the action checkbox -------------------------------------------------------


def test_a_page_shows_50_dossiers_and_the_51st_is_on_page_two(client, staff, open_cqp):
    made = [dossier_in(make_candidate(f"p{n:02d}@example.org"), open_cqp) for n in range(51)]
    client.force_login(staff)

    first = client.get(DOSSIERS)
    second = client.get(DOSSIERS, {"p": 2})

    assert len(rows(first)) == 50 and len(checkboxes(first)) == 50
    assert len(rows(second)) == 1 and len(checkboxes(second)) == 1
    assert first.context["cl"].paginator.num_pages == 2
    assert "?p=2" in first.content.decode()
    assert listed(first) | listed(second) == {d.reference for d in made}
    assert listed(first).isdisjoint(listed(second))


def test_fifty_dossiers_fit_on_one_page(client, staff, open_cqp):
    for n in range(50):
        dossier_in(make_candidate(f"p{n:02d}@example.org"), open_cqp)
    client.force_login(staff)
    page = client.get(DOSSIERS)
    assert len(rows(page)) == 50
    assert page.context["cl"].paginator.num_pages == 1
    assert "?p=2" not in page.content.decode()


def test_each_row_has_djangos_checkbox_markup_escaped(client, staff, open_cqp):
    hostile = make_candidate(
        "hostile@example.org", last_name='<b>O"Neil</b> & Co', first_name="Léa"
    )
    plain = make_candidate("plain@example.org", last_name="Martin", first_name="Jean")
    dossiers = [dossier_in(hostile, open_cqp), dossier_in(plain, open_cqp)]
    client.force_login(staff)

    page = client.get(DOSSIERS)

    content = page.content.decode()
    model_admin = admin.site._registry[Dossier]
    with translation.override("en"):
        for dossier in dossiers:
            # Django's own rendering (through the widget template) of the same checkbox.
            expected = str(admin.ModelAdmin.action_checkbox(model_admin, dossier))
            assert expected in content, expected
    assert sorted(checkboxes(page)) == sorted(
        (d.pk, f"Select this object for an action - {d}") for d in dossiers
    )
    assert '<input type="checkbox" id="action-toggle"' in content
    # The hostile name (upper-cased by the candidate's str) never becomes markup.
    assert "<B>O" not in content
    assert "&lt;B&gt;O&quot;NEIL&lt;/B&gt; &amp; CO" in content


def test_a_bulk_action_on_the_checked_rows_still_works(client, staff, open_cqp):
    made = [dossier_in(make_candidate(f"b{n}@example.org"), open_cqp) for n in range(3)]
    draft = dossier_in(make_candidate("draft@example.org"), open_cqp, S.DRAFT)
    client.force_login(staff)
    page = client.get(DOSSIERS)
    selected = [pk for pk, _label in checkboxes(page)]
    assert sorted(selected) == sorted(d.pk for d in [*made, draft])

    response = client.post(
        DOSSIERS,
        {"action": "declare_complete_selected", "index": 0, "_selected_action": selected},
        follow=True,
    )

    assert response.status_code == 200
    for dossier in made:
        dossier.refresh_from_db()
        assert dossier.completeness_checked_at is not None
        assert list(dossier.events.values_list("action", flat=True)) == ["declare_complete"]
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and draft.completeness_checked_at is None
    texts = [str(m) for m in response.context["messages"]]
    assert "3 dossiers declared complete." in texts
    assert any(draft.reference in text for text in texts)


def test_showing_the_filters_counts_keeps_the_list_and_its_selects(client, staff, open_cqp, spread):
    client.force_login(staff)
    page = client.get(DOSSIERS)
    assert "_facets=True" in page.content.decode()  # the admin offers "Show counts"

    page = client.get(DOSSIERS, {"_facets": "True", "cqp": open_cqp.pk})

    assert page.status_code == 200
    assert listed(page) == refs(spread, "ni_ana", "ni_none")
    assert ("_facets", "True") in filter_forms(page)["evaluator"]
    assert (str(open_cqp.pk), "NI — Négociateur immobilier", True) in select_options(page, "cqp")


# --- search -------------------------------------------------------------------------------------


@pytest.fixture
def people(open_cqp, other_cqp):
    """Hélène Dupré and namesakes in the branch; a Dupré of the other branch."""
    helene = make_candidate("h.dupre@agence-sud.example", first_name="Hélène", last_name="Dupré")
    martin = make_candidate("hm@example.org", first_name="Hélène", last_name="Martin")
    paul = make_candidate("pd@example.org", first_name="Paul", last_name="Dupré")
    jean = make_candidate("jean.dupre@cdna.example", first_name="Jean", last_name="Dupré")
    return {
        "helene": (helene, dossier_in(helene, open_cqp, reference="2026-424242")),
        "martin": (martin, dossier_in(martin, open_cqp, reference="2026-000101")),
        "paul": (paul, dossier_in(paul, open_cqp, reference="2026-000102")),
        "jean": (jean, dossier_in(jean, other_cqp, reference="2026-000103")),
    }


def found(client, url, term):
    page = client.get(url, {"q": term})
    assert page.status_code == 200, term
    return set(rows(page))


def test_the_services_search_key_holds_the_names_and_email_without_accents(people):
    helene, _dossier = people["helene"]
    assert helene.search_text == "dupre helene h.dupre@agence-sud.example"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("helene dupre", {"helene"}),
        ("Hélène Dupré", {"helene"}),
        ("DUPRE", {"helene", "paul"}),
        ("dupre  HELENE", {"helene"}),
        ("helene", {"helene", "martin"}),
        ("agence-sud", {"helene"}),
        ("h.dupre@", {"helene"}),
        ("helene martin", {"martin"}),
        ("paul helene", set()),
        ("jean", set()),  # of the other branch
        ("", {"helene", "martin", "paul"}),
    ],
)
def test_the_candidates_admin_finds_by_name_accents_and_case_aside(
    client, staff, people, term, expected
):
    client.force_login(staff)
    assert found(client, CANDIDATES, term) == {people[k][0] for k in expected}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("helene dupre", {"helene"}),
        ("HÉLÈNE DUPRÉ", {"helene"}),
        ("DUPRE", {"helene", "paul"}),
        ("agence-sud", {"helene"}),
        ("424242", {"helene"}),
        ("2026-4242", {"helene"}),
        ("2026-000", {"martin", "paul"}),
        ("424242 helene", {"helene"}),  # a reference word and a name word: both match
        ("424242 martin", set()),
        ("helene martin", {"martin"}),
        ("jean dupre", set()),  # of the other branch
    ],
)
def test_the_dossiers_admin_finds_by_name_email_or_reference(client, staff, people, term, expected):
    client.force_login(staff)
    assert found(client, DOSSIERS, term) == {people[k][1] for k in expected}


def test_staff_of_another_branch_do_not_find_her(client, other_staff, people):
    client.force_login(other_staff)
    jean, jean_dossier = people["jean"]
    # Their search works (their own Dupré is found) ...
    assert found(client, DOSSIERS, "dupre") == {jean_dossier}
    assert found(client, CANDIDATES, "dupre") == {jean}
    # ... but never reaches the other branch's candidates.
    for term in ("helene dupre", "helene", "agence-sud", "424242"):
        assert found(client, DOSSIERS, term) == set(), term
        assert found(client, CANDIDATES, term) == set(), term


def test_a_superuser_finds_every_dupre(client, superuser, people):
    client.force_login(superuser)
    assert found(client, DOSSIERS, "dupre") == {people[k][1] for k in ("helene", "paul", "jean")}
    assert found(client, CANDIDATES, "DUPRÉ") == {people[k][0] for k in ("helene", "paul", "jean")}


def test_the_candidate_list_counts_only_the_staffs_branch_dossiers_and_sorts_by_name(
    client, staff, superuser, people, open_cqp, other_cqp
):
    helene, _dossier = people["helene"]
    dossier_in(helene, other_cqp, reference="2026-999001")  # a second one, in the other branch
    dossier_in(helene, open_cqp, S.ARCHIVED, reference="2026-999002")
    client.force_login(staff)

    page = client.get(CANDIDATES)

    counts = {c: c._dossier_count for c in rows(page)}
    assert counts[helene] == 2  # the branch's two, not the other branch's
    assert [str(c) for c in rows(page)] == ["DUPRÉ Hélène", "DUPRÉ Paul", "MARTIN Hélène"]
    client.force_login(superuser)
    counts = {c: c._dossier_count for c in rows(client.get(CANDIDATES))}
    assert counts[helene] == 3


# --- query counts independent of the rows -------------------------------------------------------


def queries_for(client, url, query=None):
    """How many queries the page issues once warm (session, content types, cached counts)."""
    client.get(url, query or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(captured.captured_queries), response


def add_dossiers(count, cqp, evaluators, start):
    """`count` dossiers of different statuses, with or without an evaluator (the first one
    submitted, with the first evaluator: every query of the tests below finds it)."""
    statuses = [S.SUBMITTED, S.POSITIONING, S.EVALUATION, S.ADMISSIBLE, S.READY_FOR_JURY]
    for n in range(start, start + count):
        evaluator = evaluators[n % len(evaluators)] if n % 3 != 1 else None
        dossier_in(
            make_candidate(f"q{n:03d}@example.org"),
            cqp,
            statuses[n % len(statuses)],
            evaluator=evaluator,
            evaluator_due_on=today() - datetime.timedelta(days=n - 10) if evaluator else None,
        )


def test_the_dossier_changelist_query_count_does_not_grow_with_rows(
    client, staff, open_cqp, evaluators
):
    people = [evaluators["ana"], evaluators["zoe"]]
    client.force_login(staff)
    queries = [
        {},
        {"q": "example"},
        {"cqp": open_cqp.pk, "evaluator": evaluators["ana"].pk},
        {"status__exact": "submitted", "evaluator": evaluators["ana"].pk},
        {"o": "-3"},
    ]
    add_dossiers(1, open_cqp, people, start=0)
    few = {}
    for query in queries:
        few[str(query)], page = queries_for(client, DOSSIERS, query)
        assert len(rows(page)) == 1, query
    add_dossiers(29, open_cqp, people, start=1)
    for query in queries:
        many, page = queries_for(client, DOSSIERS, query)
        assert len(rows(page)) > 1, query
        assert many == few[str(query)], query
    assert len(rows(client.get(DOSSIERS))) == 30


def test_the_candidate_changelist_query_count_does_not_grow_with_rows(
    client, staff, open_cqp, evaluators
):
    client.force_login(staff)
    queries = [{}, {"q": "example"}, {"situation__exact": "employee"}, {"o": "-5"}]
    add_dossiers(1, open_cqp, [evaluators["ana"]], start=0)
    few = {str(q): queries_for(client, CANDIDATES, q)[0] for q in queries}
    add_dossiers(29, open_cqp, [evaluators["ana"]], start=1)
    for query in queries:
        many, page = queries_for(client, CANDIDATES, query)
        assert len(rows(page)) == 30, query
        assert many == few[str(query)], query


# --- the evaluator's list: progress for the page's dossiers ------------------------------------


@pytest.fixture
def three_units_cqp(branch, staff, cpnef):
    from tests.candidates.test_evaluator_pages import open_cqp_with_units

    return open_cqp_with_units(branch, staff, cpnef, "TRI", units=3, competences=1, criteria=1)


def assessed(dossier, unit, evaluator):
    return UnitAssessment.objects.create(
        dossier=dossier,
        unit=unit,
        evaluator=evaluator,
        assessed_on=today(),
        modality="interview",
        result="validated",
    )


def booklet(dossier):
    return DossierDocument.objects.create(
        dossier=dossier,
        kind=DossierDocument.Kind.VAE_BOOKLET,
        file="dossiers/x/livret.pdf",
        original_name="livret.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=dossier.candidate.user,
    )


def at_work(evaluator, cqp, status, index):
    """A dossier of the evaluator; the list sorts them by reference (no due date)."""
    return dossier_in(
        make_candidate(f"w{index:03d}@example.org"),
        cqp,
        status,
        reference=f"E-{index:04d}",
        evaluator=evaluator,
    )


def steps_on(page):
    return {d.reference: d.next_step for d in page.context["dossiers"]}


def test_the_list_says_each_dossiers_progress_on_both_pages(client, evaluator, three_units_cqp):
    bc01, bc02, bc03 = three_units_cqp.referentiels.get().units.order_by("order")
    # Page one: 25 dossiers in evaluation, none assessed but the first two.
    first = [at_work(evaluator, three_units_cqp, S.EVALUATION, n) for n in range(25)]
    assessed(first[0], bc01, evaluator)
    for unit in (bc01, bc02, bc03):
        assessed(first[1], unit, evaluator)
    # Page two: each dossier its own figures.
    one_done = at_work(evaluator, three_units_cqp, S.EVALUATION, 25)
    assessed(one_done, bc02, evaluator)
    two_done = at_work(evaluator, three_units_cqp, S.EVALUATION, 26)
    assessed(two_done, bc01, evaluator)
    assessed(two_done, bc03, evaluator)
    held = at_work(evaluator, three_units_cqp, S.EVALUATION, 27)
    acquired = AcquiredUnit.objects.create(
        candidate=held.candidate, unit=bc01, dossier=first[1], acquired_on=today()
    )
    CarriedOverUnit.objects.create(dossier=held, unit=bc01, acquired=acquired)
    assessed(held, bc02, evaluator)
    with_booklet = at_work(evaluator, three_units_cqp, S.VAE, 28)
    booklet(with_booklet)
    waiting = at_work(evaluator, three_units_cqp, S.VAE, 29)
    client.force_login(evaluator)

    page_one = client.get(EVALUATOR_LIST)
    page_two = client.get(EVALUATOR_LIST, {"page": 2})

    steps = steps_on(page_one)
    assert len(steps) == 25
    assert steps[first[0].reference] == "Assess the units (1 of 3 done)"
    assert steps[first[1].reference] == "Declare ready for the jury"
    assert {steps[d.reference] for d in first[2:]} == {"Assess the units (0 of 3 done)"}
    assert steps_on(page_two) == {
        one_done.reference: "Assess the units (1 of 3 done)",
        two_done.reference: "Assess the units (2 of 3 done)",
        held.reference: "Assess the units (1 of 2 done)",  # BC01 held already
        with_booklet.reference: "Examine the VAE booklet, then start the evaluation",
        waiting.reference: "Waiting for the VAE booklet",
    }
    html = page_two.content.decode()
    for text in ("Assess the units (2 of 3 done)", "Waiting for the VAE booklet"):
        assert text in html


def test_the_evaluator_list_query_count_does_not_grow_with_rows(client, evaluator, three_units_cqp):
    bc01 = three_units_cqp.referentiels.get().units.order_by("order").first()
    statuses = [S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION, S.READY_FOR_JURY]

    def make(start, count):
        for n in range(start, start + count):
            dossier = at_work(evaluator, three_units_cqp, statuses[n % len(statuses)], n)
            if dossier.status == S.EVALUATION:
                assessed(dossier, bc01, evaluator)
            if dossier.status == S.VAE and n % 2:
                booklet(dossier)

    client.force_login(evaluator)
    queries = [{}, {"status": "evaluation"}, {"cqp": three_units_cqp.pk}, {"page": 1}]
    make(3, 1)  # one dossier, in evaluation
    few = {str(q): queries_for(client, EVALUATOR_LIST, q)[0] for q in queries}
    make(4, 29)
    for query in queries:
        assert queries_for(client, EVALUATOR_LIST, query)[0] == few[str(query)], query
    assert len(client.get(EVALUATOR_LIST).context["dossiers"]) == 25
    many, page_two = queries_for(client, EVALUATOR_LIST, {"page": 2})
    assert many == few[str({"page": 1})]
    assert len(page_two.context["dossiers"]) == 5


# --- counts kept until a write -----------------------------------------------------------------


def count_queries(client, url, params=None) -> tuple[int, int]:
    """The list's total and how many COUNT queries the request ran."""
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, params or {})
    counts = [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    return page.context["cl"].result_count, len(counts)


def test_a_list_counts_once_until_a_dossier_or_candidate_is_written(
    client, staff, open_cqp, settings
):
    settings.ADMIN_COUNT_CACHE_SECONDS = 60
    dossier_in(make_candidate("first@example.org"), open_cqp)
    client.force_login(staff)

    assert count_queries(client, DOSSIERS) == (1, 1)
    assert count_queries(client, DOSSIERS) == (1, 0)  # the same query: counted already
    assert count_queries(client, DOSSIERS, {"status__exact": "submitted"}) == (1, 1)

    candidate = make_candidate("second@example.org")  # a write: every count is stale
    assert count_queries(client, CANDIDATES)[1] == 1
    dossier_in(candidate, open_cqp)
    assert count_queries(client, DOSSIERS) == (2, 1)
    assert count_queries(client, CANDIDATES) == (2, 1)


def test_without_a_cache_time_every_request_counts(client, staff, open_cqp, settings):
    settings.ADMIN_COUNT_CACHE_SECONDS = 0
    dossier_in(make_candidate("first@example.org"), open_cqp)
    client.force_login(staff)

    assert count_queries(client, DOSSIERS) == (1, 1)
    assert count_queries(client, DOSSIERS) == (1, 1)
