"""Pieces: the content decides the type, sizes are capped, names are ours, states are checked."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from candidates import services
from candidates.models import DossierDocument, DossierEvent, DossierStatus
from candidates.uploads import UploadRefused
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from tests.candidates.conftest import JPEG, PDF, PNG, pdf
from tests.candidates.test_dossier_lifecycle import bring_to, make_cast

S = DossierStatus
Kind = DossierDocument.Kind
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def cast(candidate, staff, evaluator, branch, open_cqp):
    return make_cast(candidate, staff, evaluator, branch, open_cqp)


@pytest.fixture
def draft(cast):
    return services.dossier_open(
        candidate=cast.candidate, cqp=cast.cqp, funding="cpf", actor=cast.user
    )


def upload_file(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files():
    """Every file under MEDIA_ROOT (the test run's private temporary directory)."""
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def trail(dossier):
    """What a refused upload must leave untouched: pieces, events, files."""
    dossier.refresh_from_db()
    return (
        dossier.status,
        list(dossier.documents.values_list("pk", "file", "original_name", "size")),
        DossierEvent.objects.filter(dossier=dossier).count(),
        stored_files(),
    )


def add(dossier, actor, upload, kind=Kind.CV):
    return services.document_upload(dossier=dossier, kind=kind, upload=upload, actor=actor)


# --- the content decides ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("cv.pdf", PDF, "application/pdf", ".pdf"),
        ("scan.png", PNG, "image/png", ".png"),
        ("photo.jpeg", JPEG, "image/jpeg", ".jpg"),
        ("scan.pdf", PNG, "image/png", ".png"),  # the name lies, the content wins
        ("sans-extension", PDF, "application/pdf", ".pdf"),
    ],
)
def test_it_accepts_pdf_png_and_jpeg_by_their_content(
    name, content, content_type, extension, draft, cast
):
    document = add(draft, cast.user, upload_file(name, content, "text/plain"))

    document.refresh_from_db()
    assert (document.content_type, document.size) == (content_type, len(content))
    assert document.file.name.endswith(extension)
    assert document.original_name.endswith(extension)
    assert (document.kind, document.uploaded_by) == (Kind.CV, cast.user)
    with document.file.open("rb") as stored:
        assert stored.read() == content
    event = draft.events.last()
    assert (event.action, event.from_status, event.to_status) == ("add_piece", S.DRAFT, S.DRAFT)
    assert event.actor == cast.user and document.original_name in event.comment


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cv.pdf", EXECUTABLE),
        ("photo.png", HTML),
        ("photo.jpg", ZIP),
        ("notes.pdf", b"Just some text, no magic here.\n"),
        ("short.pdf", b"%PD"),
    ],
)
def test_it_refuses_a_disguised_file_and_keeps_nothing(name, content, draft, cast):
    before = trail(draft)

    with pytest.raises(UploadRefused, match="PDF, PNG or JPEG"):
        add(draft, cast.user, upload_file(name, content, "application/pdf"))

    assert trail(draft) == before
    assert not DossierDocument.objects.exists()


def test_it_refuses_an_empty_file(draft, cast):
    before = trail(draft)

    with pytest.raises(UploadRefused, match="empty"):
        add(draft, cast.user, upload_file("vide.pdf", b""))

    assert trail(draft) == before


def test_it_refuses_no_file_at_all(draft, cast):
    with pytest.raises(UploadRefused):
        add(draft, cast.user, None)

    assert not draft.documents.exists()


def test_it_refuses_a_file_over_the_configured_cap(draft, cast, settings):
    settings.FILE_UPLOAD_MAX_BYTES = len(PDF) + 10
    before = trail(draft)

    with pytest.raises(UploadRefused, match="too large"):
        add(draft, cast.user, pdf(content=PDF + b"x" * 11))

    assert trail(draft) == before
    document = add(draft, cast.user, pdf(content=PDF + b"x" * 10))  # exactly at the cap
    assert document.size == settings.FILE_UPLOAD_MAX_BYTES


def test_the_default_cap_is_ten_megabytes():
    assert settings.FILE_UPLOAD_MAX_BYTES == 10 * 1024 * 1024


def test_it_refuses_an_unknown_kind_of_piece(draft, cast):
    before = trail(draft)

    with pytest.raises(DomainError):
        add(draft, cast.user, pdf(), kind="passport_photo")

    assert trail(draft) == before


# --- names are ours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\system32\\cmd.pdf",
        "/etc/shadow.pdf",
        "a\x00b.pdf",
        "<script>alert(1)</script>.pdf",
        "x" * 500 + ".pdf",
        "CON.pdf",
        "rapport\r\nX-Injected: 1.pdf",
        "...",
    ],
)
def test_it_stores_a_hostile_name_under_a_random_name_of_its_own(hostile, draft, cast):
    document = add(draft, cast.user, pdf(name=hostile))

    document.refresh_from_db()
    assert re.fullmatch(rf"dossiers/{draft.pk}/[0-9a-f]{{32}}\.pdf", document.file.name)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert Path(document.file.path).resolve().is_relative_to(media_root)
    assert Path(document.file.path).is_file()
    shown = document.original_name
    assert shown.endswith(".pdf") and 4 < len(shown) <= 120
    assert not set(shown) & set('/\\<>:"|?*\x00\r\n')
    assert ".." not in shown.removesuffix(".pdf")


def test_the_original_name_is_kept_when_harmless(draft, cast):
    document = add(draft, cast.user, pdf(name="Attestation employeur — 2025.PDF"))

    assert document.original_name == "Attestation employeur — 2025.pdf"
    assert "Attestation employeur — 2025.pdf" not in document.file.name


def test_two_pieces_with_the_same_name_get_two_files(draft, cast):
    first = add(draft, cast.user, pdf(name="cv.pdf"))
    second = add(draft, cast.user, pdf(name="cv.pdf", content=PDF + b"v2"))

    assert first.file.name != second.file.name
    with first.file.open("rb") as stored:
        assert stored.read() == PDF


# --- replace and delete -----------------------------------------------------------------------


def test_replacing_a_piece_deletes_the_old_file_after_commit(
    draft, cast, django_capture_on_commit_callbacks
):
    document = add(draft, cast.user, pdf(name="cv.pdf"))
    old_path = Path(document.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        services.document_replace(
            document=document, upload=upload_file("cv-2025.png", PNG), actor=cast.user
        )
        assert old_path.is_file()  # still there until the change is committed

    document.refresh_from_db()
    assert not old_path.exists()
    assert Path(document.file.path).is_file() and document.file.name.endswith(".png")
    assert (document.original_name, document.content_type) == ("cv-2025.png", "image/png")
    assert (document.size, document.kind) == (len(PNG), Kind.CV)
    assert draft.documents.count() == 1
    event = draft.events.last()
    assert (event.action, event.actor) == ("replace_piece", cast.user)
    assert "cv-2025.png" in event.comment


def test_a_refused_replacement_keeps_the_old_piece(draft, cast):
    document = add(draft, cast.user, pdf(name="cv.pdf"))
    before = trail(draft)

    with pytest.raises(UploadRefused):
        services.document_replace(
            document=document, upload=upload_file("cv.pdf", EXECUTABLE), actor=cast.user
        )

    assert trail(draft) == before
    assert Path(document.file.path).is_file()


def test_deleting_a_piece_removes_its_row_and_its_file(
    draft, cast, django_capture_on_commit_callbacks
):
    document = add(draft, cast.user, pdf(name="cv.pdf"))
    path = Path(document.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=document, actor=cast.user)

    assert not draft.documents.exists()
    assert not path.exists()
    event = draft.events.last()
    assert (event.action, event.actor) == ("delete_piece", cast.user)
    assert "cv.pdf" in event.comment


# --- when, and by whom ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ADMISSIBLE, S.POSITIONING, S.WITHDRAWN])
def test_it_refuses_pieces_outside_draft_and_incomplete(status, cast):
    dossier = bring_to(status, cast)
    identity = dossier.documents.get(kind=Kind.IDENTITY)
    before = trail(dossier)

    with pytest.raises(TransitionNotAllowed):
        add(dossier, cast.user, pdf())
    with pytest.raises(TransitionNotAllowed):
        services.document_replace(document=identity, upload=pdf(), actor=cast.user)
    with pytest.raises(TransitionNotAllowed):
        services.document_delete(document=identity, actor=cast.user)

    assert trail(dossier) == before


def test_it_accepts_pieces_again_once_declared_incomplete(cast):
    dossier = bring_to(S.INCOMPLETE, cast)

    document = add(dossier, cast.user, pdf(name="attestation.pdf"), kind=Kind.EMPLOYER_ATTESTATION)

    assert document.dossier == dossier
    assert dossier.events.last().from_status == S.INCOMPLETE


@pytest.mark.parametrize("kind", [k for k in Kind.values if k != Kind.VAE_BOOKLET])
def test_during_the_vae_pathway_it_accepts_only_the_vae_booklet(kind, cast):
    dossier = bring_to(S.VAE, cast)
    before = trail(dossier)

    with pytest.raises(DomainError, match="VAE booklet"):
        add(dossier, cast.user, pdf(), kind=kind)

    assert trail(dossier) == before
    booklet = add(dossier, cast.user, pdf(name="livret-2.pdf"), kind=Kind.VAE_BOOKLET)
    assert booklet.dossier == dossier


def test_during_the_vae_pathway_the_other_pieces_stay_as_they_are(cast):
    dossier = bring_to(S.VAE, cast)
    identity = dossier.documents.get(kind=Kind.IDENTITY)
    before = trail(dossier)

    with pytest.raises(DomainError):
        services.document_replace(document=identity, upload=pdf(), actor=cast.user)
    with pytest.raises(DomainError):
        services.document_delete(document=identity, actor=cast.user)

    assert trail(dossier) == before


def test_during_the_vae_pathway_the_booklet_can_be_replaced_and_deleted(cast):
    dossier = bring_to(S.VAE, cast)
    booklet = dossier.documents.get(kind=Kind.VAE_BOOKLET)

    services.document_replace(document=booklet, upload=pdf(name="livret-v2.pdf"), actor=cast.user)
    services.document_delete(document=booklet, actor=cast.user)

    assert not dossier.documents.filter(kind=Kind.VAE_BOOKLET).exists()


@pytest.mark.parametrize("who", ["other_candidate", "staff", "superuser"])
def test_nobody_but_the_candidate_adds_changes_or_deletes_a_piece(request, who, draft, cast):
    intruder = request.getfixturevalue(who)
    intruder = getattr(intruder, "user", intruder)
    document = add(draft, cast.user, pdf(name="cv.pdf"))
    before = trail(draft)

    with pytest.raises(ActionNotPermitted):
        add(draft, intruder, pdf())
    with pytest.raises(ActionNotPermitted):
        services.document_replace(document=document, upload=pdf(), actor=intruder)
    with pytest.raises(ActionNotPermitted):
        services.document_delete(document=document, actor=intruder)

    assert trail(draft) == before
