"""A jury session as an iCalendar invitation (RFC 5545), attached to the convocation."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

SESSION_LENGTH = datetime.timedelta(hours=3)  # a session's usual length, for calendars


def _escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (§3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def session_invitation(session, *, summary: str, description: str) -> str:
    """The session as one VEVENT; its UID stays the same, so a new sending updates it."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    location = ", ".join(part for part in (session.place, session.video_link) if part)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CQP//Jury sessions//FR",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:jury-session-{session.pk}@{host}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(session.starts_at)}",
        f"DTEND:{_utc(session.starts_at + SESSION_LENGTH)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
    ]
    if session.video_link:
        lines.append(f"URL:{session.video_link}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
