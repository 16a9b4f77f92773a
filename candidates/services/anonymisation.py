"""Anonymising a candidate once the retention period is over (staff of their branch).

What stays: the dossiers, their states and dates, the decisions and acquired units (the
branch's statistics) and the certificates, still verifiable with initials. What goes: names,
contact and birth details, the account's address and login, the pieces, free texts. Every
app's part runs through `cqp.personal_data` in one transaction; the act is on the audit trail.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certifications.permissions import staff_branch_ids
from cqp import personal_data
from cqp.audit import audit_record
from cqp.errors import ActionNotPermitted, DomainError
from cqp.models import AuditAction

from ..models import OPEN_STATUSES, Candidate
from .pathway import years_later


def retention_ends_on(candidate: Candidate) -> datetime.date:
    """The day the candidate may be anonymised: N years after their last activity.

    Activity: the last change of state of any dossier, the last login, the registration.
    """
    user = candidate.user
    last_dossier_change = candidate.dossiers.aggregate(last=Max("status_changed_at"))["last"]
    moments = [m for m in (last_dossier_change, user.last_login, user.date_joined) if m]
    last = timezone.localdate(max(moments))
    return years_later(last, settings.PERSONAL_DATA_RETENTION_YEARS)


def anonymisation_refusal(candidate: Candidate, today: datetime.date | None = None) -> str:
    """Why this candidate may not be anonymised now ('' when they may)."""
    if candidate.anonymised_at is not None:
        return _("Already anonymised.")
    if candidate.dossiers.filter(status__in=OPEN_STATUSES).exists():
        return _("A dossier is still open.")
    other_roles = personal_data.anonymisation_refusal(candidate.user)
    if other_roles:
        return other_roles
    ends_on = retention_ends_on(candidate)
    if (today or timezone.localdate()) < ends_on:
        return _("The retention period runs until %(date)s.") % {
            "date": date_format(ends_on, "SHORT_DATE_FORMAT")
        }
    return ""


def may_anonymise(actor, candidate: Candidate) -> bool:
    """Superusers; staff of every branch the candidate has a dossier in (anonymising erases
    what each of those branches holds)."""
    if actor.is_superuser:
        return True
    involved = set(candidate.dossiers.values_list("cqp__branch_id", flat=True))
    return bool(involved) and involved <= staff_branch_ids(actor)


def candidate_anonymise(*, candidate: Candidate, actor, request=None) -> Candidate:
    if actor is None or not may_anonymise(actor, candidate):
        raise ActionNotPermitted(_("Only the staff of the candidate's branches may do this."))
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().select_related("user").get(pk=candidate.pk)
        refusal = anonymisation_refusal(locked)
        if refusal:
            raise DomainError(refusal)
        user = locked.user
        for contributor in personal_data.contributors():
            if contributor.anonymise is not None:
                contributor.anonymise(user, actor)
        audit_record(
            actor=actor,
            action=AuditAction.ANONYMISATION,
            target=locked,
            subject=user,
            request=request,
            summary=_("%(count)d dossier(s)") % {"count": locked.dossiers.count()},
        )
    locked.refresh_from_db()
    return locked
