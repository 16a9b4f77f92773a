"""The documented production environment passes Django's deployment checks.

Settings are read once, at import, from the environment: each check runs in a fresh process.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The production variables the README documents (values are examples).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "cqp.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "cqp.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://cqp.example.org",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "CQP <no-reply@cqp.example.org>",
    "SITE_URL": "https://cqp.example.org",
}


def run_with(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_env(tmp_path):
    return {
        **PRODUCTION_ENV,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        # The checks do not connect; SQLite keeps the test free of a server.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }


def test_check_deploy_is_clean_with_the_production_variables(production_env):
    result = run_with(production_env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_when_debug_is_left_on(production_env):
    result = run_with(
        {**production_env, "DJANGO_DEBUG": "true"},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_debug_off_turns_on_the_https_protections(production_env):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'X_FRAME_OPTIONS', "
        "'ALLOWED_HOSTS', 'CELERY_TASK_ALWAYS_EAGER', 'EMAIL_BACKEND')}))"
    )
    result = run_with(production_env, "-c", script)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["ALLOWED_HOSTS"] == ["cqp.example.org"]
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["DJANGO_SECRET_KEY"]

    result = run_with(production_env, "manage.py", "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
