"""PDFs from Django templates with WeasyPrint: A4, the project's own fonts embedded, nothing
fetched from the network (only the project's static files and data: URIs are read)."""

import base64
import functools
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONT_FILE = "fonts/lato/Lato-Regular.ttf"


@functools.cache
def static_root() -> Path:
    """The folder of the project's static files the documents use (fonts)."""
    found = finders.find(FONT_FILE)
    if found is None:  # collected only (production without the source tree)
        found = Path(settings.STATIC_ROOT) / FONT_FILE
    return Path(found).parents[2]


@functools.cache
def font_config() -> FontConfiguration:
    """One per process: WeasyPrint loads the @font-face fonts once."""
    return FontConfiguration()


class LocalURLFetcher(URLFetcher):
    """Static files and data: URIs only: a document never reaches out to another host."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(static_root()):
                raise ValueError(f"documents do not read {url!r}")
        return super().fetch(url, headers)


def render_document(html: str) -> Document:
    """The laid-out pages (tests read the layout from them)."""
    return HTML(
        string=html, base_url=static_root().as_uri() + "/", url_fetcher=LocalURLFetcher()
    ).render(font_config=font_config())


def html_to_pdf(html: str) -> bytes:
    return render_document(html).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    return html_to_pdf(render_html(template_name, context))


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, {"static_base": static_root().as_uri(), **context})


def qr_data_uri(url: str) -> str:
    """A vector QR code (SVG) of `url`, to print as an image."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#1c2b4a")


def file_data_uri(field) -> str:
    """An image file of the storage (a branch's logo) inlined, or "" when missing."""
    if not field:
        return ""
    try:
        with field.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError):
        return ""
    mime = mimetypes.guess_type(field.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"
