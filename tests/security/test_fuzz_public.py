"""Fuzzing the pages anyone reaches: login, password reset, language, registration, the links
sent by e-mail, and the public verification of certificates (page and JSON)."""

import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests import factories

from .checks import send_refused, world_state
from .strategies import (
    CHARACTERS,
    FUZZ,
    JUNK,
    MISSING,
    TEXT,
    blank_or_missing,
    hostile_post,
    not_in,
    too_long,
    with_nul,
)

PASSWORD = "a-long-secret-2026"
EMAIL = "someone@example.org"
NOT_AN_EMAIL = st.one_of(
    TEXT.filter(lambda text: "@" not in text),
    st.sampled_from(["a@", "@b.fr", "a@b@c.fr", "a b@c.fr", "a@b.fr\x00", "a@-b.fr"]),
    too_long(254).map(lambda text: f"{text}@example.org"),
)


@pytest.fixture
def user(db):
    return factories.UserFactory(email=EMAIL, password=PASSWORD)


@pytest.mark.django_db
def test_login_refuses_any_wrong_credentials(client, user):
    @FUZZ
    @given(
        hostile_post(
            {"username": st.sampled_from([EMAIL, EMAIL.upper(), f" {EMAIL} "]) | JUNK},
            {"password": not_in([PASSWORD]) | blank_or_missing()},
        )
    )
    def example(data):
        # Wrong passwords are recorded by django-axes (its tables are expected to change) and
        # lock the address out after a few: a 429 page, which is a refusal too.
        send_refused(client, reverse("login"), data)

    example()


@pytest.mark.django_db
def test_password_reset_refuses_what_is_not_an_email_address(client, user):
    @FUZZ
    @given(hostile_post({"email": st.just(EMAIL) | JUNK}, {"email": NOT_AN_EMAIL}))
    def example(data):
        send_refused(client, reverse("password_reset"), data)

    example()


@pytest.mark.django_db
def test_set_language_ignores_unknown_languages_and_foreign_next_pages(client):
    languages = [code for code, _name in settings.LANGUAGES]

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {},
            optional={
                "language": st.sampled_from(languages) | JUNK,
                "next": st.sampled_from(
                    ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
                )
                | JUNK,
            },
        )
    )
    def example(data):
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        # Choosing a language is not refused, it is ignored when unknown: no error to show.
        response = send_refused(client, reverse("set_language"), data, shown=False)
        location = response.get("Location", "/")
        assert not urlsplit(location).netloc and not location.startswith(("//", "/\\"))
        cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        assert cookie is None or cookie.value in languages

    example()


REGISTER_FIELDS = {
    "first_name": st.just("Camille") | JUNK,
    "last_name": st.just("Martin") | JUNK,
    "email": st.just("new.candidate@example.org") | JUNK,
    "password1": st.just(PASSWORD) | JUNK,
    "password2": st.just(PASSWORD) | JUNK,
    "consent": st.sampled_from(["on", "true", "1"]) | JUNK,
}


@pytest.mark.django_db
def test_registration_refuses_bad_input_and_creates_no_account(client):
    @FUZZ
    @given(
        hostile_post(
            REGISTER_FIELDS,
            {
                "first_name": blank_or_missing() | too_long(150) | with_nul(),
                "last_name": blank_or_missing() | too_long(150) | with_nul(),
                "email": NOT_AN_EMAIL | blank_or_missing(),
                "password1": blank_or_missing() | st.sampled_from(["short", "1234567890123"]),
                "consent": st.sampled_from([MISSING, "", "false", "0", "off"]),
            },
        )
    )
    def example(data):
        send_refused(client, reverse("candidates:register"), data)

    example()


LINK_PART = st.text(CHARACTERS, min_size=1, max_size=60).filter(lambda t: "/" not in t)


@pytest.mark.django_db
def test_confirmation_links_refuse_forged_identifiers_and_tokens(client, user):
    @FUZZ
    @given(LINK_PART, LINK_PART, st.sampled_from(["get", "post"]), JUNK)
    def example(uid, token, method, password):
        url = reverse("candidates:confirm_email", args=[uid, token])
        send_refused(client, url, {"password": password}, method=method)

    example()


@pytest.mark.django_db
def test_invitation_and_reset_links_refuse_forged_identifiers_and_tokens(client, user):
    @FUZZ
    @given(
        st.sampled_from(["candidates:accept_invitation", "password_reset_confirm"]),
        LINK_PART,
        LINK_PART,
        st.sampled_from(["get", "post"]),
        hostile_post({"new_password1": JUNK, "new_password2": JUNK}, {"new_password1": JUNK}),
    )
    def example(name, uid, token, method, data):
        url = reverse(name, args=[uid, token])
        # The page says the link is invalid: no form, no error list to look for.
        response = send_refused(client, url, data, method=method, shown=False)
        assert response.status_code in (200, 302, 400, 404)
        if response.status_code == 200:
            assert response.context["validlink"] is False

    example()


# --- the public verification ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_verification_form_refuses_what_cannot_be_a_code(client):
    @FUZZ
    @given(st.fixed_dictionaries({"code": JUNK}, optional={"other": JUNK}))
    def example(query):
        response = send_refused(client, reverse("verification:search"), query, method="get")
        if response.status_code == 302:  # a code of the right shape: its page says "unknown"
            assert client.get(response["Location"]).status_code == 404

    example()


CODE = st.text(CHARACTERS, min_size=1, max_size=80).filter(lambda t: "/" not in t)


@pytest.mark.django_db
def test_the_verification_page_answers_any_code_without_error(client):
    @FUZZ
    @given(CODE)
    def example(code):
        response = send_refused(
            client, reverse("verification:certificate", args=[code]), method="get"
        )
        assert response.status_code in (302, 404, 429)

    example()


@pytest.mark.django_db
def test_the_json_endpoint_answers_any_code_with_a_json_error(client):
    @FUZZ
    @given(CODE)
    def example(code):
        response = send_refused(
            client, reverse("verification:certificate_json", args=[code]), method="get"
        )
        assert response.status_code in (404, 429)
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["status"] in ("unknown", "rate_limited")

    example()


@pytest.mark.django_db
def test_the_json_endpoint_refuses_other_methods_and_bodies_with_json(client):
    url = reverse("verification:certificate_json", args=["ABCDE23456"])

    @FUZZ
    @given(
        st.sampled_from(["post", "put", "patch", "delete"]),
        st.one_of(
            st.dictionaries(st.text(CHARACTERS, max_size=10), JUNK, max_size=4).map(json.dumps),
            st.binary(max_size=300),
            TEXT,
        ),
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    )
    def example(method, body, content_type):
        response = send_refused(client, url, body, method=method, content_type=content_type)
        assert response.status_code == 405
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["status"] == "method_not_allowed"

    example()


@pytest.mark.django_db
def test_a_body_over_the_size_limit_or_too_many_fields_get_a_400(client, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    for data in ({"username": "x" * 20_000, "password": "y"}, {f"f{n}": "1" for n in range(1100)}):
        before = world_state()
        response = client.post(reverse("login"), data)
        assert response.status_code == 400
        assert world_state() == before
