"""A person's data: exported on request, anonymised after the retention period.

Each app registers what it holds about a person (from its AppConfig.ready), so `cqp` builds
the export and runs the anonymisation without importing the apps. An exporter returns a
section of the JSON and the files to put beside it; an anonymiser rewrites or deletes what
its app holds, inside the caller's transaction.
"""

import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _


@dataclass
class ExportPart:
    """What one app holds about a person: JSON data and files (name in the ZIP, file field)."""

    data: object
    files: list[tuple[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Contributor:
    key: str
    export: Callable  # (user) -> ExportPart | None
    anonymise: Callable | None = None  # (user, actor) -> None
    # (user) -> str: why the person may not be anonymised for this app ('' if they may).
    refusal: Callable | None = None
    order: int = 100


_CONTRIBUTORS: dict[str, Contributor] = {}


def register(contributor: Contributor) -> None:
    _CONTRIBUTORS[contributor.key] = contributor


def contributors() -> list[Contributor]:
    return sorted(_CONTRIBUTORS.values(), key=lambda c: c.order)


def anonymisation_refusal(user) -> str:
    """The first reason an app gives not to anonymise this person ('' if none)."""
    for contributor in contributors():
        if contributor.refusal is not None:
            reason = contributor.refusal(user)
            if reason:
                return reason
    return ""


def anonymised_text() -> str:
    """What replaces a required free text (a jury's motivation, a reason) once anonymised."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("[anonymised]")


def delete_files_on_commit(stored: list[tuple[object, str]]) -> None:
    """Delete (storage, name) files once the transaction commits (a rollback keeps them); a
    storage error is logged, not raised: the rows are gone already."""
    for storage, name in stored:
        transaction.on_commit(lambda s=storage, n=name: s.delete(n), robust=True)


def collect(user) -> tuple[dict, list[tuple[str, object]]]:
    """Every app's section (empty ones left out) and the files to join."""
    data: dict = {}
    files: list[tuple[str, object]] = []
    for contributor in contributors():
        part = contributor.export(user)
        if part is None:
            continue
        data[contributor.key] = part.data
        files.extend(part.files)
    return data, files


def build_archive(user) -> tempfile.SpooledTemporaryFile:
    """The ZIP a person downloads: `data.json`, a README and their files, rewound."""
    data, files = collect(user)
    document = {
        "exported_at": timezone.now(),
        "format": "cqp-personal-data/1",
        **data,
    }
    # Returned open to the response, which closes it once sent.
    archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "data.json",
            json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        zf.writestr("README.txt", _readme(files))
        for name, file_field in files:
            try:
                with file_field.open("rb") as handle, zf.open(name, "w") as target:
                    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                        target.write(chunk)
            except FileNotFoundError:
                zf.writestr(f"{name}.missing.txt", _("This file could not be found."))
    archive.seek(0)
    return archive


def _readme(files) -> str:
    lines = [
        _("Your personal data, as held by the CQP platform."),
        "",
        _(
            "data.json: your account, your profile, your dossiers and everything recorded in "
            "them (events, assessments, decisions), your certificates, your logins and who "
            "else read your documents."
        ),
    ]
    if files:
        lines.append(_("The other files are the pieces you uploaded and your documents."))
    return "\n".join(lines) + "\n"
