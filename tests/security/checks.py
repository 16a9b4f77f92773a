"""What a refused input must leave as it was, and how a refusal shows."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants, get_messages
from django.core import mail
from django.db import connection

# Tables a bad input legitimately writes to: the session (the test client's login, the
# messages that overflow their cookie) and django-axes' record of failed logins.
LEGITIMATE_WRITES = {
    "sessions.Session",
    "axes.AccessAttempt",
    "axes.AccessAttemptExpiration",
    "axes.AccessFailureLog",
    "axes.AccessLog",
}
# How a page says the input was refused: a form's error list (site or admin), the admin's
# error note, or an error message.
ERROR_MARKERS = ('class="errorlist', 'class="errornote', "message--error")


def tracked_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in LEGITIMATE_WRITES and not model._meta.proxy
    ]


def database_state() -> dict[str, list[tuple]]:
    """Every row of every tracked table, in primary-key order: equal means nothing written."""
    quote = connection.ops.quote_name
    state = {}
    # Plain SQL: the ORM's overhead, times sixty tables, times two per example, adds up.
    with connection.cursor() as cursor:
        for model in tracked_models():
            table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")
            state[model._meta.label] = cursor.fetchall()
    return state


def media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def world_state() -> tuple:
    """The database, the stored files and the e-mails sent."""
    return database_state(), media_files(), len(mail.outbox)


def changes(before: tuple, after: tuple) -> dict:
    """What differs between two `world_state()`s (empty when nothing was written)."""
    (db_before, files_before, mails_before), (db_after, files_after, mails_after) = before, after
    diff = {
        label: {"before": rows, "after": db_after[label]}
        for label, rows in db_before.items()
        if db_after[label] != rows
    }
    if files_before != files_after:
        diff["files"] = {"added": files_after - files_before, "gone": files_before - files_after}
    if mails_before != mails_after:
        diff["mails"] = mail.outbox[mails_before:]
    return diff


def error_messages(response) -> list[str]:
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if message.level >= constants.ERROR
    ]


def refusal_shown(response) -> bool:
    """The answer tells the user the input was refused: a 4xx, a page showing an error, or a
    redirect carrying an error message."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200 and not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        if any(marker in body for marker in ERROR_MARKERS):
            return True
    return bool(error_messages(response))


def assert_refused(response, before: tuple, *, shown=True) -> None:
    """No server error, nothing written, and (unless `shown` is False) a visible refusal."""
    assert response.status_code < 500, response.status_code
    assert not changes(before, world_state())
    if shown:
        assert refusal_shown(response), (response.status_code, response.get("Location"))


def send_refused(client, url, data=None, *, method="post", shown=True, **extra):
    """One example: send the request, then check it was refused cleanly (`assert_refused`)."""
    client.cookies.pop("messages", None)  # an earlier example's messages must not count
    before = world_state()
    response = getattr(client, method)(url, data, **extra)
    assert_refused(response, before, shown=shown)
    return response
