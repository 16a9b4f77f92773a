"""Hostile France Compétences exports: external entities, entity expansion, huge or deep
content, files that are not XML, lying encodings — through the import service, the command
and the admin page. Each is refused with a reason, writes nothing and reaches no network.

Cases already in tests/certifications (the file:// entity, a file:// DTD, the billion laughs
through general entities, a plain DTD, a truncated file, an empty file, plain text) are not
repeated here.
"""

import gzip
import io
import socket
import time
import tracemalloc
import urllib.request
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from certifications.importers import (
    ImportFileError,
    Outcome,
    bounded,
    import_referentiels,
    iter_fiches,
)
from certifications.importers.referentiels import MAX_UNITS
from certifications.models import Cqp
from tests.certifications.test_importer import fiche_xml

from .checks import database_state

RNCP = (
    Path(__file__).resolve().parents[2]
    / "certifications"
    / "data"
    / "rncp"
    / "export_fiches_RNCP_sample.xml"
)
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection is recorded and fails: the list must stay empty."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during an import")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield attempts
    assert attempts == []


def export(*fiches: str, prolog: bytes = PROLOG, before: str = "") -> bytes:
    body = "".join(fiches)
    return prolog + f"{before}<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{body}</FICHES>".encode()


def zip_bomb() -> bytes:
    """50 MB of zeros squeezed into a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.xml", bytes(50 * MB))
    return buffer.getvalue()


ONE_FICHE = fiche_xml("RNCP90001")
# (id, file content, what the refusal says)
HOSTILE = [
    (
        "http-entity",
        export(
            fiche_xml("RNCP90001", title="T").replace("T", "&xxe;", 1),
            before='<!DOCTYPE FICHES [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>',
        ),
        "declares a DTD or entities",
    ),
    (
        "parameter-entity",
        export(
            ONE_FICHE,
            before='<!DOCTYPE FICHES [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>',
        ),
        "declares a DTD or entities",
    ),
    (
        "http-dtd",
        export(ONE_FICHE, before='<!DOCTYPE FICHES SYSTEM "http://127.0.0.1:9/fiches.dtd">'),
        "declares a DTD or entities",
    ),
    (
        "public-dtd",
        export(ONE_FICHE, before='<!DOCTYPE FICHES PUBLIC "-//X//EN" "http://127.0.0.1:9/x">'),
        "declares a DTD or entities",
    ),
    (
        "quadratic-blowup",
        export(
            fiche_xml("RNCP90001", title="T").replace("T", "&a;" * 20_000, 1),
            before=f'<!DOCTYPE FICHES [<!ENTITY a "{"x" * 50_000}">]>',
        ),
        "declares a DTD or entities",
    ),
    (
        "entity-in-attribute",
        export(
            ONE_FICHE.replace("<FICHE>", '<FICHE id="&e;">', 1),
            before='<!DOCTYPE FICHES [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
        ),
        "declares a DTD or entities",
    ),
    (
        "huge-attribute",
        PROLOG + b'<FICHES><FICHE a="' + b"x" * (3 * MB) + b'"/></FICHES>',
        "single tag, attribute or comment is larger",
    ),
    (
        "huge-comment",
        PROLOG + b"<FICHES><!--" + b"x" * (3 * MB) + b"--></FICHES>",
        "single tag, attribute or comment is larger",
    ),
    (
        "deep-nesting",
        export("<FICHE>" + "<a>" * 10_000 + "</a>" * 10_000 + "</FICHE>"),
        "nested more than",
    ),
    (
        "many-elements",
        export("<FICHE>" + "<a/>" * (bounded.MAX_FICHE_ELEMENTS + 1) + "</FICHE>"),
        "more than 50,000 elements",
    ),
    ("zip-bomb", zip_bomb(), "malformed XML"),
    ("gzip", gzip.compress(export(ONE_FICHE)), "malformed XML"),
    ("pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "malformed XML"),
    ("png", b"\x89PNG\r\n\x1a\n" + bytes(64), "malformed XML"),
    ("nul-bytes", export(ONE_FICHE).replace(b"<INTITULE>", b"<INTITULE>\x00", 1), "malformed"),
    (
        "utf8-declared-latin1-bytes",
        export(fiche_xml("RNCP90001", title="Négociateur")).replace(
            "Négociateur".encode(), "Négociateur".encode("latin-1")
        ),
        "malformed XML",
    ),
    (
        "utf16-declared-utf8-bytes",
        export(ONE_FICHE, prolog=b'<?xml version="1.0" encoding="UTF-16"?>'),
        "encoding specified in XML declaration is incorrect",
    ),
    (
        "unknown-encoding",
        export(ONE_FICHE, prolog=b'<?xml version="1.0" encoding="x-no-such-thing"?>'),
        "declared encoding cannot be read",
    ),
    (
        "multi-byte-encoding",
        export(ONE_FICHE, prolog=b'<?xml version="1.0" encoding="UTF-32"?>'),
        "declared encoding cannot be read",
    ),
    (
        "codec-not-a-text-encoding",
        export(ONE_FICHE, prolog=b'<?xml version="1.0" encoding="base64"?>'),
        "declared encoding cannot be read",
    ),
]
IDS = [case[0] for case in HOSTILE]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "reason"), HOSTILE, ids=IDS)
def test_the_service_refuses_a_hostile_file_with_its_reason(name, content, reason, tmp_path):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(content)
    before = database_state()

    started = time.monotonic()
    with pytest.raises(ImportFileError) as refused:
        import_referentiels([RNCP, path])  # the good file's fiches are rolled back as well

    assert time.monotonic() - started < 10
    assert str(refused.value).startswith(f"{path}")
    assert reason in str(refused.value)
    assert database_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "reason"), HOSTILE, ids=IDS)
def test_the_admin_page_refuses_a_hostile_file_with_its_reason(
    name, content, reason, client, staff
):
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    before = database_state()

    response = client.post(
        reverse("admin:certifications_cqp_import"),
        {"file": SimpleUploadedFile(f"{name}.xml", content, content_type="text/xml")},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(reason in error for error in errors), errors
    assert "root:" not in response.content.decode()  # no /etc/passwd line
    assert database_state() == before


@pytest.mark.django_db
def test_the_command_refuses_an_unreadable_encoding_without_a_traceback(tmp_path):
    path = tmp_path / "latin9.xml"
    path.write_bytes(export(ONE_FICHE, prolog=b'<?xml version="1.0" encoding="x-nothing"?>'))

    with pytest.raises(CommandError, match="declared encoding cannot be read"):
        call_command("import_referentiels", str(path))

    assert not Cqp.objects.exists()


# --- size ---------------------------------------------------------------------------------------


def write_fiche_with_huge_title(path, size: int) -> Path:
    """An export whose one fiche has a title of `size` bytes, written without holding it."""
    head, tail = fiche_xml("RNCP90001", title="TITLE").split("TITLE", 1)
    with path.open("wb") as handle:
        handle.write(PROLOG + b"<FICHES>" + head.encode())
        for start in range(0, size, MB):
            handle.write(b"x" * min(MB, size - start))
        handle.write(tail.encode() + b"</FICHES>")
    return path


@pytest.mark.django_db
def test_a_50_mb_title_is_refused_in_bounded_memory(tmp_path):
    path = write_fiche_with_huge_title(tmp_path / "huge.xml", 50 * MB)
    before = database_state()

    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="a text is longer than 1,000,000 characters"):
            import_referentiels(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Read in chunks and stopped at the bound: a few megabytes, not the 50 of the text.
    assert peak < 12 * MB, peak
    assert database_state() == before


@pytest.mark.django_db
def test_a_long_title_under_the_bound_is_cut_to_the_column(tmp_path, branch):
    path = write_fiche_with_huge_title(tmp_path / "long.xml", MB // 2)

    report = import_referentiels(path, branch=branch)

    assert [r.outcome for r in report.results] == [Outcome.CREATED]
    title = Cqp.objects.get(registry_number="RNCP90001").title
    assert len(title) == Cqp._meta.get_field("title").max_length
    assert title.endswith("…")


def test_a_fiche_too_large_in_total_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "MAX_FICHE_CHARS", 5_000)
    texts = "".join(f"<T{n}>{'x' * 900}</T{n}>" for n in range(10))  # each text is small
    path = tmp_path / "fat.xml"
    path.write_bytes(export(f"<FICHE>{texts}</FICHE>"))

    with pytest.raises(ImportFileError, match="a fiche holds more than 5,000 characters"):
        list(iter_fiches(path))


def test_the_bounds_apply_to_each_fiche_not_to_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "MAX_FICHE_ELEMENTS", 100)
    monkeypatch.setattr(bounded, "MAX_FICHE_CHARS", 5_000)
    path = tmp_path / "many.xml"
    path.write_bytes(export(*(fiche_xml(f"RNCP{n}") for n in range(1, 200))))

    assert len(list(iter_fiches(path))) == 199


@pytest.mark.django_db
def test_a_fiche_with_too_many_blocs_is_reported_and_the_others_imported(tmp_path, branch):
    bloc = fiche_xml("RNCP90001").split("<BLOC_COMPETENCES>", 1)[1].split("</BLOC_COMPETENCES>")[0]
    blocs = "".join(
        "<BLOC_COMPETENCES>" + bloc.replace("BC01", f"BC{n:03d}") + "</BLOC_COMPETENCES>"
        for n in range(MAX_UNITS + 1)
    )
    crowded = fiche_xml("RNCP90001").replace(
        f"<BLOC_COMPETENCES>{bloc}</BLOC_COMPETENCES>", blocs, 1
    )
    path = tmp_path / "blocs.xml"
    path.write_bytes(export(crowded, fiche_xml("RNCP90002")))

    report = import_referentiels(path, branch=branch)

    assert [(r.number, r.outcome) for r in report.results] == [
        ("RNCP90001", Outcome.ERROR),
        ("RNCP90002", Outcome.CREATED),
    ]
    assert f"no fiche has more than {MAX_UNITS}" in report.results[0].message
    assert list(Cqp.objects.values_list("registry_number", flat=True)) == ["RNCP90002"]


# --- references the parser must not follow --------------------------------------------------------


@pytest.mark.django_db
def test_xinclude_stylesheets_and_schema_locations_are_not_followed(tmp_path, branch):
    fiche = fiche_xml("RNCP90001", title="TITLE").replace(
        "TITLE",
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        'parse="text"/>',
        1,
    )
    path = tmp_path / "references.xml"
    path.write_bytes(
        PROLOG
        + b'<?xml-stylesheet type="text/xsl" href="http://127.0.0.1:9/x.xsl"?>'
        + b'<FICHES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        + b'xsi:schemaLocation="http://127.0.0.1:9/ns http://127.0.0.1:9/fiches.xsd">'
        + fiche.encode()
        + b"</FICHES>"
    )

    report = import_referentiels(path, branch=branch)

    # The include stays an empty element: the fiche has no title and is reported.
    [result] = report.results
    assert result.outcome == Outcome.ERROR and "no title" in result.message
    assert not Cqp.objects.exists()
