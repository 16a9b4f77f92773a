"""Who may see a jury session and its dossiers: its members only; one helper per object.

Anyone else gets a 404 (a session's existence is not disclosed), branch staff included: they
manage sessions in the admin, not through the members' pages. The documents decisions yield
are read by their holder and the branch; the minutes by the branch and the session's jury.
"""

from django.http import Http404

from candidates.models import Dossier
from candidates.permissions import candidate_of
from certifications.permissions import member_branch_ids

from .models import AgendaItem, Certificate, DocumentStatus, JuryMember, JuryMinutes, JurySession
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


def _is_branch_member(user, branch_id: int) -> bool:
    """Superuser, or staff or CPNEF member of the branch."""
    return bool(user.is_superuser) or branch_id in member_branch_ids(user)


def _is_holder(user, candidate_id: int) -> bool:
    candidate = candidate_of(user)
    return candidate is not None and candidate.pk == candidate_id


def may_read_certificates(user, dossier: Dossier) -> bool:
    """Whether the dossier's certificates and attestations are the user's to read: its
    candidate, its branch's staff and CPNEF members, superusers (not its evaluator)."""
    if not user.is_authenticated:
        return False
    return _is_holder(user, dossier.candidate_id) or _is_branch_member(user, dossier.cqp.branch_id)


def get_certificate_for_user(user, pk: int) -> Certificate:
    """A certificate or attestation whose PDF the user may download, else 404.

    Its holder downloads its PDF while it has one (also while it is produced again), never
    once revoked; the branch's staff and CPNEF members and superusers download it whatever
    its status (a revoked one's PDF kept as it was issued).
    """
    if not user.is_authenticated:
        raise Http404
    certificate = Certificate.objects.select_related("dossier").filter(pk=pk).first()
    if certificate is None or not certificate.pdf:
        raise Http404
    if _is_branch_member(user, certificate.branch_id):
        readable = tuple(DocumentStatus)
    elif _is_holder(user, certificate.dossier.candidate_id):
        # Being produced again (a new logo): the holder keeps the PDF they had meanwhile.
        readable = (DocumentStatus.READY, DocumentStatus.PENDING, DocumentStatus.FAILED)
    else:
        raise Http404
    if certificate.status not in readable:
        raise Http404
    return certificate


def get_minutes_for_user(user, pk: int) -> JuryMinutes:
    """A session's minutes, once ready, for its branch's staff and CPNEF members,
    superusers and the members of its jury; else 404."""
    if not user.is_authenticated:
        raise Http404
    minutes = JuryMinutes.objects.select_related("session__branch").filter(pk=pk).first()
    if minutes is None or not minutes.is_ready:
        raise Http404
    if _is_branch_member(user, minutes.session.branch_id):
        return minutes
    if JuryMember.objects.filter(session_id=minutes.session_id, user=user).exists():
        return minutes
    raise Http404
