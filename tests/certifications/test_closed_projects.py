"""An archived or rejected CQP is on record only; a project under review is frozen, publication
included; the admin follows."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications import services
from certifications.models import CqpStatus, ReferentielStatus
from cqp.errors import DomainError


@pytest.fixture
def archived(cqp, staff):
    return services.cqp_archive(cqp=cqp, actor=staff, comment="Remplacé par un autre CQP.")


def test_an_archived_cqp_cannot_be_changed(archived, staff):
    draft = archived.referentiels.get()
    with pytest.raises(DomainError):
        services.cqp_update(cqp=archived, actor=staff, title="Nouveau titre")
    with pytest.raises(DomainError):
        services.unit_save(referentiel=draft, code="BC09", title="Bloc", actor=staff)
    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)
    archived.refresh_from_db()
    assert archived.title == "Négociateur immobilier" and draft.units.count() == 2


def test_an_archived_cqp_gets_no_new_version(cqp, staff):
    published = services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    services.cqp_archive(cqp=cqp, actor=staff, comment="Fin.")
    with pytest.raises(DomainError):
        services.referentiel_new_version(referentiel=published, actor=staff)
    with pytest.raises(DomainError):
        services.referentiel_create_draft(cqp=cqp, actor=staff)
    assert cqp.referentiels.count() == 1


def test_the_admin_shows_an_archived_cqp_read_only_without_new_version(client, archived, staff):
    client.force_login(staff)
    response = client.get(reverse("admin:certifications_cqp_change", args=[archived.pk]))
    assert not response.context["has_change_permission"]
    assert "new_version" not in {b["action"] for b in response.context["cqp_actions"]}


def test_no_version_is_published_or_created_while_the_cpnef_reviews(cqp, staff):
    published = services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    draft = services.referentiel_new_version(referentiel=published, actor=staff)
    services.cqp_submit(cqp=cqp, actor=staff)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)
    draft.refresh_from_db()
    assert draft.status == ReferentielStatus.DRAFT


def test_a_new_version_cannot_be_started_during_the_review(cqp, staff):
    published = services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    services.cqp_submit(cqp=cqp, actor=staff)
    with pytest.raises(DomainError):
        services.referentiel_new_version(referentiel=published, actor=staff)


def test_the_importer_reports_an_archived_cqp_instead_of_changing_it(branch, staff, tmp_path):
    from certifications.importers import Outcome, import_referentiels
    from tests.certifications.test_importer import RNCP

    report = import_referentiels([RNCP], branch=branch, numbers=["RNCP40344"])
    cqp = branch.cqps.get(registry_number="RNCP40344")
    services.cqp_archive(cqp=cqp, actor=staff, comment="Fin.")
    changed = tmp_path / "changed.xml"
    changed.write_text(
        RNCP.read_text(encoding="utf-8").replace(
            "Auxiliaire spécialisé vétérinaire", "Auxiliaire vétérinaire qualifié"
        ),
        encoding="utf-8",
    )

    report = import_referentiels([changed], branch=branch, numbers=["RNCP40344"])

    assert [r.outcome for r in report.results] == [Outcome.ERROR]
    cqp.refresh_from_db()
    assert cqp.status == CqpStatus.ARCHIVED and cqp.title == "Auxiliaire spécialisé vétérinaire"


def test_a_rejected_project_is_on_record_only(cqp, staff, cpnef):
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(
        cqp=cqp,
        outcome="reject",
        meeting_date=timezone.localdate(),
        comment="Hors du champ de la branche.",
        actor=cpnef,
    )
    with pytest.raises(DomainError):
        services.cqp_update(cqp=cqp, actor=staff, title="Autre")
