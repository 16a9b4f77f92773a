"""Branch logos: checked on upload, the only media served publicly."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from certifications.models import Branch


def png_bytes(size=(40, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 60, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def change_data(branch, **extra):
    data = {
        "idcc_conventions": [],
        "cpnef_name": branch.cpnef_name,
        "address": "",
        "signatory_name": "Claire Martin",
        "signatory_title": "Présidente",
        "siret": "",
    }
    data.update(extra)
    return data


def upload_logo(client, branch, name, content):
    url = reverse("admin:certifications_branch_change", args=[branch.pk])
    return client.post(url, change_data(branch, logo=SimpleUploadedFile(name, content)))


def test_staff_upload_a_logo_that_is_then_served_publicly(client, staff, branch):
    client.force_login(staff)
    response = upload_logo(client, branch, "logo.png", png_bytes())
    assert response.status_code == 302, response.context["adminform"].form.errors
    branch.refresh_from_db()
    assert branch.logo.name.startswith("branches/logos/")

    client.logout()
    served = client.get(branch.logo.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == branch.logo.open("rb").read()


def test_a_file_that_is_not_an_image_is_refused(client, staff, branch):
    client.force_login(staff)
    response = upload_logo(client, branch, "logo.png", b"MZ\x90\x00 not an image at all")
    assert response.status_code == 200
    assert "logo" in response.context["adminform"].form.errors
    branch.refresh_from_db()
    assert not branch.logo


def test_an_svg_or_gif_logo_is_refused(client, staff, branch):
    client.force_login(staff)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    response = upload_logo(client, branch, "logo.gif", buffer.getvalue())
    assert "logo" in response.context["adminform"].form.errors
    assert not Branch.objects.get(pk=branch.pk).logo


def test_an_oversize_logo_is_refused(client, staff, branch, monkeypatch):
    monkeypatch.setattr("certifications.models.LOGO_MAX_BYTES", 100)
    client.force_login(staff)
    response = upload_logo(client, branch, "logo.png", png_bytes((200, 200)))
    assert "logo" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_only_logos_of_branches_are_served(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "branches" / "logos").mkdir(parents=True)
    (tmp_path / "branches" / "logos" / "orphan.png").write_bytes(png_bytes())
    (tmp_path / "cpnef").mkdir()
    (tmp_path / "cpnef" / "minutes.pdf").write_bytes(b"%PDF-1.4 secret")
    assert client.get("/media/branches/logos/orphan.png").status_code == 404
    assert client.get("/media/cpnef/minutes.pdf").status_code == 404
    assert client.get("/media/branches/logos/..%2F..%2Fcpnef%2Fminutes.pdf").status_code == 404
    assert client.get("/media/branches/logos/missing.png").status_code == 404
