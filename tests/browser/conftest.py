"""Playwright on Debian's Chromium (never a downloaded browser), against `live_server`."""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent

# Without the background-networking flags Chromium calls home, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every test of this folder is a `browser` test, before `-m` selects."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install it (apt-get install chromium) or deselect "
            "browser tests with -m 'not browser'."
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in this thread from the first browser
    # test on; the ORM calls made by fixtures and tests are still synchronous. Set before any
    # session fixture (test database, live server, browser) starts; left for the session.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class PageWatch:
    """What a page did that a user would not want: console errors, third-party requests."""

    def __init__(self, page, origin: str):
        self.page = page
        self.origin = origin
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        page.on("request", self._on_request)

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _on_request(self, request):
        scheme, netloc = urlsplit(request.url)[:2]
        if scheme in ("data", "blob", "about"):
            return
        if f"{scheme}://{netloc}" != self.origin:
            self.foreign_requests.append(request.url)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def assert_clean(self):
        assert self.console_errors == [], "the browser console reported errors"
        assert self.foreign_requests == [], "the page asked another host than the server"


@pytest.fixture
def watched_page(page, live_server):
    page.set_default_timeout(10_000)
    return PageWatch(page, live_server.url.rstrip("/"))


@pytest.fixture
def anonymous_page(browser, browser_context_args, live_server):
    """A second browser context, without cookies: a visitor who never logged in."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield PageWatch(page, live_server.url.rstrip("/"))
    context.close()
