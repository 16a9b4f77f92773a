"""Hostile uploads through the pages: the candidate's pieces (add, replace, download) and the
branch logo of the admin. Disguised, oversize, empty and badly named files are refused with a
message or stored under a name of our own, inside MEDIA_ROOT, and served as attachments.

The services' own checks are in tests/candidates/test_uploads.py and
tests/certifications/test_branch_logo.py; these go through HTTP (Django's multipart parser
first), add the disguises and names those do not try, and fuzz both piece forms.
"""

import io
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from candidates import services
from candidates.models import DossierDocument
from certifications.models import Branch
from tests.candidates.conftest import JPEG, PDF, PNG, pdf

from .checks import error_messages, send_refused, world_state
from .strategies import CHARACTERS, FUZZ, JUNK, MISSING, choice, hostile_post, not_in

Kind = DossierDocument.Kind
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body onload=alert(1)></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56)
ELF = b"\x7fELF\x02\x01\x01" + bytes(57)
GIF = b"GIF89a\x01\x00\x01\x00" + bytes(20)
DISGUISES = [
    ("cv.pdf", SVG),
    ("cv.pdf", HTML),
    ("cv.pdf", EXE),
    ("scan.png", ELF),
    ("photo.jpg", GIF),
    ("cv.pdf", b" " + PDF),  # the magic must come first
    ("cv.pdf", b"\xef\xbb\xbf" + PDF),
    ("cv.pdf", b"\x00" + PDF),
]
DISGUISE_IDS = ["svg", "html", "exe", "elf", "gif", "space-first", "bom-first", "nul-first"]
MAGIC = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@pytest.fixture
def draft(client, candidate, open_cqp):
    """A draft dossier holding a CV, its candidate logged in."""
    dossier = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    services.document_upload(dossier=dossier, kind=Kind.CV, upload=pdf(), actor=candidate.user)
    client.force_login(candidate.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return dossier


def upload_url(dossier):
    return reverse("candidates:document_upload", args=[dossier.pk])


def replace_url(document):
    return reverse("candidates:document_replace", args=[document.dossier_id, document.pk])


def post_piece(client, dossier, name, content, kind=Kind.CV):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, "application/pdf")}
    return client.post(upload_url(dossier), data)


def multipart(fields: dict, filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand: a file name no client library would send."""
    boundary = b"----hostile-boundary-8d2c"
    body = b""
    for name, value in fields.items():
        body += b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (
            boundary,
            name.encode(),
            value.encode(),
        )
    body += (
        b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%s\r\n--%s--\r\n"
    ) % (boundary, filename, content, boundary)
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def assert_stored_safely(document):
    """Our own name, inside MEDIA_ROOT; a shown name with nothing a file system or a header
    would read as structure."""
    assert re.fullmatch(
        rf"dossiers/{document.dossier_id}/[0-9a-f]{{32}}\.(pdf|png|jpg)", (document.file.name)
    )
    path = Path(document.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) and path.is_file()
    shown = document.original_name
    assert 4 < len(shown) <= 120
    assert not set(shown) & set('/\\<>:"|?*')
    assert all(unicodedata.category(char)[0] != "C" for char in shown)
    assert not re.match(r"(?i)(con|prn|aux|nul|com\d|lpt\d) *(\.|$)", shown)
    assert shown == shown.strip(" .") or shown.endswith((".pdf", ".png", ".jpg"))


def assert_served_safely(client, document):
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert not set(disposition) & set("\r\n\x00")
    # One parameter, its value quoted whole or percent-encoded (RFC 6266 / 5987).
    assert re.fullmatch(
        r'attachment; (filename="[^"\\]*"|filename\*=utf-8\'\'[\w%.~!$&*+^`|-]+)', (disposition)
    ), disposition
    assert response["Content-Type"] == document.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    return response


# --- disguised, oversize, empty ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), DISGUISES, ids=DISGUISE_IDS)
def test_a_disguised_piece_is_refused_through_the_page(name, content, client, draft):
    before = world_state()

    response = post_piece(client, draft, name, content)

    assert response.status_code == 302
    assert error_messages(response) == [
        "Only PDF, PNG or JPEG files are accepted (checked on the content)."
    ]
    assert world_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), DISGUISES, ids=DISGUISE_IDS)
def test_a_disguised_replacement_is_refused_and_the_piece_kept(name, content, client, draft):
    document = draft.documents.get()
    before = world_state()

    response = client.post(replace_url(document), {"file": SimpleUploadedFile(name, content)})

    assert response.status_code == 302 and error_messages(response)
    assert world_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", PDF, "application/pdf"),
        ("page.html", PDF + HTML, "application/pdf"),  # a PDF carrying HTML stays a PDF
        ("cv.pdf", PNG + SVG, "image/png"),
        ("cv.pdf", JPEG, "image/jpeg"),
    ],
    ids=["pdf-named-png", "pdf-html-polyglot", "png-svg-polyglot", "jpeg-named-pdf"],
)
def test_a_piece_is_typed_and_served_by_its_content_never_inline(
    name, content, content_type, client, draft
):
    response = post_piece(client, draft, name, content, kind=Kind.OTHER)

    assert response.status_code == 302 and not error_messages(response)
    document = draft.documents.get(kind=Kind.OTHER)
    assert document.content_type == content_type
    assert_stored_safely(document)
    served = assert_served_safely(client, document)
    assert b"".join(served.streaming_content) == content


@pytest.mark.django_db
@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "temporary-file"])
def test_an_oversize_piece_is_refused_and_leaves_no_file(in_memory, client, draft, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE, Django writes the upload to a temporary file first.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024 if in_memory else 512
    document = draft.documents.get()
    before = world_state()

    for url, data in [
        (upload_url(draft), {"kind": Kind.CV}),
        (replace_url(document), {}),
    ]:
        client.cookies.pop("messages", None)
        data["file"] = SimpleUploadedFile("big.pdf", PDF + bytes(2000))
        response = client.post(url, data)

        assert response.status_code == 302
        assert error_messages(response) == ["The file is too large: 0.0 MB at most."]
    assert world_state() == before


@pytest.mark.django_db
def test_an_empty_piece_or_none_is_refused_through_the_page(client, draft):
    before = world_state()
    body, content_type = multipart({"kind": Kind.CV}, b"", b"")

    requests = [
        {"data": {"kind": Kind.CV, "file": SimpleUploadedFile("vide.pdf", b"")}},
        {"data": {"kind": Kind.CV}},
        {"data": body, "content_type": content_type},  # a file field, no file chosen
    ]

    for request in requests:
        client.cookies.pop("messages", None)
        response = client.post(upload_url(draft), **request)

        assert response.status_code == 302
        assert len(error_messages(response)) == 1
    assert world_state() == before


# --- names ------------------------------------------------------------------------------------


HOSTILE_NAMES = [
    "../../../../etc/passwd.pdf",
    "..\\..\\boot.ini.pdf",
    "C:\\Windows\\win.ini.pdf",
    "\\\\server\\share\\cv.pdf",
    "a\x00b.pdf",
    "\x07\x1b[31mred\x1b[0m.pdf",
    "cv\u202efdp.exe",  # shown as "cvexe.pdf" with the override: removed
    "invisible\u200b\u2060\ufeff.pdf",
    "line\u2028para\u2029.pdf",
    "x" * 10_000 + ".pdf",
    "é" * 5_000 + ".pdf",
    "CON.pdf",
    "nul",
    "lpt1.report.pdf",
    "aux .pdf",
    'quote"semi;colon=x.pdf',
    "file.pdf. . . ",
    "...pdf",
    "%2e%2e%2fescape.pdf",
    "\uff0e\uff0e\uff0fwide.pdf",  # fullwidth dots and solidus
    "e\u0301te\u0301.pdf",  # decomposed accents
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_a_hostile_name_is_stored_as_ours_and_served_harmlessly(name, client, draft):
    response = post_piece(client, draft, name, PDF, kind=Kind.OTHER)

    assert response.status_code == 302 and not error_messages(response)
    document = draft.documents.get(kind=Kind.OTHER)
    assert_stored_safely(document)
    assert_served_safely(client, document)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    [
        b"a\x00b.pdf",
        b"\xff\xfe\xfd.pdf",  # not UTF-8
        b"../../x.pdf",
        b"..%2F..%2Fx.pdf",
        b"x\r\nContent-Type: text/html\r\n\r\n<script>.pdf",  # a header injected in the part
        b'x\\".pdf',
        b"=?utf-8?b?Li4vLi4veC5wZGY=?=",  # "../../x.pdf" as an encoded word
        b"x" * 20_000,
    ],
    ids=["nul", "not-utf8", "traversal", "encoded-traversal", "crlf", "quote", "rfc2047", "20k"],
)
def test_a_name_no_client_would_send_never_breaks_the_page(filename, client, draft):
    body, content_type = multipart({"kind": Kind.OTHER}, filename, PDF)
    before = world_state()

    response = client.post(upload_url(draft), body, content_type=content_type)

    assert response.status_code < 500
    document = draft.documents.filter(kind=Kind.OTHER).first()
    if document is None:  # refused: with a message, nothing kept
        assert response.status_code >= 400 or error_messages(response)
        assert world_state() == before
    else:
        assert_stored_safely(document)
        assert_served_safely(client, document)


# --- fuzzing both forms -----------------------------------------------------------------------

FILE_NAME = st.text(CHARACTERS, min_size=1, max_size=300).filter(
    lambda name: "\x00" not in name and name.strip("/\\. ") and "/" not in name
)
NOT_MAGIC = st.binary(max_size=3000).filter(lambda data: not data.startswith(MAGIC))
GOOD = st.sampled_from([PDF, PNG, JPEG])


def piece(name, content):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


BAD_PIECE = st.one_of(
    st.builds(piece, FILE_NAME, NOT_MAGIC),  # no known signature
    st.builds(piece, FILE_NAME, st.just(b"")),  # empty
    st.builds(piece, FILE_NAME, GOOD.map(lambda magic: magic + bytes(2048))),  # over the cap
    st.just(MISSING),
    JUNK,  # text where a file is expected
)
ANY_PIECE = st.builds(piece, FILE_NAME, GOOD | NOT_MAGIC)


@pytest.mark.django_db
def test_the_upload_page_refuses_any_bad_piece(client, draft, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024

    @FUZZ
    @given(
        hostile_post(
            {"kind": choice(Kind.values) | JUNK, "file": ANY_PIECE},
            {"kind": not_in(Kind.values) | st.just(MISSING), "file": BAD_PIECE},
        )
    )
    def example(data):
        send_refused(client, upload_url(draft), data)

    example()


@pytest.mark.django_db
def test_the_replace_page_refuses_any_bad_piece(client, draft, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024
    document = draft.documents.get()

    @FUZZ
    @given(hostile_post({"file": ANY_PIECE}, {"file": BAD_PIECE}))
    def example(data):
        send_refused(client, replace_url(document), data)

    example()


# --- the branch logo --------------------------------------------------------------------------


def png_bytes(size, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def post_logo(client, branch, name, content):
    data = {
        "idcc_conventions": [],
        "cpnef_name": "",
        "address": "",
        "signatory_name": "Claire Martin",
        "signatory_title": "Présidente",
        "siret": "",
        "logo": SimpleUploadedFile(name, content),
    }
    return client.post(reverse("admin:certifications_branch_change", args=[branch.pk]), data)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # expected, refused
@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("logo.png", SVG, "Upload a valid image"),
        ("logo.png", HTML, "Upload a valid image"),
        ("logo.png", PDF, "Upload a valid image"),
        ("logo.svg", SVG, "Upload a valid image"),
        # 12,000 × 12,000 pixels in 17 kB: under Pillow's own bomb limit, but every
        # certificate's rendering would unpack 144 million pixels.
        ("logo.png", png_bytes((12_000, 12_000), mode="1"), "16 million pixels"),
        ("logo.png", png_bytes((20_000, 20_000), mode="1"), "Upload a valid image"),
        ("x" * 10_000 + ".png", png_bytes((10, 10)), "at most 100 characters"),
    ],
    ids=["svg-as-png", "html-as-png", "pdf-as-png", "svg", "big-bitmap", "bomb", "long-name"],
)
def test_a_hostile_logo_is_refused_with_a_message(name, content, error, staff_client, branch):
    before = world_state()

    response = post_logo(staff_client, branch, name, content)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["logo"]
    assert any(error in message for message in errors), errors
    assert world_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["../../../evil.png", "..\\..\\evil.png", "a\x00b.png", "\u202egnp.png", "CON.png"]
)
def test_a_logo_name_cannot_leave_the_logo_folder(name, staff_client, branch):
    response = post_logo(staff_client, branch, name, png_bytes((40, 20)))

    assert response.status_code == 302
    branch.refresh_from_db()
    assert re.fullmatch(r"branches/logos/[\w.-]+\.png", branch.logo.name), branch.logo.name
    logos = (Path(settings.MEDIA_ROOT) / "branches" / "logos").resolve()
    assert Path(branch.logo.path).resolve().parent == logos


@pytest.mark.django_db
def test_a_png_carrying_html_is_served_as_an_image_never_as_a_page(staff_client, branch):
    content = png_bytes((40, 20)) + HTML
    assert post_logo(staff_client, branch, "logo.png", content).status_code == 302
    branch = Branch.objects.get(pk=branch.pk)

    served = staff_client.get(branch.logo.url)

    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == content
