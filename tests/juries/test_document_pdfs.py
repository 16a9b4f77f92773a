"""What the certificate, the attestation and the minutes look like as PDFs: their text, their
fonts, one page for a certificate however many units, a paginated minutes, and nothing fetched
from the network.

The layout checks read WeasyPrint's laid-out boxes (`pdf.render_document`): where each block
sits on the page, in millimetres.
"""

import socket
from io import BytesIO

import pypdf
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from PIL import Image

from certifications import services as catalogue
from juries import services
from juries.demo_documents import branch_logo_png
from juries.documents import pdf, rendering
from juries.documents.snapshot import parse_date
from juries.models import Certificate, JuryDecision, JuryMinutes, Outcome
from tests import factories
from tests.juries.documents import close_three
from tests.juries.test_deliberation import convened_session, open_all
from tests.juries.test_sessions import ready_dossier

PX_PER_MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels
LONG_TITLES = [
    "Accueillir, conseiller et accompagner la clientèle dans son projet immobilier de "
    "transaction ou de location",
    "Prospecter un secteur géographique, rentrer des mandats de vente exclusifs et estimer la "
    "valeur vénale des biens",
    "Négocier les conditions de la vente entre vendeurs et acquéreurs jusqu'à la signature du "
    "compromis de vente",
    "Assurer la gestion administrative et juridique des dossiers de transaction et le suivi "
    "des diagnostics",
    "Réaliser la mise en valeur des biens : photographies, visites virtuelles et annonces "
    "multicanales",
    "Organiser et conduire les visites des biens dans le respect des règles de non-discrimination",
    "Appliquer la réglementation relative à la lutte contre le blanchiment des capitaux et le "
    "financement du terrorisme",
    "Contribuer au développement commercial de l'agence et à la fidélisation du portefeuille "
    "de clients",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def closed(branch, open_cqp, staff, evaluator):
    session, _members, items = close_three(branch, open_cqp, staff, evaluator)
    return session, [document_of(item) for item in items[:2]]


@pytest.fixture
def long_cqp(branch, staff, cpnef):
    """An approved CQP with a long title whose published référentiel has 8 long units."""
    cqp = factories.CqpFactory(
        branch=branch,
        code="NIT",
        title="Négociateur immobilier spécialisé en transaction de biens résidentiels et "
        "commerciaux",
        registry_number="RNCP38123",
    )
    referentiel = factories.ReferentielFactory(cqp=cqp, version=1)
    for order, title in enumerate(LONG_TITLES, start=1):
        unit = factories.UnitFactory(
            referentiel=referentiel, code=f"RNCP38123BC{order:02d}", title=title, order=order
        )
        factories.CompetenceFactory(unit=unit, order=1)
        factories.CriterionFactory(unit=unit, order=1)
    catalogue.referentiel_publish(referentiel=referentiel, actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    return cqp


@pytest.fixture
def with_logo(branch):
    branch.logo.save("immobilier.png", ContentFile(branch_logo_png(branch)))
    return branch


# --- helpers ------------------------------------------------------------------------------------


def document_of(item) -> Certificate:
    return Certificate.objects.get(decision__item=item, decision__corrects=None)


def reader(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(BytesIO(content))


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in reader(content).pages)


def boxes(root):
    """Every box under `root` (a laid-out page or a box), in document order."""
    stack = [getattr(root, "_page_box", root)]  # WeasyPrint keeps a page's root box private
    while stack:
        box = stack.pop()
        yield box
        stack.extend(reversed(getattr(box, "children", [])))


def has_class(box, css_class) -> bool:
    return box.element is not None and css_class in (box.element.get("class") or "").split()


def all_of(root, tag, css_class=None) -> list:
    return [
        box
        for box in boxes(root)
        if box.element_tag == tag and (css_class is None or has_class(box, css_class))
    ]


def first(root, tag, css_class=None):
    return all_of(root, tag, css_class)[0]


def mm(pixels: float) -> float:
    return pixels / PX_PER_MM


def certificate_layout(certificate: Certificate):
    with translation.override(settings.LANGUAGE_CODE):
        return pdf.render_document(rendering.certificate_html(certificate))


def body_gaps(page) -> tuple[float, float]:
    """Millimetres between the certificate's body and its header, and its footer (< 0: they
    overlap); the footer must stay inside the frame."""
    header, footer, inner = (
        first(page, "header"),
        first(page, "footer"),
        first(page, "div", "inner"),
    )
    assert footer.position_y + footer.margin_height() <= inner.content_box_y() + inner.height + 0.5
    body = first(page, "div", "body").children
    top = body[0].position_y
    bottom = body[-1].position_y + body[-1].margin_height()
    return mm(top - (header.position_y + header.margin_height())), mm(footer.position_y - bottom)


def local_date(value: str, format_name: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return date_format(parse_date(value), format_name)


# --- certificate and attestation ----------------------------------------------------------------


def test_the_certificate_prints_the_holder_number_units_and_code(closed):
    _session, (certificate, _attestation) = closed
    holder = certificate.dossier.candidate

    content = rendering.certificate_pdf(certificate)

    assert len(reader(content).pages) == 1
    text = text_of(content)
    assert f"{holder.first_name} {holder.last_name.upper()}" in text
    assert certificate.number in text
    for unit in certificate.snapshot["units_held"]:
        assert unit["code"] in text and unit["title"] in text
    lines = text.splitlines()
    # The code and the date of issue each stay on one line.
    assert any(certificate.display_code in line for line in lines)
    issued = local_date(certificate.snapshot["decided_on"], "DATE_FORMAT")
    assert any(issued in line for line in lines)
    # A certificate has no date column: the units' dates print on the attestation only.
    assert local_date(certificate.snapshot["decided_on"], "SHORT_DATE_FORMAT") not in text


def test_the_attestation_dates_each_acquired_unit_and_lists_those_remaining(closed):
    _session, (_certificate, attestation) = closed
    (held,) = attestation.snapshot["units_held"]
    (remaining,) = attestation.snapshot["units_remaining"]

    text = text_of(rendering.certificate_pdf(attestation))

    held_line = next(line for line in text.splitlines() if held["title"] in line)
    assert local_date(held["acquired_on"], "SHORT_DATE_FORMAT") in held_line
    assert remaining["code"] in text and remaining["title"] in text
    assert attestation.number in text and attestation.display_code in text


def test_the_body_is_centred_between_header_and_footer(closed):
    _session, (certificate, _attestation) = closed

    above, below = body_gaps(certificate_layout(certificate).pages[0])

    assert above > 20  # two units: plenty of room, shared evenly
    assert above == pytest.approx(below, abs=1)


@pytest.mark.parametrize(
    "kind", [Certificate.Kind.CERTIFICATE, Certificate.Kind.PARTIAL_ATTESTATION]
)
def test_eight_long_units_fit_on_one_page(branch, with_logo, long_cqp, staff, evaluator, kind):
    _session, _members, items = close_three(branch, long_cqp, staff, evaluator, prefix="long-")
    certificate = Certificate.objects.get(decision__item__in=items, kind=kind)
    units = certificate.snapshot["units_held"] + certificate.snapshot["units_remaining"]
    assert len(units) == 8

    document = certificate_layout(certificate)
    content = rendering.certificate_pdf(certificate)

    assert len(document.pages) == 1 and len(reader(content).pages) == 1
    assert min(body_gaps(document.pages[0])) >= 0  # the body overlaps neither header nor footer
    text = text_of(content)
    for unit in units:
        assert unit["code"] in text
    assert certificate.display_code in text


def test_a_branch_logo_keeps_its_proportions_in_the_header(closed, with_logo):
    _session, (certificate, _attestation) = closed
    certificate.branch.refresh_from_db()
    with Image.open(with_logo.logo.path) as image:
        ratio = image.width / image.height
        size = image.size

    page = certificate_layout(certificate).pages[0]
    logo = first(page, "img")  # the header's, first in the page

    assert logo.height == pytest.approx(22 * PX_PER_MM, rel=0.01) or logo.width == (
        pytest.approx(58 * PX_PER_MM, rel=0.01)
    )
    assert logo.width / logo.height == pytest.approx(ratio, rel=0.01)
    header = first(page, "header")
    assert header.position_y <= logo.position_y
    assert logo.position_y + logo.margin_height() <= header.position_y + header.margin_height()
    images = reader(rendering.certificate_pdf(certificate)).pages[0].images
    assert [image.image.size for image in images] == [size]  # the logo; the QR code is vector


def test_without_a_logo_the_pdf_holds_no_bitmap(closed):
    _session, (certificate, _attestation) = closed
    assert not certificate.branch.logo
    assert list(reader(rendering.certificate_pdf(certificate)).pages[0].images) == []


def test_the_fonts_are_lato_embedded(closed):
    session, (certificate, _attestation) = closed
    minutes = JuryMinutes.objects.get(session=session)

    for content in (rendering.certificate_pdf(certificate), rendering.minutes_pdf(minutes)):
        fonts = {}
        for page in reader(content).pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descendant = (
                    font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                )
                fonts[str(font["/BaseFont"])] = descendant["/FontDescriptor"].get_object()
        assert len(fonts) >= 3  # regular, bold, black at least
        for name, descriptor in fonts.items():
            assert name.split("+")[-1].startswith("Lato")  # after the subset's prefix
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


# --- nothing fetched from the network -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://fonts.example.org/lato.woff2",
        "ftp://example.org/file",
    ],
)
def test_the_fetcher_refuses_other_protocols(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        pdf.LocalURLFetcher().fetch(url)


def test_the_fetcher_refuses_files_outside_the_static_folder(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    escaping = pdf.static_root().as_uri() + "/../cqp/settings.py"
    for url in (outside.as_uri(), escaping, "file:///etc/passwd"):
        with pytest.raises(ValueError, match="documents do not read"):
            pdf.LocalURLFetcher().fetch(url)


def test_the_fetcher_reads_the_fonts_and_data_uris():
    font = pdf.static_root() / pdf.FONT_FILE
    for url, content in [
        (font.as_uri(), font.read_bytes()),
        ("data:text/plain;base64,b2s=", b"ok"),
    ]:
        response = pdf.LocalURLFetcher().fetch(url)
        try:
            assert response.read() == content
        finally:
            response.close()


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt is recorded and refused."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("no network in documents")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_rendering_never_reaches_the_network(closed, with_logo, no_network):
    session, (certificate, attestation) = closed
    rendering.certificate_pdf(certificate)
    rendering.certificate_pdf(attestation)
    rendering.minutes_pdf(JuryMinutes.objects.get(session=session))
    html = (
        '<link rel="stylesheet" href="http://127.0.0.1:9/style.css">'
        '<style>@import url("https://example.org/x.css");</style>'
        '<img src="http://127.0.0.1:9/logo.png"><p>ok</p>'
    )
    assert "ok" in text_of(pdf.html_to_pdf(html))
    assert no_network == []


# --- minutes ------------------------------------------------------------------------------------


def decided_session(branch, cqp, staff, evaluator, count, *, prefix):
    """A closed session of `count` dossiers: certified, partial, refused, certified, ..."""
    dossiers = [
        ready_dossier(f"{prefix}{n}@example.org", cqp, staff, evaluator) for n in range(count)
    ]
    session, members, items = convened_session(branch, cqp, staff, dossiers, prefix=prefix)
    president = members[0].user
    open_all(session, members)
    for n, item in enumerate(items):
        units = services.units_to_judge(item)
        outcome, validated, motivation = [
            (Outcome.CERTIFIED, units, ""),
            (Outcome.PARTIALLY_VALIDATED, units[:1], "Le second bloc reste à démontrer."),
            (Outcome.NOT_VALIDATED, [], "Aucun bloc maîtrisé."),
            (Outcome.CERTIFIED, units, ""),
        ][n % 4]
        services.decision_record(
            item=item,
            outcome=outcome,
            validated_unit_ids=[u.pk for u in validated],
            motivation=motivation,
            actor=president,
        )
    services.session_close(session=session, actor=president)
    return JuryMinutes.objects.get(session=session)


def test_the_minutes_give_each_decision_its_document_and_the_counts(closed):
    session, documents = closed
    minutes = JuryMinutes.objects.get(session=session)

    context = rendering.minutes_context(minutes)
    text = text_of(rendering.minutes_pdf(minutes))

    assert [str(label) for label, _count in context["outcome_counts"]] == [
        str(Outcome.CERTIFIED.label),
        str(Outcome.PARTIALLY_VALIDATED.label),
        str(Outcome.NOT_VALIDATED.label),
    ]
    assert [count for _label, count in context["outcome_counts"]] == [1, 1, 1]
    with translation.override(settings.LANGUAGE_CODE):
        rows = pdf.render_html(rendering.MINUTES_TEMPLATE, context).split("<tr>")
    for document in documents:
        assert document.number in text
        row = next(row for row in rows if document.dossier.reference in row)
        assert document.number in row  # on the row of its dossier


def test_absent_and_deferred_count_only_when_some_dossier_had_them():
    decisions = [
        JuryDecision(outcome=outcome)
        for outcome in (Outcome.CERTIFIED, Outcome.DEFERRED, Outcome.CERTIFIED)
    ]
    counts = [(str(label), count) for label, count in rendering.outcome_counts(decisions)]
    assert counts == [
        (str(Outcome.CERTIFIED.label), 2),
        (str(Outcome.PARTIALLY_VALIDATED.label), 0),
        (str(Outcome.NOT_VALIDATED.label), 0),
        (str(Outcome.DEFERRED.label), 1),
    ]


def test_forty_dossiers_paginate_with_the_header_repeated_and_no_row_split(
    branch, open_cqp, staff, evaluator
):
    small = decided_session(branch, open_cqp, staff, evaluator, 3, prefix="small-")
    minutes = decided_session(branch, open_cqp, staff, evaluator, 40, prefix="many-")

    # The queries do not grow with the dossiers (the documents' numbers included).
    counts = []
    for document in (small, minutes):
        with (
            CaptureQueriesContext(connection) as queries,
            translation.override(settings.LANGUAGE_CODE),
        ):
            html = pdf.render_html(rendering.MINUTES_TEMPLATE, rendering.minutes_context(document))
        counts.append(len(queries))
    assert counts[0] == counts[1]

    document = pdf.render_document(html)
    assert len(document.pages) >= 2
    rows = []
    for page in document.pages:
        # The table's wrapper and table boxes both name the <table>: the outermost holds all.
        tables = all_of(page, "table", "decisions")
        if not tables:
            continue
        assert all_of(tables[0], "thead")  # the header row, on every page of the table
        for group in all_of(tables[0], "tbody"):
            rows += [box.element for box in group.children]
    assert len(rows) == 40 and len({id(row) for row in rows}) == 40  # each row once, whole
    # Two signature blocks, their lines half the width each (not squeezed).
    signatures = all_of(document.pages[-1], "div", "signature")
    lines = all_of(document.pages[-1], "div", "space")
    assert len(signatures) == len(lines) == 2
    assert all(mm(box.width) > 70 for box in lines)

    content = rendering.minutes_pdf(minutes)
    for page in reader(content).pages:  # the running title, once, in every page's footer
        assert page.extract_text().count(f"{minutes.session.branch.name} — ") == 1
    text = text_of(content)
    references = minutes.session.agenda.values_list("dossier__reference", flat=True)
    assert all(reference in text for reference in references)
    numbers = Certificate.objects.filter(decision__item__session=minutes.session)
    assert numbers.count() == 30 and all(c.number in text for c in numbers)
