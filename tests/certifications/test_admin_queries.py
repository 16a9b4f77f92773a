"""Admin pages keep a bounded number of SQL queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications import services
from certifications.models import (
    BranchMembership,
    CpnefDecision,
    CqpEvent,
    IdccConvention,
    Referentiel,
    ReferentielStatus,
)
from tests import factories

FEW, MANY = 1, 30
FEW_UNITS, MANY_UNITS = 1, 12
CHANGELISTS = [
    "cqp",
    "referentiel",
    "cpnefdecision",
    "trainingprovider",
    "habilitation",
    "evaluatoraccreditation",
    "unitequivalence",
    "branch",
]


def add_row(model_name, branch, viewer):
    """One more row of `model_name` in `branch`, shaped like real data (relations filled)."""
    if model_name == "branch":
        new = factories.BranchFactory()
        new.idcc_conventions.add(*IdccConvention.objects.order_by("?")[:2])
        if not viewer.is_superuser:
            BranchMembership.objects.create(
                user=viewer, branch=new, role=BranchMembership.BranchRole.STAFF
            )
        return
    cqp = factories.cqp_with_referentiel(branch=branch, units=1, competences=2)
    first = cqp.referentiels.get()
    if model_name in ("cqp", "unitequivalence"):
        services.referentiel_publish(referentiel=first, actor=None)
    if model_name == "unitequivalence":
        services.referentiel_new_version(referentiel=first, actor=None)  # one per unit
    elif model_name == "cpnefdecision":
        CpnefDecision.objects.create(
            cqp=cqp,
            outcome=CpnefDecision.Outcome.REQUEST_CHANGES,
            meeting_date=timezone.localdate(),
            comment="À revoir.",
            decided_by=factories.UserFactory(),
        )
    elif model_name == "trainingprovider":
        provider = factories.ProviderFactory()
        provider.branches.add(branch)
        factories.HabilitationFactory(provider=provider, cqp=cqp)
    elif model_name == "habilitation":
        factories.HabilitationFactory(cqp=cqp)
    elif model_name == "evaluatoraccreditation":
        accreditation = factories.AccreditationFactory(branch=branch)
        accreditation.cqps.add(cqp)


def measure(client, url):
    client.get(url)  # warm the per-process caches (content types, templates)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture(params=["staff", "superuser"])
def viewer(request, client, branch, other_branch):
    user = request.getfixturevalue(request.param)
    client.force_login(user)
    return user


def rows_for(viewer, branch, other_branch, count):
    """Where the next `count` rows go: the viewer's branch, or both branches for a superuser."""
    branches = [branch, other_branch] if viewer.is_superuser else [branch]
    return [branches[i % len(branches)] for i in range(count)]


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", CHANGELISTS)
def test_changelists_keep_a_bounded_query_count(
    client, django_assert_max_num_queries, viewer, branch, other_branch, model_name
):
    url = reverse(f"admin:certifications_{model_name}_changelist")
    # The fixture branches are rows of the branch list: the staff's own, or both.
    existing = (2 if viewer.is_superuser else 1) if model_name == "branch" else 0
    for target in rows_for(viewer, branch, other_branch, FEW):
        add_row(model_name, target, viewer)
    few_queries, response = measure(client, url)
    assert response.context["cl"].result_count == FEW + existing

    for target in rows_for(viewer, branch, other_branch, MANY - FEW):
        add_row(model_name, target, viewer)
    with django_assert_max_num_queries(few_queries):
        response = client.get(url)

    assert response.context["cl"].result_count == MANY + existing
    assert len(response.context["cl"].result_list) == MANY + existing  # all on one page


# --- change pages --------------------------------------------------------------------------------


def grow_cqp_history(cqp, count, actor):
    """`count` more retired versions, CPNEF decisions and events on the CQP page."""
    last = cqp.referentiels.order_by("-version").values_list("version", flat=True).first() or 0
    for i in range(1, count + 1):
        version = factories.ReferentielFactory(
            cqp=cqp, version=last + i, status=ReferentielStatus.RETIRED
        )
        factories.UnitFactory(referentiel=version)
        CpnefDecision.objects.create(
            cqp=cqp,
            outcome=CpnefDecision.Outcome.REQUEST_CHANGES,
            meeting_date=timezone.localdate(),
            comment=f"Demande {i}",
            decided_by=actor,
        )
        CqpEvent.objects.create(
            cqp=cqp, action="submit", from_status="draft", to_status="submitted", actor=actor
        )


@pytest.mark.django_db
def test_the_cqp_page_keeps_a_bounded_query_count(
    client, django_assert_max_num_queries, viewer, cqp, cpnef
):
    url = reverse("admin:certifications_cqp_change", args=[cqp.pk])
    grow_cqp_history(cqp, 1, cpnef)
    few_queries, _response = measure(client, url)

    grow_cqp_history(cqp, MANY_UNITS - 1, cpnef)
    with django_assert_max_num_queries(few_queries):
        response = client.get(url)

    assert response.status_code == 200
    assert cqp.referentiels.count() == MANY_UNITS + 1
    assert cqp.cpnef_decisions.count() == MANY_UNITS


def add_units(referentiel, count, start):
    for index in range(start, start + count):
        unit = factories.UnitFactory(referentiel=referentiel, code=f"BC{index:02d}", order=index)
        for order in range(1, 5):
            factories.CompetenceFactory(unit=unit, order=order)
        for order in range(1, 4):
            factories.CriterionFactory(unit=unit, order=order)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ReferentielStatus.DRAFT, ReferentielStatus.PUBLISHED])
def test_the_referentiel_page_keeps_a_bounded_query_count(
    client, django_assert_max_num_queries, viewer, branch, status
):
    cqp = factories.CqpFactory(branch=branch)
    referentiel = Referentiel.objects.create(cqp=cqp, version=1, status=status)
    url = reverse("admin:certifications_referentiel_change", args=[referentiel.pk])
    add_units(referentiel, FEW_UNITS, start=1)
    few_queries, response = measure(client, url)
    editable = 'name="units-0-competences_text"' in response.content.decode()
    assert editable is (status == ReferentielStatus.DRAFT)

    add_units(referentiel, MANY_UNITS - FEW_UNITS, start=FEW_UNITS + 1)
    with django_assert_max_num_queries(few_queries):
        response = client.get(url)

    html = response.content.decode()
    assert f"BC{MANY_UNITS:02d}" in html
    assert html.count("Compétence") >= 4 * MANY_UNITS


@pytest.mark.django_db
def test_the_provider_page_keeps_a_bounded_query_count(
    client, django_assert_max_num_queries, viewer, branch
):
    provider = factories.ProviderFactory()
    provider.branches.add(branch)
    url = reverse("admin:certifications_trainingprovider_change", args=[provider.pk])
    factories.HabilitationFactory(provider=provider, cqp=factories.CqpFactory(branch=branch))
    few_queries, _response = measure(client, url)

    for _ in range(MANY_UNITS - 1):
        factories.HabilitationFactory(provider=provider, cqp=factories.CqpFactory(branch=branch))
    with django_assert_max_num_queries(few_queries):
        response = client.get(url)

    assert response.context["inline_admin_formsets"][0].formset.total_form_count() >= MANY_UNITS
