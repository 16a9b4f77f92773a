"""Security headers on every kind of page, login throttling and session lifetime."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.test import override_settings

from tests import factories

PASSWORD = "Un-mot-de-passe-solide-42"
LOGIN = "/accounts/login/"


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", LOGIN, "/catalogue/", "/verify/", "/admin/login/"])
def test_every_page_forbids_inline_scripts_framing_and_foreign_sources(client, path):
    response = client.get(path)

    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_carry_no_inline_script_or_style(client, staff):
    """What the CSP would block: an inline <script> or <style>, or a style="" attribute."""
    client.force_login(staff)
    for path in ["/", "/catalogue/", "/verify/", "/admin/"]:
        html = client.get(path).content.decode()
        assert "<script>" not in html and "<style" not in html, path
        assert " style=" not in html, path


def test_the_server_error_page_has_no_inline_style(client, db):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "<style" not in html and " style=" not in html
    assert "css/error.css" in html


def test_sessions_expire_after_a_working_day_and_with_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_weak_passwords_are_refused_by_the_validators():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = factories.UserFactory.build(email="lea.tessier@example.org", first_name="Léa")
    for weak in ["short1!", "1234567890123", "password123", "lea.tessier"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("Correct-cheval-agrafe-22", user)


@pytest.fixture
def account(db):
    user = factories.UserFactory(email="jo.martin@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_right_password_logs_in(client, account):
    response = attempt(client, "jo.martin@example.org", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)
    assert AccessLog.objects.get().ip_address == "203.0.113.7"


def test_an_ipv6_client_is_recorded_and_counted_as_its_network(client, account):
    """The address stored per attempt is an IP (PostgreSQL checks it): the /64's first."""
    attempt(client, "jo.martin@example.org", "wrong", address="2001:db8:1:2::77")
    response = attempt(client, "jo.martin@example.org", PASSWORD, address="2001:db8:1:2::9")

    assert response.status_code == 302
    assert AccessLog.objects.get().ip_address == "2001:db8:1:2::"


def test_a_login_without_client_address_is_recorded_without_one(client, account):
    client.force_login(account)  # a request with no REMOTE_ADDR

    assert AccessLog.objects.get().ip_address is None


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_passwords_lock_the_address_and_client_pair_even_for_the_right_password(
    client, account
):
    for _ in range(2):
        assert attempt(client, "jo.martin@example.org", "wrong-guess").status_code == 200
    # The third failure reaches the limit; whatever the spelling of the address.
    assert attempt(client, "JO.Martin@example.org", "wrong-guess").status_code == 429

    locked = attempt(client, "jo.martin@example.org", PASSWORD)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    text = locked.content.decode()
    assert "15" in text and "/accounts/password-reset/" in text
    # On record, the attempt made while locked included.
    assert AccessAttempt.objects.get().failures_since_start == 4


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_locked_pair_does_not_lock_the_account_out_for_another_client(client, account):
    for _ in range(3):
        attempt(client, "jo.martin@example.org", "wrong-guess")

    other_client = attempt(client, "jo.martin@example.org", PASSWORD, address="198.51.100.4")

    assert other_client.status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_success_before_the_limit_resets_the_count(client, account):
    for _ in range(2):
        attempt(client, "jo.martin@example.org", "wrong-guess")
    assert attempt(client, "jo.martin@example.org", PASSWORD).status_code == 302
    client.logout()

    for _ in range(2):
        assert attempt(client, "jo.martin@example.org", "wrong-guess").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_admin_login_is_throttled_too(client, account):
    account.is_staff = True
    account.save()
    for _ in range(3):
        response = client.post(
            "/admin/login/",
            {"username": "jo.martin@example.org", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
        )

    assert response.status_code == 429
