"""The public verification page: valid, revoked, unknown; the form; JSON for machines; not
indexed, never cached; a burst of guesses from one address is answered 429."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from certifications.models import Cqp
from juries import services
from juries.documents.codes import display_code
from juries.documents.pdf import qr_data_uri
from juries.documents.rendering import certificate_context, verification_url
from juries.models import Certificate
from tests.juries.documents import close_three

REGISTRY = "RNCP36999"
# What make_candidate gives every candidate: never on the public page.
BIRTH_DATE_FORMS = ("1990-05-17", "17/05/1990", "05/17/1990", "May 17, 1990", "17 mai 1990")
BIRTH_PLACE = "Lyon"


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def no_counters():
    cache.clear()


@pytest.fixture
def documents(branch, open_cqp, staff, evaluator):
    """A closed session's certificate and attestation (their PDFs are not needed here)."""
    Cqp.objects.filter(pk=open_cqp.pk).update(registry_number=REGISTRY)
    session, members, items = close_three(branch, open_cqp, staff, evaluator)
    kinds = {c.kind: c for c in Certificate.objects.filter(decision__item__session=session)}
    return kinds[Certificate.Kind.CERTIFICATE], kinds[Certificate.Kind.PARTIAL_ATTESTATION]


@pytest.fixture
def certificate(documents):
    return documents[0]


@pytest.fixture
def attestation(documents):
    return documents[1]


def page_url(code):
    return reverse("verification:certificate", args=[code])


def json_url(code):
    return reverse("verification:certificate_json", args=[code])


def holder(certificate):
    return certificate.dossier.candidate


def english_date(value) -> str:
    """How the page prints a date (or an ISO date) in English."""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    with translation.override("en"):
        return date_format(value, "DATE_FORMAT")


# --- valid ------------------------------------------------------------------------------------


def test_a_valid_certificate_shows_what_it_certifies(client, certificate):
    response = client.get(page_url(certificate.public_code))

    assert response.status_code == 200
    html = response.content.decode()
    assert "verification-banner--valid" in html and "Valid" in html
    assert "verification-banner--revoked" not in html
    candidate = holder(certificate)
    assert candidate.first_name in html and candidate.last_name in html
    assert "Certificate" in html and certificate.number in html
    assert "NI" in html and "Négociateur immobilier" in html and REGISTRY in html
    assert "BC01" in html and "BC02" in html
    assert "Immobilier" in html
    assert english_date(certificate.snapshot["jury_date"]) in html
    assert english_date(certificate.snapshot["decided_on"]) in html
    assert display_code(certificate.public_code) in html
    assert "Units still to acquire" not in html


def test_an_attestation_lists_the_acquired_and_the_remaining_units(client, attestation):
    response = client.get(page_url(attestation.public_code))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Attestation of partial validation" in html
    assert "Units acquired" in html and "Units still to acquire for the whole CQP" in html
    acquired, remaining = html.split("Units still to acquire")
    assert "BC01" in acquired and "BC02" not in acquired
    assert "BC02" in remaining


def test_the_json_says_the_same(client, certificate, attestation):
    data = client.get(json_url(certificate.public_code)).json()

    assert data["status"] == "valid"
    assert data["number"] == certificate.number
    assert data["kind"] == "certificate"
    assert data["holder"] == {
        "first_name": holder(certificate).first_name,
        "last_name": holder(certificate).last_name,
    }
    assert data["cqp"]["registry_number"] == REGISTRY
    assert [u["code"] for u in data["units"]] == ["BC01", "BC02"]
    assert data["revoked_at"] is None and data["revoked_reason"] is None
    assert "units_remaining" not in data

    partial = client.get(json_url(attestation.public_code)).json()
    assert partial["kind"] == "partial_attestation"
    assert [u["code"] for u in partial["units"]] == ["BC01"]
    assert [u["code"] for u in partial["units_remaining"]] == ["BC02"]


def test_the_birth_date_and_place_are_never_disclosed(client, certificate, attestation):
    for document in (certificate, attestation):
        for url in (page_url(document.public_code), json_url(document.public_code)):
            body = client.get(url).content.decode()
            assert holder(document).last_name in body
            for form in (*BIRTH_DATE_FORMS, BIRTH_PLACE):
                assert form not in body, (url, form)
    assert "birth" not in client.get(json_url(certificate.public_code)).content.decode()


# --- revoked ----------------------------------------------------------------------------------


def test_a_revoked_certificate_says_so_at_once_with_date_and_reason(client, certificate, staff):
    url = page_url(certificate.public_code)
    assert "verification-banner--valid" in client.get(url).content.decode()

    services.certificate_revoke(
        certificate=certificate, reason="Fraude sur le livret VAE.", actor=staff
    )

    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "verification-banner--revoked" in html and "Revoked" in html
    assert "verification-banner--valid" not in html
    certificate.refresh_from_db()
    assert f"revoked on {english_date(timezone.localtime(certificate.revoked_at))}" in html
    assert "Fraude sur le livret VAE." in html
    # What it was, still: the holder and the number.
    assert holder(certificate).last_name in html and certificate.number in html

    data = client.get(json_url(certificate.public_code)).json()
    assert data["status"] == "revoked"
    assert data["revoked_reason"] == "Fraude sur le livret VAE."
    assert data["revoked_at"] == certificate.revoked_at.isoformat()


# --- unknown and malformed codes ---------------------------------------------------------------


def test_an_unknown_code_says_so_and_nothing_else(client, certificate):
    unknown = "ABCDE23456"
    assert not Certificate.objects.filter(public_code=unknown).exists()

    response = client.get(page_url(unknown))

    assert response.status_code == 404
    html = response.content.decode()
    assert "Unknown code" in html and unknown in html
    assert 'action="/verify/"' in html and 'name="code"' in html  # try again
    for revealing in (certificate.number, holder(certificate).last_name, "Immobilier", "NI —"):
        assert revealing not in html

    response = client.get(json_url(unknown))
    assert response.status_code == 404
    assert response.json() == {"status": "unknown", "code": unknown}


@pytest.mark.parametrize("typed", ["ABC", "ABCDE234560", "ABCDE2345O", "ABCDE-2345I", "%3Cb%3E"])
def test_a_malformed_code_is_unknown_too(client, db, typed):
    response = client.get(f"/verify/{typed}/")

    assert response.status_code == 404
    assert "Unknown code" in response.content.decode()
    assert "<b>" not in response.content.decode()  # what was typed is escaped
    assert client.get(f"/verify/{typed}.json").json()["status"] == "unknown"


@pytest.mark.parametrize("transform", [str.lower, display_code, lambda c: display_code(c).lower()])
def test_a_code_in_lower_case_or_with_its_dash_redirects_to_its_one_address(
    client, certificate, transform
):
    response = client.get(page_url(transform(certificate.public_code)))

    assert response.status_code == 302
    assert response["Location"] == page_url(certificate.public_code)
    assert response["X-Robots-Tag"].startswith("noindex")


def test_the_json_reads_a_code_however_typed(client, certificate):
    data = client.get(json_url(display_code(certificate.public_code).lower())).json()
    assert data["number"] == certificate.number


# --- the form ---------------------------------------------------------------------------------


def test_the_form_asks_for_a_code(client, db):
    response = client.get(reverse("verification:search"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html and "<label" in html
    assert "errorlist" not in html


def test_the_form_leads_a_valid_code_to_its_page(client, certificate):
    typed = f"  {display_code(certificate.public_code).lower()} "
    response = client.get(reverse("verification:search"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == page_url(certificate.public_code)
    assert client.get(response["Location"]).status_code == 200


def test_the_form_says_what_a_code_looks_like(client, db):
    response = client.get(reverse("verification:search"), {"code": "12"})

    assert response.status_code == 200
    assert "A code has ten letters and digits" in response.content.decode()


def test_the_footer_links_to_the_verification_page(client, db):
    html = client.get("/").content.decode()
    footer = html.split("<footer", 1)[1]
    assert f'href="{reverse("verification:search")}"' in footer
    assert "Verify a certificate" in footer


# --- not indexed, never cached ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        lambda c: reverse("verification:search"),
        lambda c: page_url(c.public_code),
        lambda c: json_url(c.public_code),
        lambda c: page_url("ABCDE23456"),
        lambda c: json_url("ABCDE23456"),
    ],
)
def test_no_answer_is_indexed_or_cached(client, certificate, url):
    response = client.get(url(certificate))

    assert response["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    assert response["Cache-Control"] == "no-store"
    if response["Content-Type"].startswith("text/html"):
        assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_robots_txt_keeps_crawlers_out_of_the_private_pages_and_lets_them_read_noindex(client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/candidat/", "/evaluateur/", "/jury/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines  # the catalogue stays open
    # Crawlers fetch the verification pages and obey their noindex header and tag.
    assert "Disallow: /verify/" not in lines


# --- rate limit -------------------------------------------------------------------------------


@pytest.fixture
def limit_of_three(settings):
    settings.VERIFY_RATE_LIMIT = 3


def test_a_burst_of_lookups_is_answered_429(client, certificate, limit_of_three):
    for code in ("ABCDE23456", "ABCDE23457", certificate.public_code):
        assert client.get(page_url(code)).status_code in (200, 404)

    response = client.get(page_url(certificate.public_code))

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Wait a minute" in html and 'name="code"' in html
    assert certificate.number not in html  # the answer is withheld too

    response = client.get(json_url(certificate.public_code))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["status"] == "rate_limited"


def test_the_json_counts_against_the_same_limit(client, certificate, limit_of_three):
    for _ in range(3):
        assert client.get(json_url(certificate.public_code)).status_code == 200

    assert client.get(json_url(certificate.public_code)).status_code == 429
    assert client.get(page_url(certificate.public_code)).status_code == 429


def test_another_address_is_not_limited(client, certificate, limit_of_three):
    for _ in range(4):
        client.get(page_url(certificate.public_code), REMOTE_ADDR="203.0.113.7")
    assert (
        client.get(page_url(certificate.public_code), REMOTE_ADDR="203.0.113.7").status_code == 429
    )

    response = client.get(page_url(certificate.public_code), REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 200


def test_a_redirect_to_the_one_address_is_not_counted(client, certificate, limit_of_three):
    for _ in range(5):
        assert client.get(page_url(certificate.public_code.lower())).status_code == 302
    assert client.get(page_url(certificate.public_code)).status_code == 200


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["certificate", "attestation"])
def test_the_page_and_the_json_take_one_query(
    client, request, django_assert_max_num_queries, which
):
    document = request.getfixturevalue(which)
    with django_assert_max_num_queries(1):
        assert client.get(page_url(document.public_code)).status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(json_url(document.public_code)).status_code == 200


# --- the QR code ------------------------------------------------------------------------------


def test_the_qr_code_leads_to_the_verification_page(client, certificate):
    url = verification_url(certificate)
    assert url == settings.SITE_URL.rstrip("/") + page_url(certificate.public_code)

    context = certificate_context(certificate)

    assert context["verification_url"] == url
    assert context["qr"] == qr_data_uri(url)
    assert context["qr"] != qr_data_uri(url + "x")  # it does encode this URL
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert "verification-banner--valid" in response.content.decode()


# --- who counts as one client ---------------------------------------------------------------


def _request(remote, forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/verify/", **extra)


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    from cqp.ratelimit import client_address

    settings.TRUSTED_PROXY_HOPS = 0
    # A forged header changes nothing.
    assert client_address(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_client_is_the_address_it_forwarded(settings):
    from cqp.ratelimit import client_address

    settings.TRUSTED_PROXY_HOPS = 1
    # The client forged the first entry; the proxy appended the real one.
    request = _request("10.0.0.2", "198.51.100.1, 203.0.113.7")
    assert client_address(request) == "203.0.113.7"


def test_an_ipv6_client_counts_as_its_64_network(settings):
    from cqp.ratelimit import client_address

    settings.TRUSTED_PROXY_HOPS = 0
    first = client_address(_request("2001:db8:1:2::1"))
    second = client_address(_request("2001:db8:1:2:ffff::9"))
    assert first == second == "2001:db8:1:2::/64"
    assert client_address(_request("2001:db8:1:3::1")) != first


def test_an_unreachable_cache_lets_the_lookup_through(client, certificate, settings):
    from unittest import mock

    settings.VERIFY_RATE_LIMIT = 1
    with mock.patch("cqp.ratelimit.cache.add", side_effect=ConnectionError("cache down")):
        for _ in range(3):
            response = client.get(f"/verify/{certificate.public_code}/")
            assert response.status_code == 200
