"""The site's shared pages: layout, home, login and password reset, error pages, language."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.template import loader

from tests import factories

PASSWORD = "correct-horse-battery"

# An attribute that makes the browser fetch or navigate to another host: absolute URLs
# (http://, https://) and protocol-relative ones (//host/...).
EXTERNAL_REFERENCE = re.compile(
    r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
EXTERNAL_CSS = re.compile(r"""@import|url\(\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def assert_no_external_references(response):
    html = response.content.decode()
    found = EXTERNAL_REFERENCE.findall(html) + EXTERNAL_CSS.findall(html)
    assert not found, f"{response.request['PATH_INFO']} references another host: {found}"


def template_names(response):
    return [t.name for t in response.templates]


@pytest.fixture
def evaluator(branch):
    user = factories.UserFactory(email="evaluator@example.org")
    factories.AccreditationFactory(user=user, branch=branch)
    return user


# --- layout -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_layout_has_landmarks_a_skip_link_and_one_h1(client):
    html = client.get("/").content.decode()

    assert '<html lang="fr">' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html
    assert html.count("<h1") == 1


@pytest.mark.django_db
def test_the_layout_serves_its_assets_and_htmx_locally(client):
    html = client.get("/").content.decode()

    assert 'href="/static/css/app.css"' in html
    assert 'href="/static/favicon.svg"' in html
    assert 'src="/static/django_htmx/htmx-2.min.js"' in html
    for path in ("css/app.css", "favicon.svg", "django_htmx/htmx-2.min.js"):
        assert finders.find(path), f"{path} is not in the static files"


def test_the_stylesheet_loads_nothing_from_another_host():
    with open(finders.find("css/app.css"), encoding="utf-8") as css:
        assert not EXTERNAL_CSS.findall(css.read())


@pytest.mark.django_db
def test_the_navigation_shows_the_users_spaces(client, cpnef):
    client.force_login(cpnef)

    html = client.get("/?choose=1").content.decode()

    assert 'href="/catalogue/cpnef/"' in html
    assert 'href="/admin/"' not in html


@pytest.mark.django_db
def test_logging_out_is_a_post_form_in_the_user_menu(client, plain_user):
    client.force_login(plain_user)

    html = client.get("/").content.decode()

    assert re.search(r'<form action="/accounts/logout/" method="post">', html)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == "/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_messages_are_announced_with_a_role(rf, plain_user):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message

    html = loader.render_to_string(
        "base.html",
        {
            "messages": [
                Message(constants.SUCCESS, "Saved."),
                Message(constants.ERROR, "Refused."),
            ],
            "user": plain_user,
            "user_spaces": [],
            "request": rf.get("/"),
        },
    )

    assert re.search(r'role="status">Saved\.', html)
    assert re.search(r'role="alert">Refused\.', html)


# --- language -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_switcher_switches_to_english(client):
    html = client.get("/catalogue/").content.decode()
    assert '<form class="language-switcher" action="/i18n/setlang/" method="post">' in html
    assert 'name="language" value="en"' in html

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/catalogue/"})

    assert response.status_code == 302 and response.url == "/catalogue/"
    assert '<html lang="en">' in client.get("/catalogue/").content.decode()


# --- home ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_home_page_presents_the_product_to_anonymous_visitors(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/accounts/login/"' in html
    assert 'href="/catalogue/"' in html
    assert 'class="hero"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_fixture", "space_url"),
    [
        ("staff", "/admin/"),
        ("superuser", "/admin/"),
        ("cpnef", "/catalogue/cpnef/"),
        ("evaluator", "/evaluateur/"),
    ],
)
def test_the_home_page_sends_a_single_space_user_to_their_space(
    client, request, user_fixture, space_url
):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == space_url


@pytest.mark.django_db
def test_the_home_page_lists_a_card_per_space_for_a_user_with_several(client, branch, cpnef):
    factories.AccreditationFactory(user=cpnef, branch=branch)
    client.force_login(cpnef)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card card--link"') == 2
    assert 'href="/catalogue/cpnef/"' in html
    assert 'href="/evaluateur/"' in html


@pytest.mark.django_db
def test_the_home_page_tells_a_user_without_space_that_none_is_open(client, plain_user):
    client.force_login(plain_user)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="empty"' in html
    assert 'class="card' not in html


# --- login and password reset -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_asks_for_an_email_and_links_to_password_reset(client):
    response = client.get("/accounts/login/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="email" name="username"' in html
    assert 'type="password" name="password"' in html
    assert 'href="/accounts/password-reset/"' in html


@pytest.mark.django_db
def test_login_by_email_is_case_insensitive(client, plain_user):
    response = client.post(
        "/accounts/login/", {"username": "SomeOne@Example.ORG", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/"
    assert int(client.session["_auth_user_id"]) == plain_user.pk


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error_and_logs_nobody_in(client, plain_user):
    response = client.post(
        "/accounts/login/", {"username": "someone@example.org", "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert 'class="errorlist nonfield"' in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_follows_next_to_the_page_asked_for(client, cpnef):
    response = client.post(
        "/accounts/login/?next=/catalogue/cpnef/",
        {"username": cpnef.email, "password": PASSWORD, "next": "/catalogue/cpnef/"},
    )

    assert response.status_code == 302
    assert response.url == "/catalogue/cpnef/"


@pytest.mark.django_db
def test_a_password_can_be_reset_through_the_emailed_link(client, plain_user):
    assert client.get("/accounts/password-reset/").status_code == 200

    response = client.post("/accounts/password-reset/", {"email": "SOMEONE@example.org"})

    assert response.status_code == 302
    assert response.url == "/accounts/password-reset/sent/"
    assert client.get(response.url).status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["someone@example.org"]
    assert "\n" not in mail.outbox[0].subject
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session marker
    assert client.get(form_url).status_code == 200
    response = client.post(
        form_url, {"new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    assert client.get(response.url).status_code == 200
    plain_user.refresh_from_db()
    assert plain_user.check_password("a-new-long-secret")


@pytest.mark.django_db
def test_a_used_or_forged_reset_link_says_it_no_longer_works(client, plain_user):
    response = client.get("/accounts/reset/MQ/set-password/")

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert 'href="/accounts/password-reset/"' in response.content.decode()


@pytest.mark.django_db
def test_a_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response.url == "/accounts/password-reset/sent/"
    assert mail.outbox == []


# --- error pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_address_gets_the_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert response.content.decode().count("<h1") == 1


@pytest.mark.django_db
def test_a_forbidden_page_gets_the_403_page(client, plain_user):
    client.force_login(plain_user)

    response = client.get("/catalogue/cpnef/")

    assert response.status_code == 403
    assert "403.html" in template_names(response)


def test_the_500_page_renders_without_context_or_database():
    # No django_db mark: any database access here would raise.
    template = loader.get_template("500.html")

    html = template.render()

    assert "<h1>" in html and 'href="/"' in html
    assert "extends" not in template.template.source
    assert not EXTERNAL_REFERENCE.findall(html)


# --- no third-party host ------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_page_references_another_host(client, plain_user, cpnef, branch):
    factories.AccreditationFactory(user=cpnef, branch=branch)
    anonymous_pages = [
        "/",
        "/accounts/login/",
        "/accounts/password-reset/",
        "/accounts/password-reset/sent/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/no-such-page/",
    ]
    for url in anonymous_pages:
        assert_no_external_references(client.get(url))

    client.force_login(plain_user)
    assert_no_external_references(client.get("/"))
    assert_no_external_references(client.get("/catalogue/cpnef/"))  # the 403 page
    client.force_login(cpnef)
    assert_no_external_references(client.get("/"))


def test_the_default_language_is_french():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _name in settings.LANGUAGES] == ["fr", "en"]
