"""Reads for the jury's pages; query counts do not grow with the agenda or the units."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from candidates.models import ConflictOfInterest, Dossier, DossierEvent, UnitAssessment
from cqp.queries import count_subquery

from .models import (
    AgendaItem,
    Certificate,
    DecisionUnit,
    JuryDecision,
    JuryMember,
    JurySession,
    Outcome,
    SessionStatus,
    Vote,
)

S = SessionStatus

# A member learns of a session once convened: before, its members and agenda may still change.
MEMBER_VISIBLE_STATUSES = frozenset({S.CONVENED, S.DELIBERATING, S.CLOSED, S.CANCELLED})
UPCOMING_STATUSES = frozenset({S.CONVENED, S.DELIBERATING})
PAST_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

# A member's vote on a dossier of the agenda, as the session page shows it (EVALUATED: the
# member evaluated the dossier, so does not vote on it).
VOTED, TO_VOTE, CONFLICT, EVALUATED, NO_VOTE = (
    "voted",
    "to_vote",
    "conflict",
    "evaluated",
    "no_vote",
)


def sits_on_a_jury(user) -> bool:
    """Whether the user has a seat on any jury session (cached on the user object)."""
    cached = getattr(user, "_cqp_jury_seat", None)
    if cached is None:
        cached = user.is_authenticated and JuryMember.objects.filter(user=user).exists()
        user._cqp_jury_seat = cached
    return cached


def _jury_decided():
    """The jury's own decision on the agenda item `OuterRef("pk")` (corrections aside)."""
    return JuryDecision.objects.filter(item=OuterRef("pk"), corrects__isnull=True)


def _current_decision():
    """The decisions on the agenda item `OuterRef("pk")`, latest first: the first is the
    current one (the last correction, if any)."""
    return JuryDecision.objects.filter(item=OuterRef("pk")).order_by("-decided_at", "-id")


def _with_current_decision(items: QuerySet[AgendaItem]) -> QuerySet[AgendaItem]:
    """`items` annotated with their current decision: `decision_outcome`, `decision_final`
    and `decision_corrected` (branch staff corrected the jury's decision: corrections come
    after it, so the current decision is then the last correction)."""
    current = _current_decision()
    return items.annotate(
        decision_outcome=Subquery(current.values("outcome")[:1]),
        decision_final=Subquery(current.values("final_at")[:1]),
        decision_corrected=Exists(
            JuryDecision.objects.filter(item=OuterRef("pk"), corrects__isnull=False)
        ),
    )


def member_seats(user) -> list[JuryMember]:
    """The user's seats on sessions they may see, soonest first, in two queries.

    Each seat's session carries `agenda_size`: the dossiers it deliberates on (on the agenda
    while it is to hold, decided once closed; None once cancelled).
    """
    seats = list(
        JuryMember.objects.filter(user=user, session__status__in=MEMBER_VISIBLE_STATUSES)
        .select_related("session__branch")
        .prefetch_related("session__cqps")
        .annotate(
            active_count=count_subquery(
                AgendaItem.objects.filter(session=OuterRef("session_id"), active=True), "session"
            ),
            decided_count=count_subquery(
                JuryDecision.objects.filter(
                    item__session=OuterRef("session_id"), corrects__isnull=True
                ),
                "item__session",
            ),
        )
        .order_by("session__starts_at", "session_id")
    )
    for seat in seats:
        session = seat.session
        if session.status in UPCOMING_STATUSES:
            session.agenda_size = seat.active_count
        elif session.status == S.CLOSED:
            session.agenda_size = seat.decided_count
        else:
            session.agenda_size = None
    return seats


def session_agenda(session: JurySession) -> QuerySet[AgendaItem]:
    """The dossiers the session deliberates on: on the agenda while it is to hold or
    deliberating, those decided once closed, none once cancelled (they went elsewhere)."""
    items = AgendaItem.objects.filter(session=session)
    if session.status in (S.PLANNED, S.CONVENED, S.DELIBERATING):
        return items.filter(active=True)
    if session.status == S.CLOSED:
        return items.filter(Exists(_jury_decided()))
    return items.none()


AGENDA_FIELDS = (
    "session_id",
    "dossier_id",
    "order",
    "active",
    "dossier__reference",
    "dossier__evaluator_id",
    "dossier__candidate__first_name",
    "dossier__candidate__last_name",
    "dossier__cqp__code",
)


def agenda_for_member(session: JurySession, seat: JuryMember) -> list[AgendaItem]:
    """The session's agenda in order, in one query, each item with the candidate and CQP,
    `vote_state` (VOTED, TO_VOTE, CONFLICT, EVALUATED or NO_VOTE for the member),
    `votes_count`, and the current decision (`decision_outcome`, `decision_label`,
    `decision_final`)."""
    current = _current_decision()
    items = list(
        session_agenda(session)
        .select_related("dossier__candidate", "dossier__cqp")
        # What the agenda shows: 300 whole rows of four tables took twice as long to build.
        .only(*AGENDA_FIELDS)
        .annotate(
            voted=Exists(Vote.objects.filter(item=OuterRef("pk"), member=seat)),
            conflicted=Exists(
                ConflictOfInterest.objects.filter(
                    dossier_id=OuterRef("dossier_id"), person_id=seat.user_id
                )
            ),
            assessed=Exists(
                UnitAssessment.objects.filter(
                    dossier_id=OuterRef("dossier_id"), evaluator_id=seat.user_id
                )
            ),
            votes_count=count_subquery(Vote.objects.filter(item=OuterRef("pk")), "item"),
            decision_outcome=Subquery(current.values("outcome")[:1]),
            decision_final=Subquery(current.values("final_at")[:1]),
        )
        .order_by("order", "id")
    )
    can_vote = session.status == S.DELIBERATING and seat.present
    for item in items:
        if item.conflicted:
            item.vote_state = CONFLICT
        elif item.assessed or item.dossier.evaluator_id == seat.user_id:
            item.vote_state = EVALUATED
        elif item.voted:
            item.vote_state = VOTED
        elif can_vote:
            item.vote_state = TO_VOTE
        else:
            item.vote_state = NO_VOTE
        outcome = item.decision_outcome
        item.decision_label = Outcome(outcome).label if outcome else ""
    return items


def session_members(session: JurySession) -> list[JuryMember]:
    """The jury's members, by college (in the choices' order), the president first."""
    order = {value: index for index, value in enumerate(JuryMember.College.values)}
    members = list(session.members.select_related("user"))
    members.sort(key=lambda m: (order.get(m.college, 99), not m.is_president, str(m.user)))
    return members


def neighbour_items(item: AgendaItem) -> tuple[AgendaItem | None, AgendaItem | None]:
    """The dossiers before and after `item` on the session's agenda (two queries)."""
    agenda = session_agenda(item.session).select_related("dossier")
    before = Q(order__lt=item.order) | Q(order=item.order, id__lt=item.pk)
    after = Q(order__gt=item.order) | Q(order=item.order, id__gt=item.pk)
    previous = agenda.filter(before).order_by("-order", "-id").first()
    following = agenda.filter(after).order_by("order", "id").first()
    return previous, following


def member_vote(item: AgendaItem, seat: JuryMember) -> Vote | None:
    """The member's vote on the dossier with its unit lines as `validate_by_unit`, or None."""
    vote = Vote.objects.filter(item=item, member=seat).prefetch_related("units__unit").first()
    if vote is not None:
        vote.validate_by_unit = {line.unit_id: line.validate for line in vote.units.all()}
    return vote


def member_conflict(item: AgendaItem, user) -> ConflictOfInterest | None:
    return ConflictOfInterest.objects.filter(dossier_id=item.dossier_id, person=user).first()


def item_decision(item: AgendaItem) -> JuryDecision | None:
    """The dossier's current decision (the last correction if any) with its units, or None.

    It carries `validated_ids`, the units it validates.
    """
    decision = (
        JuryDecision.objects.filter(item=item)
        .select_related("decided_by")
        .prefetch_related("units__unit")
        .order_by("-decided_at", "-id")
        .first()
    )
    if decision is not None:
        decision.validated_ids = {line.unit_id for line in decision.units.all() if line.validated}
    return decision


def members_yet_to_vote(item: AgendaItem, excluded_user_ids) -> list[JuryMember]:
    """The members present who have not voted on the dossier yet, but those excluded from
    its vote (conflict of interest, evaluator of the dossier)."""
    return list(
        item.session.members.filter(present=True)
        .exclude(votes__item=item)
        .exclude(user_id__in=excluded_user_ids)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "id")
    )


def carried_over_units(dossier: Dossier):
    """The units the candidate already held when the dossier opened, with the decision's
    dossier and date."""
    return dossier.carried_over.select_related("unit", "acquired__dossier").order_by(
        "unit__order", "unit_id"
    )


def evaluator_handover(dossier: Dossier) -> DossierEvent | None:
    """The evaluator's last note when declaring the dossier ready for the jury, if any."""
    return (
        dossier.events.filter(action="declare_ready")
        .exclude(comment="")
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


# --- branch staff: what each session decided --------------------------------------------------


def _labelled(items: list[AgendaItem]) -> list[AgendaItem]:
    for item in items:
        outcome = item.decision_outcome
        item.decision_label = Outcome(outcome).label if outcome else ""
    return items


def staff_agenda(session: JurySession) -> list[AgendaItem]:
    """The dossiers the session deliberates on (`session_agenda`: decided ones once closed)
    in order, in one query, each with the candidate and CQP, `votes_count` and the current
    decision (`decision_outcome`, `decision_label`, `decision_final`, `decision_corrected`)."""
    items = _with_current_decision(
        session_agenda(session)
        .select_related("dossier__candidate", "dossier__cqp")
        .annotate(votes_count=count_subquery(Vote.objects.filter(item=OuterRef("pk")), "item"))
        .order_by("order", "id")
    )
    return _labelled(list(items))


def session_item(session: JurySession, item_id: int) -> AgendaItem | None:
    """The agenda item `item_id` of `session` (decided, removed or still to decide) with its
    dossier, candidate, CQP and version, or None (another session's item is not found)."""
    item = (
        session.agenda.select_related("dossier__candidate", "dossier__cqp", "dossier__referentiel")
        .filter(pk=item_id)
        .first()
    )
    if item is not None:
        item.session = session
    return item


def item_votes(item: AgendaItem) -> list[Vote]:
    """The votes cast on the dossier with `validate_by_unit` (two queries)."""
    votes = list(Vote.objects.filter(item=item).prefetch_related("units"))
    for vote in votes:
        vote.validate_by_unit = {line.unit_id: line.validate for line in vote.units.all()}
    return votes


def item_conflicts(item: AgendaItem) -> list[ConflictOfInterest]:
    """The conflicts of interest declared on the dossier, with who declared them."""
    return list(
        ConflictOfInterest.objects.filter(dossier_id=item.dossier_id)
        .select_related("person")
        .order_by("declared_at", "id")
    )


def item_decisions(item: AgendaItem) -> list[JuryDecision]:
    """Every decision on the dossier, oldest first: the jury's, then each correction (two
    queries). Each carries `validated_units`, `rejected_units` (in the units' order) and
    `superseded_by` (the correction of it, or None); `corrects` is read from the list."""
    lines = DecisionUnit.objects.select_related("unit").order_by("unit__order", "unit_id")
    decisions = list(
        JuryDecision.objects.filter(item=item)
        .select_related("decided_by")
        .prefetch_related(Prefetch("units", queryset=lines))
        .order_by("decided_at", "id")
    )
    by_id = {decision.pk: decision for decision in decisions}
    for decision in decisions:
        decision.superseded_by = None
    for decision in decisions:
        decision.validated_units = [line.unit for line in decision.units.all() if line.validated]
        decision.rejected_units = [line.unit for line in decision.units.all() if not line.validated]
        corrected = by_id.get(decision.corrects_id)
        if corrected is not None:
            decision.corrects = corrected  # from the list: no query
            corrected.superseded_by = decision
    return decisions


def dossier_jury_items(dossier: Dossier) -> list[AgendaItem]:
    """Every session the dossier went to (its agenda items, the earliest session first), in
    one query, each with its session and current decision (as `staff_agenda`)."""
    items = _with_current_decision(
        AgendaItem.objects.filter(dossier=dossier)
        .select_related("session")
        .order_by("session__starts_at", "id")
    )
    return _labelled(list(items))


def dossier_certificates(dossier: Dossier) -> QuerySet[Certificate]:
    """The dossier's documents, newest first (a corrected decision's, revoked, follows)."""
    return (
        Certificate.objects.filter(dossier=dossier)
        .defer("snapshot", "last_error")
        .order_by("-created_at", "-pk")
    )
