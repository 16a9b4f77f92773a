"""The /healthz probe used by docker compose and load balancers."""

import contextlib
import os
import socket
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings

from cqp.celery import app as celery_app


@contextlib.contextmanager
def broker(url: str):
    """Point Django's setting and the already configured Celery app at `url`.

    Celery reads the CELERY_BROKER_URL environment variable before its own configuration, so
    that variable is switched too.
    """
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    try:
        with (
            mock.patch.dict(os.environ, {"CELERY_BROKER_URL": url}),
            override_settings(CELERY_BROKER_URL=url),
        ):
            yield
    finally:
        celery_app.conf.broker_url = previous


def closed_port() -> int:
    """A local TCP port nothing listens on (bound then released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_it_answers_ok_with_the_eager_default(client):
    with broker(""):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_reports_an_unreachable_broker_but_stays_up(client):
    with broker(f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}


@pytest.mark.django_db
def test_it_answers_503_when_the_database_fails(client):
    with (
        broker(""),
        mock.patch("cqp.views.connection") as connection,
    ):
        connection.cursor.side_effect = OperationalError("connection refused")
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "broker": "eager"}


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_it_is_not_redirected_to_https_when_the_rest_is(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.celery_worker
@pytest.mark.django_db
def test_it_says_ok_when_the_broker_answers(client):
    url = settings.CELERY_BROKER_URL
    if not url:
        pytest.fail("CELERY_BROKER_URL is not set: run `make test-postgres` (Redis needed).")
    with broker(url):
        response = client.get("/healthz")

    assert response.json() == {"database": "ok", "broker": "ok"}
