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


def editor_post_data(client, url):
    """The référentiel editor's form as a browser would post it back."""
    data = {"source": "nouvelle source"}
    for inline in client.get(url).context["inline_admin_formsets"]:
        formset = inline.formset
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        if formset.prefix != "units":
            continue  # the history is read-only: its rows are not posted back
        for form in formset.forms:
            for field in form:
                value = field.value()
                if value is not None and value is not False:
                    data[field.html_name] = value
    return data


def test_a_save_after_the_project_left_for_the_cpnef_is_refused(client, cqp, staff):
    referentiel = cqp.referentiels.get()
    client.force_login(staff)
    url = reverse("admin:certifications_referentiel_change", args=[referentiel.pk])
    data = editor_post_data(client, url)
    services.cqp_submit(cqp=cqp, actor=staff)  # meanwhile, the project goes to the CPNEF

    assert client.post(url, data).status_code == 403
    referentiel.refresh_from_db()
    assert referentiel.source == ""


def test_a_rule_refusing_the_save_midway_gives_a_message_and_writes_nothing(
    client, cqp, staff, monkeypatch
):
    """A race the page could not see: the service refuses after the units were saved."""
    referentiel = cqp.referentiels.get()
    client.force_login(staff)
    url = reverse("admin:certifications_referentiel_change", args=[referentiel.pk])
    data = editor_post_data(client, url)
    data["units-0-title"] = "Intitulé changé"

    def refuse(**kwargs):
        raise DomainError("Refusé par une règle.")

    monkeypatch.setattr(services, "unit_set_contents", refuse)
    response = client.post(url, data)

    assert response.status_code == 302
    assert "Refusé par une règle." in [str(m) for m in response.wsgi_request._messages]
    referentiel.refresh_from_db()
    assert referentiel.source == ""
    assert not referentiel.units.filter(title="Intitulé changé").exists()
