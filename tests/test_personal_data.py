"""A person's data: the ZIP they download, and the anonymisation after the retention period."""

import datetime
import io
import json
import zipfile

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation

from candidates import services
from candidates.models import AcquiredUnit, Candidate, Dossier, DossierDocument, DossierStatus
from cqp.errors import ActionNotPermitted, DomainError
from cqp.models import AuditAction, AuditEntry, OutgoingEmail
from juries.models import Certificate, JuryDecision
from tests.candidates.conftest import evaluator, open_cqp
from tests.juries.documents import close_three
from tests.personal_data import PIECE, add_piece

__all__ = ["evaluator", "open_cqp"]  # fixtures

MY_DATA = "/accounts/my-data/"


@pytest.fixture(autouse=True)
def messages_in_english():
    """The services' messages as written (the stored placeholder stays in the site's language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def closed(
    branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks, settings, tmp_path
):
    """A closed session: certified, partially validated and refused candidates, PDFs made."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with django_capture_on_commit_callbacks(execute=True):
        _session, _members, items = close_three(branch, open_cqp, staff, evaluator)
    return [item.dossier for item in items]


def download(client, user) -> tuple[dict, zipfile.ZipFile]:
    client.force_login(user)
    response = client.post(MY_DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-cqp-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(archive.read("data.json")), archive


def long_ago(candidate, years=6):
    """Everything the candidate did happened `years` ago (the retention clock's inputs)."""
    then = timezone.now() - datetime.timedelta(days=365 * years + 2)
    Dossier.objects.filter(candidate=candidate).update(status_changed_at=then)
    type(candidate.user).objects.filter(pk=candidate.user_id).update(
        date_joined=then, last_login=then
    )
    candidate.refresh_from_db()
    candidate.user.refresh_from_db()


# --- export ---------------------------------------------------------------------------------


def test_the_page_says_what_the_export_holds_and_asks_for_a_login(client, closed):
    assert client.get(MY_DATA).status_code == 302
    client.force_login(closed[0].candidate.user)

    page = client.get(MY_DATA).content.decode()

    assert "Download my data (ZIP)" in page and "5 years" in page


def test_a_candidate_downloads_all_their_data_and_their_files(client, staff, closed):
    dossier = closed[0]
    candidate = dossier.candidate
    piece = add_piece(dossier)
    certificate = Certificate.objects.get(dossier=dossier)
    client.force_login(staff)  # staff read the piece: the candidate will see it
    client.get(reverse("candidates:document_download", args=[dossier.pk, piece.pk]))

    data, archive = download(client, candidate.user)

    assert data["format"] == "cqp-personal-data/1"
    assert data["account"]["email"] == candidate.user.email
    assert data["candidate"]["profile"]["last_name"] == candidate.last_name
    assert data["candidate"]["profile"]["birth_date"] == "1990-05-17"
    (exported,) = data["candidate"]["dossiers"]
    assert exported["reference"] == dossier.reference
    assert exported["status"] == "Certified"
    assert {e["to"] for e in exported["history"]} >= {"submitted", "certified"}
    assert exported["unit_assessments"] and exported["positioning"]["units"]
    assert exported["pieces"][0]["name"] == "CV Dupuis.pdf"
    assert archive.read(exported["pieces"][0]["file"]) == PIECE
    assert data["candidate"]["acquired_units"]
    (decision,) = data["juries"]["decisions"]
    assert decision["outcome"] == "Certified"
    (exported_certificate,) = data["juries"]["certificates"]
    assert exported_certificate["number"] == certificate.number
    assert archive.read(exported_certificate["file"]).startswith(b"%PDF")
    (read,) = data["account"]["documents_read_by_others"]
    assert read["by"] == str(staff) and dossier.reference in read["document"]
    assert "README.txt" in archive.namelist()
    export = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_EXPORT)
    assert export.actor == candidate.user and export.subject == candidate.user


def test_the_export_holds_nothing_of_other_candidates(client, closed):
    data, archive = download(client, closed[1].candidate.user)

    text = json.dumps(data)
    assert closed[1].reference in text
    assert closed[0].reference not in text and closed[2].reference not in text
    assert closed[0].candidate.last_name not in text
    (certificate,) = data["juries"]["certificates"]
    assert certificate["kind"] == "Attestation of partial validation"
    assert [n for n in archive.namelist() if n.startswith("documents/")] == [certificate["file"]]


def test_a_member_of_staff_without_candidate_profile_gets_their_account(client, staff, closed):
    data, archive = download(client, staff)

    assert data["account"]["email"] == staff.email
    assert "candidate" not in data and "juries" not in data
    assert archive.namelist() == ["data.json", "README.txt"]


# --- anonymisation ----------------------------------------------------------------------------


def test_a_candidate_within_the_retention_period_is_not_anonymised(staff, closed):
    candidate = closed[0].candidate

    with pytest.raises(DomainError, match="retention period runs until"):
        services.candidate_anonymise(candidate=candidate, actor=staff)

    candidate.refresh_from_db()
    assert candidate.anonymised_at is None and candidate.birth_date is not None


def test_a_candidate_with_an_open_dossier_is_not_anonymised(staff, closed, open_cqp):
    candidate = closed[1].candidate
    Dossier.objects.filter(pk=closed[1].pk).update(status=DossierStatus.TRAINING)
    long_ago(candidate)

    with pytest.raises(DomainError, match="still open"):
        services.candidate_anonymise(candidate=candidate, actor=staff)


def test_staff_of_another_branch_may_not_anonymise(other_staff, closed):
    candidate = closed[0].candidate
    long_ago(candidate)

    with pytest.raises(ActionNotPermitted):
        services.candidate_anonymise(candidate=candidate, actor=other_staff)
    assert services.anonymisation_refusal(candidate) == ""


def test_anonymising_keeps_the_records_and_the_certificate_verifiable_with_initials(
    client, staff, closed, django_capture_on_commit_callbacks
):
    dossier = closed[0]
    candidate = dossier.candidate
    user = candidate.user
    piece = add_piece(dossier)
    certificate = Certificate.objects.get(dossier=dossier)
    holder = certificate.snapshot["holder"]
    first, last = holder["first_name"], holder["last_name"]
    stored_pdf, stored_piece = certificate.pdf.name, piece.file.name
    acquired = AcquiredUnit.objects.filter(candidate=candidate).count()
    OutgoingEmail.objects.create(to=user.email, subject="Votre dossier", body="Bonjour")
    long_ago(candidate)
    client.force_login(staff)
    changelist = reverse("admin:candidates_candidate_changelist")

    confirm = client.post(changelist, {"action": "anonymise", "_selected_action": [candidate.pk]})
    assert confirm.status_code == 200
    assert "Anonymise 1 candidate" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist,
            {"action": "anonymise", "_selected_action": [candidate.pk], "post": "yes"},
        )

    assert done.status_code == 302
    candidate.refresh_from_db()
    user.refresh_from_db()
    assert (candidate.first_name, candidate.last_name) == (f"{first[0]}.", f"{last[0]}.")
    assert candidate.birth_date is None and candidate.birth_place == ""
    assert candidate.anonymised_at is not None
    assert user.email == f"anonymised-{user.pk}@invalid" and not user.is_active
    assert not user.has_usable_password() and user.first_name == user.last_name == ""
    assert not OutgoingEmail.objects.filter(to__icontains="anonymised").exists()
    assert not OutgoingEmail.objects.filter(subject="Votre dossier").exists()
    # The pieces and the PDF that printed the full name and birth date are gone...
    assert not DossierDocument.objects.filter(dossier=dossier).exists()
    assert not default_storage.exists(stored_piece)
    certificate.refresh_from_db()
    assert not certificate.pdf and not default_storage.exists(stored_pdf)
    assert certificate.snapshot["holder"] == {
        "first_name": f"{first[0]}.",
        "last_name": f"{last[0]}.",
        "birth_date": "",
        "birth_place": "",
    }
    # ...the branch's records stay...
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.CERTIFIED
    assert AcquiredUnit.objects.filter(candidate=candidate).count() == acquired
    assert JuryDecision.objects.filter(item__dossier=dossier).exists()
    # ...and the certificate still verifies, with initials only.
    client.logout()
    page = client.get(reverse("verification:certificate", args=[certificate.public_code]))
    text = page.content.decode()
    assert page.status_code == 200 and f"{first[0]}. {last[0]}." in text
    assert last not in text
    as_json = client.get(
        reverse("verification:certificate_json", args=[certificate.public_code])
    ).json()
    assert as_json["holder"] == {"first_name": f"{first[0]}.", "last_name": f"{last[0]}."}
    entry = AuditEntry.objects.get(action=AuditAction.ANONYMISATION)
    assert entry.actor == staff and entry.subject == user
    # The other candidates of the session are untouched.
    other = Candidate.objects.get(pk=closed[1].candidate_id)
    assert other.anonymised_at is None and len(other.last_name) > 2


def test_the_confirmation_page_says_who_cannot_be_anonymised_and_why(client, staff, closed):
    anonymisable, recent = closed[0].candidate, closed[1].candidate
    long_ago(anonymisable)
    client.force_login(staff)

    page = client.post(
        reverse("admin:candidates_candidate_changelist"),
        {"action": "anonymise", "_selected_action": [anonymisable.pk, recent.pk]},
    ).content.decode()

    assert "Anonymise 1 candidate" in page
    assert "The retention period runs until" in page


def test_an_anonymised_candidate_cannot_log_in_any_more(client, staff, closed):
    candidate = closed[0].candidate
    email = candidate.user.email
    candidate.user.set_password("Un-mot-de-passe-solide-42")
    candidate.user.save()
    long_ago(candidate)
    services.candidate_anonymise(candidate=candidate, actor=staff)

    response = client.post(
        "/accounts/login/", {"username": email, "password": "Un-mot-de-passe-solide-42"}
    )

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    with pytest.raises(DomainError, match="Already anonymised"):
        services.candidate_anonymise(candidate=candidate, actor=staff)


@pytest.mark.parametrize("index", [1, 2], ids=["partially validated", "refused"])
def test_a_candidate_whose_jury_gave_reasons_is_anonymised_and_the_reasons_removed(
    staff, closed, index
):
    candidate = closed[index].candidate
    long_ago(candidate)

    services.candidate_anonymise(candidate=candidate, actor=staff)

    decision = JuryDecision.objects.get(item__dossier=closed[index])
    assert decision.motivation == "[anonymisé]"


def test_staff_of_one_of_two_branches_may_not_anonymise(staff, closed, other_branch):
    """Anonymising erases what every branch holds: staff of each, or a superuser."""
    from tests import factories

    candidate = closed[0].candidate
    elsewhere = factories.cqp_with_referentiel(branch=other_branch, code="VEND")
    Dossier.objects.create(
        candidate=candidate,
        cqp=elsewhere,
        referentiel=elsewhere.referentiels.get(),
        reference="CDNA-X-1",
        funding=closed[0].funding,
        status=DossierStatus.WITHDRAWN,
    )
    long_ago(candidate)

    with pytest.raises(ActionNotPermitted):
        services.candidate_anonymise(candidate=candidate, actor=staff)


def test_an_account_with_another_role_is_not_anonymised(staff, closed, branch):
    from certifications.models import BranchMembership

    candidate = closed[0].candidate
    BranchMembership.objects.create(
        user=candidate.user, branch=branch, role=BranchMembership.BranchRole.CPNEF
    )
    long_ago(candidate)

    assert "also a branch member" in services.anonymisation_refusal(candidate)
    with pytest.raises(DomainError):
        services.candidate_anonymise(candidate=candidate, actor=staff)


def test_anonymising_removes_the_messages_that_name_them_and_only_those(staff, closed):
    candidate = closed[0].candidate
    address = candidate.user.email
    to_them = OutgoingEmail.objects.create(to=address, subject="Votre dossier", body="Bonjour")
    about_them = OutgoingEmail.objects.create(
        to="staff@immo.example.org",
        subject=f"Dossier {closed[0].reference} déposé",
        body=f"{candidate.first_name} {candidate.last_name} a déposé son dossier.",
    )
    lookalike = OutgoingEmail.objects.create(to=f"x{address}", subject="Autre", body="Autre")
    long_ago(candidate)

    services.candidate_anonymise(candidate=candidate, actor=staff)

    remaining = set(OutgoingEmail.objects.values_list("pk", flat=True))
    assert to_them.pk not in remaining and about_them.pk not in remaining
    assert lookalike.pk in remaining


def test_the_export_shows_only_final_decisions_and_no_private_comment(client, closed):
    from candidates.models import DossierEvent

    dossier = closed[0]
    JuryDecision.objects.filter(item__dossier=dossier).update(final_at=None)
    DossierEvent.objects.create(
        dossier=dossier,
        action="declare_conflict",
        from_status="evaluation",
        to_status="evaluation",
        comment="Conflit : beau-frère du candidat.",
    )

    data, _archive = download(client, dossier.candidate.user)

    assert data["juries"]["decisions"] == []
    assert "beau-frère" not in json.dumps(data)


def test_a_password_reset_lifts_the_login_pause(client, closed, django_capture_on_commit_callbacks):
    from django.core import mail

    user = closed[0].candidate.user
    user.set_password("Un-mot-de-passe-solide-42")
    user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert (
        client.post(
            "/accounts/login/", {"username": user.email, "password": "Un-mot-de-passe-solide-42"}
        ).status_code
        == 429
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": user.email})
    link = next(
        line for line in mail.outbox[-1].body.splitlines() if "/accounts/reset/" in line
    ).strip()
    form_url = client.get(link[link.index("/accounts/reset/") :]).url
    new = "Nouveau-mot-de-passe-77"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302

    response = client.post("/accounts/login/", {"username": user.email, "password": new})

    assert response.status_code == 302
