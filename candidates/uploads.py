"""Checks on uploaded pieces: the content decides the type, never the name."""

import re
import unicodedata
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from cqp.errors import DomainError

# Signatures (magic bytes) of the accepted types, and the extension we store them with.
SIGNATURES = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]
HEAD_BYTES = 16
NAME_MAX = 120


class UploadRefused(DomainError):
    """The file is empty, too large, of another type, or unreadable."""


def sniff(upload) -> tuple[str, str]:
    """(content type, extension) read from the file's first bytes; refused otherwise."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    raise UploadRefused(_("Only PDF, PNG or JPEG files are accepted (checked on the content)."))


def check_upload(upload) -> tuple[str, str]:
    """Refuse empty, oversize or disguised files; returns (content type, extension)."""
    if upload is None:
        raise UploadRefused(_("Choose a file."))
    size = upload.size or 0
    if size == 0:
        raise UploadRefused(_("The file is empty."))
    cap = settings.FILE_UPLOAD_MAX_BYTES
    if size > cap:
        raise UploadRefused(
            _("The file is too large: %(max)s MB at most.") % {"max": round(cap / 1024 / 1024, 1)}
        )
    return sniff(upload)


# Device names Windows refuses as a file name, whatever the extension ("CON.pdf" included).
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]) *(\.|$)", re.IGNORECASE)


def display_name(name: str, extension: str) -> str:
    """The uploader's file name made harmless for display (no path, no control characters)."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"\s+", " ", base)  # tabs, line and paragraph separators too
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"[<>:\"/|?*]", "_", base).strip(" .")
    stem = PurePath(base).stem[: NAME_MAX - len(extension)] or _("document")
    if WINDOWS_RESERVED.match(stem):
        stem = f"_{stem}"[: NAME_MAX - len(extension)]
    return f"{stem}{extension}"
