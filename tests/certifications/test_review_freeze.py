"""While the CPNEF reviews a project, the project is frozen; the admin says so."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications import services
from cqp.errors import DomainError


@pytest.fixture
def submitted(cqp, staff):
    return services.cqp_submit(cqp=cqp, actor=staff)


def test_the_cqp_cannot_be_changed_under_review(submitted, staff):
    with pytest.raises(DomainError):
        services.cqp_update(cqp=submitted, actor=staff, title="Autre intitulé")
    submitted.refresh_from_db()
    assert submitted.title == "Négociateur immobilier"


def test_the_draft_units_cannot_be_changed_under_review(submitted, staff):
    unit = submitted.referentiels.get().units.first()
    with pytest.raises(DomainError):
        services.unit_set_contents(unit=unit, competences=["Nouvelle"], criteria=[], actor=staff)
    with pytest.raises(DomainError):
        services.unit_delete(unit=unit, actor=staff)
    assert unit.competences.count() == 2


def test_changes_are_possible_again_once_changes_are_requested(submitted, staff, cpnef):
    services.cpnef_decision_record(
        cqp=submitted,
        outcome="request_changes",
        meeting_date=timezone.localdate(),
        comment="Compléter les critères.",
        actor=cpnef,
    )
    unit = submitted.referentiels.get().units.first()
    services.unit_set_contents(unit=unit, competences=["Nouvelle"], criteria=["C"], actor=staff)
    services.cqp_update(cqp=submitted, actor=staff, title="Intitulé revu")
    submitted.refresh_from_db()
    assert submitted.title == "Intitulé revu"


def test_the_admin_shows_the_project_read_only_with_a_notice(client, submitted, staff):
    client.force_login(staff)
    response = client.get(reverse("admin:certifications_cqp_change", args=[submitted.pk]))
    assert response.status_code == 200
    assert response.context["under_review"] is True
    assert not response.context["has_change_permission"]
    assert 'class="cqp-notice"' in response.content.decode()

    referentiel = submitted.referentiels.get()
    response = client.get(reverse("admin:certifications_referentiel_change", args=[referentiel.pk]))
    assert not response.context["has_change_permission"]
    assert "competences_text" not in response.content.decode()


def test_the_decision_returns_to_the_cpnef_space_when_asked(client, submitted, cpnef):
    client.force_login(cpnef)
    url = reverse("admin:certifications_cqp_decide", args=[submitted.pk])
    back = reverse("certifications:cpnef_projects")
    data = {"outcome": "approve", "meeting_date": timezone.localdate().isoformat(), "next": back}
    response = client.post(f"{url}?next={back}", data)
    assert response.status_code == 302
    assert response["Location"] == back


def test_the_decision_ignores_a_next_to_another_site(client, submitted, cpnef):
    client.force_login(cpnef)
    url = reverse("admin:certifications_cqp_decide", args=[submitted.pk])
    data = {
        "outcome": "approve",
        "meeting_date": timezone.localdate().isoformat(),
        "next": "https://evil.example.com/",
    }
    response = client.post(url, data)
    assert response["Location"] == reverse("admin:certifications_cqp_change", args=[submitted.pk])


def test_the_cpnef_space_links_to_the_decision_with_a_way_back(client, submitted, cpnef):
    client.force_login(cpnef)
    page = client.get(reverse("certifications:cpnef_projects")).content.decode()
    assert f"/admin/certifications/cqp/{submitted.pk}/decide/?next=%2Fcatalogue%2Fcpnef%2F" in page


def test_the_publish_confirmation_lists_units_without_criteria(client, cqp, staff):
    referentiel = cqp.referentiels.get()
    unit = referentiel.units.first()
    services.unit_set_contents(unit=unit, competences=["C1"], criteria=[], actor=staff)
    client.force_login(staff)
    url = reverse("admin:certifications_referentiel_transition", args=[referentiel.pk, "publish"])
    response = client.get(url)
    assert list(response.context["incomplete_units"]) == list(referentiel.units.all())
    # every unit of the fixture lacks modalities; one also lacks criteria
    assert unit.code in response.content.decode()


def test_single_branch_staff_do_not_get_a_branch_column(client, cqp, staff, superuser):
    client.force_login(staff)
    response = client.get(reverse("admin:certifications_cqp_changelist"))
    assert "branch" not in response.context["cl"].list_display
    client.force_login(superuser)
    response = client.get(reverse("admin:certifications_cqp_changelist"))
    assert "branch" in response.context["cl"].list_display
