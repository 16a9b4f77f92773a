"""Every write about jury sessions: creation, members, agenda, convocation, cancellation.

Branch staff act; each step is an event of the session's lifecycle. Dossiers move through the
candidates app's services (`dossier_put_on_agenda`, `dossier_remove_from_agenda`).
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates import services as dossiers
from candidates.models import Dossier, DossierStatus
from certifications.models import Branch, Cqp
from certifications.permissions import is_branch_staff
from cqp.errors import ActionNotPermitted, DomainError
from cqp.lifecycle import apply_transition

from .. import notifications
from ..lifecycles import SESSION_LIFECYCLE
from ..models import AgendaItem, JuryMember, JurySession


def _require_staff(actor, branch_id: int) -> None:
    if actor is None or not is_branch_staff(actor, branch_id):
        raise ActionNotPermitted(_("Only the branch's staff may do this."))


def _step(session: JurySession, action: str, *, actor, comment: str = "", guard=None):
    return apply_transition(
        SESSION_LIFECYCLE, session, action, actor=actor, comment=comment, guard=guard
    )


def session_create(
    *,
    branch: Branch,
    cqps: Iterable[Cqp],
    starts_at: datetime.datetime,
    place: str = "",
    video_link: str = "",
    actor,
) -> JurySession:
    """Plan a session of the branch's jury on some of its CQPs, at a place or by video."""
    _require_staff(actor, branch.pk)
    cqps = list(cqps)
    if not cqps:
        raise DomainError(_("Choose the CQPs the jury deliberates on."))
    if any(cqp.branch_id != branch.pk for cqp in cqps):
        raise DomainError(_("A session deliberates on CQPs of its own branch only."))
    if starts_at is None or starts_at <= timezone.now():
        raise DomainError(_("A session is planned in the future."))
    place, video_link = (place or "").strip(), (video_link or "").strip()
    if not (place or video_link):
        raise DomainError(_("Give the place of the session or its video link."))
    with transaction.atomic():
        session = JurySession.objects.create(
            branch=branch, starts_at=starts_at, place=place, video_link=video_link, created_by=actor
        )
        session.cqps.set(cqps)
        session.events.create(
            action="create",
            to_status=session.status,
            actor=actor,
            comment=", ".join(sorted(cqp.code for cqp in cqps)),
        )
    return session


def composition_problems(session: JurySession) -> list[str]:
    """Why the jury cannot be convened as composed (paritaire, one president), or []."""
    members = list(session.members.all())
    colleges = {member.college for member in members}
    problems = []
    if JuryMember.College.EMPLOYER not in colleges:
        problems.append(_("The jury needs at least one employer representative."))
    if JuryMember.College.EMPLOYEE not in colleges:
        problems.append(_("The jury needs at least one employee representative."))
    if sum(member.is_president for member in members) != 1:
        problems.append(_("The jury needs exactly one president."))
    return problems


def member_add(*, session: JurySession, user, college: str, role: str, actor) -> JuryMember:
    """Seat a person on the jury (before the deliberation)."""
    _require_staff(actor, session.branch_id)
    if college not in JuryMember.College.values:
        raise DomainError(_("Choose the member's college."))
    if role not in JuryMember.Role.values:
        raise DomainError(_("Choose the member's role."))
    if not user.is_active:
        raise DomainError(_("This account is deactivated."))
    with transaction.atomic():

        def seat_free(locked: JurySession) -> None:
            if locked.members.filter(user=user).exists():
                raise DomainError(_("%s already sits on this jury.") % user)
            if role == JuryMember.Role.PRESIDENT and locked.members.filter(role=role).exists():
                raise DomainError(_("This jury already has a president."))
            if locked.agenda.filter(active=True, dossier__candidate__user=user).exists():
                raise DomainError(_("A candidate on the agenda cannot sit on the jury."))

        _step(
            session,
            "change_members",
            actor=actor,
            comment=_("%(person)s joins as %(college)s (%(role)s).")
            % {
                "person": user,
                "college": JuryMember.College(college).label,
                "role": JuryMember.Role(role).label,
            },
            guard=seat_free,
        )
        try:
            with transaction.atomic():
                return JuryMember.objects.create(
                    session=session, user=user, college=college, role=role
                )
        except IntegrityError:  # a second tab seated them meanwhile
            raise DomainError(_("%s already sits on this jury.") % user) from None


def member_remove(*, member: JuryMember, actor) -> None:
    session = member.session
    _require_staff(actor, session.branch_id)
    with transaction.atomic():
        _step(
            session,
            "change_members",
            actor=actor,
            comment=_("%(person)s leaves the jury.") % {"person": member.user},
        )
        JuryMember.objects.filter(pk=member.pk).delete()


def _check_dossier_for(session: JurySession, dossier: Dossier) -> None:
    if (
        dossier.cqp.branch_id != session.branch_id
        or not session.cqps.filter(pk=dossier.cqp_id).exists()
    ):
        raise DomainError(_("%s is not a dossier of the CQPs of this session.") % dossier.reference)
    if dossier.status != DossierStatus.READY_FOR_JURY:
        raise DomainError(_("%s is not ready for the jury.") % dossier.reference)
    if session.members.filter(user_id=dossier.candidate.user_id).exists():
        raise DomainError(_("%s: the candidate sits on this jury.") % dossier.reference)


def agenda_add(*, session: JurySession, dossiers_to_add: Iterable[Dossier], actor) -> list:
    """Put dossiers ready for the jury on the session's agenda (all or none)."""
    _require_staff(actor, session.branch_id)
    dossiers_to_add = list(dossiers_to_add)
    if not dossiers_to_add:
        raise DomainError(_("Choose the dossiers to put on the agenda."))
    with transaction.atomic():
        _step(
            session,
            "change_agenda",
            actor=actor,
            comment=_("Added: %s.") % ", ".join(d.reference for d in dossiers_to_add),
        )
        last = session.agenda.order_by("-order").values_list("order", flat=True).first() or 0
        items = []
        for offset, dossier in enumerate(dossiers_to_add, start=1):
            dossier = Dossier.objects.select_related("cqp", "candidate").get(pk=dossier.pk)
            _check_dossier_for(session, dossier)
            # Moves the dossier (locked, READY_FOR_JURY only): a second session cannot take it.
            dossiers.dossier_put_on_agenda(
                dossier=dossier,
                actor=actor,
                comment=_("Jury session of %s.")
                % date_format(timezone.localtime(session.starts_at), "SHORT_DATETIME_FORMAT"),
            )
            item, _created = AgendaItem.objects.update_or_create(
                session=session,
                dossier=dossier,
                defaults={
                    "active": True,
                    "order": last + offset,
                    "added_by": actor,
                    "added_at": timezone.now(),
                },
            )
            items.append(item)
    return items


def agenda_add_ready(*, session: JurySession, cqp: Cqp, actor) -> list:
    """Put every dossier of `cqp` ready for the jury on the agenda, oldest ready first."""
    ready = Dossier.objects.filter(cqp=cqp, status=DossierStatus.READY_FOR_JURY).order_by(
        "status_changed_at", "id"
    )
    if not ready.exists():
        raise DomainError(_("No dossier of %s is ready for the jury.") % cqp.code)
    return agenda_add(session=session, dossiers_to_add=ready, actor=actor)


def agenda_remove(*, item: AgendaItem, actor, comment: str = "") -> None:
    """Take a dossier off the agenda: it is ready for another session."""
    session = item.session
    _require_staff(actor, session.branch_id)
    with transaction.atomic():
        _step(
            session,
            "change_agenda",
            actor=actor,
            comment=_("Removed: %s.") % item.dossier.reference,
        )
        locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if not locked.active:
            raise DomainError(_("This dossier is no longer on the agenda."))
        dossiers.dossier_remove_from_agenda(dossier=locked.dossier, actor=actor, comment=comment)
        locked.active = False
        locked.save(update_fields=["active"])


def session_cancel(*, session: JurySession, actor, comment: str) -> JurySession:
    """Cancel a session before its deliberation: its dossiers are ready for another one."""
    _require_staff(actor, session.branch_id)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for cancelling the session."))
    with transaction.atomic():
        moved = _step(session, "cancel", actor=actor, comment=comment)
        for item in moved.agenda.filter(active=True).select_related("dossier"):
            dossiers.dossier_remove_from_agenda(
                dossier=item.dossier, actor=actor, comment=_("Jury session cancelled.")
            )
        moved.agenda.filter(active=True).update(active=False)
    return moved


def convene_problems(session: JurySession) -> list[str]:
    """Why the session cannot be convened now (composition, agenda, date), or []."""
    problems = composition_problems(session)
    if not session.agenda.filter(active=True).exists():
        problems.append(_("The agenda is empty."))
    if session.starts_at <= timezone.now():
        problems.append(_("The session's date has passed."))
    return problems


def session_convene(*, session: JurySession, actor) -> JurySession:
    """Convene the jury: each member gets the details and a calendar invitation, and each
    candidate on the agenda the date."""
    _require_staff(actor, session.branch_id)

    def ready(locked: JurySession) -> None:
        problems = convene_problems(locked)
        if problems:
            raise DomainError(" ".join(problems))

    with transaction.atomic():
        moved = _step(session, "convene", actor=actor, guard=ready)
        notifications.session_convened(moved)
    return moved
