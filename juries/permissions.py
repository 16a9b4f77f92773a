"""Who may see a jury session and its dossiers: its members only; one helper per object.

Anyone else gets a 404 (a session's existence is not disclosed), branch staff included: they
manage sessions in the admin, not through the members' pages.
"""

from django.http import Http404

from .models import AgendaItem, JuryMember, JurySession
from .selectors import MEMBER_VISIBLE_STATUSES, session_agenda


def get_session_for_member(user, pk: int) -> JurySession:
    """The session if `user` sits on it and it is convened or later (cancelled included),
    else 404. The user's seat is on `session.seat`."""
    if not user.is_authenticated:
        raise Http404
    seat = (
        JuryMember.objects.select_related("session__branch")
        .filter(session_id=pk, user=user, session__status__in=MEMBER_VISIBLE_STATUSES)
        .first()
    )
    if seat is None:
        raise Http404
    seat.user = user
    session = seat.session
    session.seat = seat
    return session


def get_item_for_member(user, session_pk: int, item_pk: int) -> AgendaItem:
    """A dossier the member's session deliberates on (see `session_agenda`), else 404.

    The item's session is the member's (with `seat`), its dossier comes with the candidate,
    CQP and référentiel version.
    """
    session = get_session_for_member(user, session_pk)
    item = (
        session_agenda(session)
        .select_related("dossier__candidate", "dossier__cqp", "dossier__referentiel")
        .filter(pk=item_pk)
        .first()
    )
    if item is None:
        raise Http404
    item.session = session
    return item
