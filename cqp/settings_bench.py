"""Settings of the server `manage.py bench_pages` starts: the project's, plus a trivial view."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "juries.bench.urls"
