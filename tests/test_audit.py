"""The audit trail: admin writes and downloads, documents read by others, and no record of
it (nor any lifecycle event) can be edited from the administration."""

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from cqp.models import AuditAction, AuditEntry
from cqp.models import LifecycleEvent as EventBase
from juries.models import Certificate
from tests.candidates.conftest import evaluator, open_cqp
from tests.juries.documents import close_three
from tests.personal_data import add_piece

__all__ = ["evaluator", "open_cqp"]  # fixtures


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def produced(
    branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with django_capture_on_commit_callbacks(execute=True):
        session, members, items = close_three(branch, open_cqp, staff, evaluator)
    return session, members, items


def entries(action=None):
    queryset = AuditEntry.objects.order_by("id")
    return list(queryset.filter(action=action) if action else queryset)


def test_a_revocation_in_the_admin_is_on_the_trail_with_actor_object_and_time(
    client, staff, produced
):
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    client.force_login(staff)
    url = reverse("admin:juries_certificate_revoke", args=[certificate.pk])

    client.get(url)  # reading the confirmation page changes nothing
    refused = client.post(url, {"reason": ""})  # the form again, with its error
    assert refused.status_code == 200 and entries() == []
    done = client.post(url, {"reason": "Fraude au livret VAE."})

    assert done.status_code == 302
    (entry,) = entries()
    assert entry.action == AuditAction.ADMIN_CHANGE and entry.actor == staff
    assert entry.view_name == "admin:juries_certificate_revoke"
    assert (entry.target_model, entry.target_id) == ("juries.certificate", str(certificate.pk))
    assert entry.at is not None and entry.client == "127.0.0.1"
    # The lifecycle keeps its own record of the state change, with the reason.
    event = certificate.events.get(action="revoke")
    assert event.actor == staff and event.comment == "Fraude au livret VAE."


def test_an_admin_download_and_a_bulk_export_are_on_the_trail(client, staff, produced):
    session, _members, items = produced
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    client.force_login(staff)

    pdf = client.get(reverse("admin:juries_certificate_pdf", args=[certificate.pk]))
    dossiers = [item.dossier_id for item in items]
    csv = client.post(
        reverse("admin:candidates_dossier_changelist"),
        {"action": "export_csv", "_selected_action": dossiers},
    )

    assert pdf.status_code == 200 and csv.status_code == 200
    b"".join(csv.streaming_content)
    # The certificate names its holder: the entry says whose document staff read.
    (read,) = entries(AuditAction.DOWNLOAD)
    assert read.view_name == "admin:juries_certificate_pdf" and read.actor == staff
    assert read.target_id == str(certificate.pk)
    assert read.subject == certificate.dossier.candidate.user
    (export,) = entries(AuditAction.ADMIN_DOWNLOAD)
    assert export.view_name == "admin:candidates_dossier_changelist"
    assert export.summary.startswith("export_csv (3): ")
    assert export.target_model == "candidates.dossier"


def test_the_session_zip_is_traced_for_every_holder(client, staff, produced):
    session, _members, _items = produced
    client.force_login(staff)

    response = client.get(reverse("admin:juries_jurysession_documents_zip", args=[session.pk]))
    b"".join(response.streaming_content)

    reads = entries(AuditAction.DOWNLOAD)
    holders = {
        c.dossier.candidate.user for c in Certificate.objects.select_related("dossier__candidate")
    }
    assert {entry.subject for entry in reads if entry.subject} == holders
    assert any(entry.target_model == "juries.juryminutes" for entry in reads)
    assert entries(AuditAction.ADMIN_DOWNLOAD) == []  # one trace per document, not two


def test_an_object_added_from_an_admin_popup_is_on_the_trail(client, superuser, db):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:cqp_user_add") + "?_popup=1",
        {
            "email": "new@example.org",
            "password1": "Correct-cheval-agrafe-22",
            "password2": "Correct-cheval-agrafe-22",
            "_popup": "1",
        },
    )

    assert response.status_code == 200
    (entry,) = entries(AuditAction.ADMIN_CHANGE)
    assert entry.view_name == "admin:cqp_user_add" and entry.actor == superuser


def test_pages_read_in_the_admin_are_not_on_the_trail(client, staff, produced):
    client.force_login(staff)
    client.get(reverse("admin:index"))
    client.get(reverse("admin:candidates_dossier_changelist"))

    assert entries() == []


def test_a_piece_read_by_staff_is_traced_for_its_candidate_not_when_they_read_it(
    client, staff, produced
):
    _session, _members, items = produced
    dossier = items[0].dossier
    piece = add_piece(dossier)
    url = reverse("candidates:document_download", args=[dossier.pk, piece.pk])

    client.force_login(dossier.candidate.user)
    assert client.get(url).status_code == 200
    assert entries() == []
    client.force_login(staff)
    assert client.get(url).status_code == 200

    (entry,) = entries(AuditAction.DOWNLOAD)
    assert entry.actor == staff and entry.subject == dossier.candidate.user
    assert (entry.target_model, entry.target_id) == ("candidates.dossierdocument", str(piece.pk))
    assert dossier.reference in entry.summary


def test_a_certificate_read_by_staff_is_traced_for_its_holder(client, staff, produced):
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    holder = certificate.dossier.candidate.user
    url = reverse("documents:certificate_pdf", args=[certificate.pk])

    client.force_login(holder)
    assert client.get(url).status_code == 200
    client.force_login(staff)
    assert client.get(url).status_code == 200

    (entry,) = entries(AuditAction.DOWNLOAD)
    assert entry.subject == holder and entry.actor == staff
    assert entry.summary == certificate.number


# --- nothing on record is edited from the admin -----------------------------------------------


def record_models():
    """Every model that keeps a record: lifecycle events, the audit trail, login attempts."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.apps import apps

    events = [m for m in apps.get_models() if issubclass(m, EventBase)]
    assert len(events) >= 5  # dossier, CQP, référentiel, session, certificate
    return [*events, AuditEntry, AccessAttempt, AccessLog, AccessFailureLog]


def test_no_record_can_be_added_changed_or_deleted_from_the_admin(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    records = set(record_models())
    checked = 0
    for model, model_admin in admin.site._registry.items():
        admins = [(model, model_admin)] + [
            (inline.model, inline(model, admin.site)) for inline in model_admin.inlines
        ]
        for record_model, record_admin in admins:
            if record_model not in records:
                continue
            checked += 1
            assert not record_admin.has_add_permission(request, None), record_admin
            assert not record_admin.has_change_permission(request, None), record_admin
            assert not record_admin.has_delete_permission(request, None), record_admin
    # The audit trail, the login attempts and logs, and every lifecycle's history inline.
    assert checked >= 8


def test_the_audit_trail_is_read_only_for_superusers_and_hidden_from_staff(
    client, superuser, staff, produced
):
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    client.force_login(staff)
    client.get(reverse("admin:juries_certificate_pdf", args=[certificate.pk]))
    entry = AuditEntry.objects.get()
    summary = entry.summary
    change = reverse("admin:cqp_auditentry_change", args=[entry.pk])

    assert client.get(reverse("admin:cqp_auditentry_changelist")).status_code == 403
    client.force_login(superuser)
    page = client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(change, {"summary": "rewritten"})
    client.post(reverse("admin:cqp_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert entry.summary == summary == certificate.file_name


def test_an_import_is_on_the_trail_and_a_dry_run_is_not(client, staff):
    from tests.certifications.test_admin_import import URL, upload

    client.force_login(staff)
    client.post(URL, {"file": upload(), "dry_run": "on"})
    assert entries() == []

    response = client.post(URL, {"file": upload()})

    assert response.status_code == 200
    (entry,) = entries(AuditAction.ADMIN_CHANGE)
    assert entry.actor == staff and entry.view_name == "admin:certifications_cqp_import"
    assert " created" in entry.summary
