"""The catalogue pages: public catalogue and CQP page, CPNEF space, evaluator space."""

import datetime
import re

import pytest
from django.utils import timezone

from certifications import services
from certifications.models import CpnefDecision, Cqp
from tests import factories
from tests.test_pages import assert_no_external_references

APPROVE = CpnefDecision.Outcome.APPROVE
ROLES = ["plain_user", "staff", "cpnef", "other_cpnef", "superuser", "evaluator"]


def today():
    return timezone.localdate()


def open_cqp(cqp: Cqp, *, staff, cpnef) -> Cqp:
    """Take a draft CQP through submission, CPNEF approval and publication of version 1."""
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(cqp=cqp, outcome=APPROVE, meeting_date=today(), actor=cpnef)
    services.referentiel_publish(referentiel=cqp.referentiels.get(version=1), actor=staff)
    cqp.refresh_from_db()
    return cqp


def submitted_cqp(branch, staff, **kwargs) -> Cqp:
    cqp = factories.cqp_with_referentiel(branch=branch, **kwargs)
    services.cqp_submit(cqp=cqp, actor=staff)
    return cqp


def detail_url(cqp) -> str:
    return f"/catalogue/cqp/{cqp.pk}/"


def login(client, request, role):
    """Log `role` in (a fixture name, or "anonymous"); returns the user or None."""
    if role == "anonymous":
        return None
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def links_to_cqps(html: str) -> set[str]:
    return set(re.findall(r'href="/catalogue/cqp/(\d+)/"', html))


@pytest.fixture
def evaluator(branch):
    user = factories.UserFactory(email="evaluator@example.org")
    factories.AccreditationFactory(user=user, branch=branch, reference="ACC-IMMO-1")
    return user


@pytest.fixture
def open_ni(cqp, staff, cpnef):
    return open_cqp(cqp, staff=staff, cpnef=cpnef)


@pytest.fixture
def open_vjj(other_cqp, other_staff, other_cpnef):
    return open_cqp(other_cqp, staff=other_staff, cpnef=other_cpnef)


# --- public catalogue ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_the_catalogue_is_public(client, request, role, open_ni):
    login(client, request, role)

    response = client.get("/catalogue/")

    assert response.status_code == 200
    assert links_to_cqps(response.content.decode()) == {str(open_ni.pk)}


@pytest.mark.django_db
def test_the_catalogue_shows_only_cqps_open_to_candidates(
    client, branch, staff, cpnef, second_cpnef, open_ni
):
    draft = factories.cqp_with_referentiel(branch=branch, code="DRAFT")
    submitted = submitted_cqp(branch, staff, code="SUB")
    approved_unpublished = submitted_cqp(branch, staff, code="UNPUB")
    services.cpnef_decision_record(
        cqp=approved_unpublished, outcome=APPROVE, meeting_date=today(), actor=cpnef
    )
    expired = open_cqp(factories.cqp_with_referentiel(branch=branch), staff=staff, cpnef=cpnef)
    Cqp.objects.filter(pk=expired.pk).update(
        registration_end_date=today() - datetime.timedelta(days=1)
    )
    still_registered = open_cqp(
        factories.cqp_with_referentiel(branch=branch), staff=staff, cpnef=cpnef
    )
    Cqp.objects.filter(pk=still_registered.pk).update(registration_end_date=today())
    suspended = open_cqp(factories.cqp_with_referentiel(branch=branch), staff=staff, cpnef=cpnef)
    services.cqp_suspend(cqp=suspended, actor=staff, comment="Révision en cours")

    html = client.get("/catalogue/").content.decode()

    assert links_to_cqps(html) == {str(open_ni.pk), str(still_registered.pk)}
    for closed in (draft, submitted, approved_unpublished, expired, suspended):
        assert detail_url(closed) not in html


@pytest.mark.django_db
def test_the_catalogue_shows_branch_level_and_registry_number(client, staff, open_ni):
    services.cqp_update(cqp=open_ni, actor=staff, registry_number="RNCP34567", level="4")

    row = re.search(
        r"<tr>\s*<td>\s*<a href=\"/catalogue/cqp/.*?</tr>",
        client.get("/catalogue/").content.decode(),
        re.S,
    ).group(0)

    assert "Négociateur immobilier" in row
    assert "Immobilier" in row
    assert "RNCP34567" in row
    assert open_ni.get_level_display() in row


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("négociateur", {"open_ni"}),
        ("vjj", {"open_vjj"}),
        ("34567", {"open_ni"}),
        ("no such thing", set()),
        ("", {"open_ni", "open_vjj"}),
    ],
)
def test_the_catalogue_searches_titles_codes_and_numbers(
    client, request, staff, open_ni, open_vjj, query, expected
):
    services.cqp_update(cqp=open_ni, actor=staff, registry_number="RNCP34567")
    pks = {str(request.getfixturevalue(name).pk) for name in expected}

    response = client.get("/catalogue/", {"q": query})

    assert response.status_code == 200
    assert links_to_cqps(response.content.decode()) == pks


@pytest.mark.django_db
def test_the_catalogue_filters_by_branch(client, open_ni, open_vjj):
    html = client.get("/catalogue/", {"branch": "cdna"}).content.decode()

    assert links_to_cqps(html) == {str(open_vjj.pk)}
    assert '<option value="cdna" selected>' in html
    assert '<option value="immobilier">' in html


@pytest.mark.django_db
def test_the_catalogue_filter_lists_only_branches_with_open_cqps(client, open_ni, other_cqp):
    html = client.get("/catalogue/").content.decode()

    assert '<option value="immobilier">' in html
    assert 'value="cdna"' not in html


@pytest.mark.django_db
def test_an_htmx_search_gets_only_the_results(client, open_ni, open_vjj):
    response = client.get("/catalogue/", {"q": "vjj"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<table" in html
    assert links_to_cqps(html) == {str(open_vjj.pk)}
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_htmx_restoring_its_history_gets_the_whole_page(client, open_ni):
    response = client.get(
        "/catalogue/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_the_catalogue_is_paginated_by_25(client, branch, staff, cpnef):
    for index in range(30):
        cqp = factories.cqp_with_referentiel(branch=branch, units=1, title=f"Métier {index:02d}")
        open_cqp(cqp, staff=staff, cpnef=cpnef)

    first = client.get("/catalogue/", {"branch": "immobilier"}).content.decode()
    second = client.get("/catalogue/", {"branch": "immobilier", "page": 2}).content.decode()

    assert len(links_to_cqps(first)) == 25
    assert len(links_to_cqps(second)) == 5
    assert not links_to_cqps(first) & links_to_cqps(second)
    assert 'href="?branch=immobilier&amp;page=2"' in first
    assert client.get("/catalogue/", {"page": 9}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_the_catalogue_query_count_does_not_grow_with_rows(
    client,
    branch,
    other_branch,
    staff,
    cpnef,
    other_staff,
    other_cpnef,
    rows,
    django_assert_max_num_queries,
):
    for index in range(rows):
        branch_, staff_, cpnef_ = (
            (branch, staff, cpnef) if index % 2 == 0 else (other_branch, other_staff, other_cpnef)
        )
        open_cqp(
            factories.cqp_with_referentiel(branch=branch_, units=1), staff=staff_, cpnef=cpnef_
        )
    client.force_login(cpnef)

    # session, user, memberships, accreditation, candidate profile and jury seat (navigation),
    # count, rows, branches
    with django_assert_max_num_queries(9):
        response = client.get("/catalogue/")

    assert len(links_to_cqps(response.content.decode())) == min(rows, 25)


# --- public CQP page ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_the_page_of_an_open_cqp_is_public(client, request, role, open_ni):
    login(client, request, role)

    response = client.get(detail_url(open_ni))

    assert response.status_code == 200
    assert response.context["cqp"] == open_ni


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "staff", "cpnef", "superuser"])
def test_the_page_of_a_cqp_not_open_is_not_found_even_for_its_branch(client, request, role, cqp):
    login(client, request, role)

    assert client.get(detail_url(cqp)).status_code == 404
    assert client.get("/catalogue/cqp/999999/").status_code == 404


@pytest.mark.django_db
def test_the_page_of_an_expired_cqp_is_not_found(client, open_ni):
    Cqp.objects.filter(pk=open_ni.pk).update(
        registration_end_date=today() - datetime.timedelta(days=1)
    )

    assert client.get(detail_url(open_ni)).status_code == 404


@pytest.mark.django_db
def test_the_cqp_page_shows_its_identity_and_published_referentiel(client, staff, open_ni):
    services.cqp_update(cqp=open_ni, actor=staff, registry_number="RNCP34567")
    referentiel = open_ni.referentiels.get()
    units = list(referentiel.units.order_by("order"))
    units[0].evaluation_modalities = "Mise en situation professionnelle"
    units[0].save()  # test setup: published versions are only read-only through the services

    html = client.get(detail_url(open_ni)).content.decode()

    assert html.count("<h1") == 1
    assert "Négociateur immobilier" in html and "RNCP34567" in html and "Immobilier" in html
    assert html.index(units[0].title) < html.index(units[1].title)
    for unit in units:
        assert unit.code in html
        for competence in unit.competences.all():
            assert competence.text in html
        for criterion in unit.criteria.all():
            assert criterion.text in html
    assert "Mise en situation professionnelle" in html


@pytest.mark.django_db
def test_the_cqp_page_shows_the_published_version_not_the_new_draft(client, staff, open_ni):
    published = open_ni.referentiels.get()
    draft = services.referentiel_new_version(referentiel=published, actor=staff)
    services.unit_save(referentiel=draft, actor=staff, code="BC99", title="Bloc en projet")

    response = client.get(detail_url(open_ni))

    assert response.context["referentiel"] == published
    assert "Bloc en projet" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("units", [1, 8])
def test_the_cqp_page_query_count_does_not_grow_with_units(
    client, branch, staff, cpnef, units, django_assert_max_num_queries
):
    cqp = factories.cqp_with_referentiel(branch=branch, units=units, competences=3, criteria=2)
    open_cqp(cqp, staff=staff, cpnef=cpnef)

    # cqp, référentiel, units, competences, criteria
    with django_assert_max_num_queries(5):
        response = client.get(detail_url(cqp))

    assert len(response.context["referentiel"].units.all()) == units


# --- CPNEF space --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cpnef_space_sends_anonymous_visitors_to_login(client):
    response = client.get("/catalogue/cpnef/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/catalogue/cpnef/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["plain_user", "staff", "evaluator"])
def test_the_cpnef_space_is_forbidden_to_non_members(client, request, role):
    login(client, request, role)

    assert client.get("/catalogue/cpnef/").status_code == 403


@pytest.mark.django_db
def test_the_cpnef_space_lists_own_branch_projects_only(
    client, branch, other_branch, staff, other_staff, cpnef
):
    own = submitted_cqp(branch, staff, code="OWN", title="Projet de ma branche")
    draft = factories.cqp_with_referentiel(branch=branch, code="DRAFT", title="Brouillon")
    other = submitted_cqp(other_branch, other_staff, code="OTHER", title="Projet d'ailleurs")
    client.force_login(cpnef)

    response = client.get("/catalogue/cpnef/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["projects"] == [own]
    assert "Projet de ma branche" in html
    assert "Projet d'ailleurs" not in html and "Projet d&#x27;ailleurs" not in html
    assert draft.title not in html
    assert other.code not in html


@pytest.mark.django_db
def test_the_cpnef_space_lists_resubmitted_projects(client, branch, staff, cpnef, second_cpnef):
    cqp = submitted_cqp(branch, staff, code="RES")
    services.cpnef_decision_record(
        cqp=cqp,
        outcome=CpnefDecision.Outcome.REQUEST_CHANGES,
        meeting_date=today(),
        actor=second_cpnef,
        comment="Préciser les critères.",
    )
    services.cqp_resubmit(cqp=cqp, actor=staff)
    client.force_login(cpnef)

    response = client.get("/catalogue/cpnef/")

    assert response.context["projects"] == [cqp]


@pytest.mark.django_db
def test_the_cpnef_space_links_each_project_to_the_admin_decision_page(
    client, branch, staff, cpnef
):
    project = submitted_cqp(branch, staff, code="OWN")
    client.force_login(cpnef)

    response = client.get("/catalogue/cpnef/")

    decide_url = response.context["projects"][0].decide_url
    assert decide_url.startswith(f"/admin/certifications/cqp/{project.pk}/")
    assert f'href="{decide_url}"' in response.content.decode()


@pytest.mark.django_db
def test_the_cpnef_space_lists_recent_decisions_of_own_branch_only(
    client, open_ni, open_vjj, cpnef
):
    client.force_login(cpnef)

    response = client.get("/catalogue/cpnef/")

    assert [d.cqp for d in response.context["decisions"]] == [open_ni]
    assert open_vjj.title not in response.content.decode()


@pytest.mark.django_db
def test_the_superuser_sees_every_branchs_projects(
    client, branch, other_branch, staff, other_staff, superuser
):
    own = submitted_cqp(branch, staff, code="OWN")
    other = submitted_cqp(other_branch, other_staff, code="OTHER")
    client.force_login(superuser)

    response = client.get("/catalogue/cpnef/")

    assert response.status_code == 200
    assert set(response.context["projects"]) == {own, other}


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 12])
def test_the_cpnef_space_query_count_does_not_grow_with_rows(
    client, branch, staff, cpnef, second_cpnef, rows, django_assert_max_num_queries
):
    for _index in range(rows):
        submitted_cqp(branch, staff, units=1)
        decided = submitted_cqp(branch, staff, units=1)
        services.cpnef_decision_record(
            cqp=decided, outcome=APPROVE, meeting_date=today(), actor=second_cpnef
        )
    client.force_login(cpnef)

    # session, user, memberships, accreditation, candidate profile, jury seat (navigation),
    # projects, decisions
    with django_assert_max_num_queries(8):
        response = client.get("/catalogue/cpnef/")

    assert len(response.context["projects"]) == rows
    assert len(response.context["decisions"]) == rows


# --- evaluator space ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_evaluator_space_sends_anonymous_visitors_to_login(client):
    response = client.get("/catalogue/accreditations/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/catalogue/accreditations/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["plain_user", "staff", "cpnef", "other_cpnef", "superuser"])
def test_the_evaluator_space_is_forbidden_without_accreditation(client, request, role):
    login(client, request, role)

    assert client.get("/catalogue/accreditations/").status_code == 403


@pytest.mark.django_db
def test_the_evaluator_space_lists_own_accreditations_with_their_validity(
    client, evaluator, other_branch, cqp, other_cqp
):
    yesterday = today() - datetime.timedelta(days=1)
    expired = factories.AccreditationFactory(
        user=evaluator,
        branch=other_branch,
        valid_from=today() - datetime.timedelta(days=400),
        valid_until=yesterday,
    )
    expired.cqps.set([other_cqp])
    someone_else = factories.AccreditationFactory(branch=other_branch, reference="NOT-MINE")
    client.force_login(evaluator)

    response = client.get("/catalogue/accreditations/")

    html = response.content.decode()
    assert response.status_code == 200
    rows = {a.branch.name: a for a in response.context["accreditations"]}
    assert set(rows) == {"Immobilier", "Commerce de détail"}
    assert rows["Immobilier"].valid_today is True
    assert rows["Commerce de détail"].valid_today is False
    assert "ACC-IMMO-1" in html
    assert other_cqp.title in html  # the CQPs of a restricted accreditation are listed
    assert cqp.title not in html  # the unrestricted one says "all CQPs", not each one
    assert someone_else.reference not in html


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 10])
def test_the_evaluator_space_query_count_does_not_grow_with_rows(
    client, evaluator, rows, django_assert_max_num_queries
):
    for _index in range(rows):
        accreditation = factories.AccreditationFactory(user=evaluator)
        accreditation.cqps.set(
            [factories.CqpFactory(branch=accreditation.branch) for _ in range(3)]
        )
    client.force_login(evaluator)

    # session, user, memberships, accreditation, candidate profile, jury seat (navigation),
    # accreditations, cqps
    with django_assert_max_num_queries(8):
        response = client.get("/catalogue/accreditations/")

    assert len(response.context["accreditations"]) == rows + 1


# --- no third-party host ------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_catalogue_page_references_another_host(
    client, branch, staff, cpnef, evaluator, superuser, open_ni
):
    submitted_cqp(branch, staff, code="SUB")
    for url in ("/catalogue/", "/catalogue/?q=ni", detail_url(open_ni)):
        assert_no_external_references(client.get(url))
    client.force_login(cpnef)
    assert_no_external_references(client.get("/catalogue/cpnef/"))
    client.force_login(evaluator)
    assert_no_external_references(client.get("/catalogue/accreditations/"))
    client.force_login(superuser)
    assert_no_external_references(client.get("/catalogue/cpnef/"))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["veterinaire", "VÉTÉRINAIRE", "auxiliaire  vetérinaire"])
def test_the_catalogue_search_ignores_accents_case_and_spacing(client, branch, staff, cpnef, query):
    cqp = services.cqp_create(
        branch=branch, code="ASV", title="Auxiliaire spécialisé vétérinaire", actor=staff
    )
    services.unit_set_contents(
        unit=services.unit_save(
            referentiel=cqp.referentiels.get(), code="BC01", title="Accueil", actor=staff
        ),
        competences=["Accueillir"],
        criteria=["Accueil conforme"],
        actor=staff,
    )
    open_cqp(cqp, staff=staff, cpnef=cpnef)

    response = client.get("/catalogue/", {"q": query})

    assert links_to_cqps(response.content.decode()) == {str(cqp.pk)}
    # Every word must match.
    unmatched = client.get("/catalogue/", {"q": "vétérinaire plombier"})
    assert not links_to_cqps(unmatched.content.decode())
