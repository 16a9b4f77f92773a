"""The import page of the admin: upload an export, see the report, nothing written on error."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certifications.models import CompetenceUnit, Cqp

SAMPLES = Path(__file__).resolve().parents[2] / "certifications" / "data" / "rncp"
URL = reverse("admin:certifications_cqp_import")


def upload(name="export.xml", content=None):
    if content is None:
        content = (SAMPLES / "export_fiches_RNCP_sample.xml").read_bytes()
    return SimpleUploadedFile(name, content, content_type="text/xml")


@pytest.mark.django_db
def test_it_shows_the_upload_form_to_staff(client, staff):
    client.force_login(staff)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_cpnef_members_and_anonymous(client, cpnef):
    assert client.get(URL).status_code == 302  # to the admin login
    client.force_login(cpnef)
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_it_imports_the_sample_under_the_staff_branch(client, staff, branch):
    client.force_login(staff)
    response = client.post(URL, {"file": upload()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "RNCP40344" in page and "RNCP36612" in page
    cqps = Cqp.objects.filter(registry_number__in=["RNCP40344", "RNCP36612"])
    assert cqps.count() == 2
    assert set(cqps.values_list("branch", flat=True)) == {branch.pk}
    assert CompetenceUnit.objects.filter(referentiel__cqp__in=cqps).count() == 8


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_but_reports(client, staff):
    client.force_login(staff)
    response = client.post(URL, {"file": upload(), "dry_run": "on"})
    assert response.status_code == 200
    assert "RNCP40344" in response.content.decode()
    assert not Cqp.objects.exists()


@pytest.mark.django_db
def test_a_malformed_file_gets_a_message_and_writes_nothing(client, staff):
    client.force_login(staff)
    content = (SAMPLES / "export_fiches_RNCP_sample.xml").read_bytes()
    truncated = content[: len(content) * 3 // 4]  # the first fiche is complete, the second is not
    response = client.post(URL, {"file": upload(content=truncated)})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Cqp.objects.exists()


@pytest.mark.django_db
def test_a_hostile_file_is_refused(client, staff):
    client.force_login(staff)
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE FICHES [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<FICHES><FICHE><NUMERO_FICHE>&x;</NUMERO_FICHE></FICHE></FICHES>"
    )
    response = client.post(URL, {"file": upload(content=hostile)})
    assert 'class="errorlist' in response.content.decode()
    assert "root:" not in response.content.decode()
    assert not Cqp.objects.exists()


@pytest.mark.django_db
def test_an_empty_file_is_refused(client, staff):
    client.force_login(staff)
    response = client.post(URL, {"file": upload(content=b"")})
    assert 'class="errorlist' in response.content.decode()
    assert not Cqp.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_import_into_another_branch(client, staff, other_branch):
    client.force_login(staff)
    response = client.post(URL, {"file": upload(), "branch": other_branch.pk})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Cqp.objects.exists()


@pytest.mark.django_db
def test_a_superuser_imports_into_the_certifiers_branches(client, superuser):
    client.force_login(superuser)
    response = client.post(URL, {"file": upload()})
    assert response.status_code == 200
    # No branch matches the certifiers: each fiche gets a branch made from its first certifier.
    assert Cqp.objects.get(registry_number="RNCP36612").branch.name == "CCI FRANCE"
