"""In-process measurement: django.test.Client, the queries of one request, repeated timings."""

import math
import statistics
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from .pages import Scenario

DEFAULT_REPEAT = 30
DEFAULT_WARMUP = 3
# The public verification page throttles each client: the bench is one client asking a lot.
UNLIMITED = 1_000_000
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class PageError(Exception):
    """A page answered other than 200."""


@dataclass
class PageResult:
    name: str
    who: str
    path: str
    status: int | None = None
    error: str = ""
    queries: int | None = None
    times_ms: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.times_ms) if self.times_ms else None

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.times_ms, 0.95) if self.times_ms else None


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: a value that was measured (on 30 runs, p95 is the 29th)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


class Sessions:
    """Logged-in sessions for the bench's users, deleted by `delete()`.

    Written as `Client.force_login` writes them, minus the login signal: that would stamp the
    user's last_login, which counts as a candidate's activity (retention) and voids their
    invitation links; a measurement must leave the data as it found it. `secret_key` signs
    them for a server that runs with another key.
    """

    def __init__(self, secret_key: str | None = None):
        self.secret_key = secret_key or settings.SECRET_KEY
        self._keys: dict[int, str] = {}

    def key_for(self, user) -> str:
        if user.pk not in self._keys:
            with override_settings(SECRET_KEY=self.secret_key):
                store = import_module(settings.SESSION_ENGINE).SessionStore()
                store[SESSION_KEY] = user._meta.pk.value_to_string(user)
                store[BACKEND_SESSION_KEY] = MODEL_BACKEND
                store[HASH_SESSION_KEY] = user.get_session_auth_hash()
                store.save()
            self._keys[user.pk] = store.session_key
        return self._keys[user.pk]

    def cookie_for(self, user) -> str:
        """The Cookie header's value for `user` ('' for anonymous)."""
        if user is None:
            return ""
        return f"{settings.SESSION_COOKIE_NAME}={self.key_for(user)}"

    def delete(self) -> None:
        store_class = import_module(settings.SESSION_ENGINE).SessionStore
        for key in self._keys.values():
            store_class().delete(key)
        self._keys.clear()


@contextmanager
def in_process_settings():
    """DEBUG off (with it Django keeps every query: not what production runs), the test
    client's host allowed, the verification page's rate limit lifted."""
    with (
        override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            VERIFY_RATE_LIMIT=UNLIMITED,
        ),
        warnings.catch_warnings(),
    ):
        # WhiteNoise's, when static files were never collected: the finders serve them.
        warnings.filterwarnings("ignore", "No directory at", UserWarning)
        yield


def measure(scenario: Scenario, sessions: Sessions, *, repeat: int, warmup: int) -> PageResult:
    """Warm up, count the queries of one request, then time `repeat` requests."""
    result = PageResult(name=scenario.name, who=scenario.who, path=scenario.path)
    client = Client()
    if scenario.user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions.key_for(scenario.user)

    def get():
        # secure: production is served over HTTPS (SECURE_SSL_REDIRECT would answer 301).
        response = client.get(scenario.path, secure=True)
        if response.status_code != 200:
            location = response.get("Location")
            raise PageError(response.status_code, f"to {location}" if location else "")

    try:
        for _ in range(warmup):
            get()
        with CaptureQueriesContext(connection) as queries:
            get()
        result.queries = len(queries)
        for _ in range(repeat):
            started = time.perf_counter()
            get()
            result.times_ms.append((time.perf_counter() - started) * 1000)
    except PageError as error:
        result.status, detail = error.args
        result.error = f"answered {result.status} {detail}".strip()
        return result
    except Exception as error:  # the view raised (a 500): reported, the other pages go on
        result.status = 500
        result.error = f"{type(error).__name__}: {error}"
        return result
    result.status = 200
    return result
