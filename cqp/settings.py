"""Settings, read from the environment (and an optional `.env`).

With nothing set: DEBUG on, SQLite in the project directory, Celery tasks run eagerly,
e-mails printed to the console. Production: see README, "Production settings".
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Without DEBUG the key must come from the environment: a default key in the repository
# would let anyone forge sessions and password-reset links.
SECRET_KEY = (
    env("DJANGO_SECRET_KEY")
    if not DEBUG
    else env(
        "DJANGO_SECRET_KEY",
        default="django-insecure-dev-only-key-change-me-in-production-0123456789",
    )
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "cqp",
    "certifications",
    "candidates",
    "juries",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cqp.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cqp.middleware.AdminAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cqp.urls"
WSGI_APPLICATION = "cqp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cqp.context_processors.spaces",
            ],
        },
    },
]

# Database: SQLite by default; DATABASE_URL=postgres://... for PostgreSQL with persistent
# connections (a new connection per request costs about 9x the query time here).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores SELECT ... FOR UPDATE: an IMMEDIATE transaction takes the write lock at
    # its start, so two requests writing at once queue instead of failing half-way.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "cqp.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before a password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# A session lasts a working day at most and ends with the browser (training centres and
# branch offices share computers).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Years after a candidate's last activity (last dossier change, login, registration) before
# the branch's staff may anonymise them; see README, "Personal data".
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=5)

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one e-mail
# address from one client, that pair is refused for AXES_COOLOFF_TIME (answer 429). Locking
# the pair, not the account, keeps a stranger from locking someone out; attempts are on
# record in the database (admin: "Access attempts", superusers).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cqp.auth.locked_out"
AXES_CLIENT_IP_CALLABLE = "cqp.ratelimit.client_network_or_none"
AXES_USERNAME_CALLABLE = "cqp.auth.login_username"
# The attempts are on record: cqp/admin.py shows them read-only (django-axes' own admin lets
# them be deleted). A locked pair is freed by a password reset, or `manage.py axes_reset`.
AXES_ENABLE_ADMIN = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded and generated files are private: only branch logos are served under MEDIA_URL (a
# public view); everything else goes through permission-checked views. An S3-compatible
# backend is configured with DJANGO_STORAGE_BACKEND
# (e.g. storages.backends.s3.S3Storage) and DJANGO_STORAGE_OPTIONS (JSON).
MEDIA_URL = "/media/"
STORAGES = {
    "default": {
        "BACKEND": env(
            "DJANGO_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("DJANGO_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
FILE_UPLOAD_MAX_BYTES = env.int("FILE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# The admin import page accepts whole France Compétences exports.
IMPORT_UPLOAD_MAX_BYTES = env.int("IMPORT_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)

# E-mail: console by default; EMAIL_URL=smtp+tls://user:password@host:587 in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CQP <no-reply@cqp.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cache: per process by default; CACHE_URL=redis://127.0.0.1:6379/1 shares it (rate limits).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# The admin dashboard's figures are computed at most once per this many seconds for each
# scope and filters (they aggregate every dossier of a branch: too costly for each request).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
# The admin's long lists count their rows at most once per this many seconds for the same
# query (counting a branch's dossiers costs more than drawing a page; 0: count every time).
ADMIN_COUNT_CACHE_SECONDS = env.int("ADMIN_COUNT_CACHE_SECONDS", default=60)
# Public verification: lookups per client address and minute before answering 429.
VERIFY_RATE_LIMIT = env.int("VERIFY_RATE_LIMIT", default=30)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: clients connect
# directly; 1: one proxy, e.g. the TLS terminator of the compose deployment).
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)

# Celery: no broker configured -> tasks run eagerly, in the request (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "send-pending-emails": {
        "task": "cqp.tasks.send_pending_emails_task",
        "schedule": 5 * 60,
    },
    "sweep-pending-documents": {
        "task": "juries.tasks.sweep_documents_task",
        "schedule": 5 * 60,
    },
    "archive-expired-cqps": {
        "task": "certifications.tasks.archive_expired_cqps_task",
        "schedule": 60 * 60,
    },
}

# Production hardening: all on as soon as DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp), in every environment so that a violation shows in
# development and in the browser tests: scripts, styles, fonts and images come from this site
# only (no inline script or style; data: images for QR codes), no plug-ins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# /healthz is probed over plain HTTP by the container orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each rendering step at INFO: only its warnings are worth reading.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        # django-axes: failures and lockouts (warnings) are worth reading, its housekeeping not.
        "axes": {"level": "WARNING"},
    },
}
