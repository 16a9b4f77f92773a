"""E-mails of the jury sessions, queued in the service's transaction (outbox)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cqp.mail import queue_email

from .calendar import session_invitation


def _when(session) -> str:
    return date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT")


def session_convened(session) -> None:
    """Each member: the session's details and an .ics invitation; each candidate: the date."""
    items = list(session.agenda.filter(active=True).select_related("dossier__candidate__user"))
    members = list(session.members.select_related("user"))
    with translation.override(settings.LANGUAGE_CODE):
        when = _when(session)
        summary = _("Jury of the branch %(branch)s") % {"branch": session.branch.name}
        description = ngettext(
            "%(count)d dossier on the agenda.", "%(count)d dossiers on the agenda.", len(items)
        ) % {"count": len(items)}
        invitation = session_invitation(session, summary=summary, description=description)
    for member in members:
        queue_email(
            to=[member.user.email],
            template="emails/juries/convocation",
            context={
                "session": session,
                "member": member,
                "when": when,
                "count": len(items),
                "cqps": ", ".join(sorted(session.cqps.values_list("code", flat=True))),
            },
            attachment=("jury.ics", invitation, "text/calendar"),
        )
    for item in items:
        dossier = item.dossier
        queue_email(
            to=[dossier.candidate.user.email],
            template="emails/juries/candidate_convened",
            context={
                "session": session,
                "dossier": dossier,
                "when": when,
                "path": reverse("candidates:dossier_detail", args=[dossier.pk]),
            },
        )
