"""Smoke tests in a real browser: the pages a visitor and branch staff see first."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


def assert_page_basics(watch, response):
    assert response is not None and response.status == 200, response and response.status
    assert watch.page.title().strip(), "the page has no <title>"
    assert watch.page.locator("h1").count() >= 1, "the page has no h1"


def test_branch_staff_log_in_and_land_on_the_admin(watched_page, live_server, staff):
    page = watched_page.page
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert_page_basics(watched_page, response)

    page.locator("input[name=username]").fill(staff.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/admin/"):
        page.locator("input[name=password]").press("Enter")

    watched_page.screenshot("staff_admin_index")
    assert page.locator("h1").count() >= 1
    assert page.locator("form#logout-form, a[href$='/logout/'], form[action$='/logout/']").count()
    watched_page.assert_clean()


def test_a_wrong_password_keeps_the_visitor_on_the_login_page(watched_page, live_server, staff):
    page = watched_page.page
    page.goto(f"{live_server.url}/accounts/login/")

    page.locator("input[name=username]").fill(staff.email)
    page.locator("input[name=password]").fill("not-the-password")
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.locator("input[name=password]").count() == 1
    watched_page.assert_clean()


@pytest.mark.parametrize("path", ["/", "/catalogue/"], ids=["home", "catalogue"])
def test_an_anonymous_visitor_sees_the_public_page(watched_page, live_server, path):
    response = watched_page.page.goto(f"{live_server.url}{path}")

    watched_page.screenshot(f"anonymous_{path.strip('/') or 'home'}")
    assert_page_basics(watched_page, response)
    watched_page.assert_clean()
