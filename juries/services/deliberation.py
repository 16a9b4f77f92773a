"""The deliberation: presence and quorum, votes, the tally, the president's decisions, closing.

The president (the session's member with that role) opens the deliberation, records each
dossier's decision and closes the session; closing makes the decisions final and moves the
dossiers through the candidates app's services.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates import services as candidates
from candidates.models import ConflictOfInterest, DossierStatus
from certifications.models import CompetenceUnit
from cqp.errors import ActionNotPermitted, DomainError

from ..models import (
    JUDGING_OUTCOMES,
    REASONED_OUTCOMES,
    AgendaItem,
    DecisionUnit,
    JuryDecision,
    JuryMember,
    JuryRules,
    JurySession,
    Outcome,
    SessionStatus,
    UnitVote,
    Vote,
)
from .documents import session_documents_issue
from .sessions import _step

# The dossier's status for each outcome that judges the units.
DOSSIER_OUTCOMES = {
    Outcome.CERTIFIED: DossierStatus.CERTIFIED,
    Outcome.PARTIALLY_VALIDATED: DossierStatus.PARTIALLY_VALIDATED,
    Outcome.NOT_VALIDATED: DossierStatus.NOT_VALIDATED,
}


def seat_of(session: JurySession, user) -> JuryMember | None:
    """The user's seat on the session's jury, if any."""
    if not user.is_authenticated:
        return None
    return session.members.filter(user=user).first()


def _require_president(session: JurySession, actor) -> JuryMember:
    seat = seat_of(session, actor) if actor is not None else None
    if seat is None or not seat.is_president:
        raise ActionNotPermitted(_("Only the jury's president may do this."))
    return seat


def _locked_session(session: JurySession, *statuses) -> JurySession:
    """The session locked for the transaction; refused unless in one of `statuses`."""
    locked = JurySession.objects.select_for_update().get(pk=session.pk)
    if locked.status not in statuses:
        raise DomainError(
            _("Not possible while the session is “%s”.") % locked.get_status_display()
        )
    return locked


# --- presence and quorum ----------------------------------------------------------------------


def rules_for(branch_id: int) -> JuryRules:
    """The branch's quorum rule, or the default one (majority, both colleges)."""
    return JuryRules.objects.filter(branch_id=branch_id).first() or JuryRules(branch_id=branch_id)


def quorum_problems(session: JurySession, present_ids: Iterable[int]) -> list[str]:
    """Why the jury, with these members present, cannot deliberate, or []."""
    members = list(session.members.all())
    present_ids = set(present_ids)
    present = [m for m in members if m.pk in present_ids]
    rules = rules_for(session.branch_id)
    problems = []
    if len(present) * 100 <= rules.quorum_percent * len(members):
        problems.append(
            _(
                "Quorum not reached: %(present)d present out of %(total)d members; more than "
                "%(percent)d%% must be present."
            )
            % {"present": len(present), "total": len(members), "percent": rules.quorum_percent}
        )
    colleges = {m.college for m in present}
    if (
        rules.both_colleges_required
        and not {
            JuryMember.College.EMPLOYER,
            JuryMember.College.EMPLOYEE,
        }
        <= colleges
    ):
        problems.append(_("An employer and an employee representative must both be present."))
    if not any(m.is_president for m in present):
        problems.append(_("The president must be present."))
    return problems


def session_open_deliberation(
    *, session: JurySession, present_member_ids: Iterable[int], actor
) -> JurySession:
    """The president records who is present and opens the deliberation (quorum checked)."""
    _require_president(session, actor)
    present_ids = set(present_member_ids)
    unknown = present_ids - set(session.members.values_list("pk", flat=True))
    if unknown:
        raise DomainError(_("Only the session's members can be marked present."))

    def quorum(locked: JurySession) -> None:
        problems = quorum_problems(locked, present_ids)
        if problems:
            raise DomainError(" ".join(problems))

    names = ", ".join(
        str(m.user) for m in session.members.select_related("user") if m.pk in present_ids
    )
    with transaction.atomic():
        moved = _step(
            session,
            "open_deliberation",
            actor=actor,
            comment=_("Present: %s.") % names,
            guard=quorum,
        )
        members = moved.members.all()
        members.filter(pk__in=present_ids).update(present=True)
        members.exclude(pk__in=present_ids).update(present=False)
    return moved


# --- votes ------------------------------------------------------------------------------------


def units_to_judge(item: AgendaItem) -> list[CompetenceUnit]:
    """The units of the dossier's version still to acquire (the jury judges these)."""
    return list(candidates.units_to_acquire(item.dossier))


def conflicted_user_ids(item: AgendaItem) -> set[int]:
    """Who may not vote on the dossier: declared conflicts, and whoever evaluated it."""
    dossier = item.dossier
    excluded = set(
        ConflictOfInterest.objects.filter(dossier_id=dossier.pk).values_list("person_id", flat=True)
    )
    excluded |= set(dossier.unit_assessments.values_list("evaluator_id", flat=True))
    if dossier.evaluator_id:
        excluded.add(dossier.evaluator_id)
    return excluded


def _voting_seat(item: AgendaItem, actor) -> JuryMember:
    seat = seat_of(item.session, actor)
    if seat is None:
        raise ActionNotPermitted(_("Only the jury's members vote."))
    if not seat.present:
        raise DomainError(_("Only the members present vote."))
    if actor.pk in conflicted_user_ids(item):
        raise DomainError(
            _(
                "You evaluated this dossier or declared a conflict of interest on it: you do "
                "not vote on it."
            )
        )
    return seat


def _check_units(item: AgendaItem, outcome: str, unit_ids: Iterable[int]) -> list:
    units = units_to_judge(item)
    ids = {unit.pk for unit in units}
    unit_ids = set(unit_ids)
    if outcome in JUDGING_OUTCOMES:
        if not unit_ids <= ids:
            raise DomainError(_("Only the units still to acquire are judged."))
    elif unit_ids:
        raise DomainError(_("An absence or a deferral judges no unit."))
    return units


def vote_cast(
    *,
    item: AgendaItem,
    proposal: str,
    unit_votes: Mapping[int, bool],
    comment: str = "",
    actor,
) -> Vote:
    """A present member's vote on a dossier: each unit validated or not, and a proposal.

    The member may change it until the session closes; one vote per member and dossier.
    """
    if seat_of(item.session, actor) is None:
        raise ActionNotPermitted(_("Only the jury's members vote."))
    if proposal not in Outcome.values:
        raise DomainError(_("Choose a proposal."))
    units = _check_units(item, proposal, unit_votes)
    if proposal in JUDGING_OUTCOMES and set(unit_votes) != {unit.pk for unit in units}:
        raise DomainError(_("Vote on each unit."))
    with transaction.atomic():
        # The session's row serialises the jury's votes and its closing: no vote is lost,
        # none lands once the session is closed.
        _locked_session(item.session, SessionStatus.DELIBERATING)
        item = AgendaItem.objects.select_related("session", "dossier").get(pk=item.pk)
        if not item.active:
            raise DomainError(_("This dossier is no longer on the agenda."))
        seat = _voting_seat(item, actor)
        vote, _created = Vote.objects.update_or_create(
            item=item, member=seat, defaults={"proposal": proposal, "comment": comment.strip()}
        )
        vote.units.all().delete()
        UnitVote.objects.bulk_create(
            [UnitVote(vote=vote, unit_id=uid, validate=bool(v)) for uid, v in unit_votes.items()]
        )
    return vote


def member_declare_conflict(*, item: AgendaItem, reason: str, actor) -> ConflictOfInterest:
    """A member steps aside on one dossier: their vote on it is withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the conflict of interest is."))
    seat = seat_of(item.session, actor)
    if seat is None:
        raise ActionNotPermitted(_("Only the jury's members declare a conflict here."))
    with transaction.atomic():
        _step(
            item.session,
            "declare_conflict",
            actor=actor,
            comment=_("%(person)s, on %(dossier)s: %(reason)s")
            % {"person": actor, "dossier": item.dossier.reference, "reason": reason},
        )
        if ConflictOfInterest.objects.filter(dossier_id=item.dossier_id, person=actor).exists():
            raise DomainError(_("A conflict of interest is already declared on this dossier."))
        conflict = ConflictOfInterest.objects.create(
            dossier_id=item.dossier_id,
            person=actor,
            role=ConflictOfInterest.Role.JURY_MEMBER,
            reason=reason,
        )
        Vote.objects.filter(item=item, member=seat).delete()
    return conflict


# --- the tally --------------------------------------------------------------------------------


@dataclass
class UnitTally:
    unit: CompetenceUnit
    validate: int = 0
    reject: int = 0

    @property
    def majority(self) -> bool | None:
        """True or False by the majority of votes cast; None on a tie (the president decides)."""
        if self.validate == self.reject:
            return None
        return self.validate > self.reject


@dataclass
class Tally:
    units: list[UnitTally]
    proposals: Counter = field(default_factory=Counter)
    voters: int = 0


def tally(item: AgendaItem) -> Tally:
    """The votes cast on a dossier, unit by unit, and the proposals (fixed queries)."""
    units = units_to_judge(item)
    by_unit = {unit.pk: UnitTally(unit) for unit in units}
    votes = list(Vote.objects.filter(item=item).prefetch_related("units"))
    result = Tally(units=list(by_unit.values()), voters=len(votes))
    for vote in votes:
        result.proposals[vote.proposal] += 1
        for line in vote.units.all():
            unit_tally = by_unit.get(line.unit_id)
            if unit_tally is not None:
                if line.validate:
                    unit_tally.validate += 1
                else:
                    unit_tally.reject += 1
    return result


# --- decisions --------------------------------------------------------------------------------


def _check_outcome(item, outcome, validated_ids, units, *, president_conflicted) -> None:
    """The units follow the votes (ties aside) and the outcome follows the units.

    A president who evaluated the dossier or declared a conflict on it breaks no tie: the
    dossier is then deferred (or the votes must settle every unit).
    """
    counted = {t.unit.pk: t.majority for t in tally(item).units}
    for unit in units:
        majority = counted.get(unit.pk)
        if majority is None and president_conflicted:
            raise DomainError(
                _(
                    "%(unit)s: the votes are tied and you cannot decide on this dossier "
                    "(conflict of interest or evaluation): defer it."
                )
                % {"unit": unit.code}
            )
        if majority is not None and majority != (unit.pk in validated_ids):
            raise DomainError(
                _("%(unit)s: the decision must follow the majority of the votes cast.")
                % {"unit": unit.code}
            )
    required = {unit.pk for unit in units if not unit.is_optional}
    if outcome == Outcome.CERTIFIED and not required <= validated_ids:
        raise DomainError(_("Certification needs every required unit to be validated."))
    if outcome == Outcome.PARTIALLY_VALIDATED and (not validated_ids or required <= validated_ids):
        raise DomainError(_("A partial validation validates some units, not all."))
    if outcome == Outcome.NOT_VALIDATED and validated_ids:
        raise DomainError(_("A refusal validates no unit."))


def decision_record(
    *,
    item: AgendaItem,
    outcome: str,
    validated_unit_ids: Iterable[int],
    motivation: str = "",
    actor,
) -> JuryDecision:
    """The president records (or changes, until closing) the decision on a dossier.

    Units follow the majority of the votes cast; on a tie the president decides. Partial
    validations and refusals are reasoned.
    """
    session = item.session
    _require_president(session, actor)
    if outcome not in Outcome.values:
        raise DomainError(_("Choose a decision."))
    motivation = (motivation or "").strip()
    if outcome in REASONED_OUTCOMES and not motivation:
        raise DomainError(_("A partial validation or a refusal must be reasoned."))
    validated_ids = set(validated_unit_ids)
    units = _check_units(item, outcome, validated_ids)
    with transaction.atomic():
        _step(
            session,
            "record_decision",
            actor=actor,
            comment=f"{item.dossier.reference}: {Outcome(outcome).label}",
        )
        item = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if not item.active:
            raise DomainError(_("This dossier is no longer on the agenda."))
        if outcome in JUDGING_OUTCOMES:
            conflicted = actor.pk in conflicted_user_ids(item)
            _check_outcome(item, outcome, validated_ids, units, president_conflicted=conflicted)
        decision, _created = JuryDecision.objects.update_or_create(
            item=item,
            corrects=None,
            defaults={
                "outcome": outcome,
                "motivation": motivation,
                "decided_by": actor,
                "decided_at": timezone.now(),
            },
        )
        decision.units.all().delete()
        if outcome in JUDGING_OUTCOMES:
            DecisionUnit.objects.bulk_create(
                [
                    DecisionUnit(decision=decision, unit=unit, validated=unit.pk in validated_ids)
                    for unit in units
                ]
            )
    return decision


def close_problems(session: JurySession) -> list[str]:
    """Dossiers of the agenda still without a decision, or [] (a fixed number of queries: the
    session page lists them; closing also checks the decisions still follow the votes)."""
    decided = JuryDecision.objects.filter(item__session=session, corrects=None)
    undecided = (
        session.agenda.filter(active=True)
        .exclude(pk__in=decided.values("item_id"))
        .select_related("dossier")
        .order_by("order", "id")
    )
    references = [item.dossier.reference for item in undecided]
    if references:
        return [_("Dossiers without a decision: %s.") % ", ".join(references)]
    return []


def _overtaken_decisions(session: JurySession) -> list[JuryDecision]:
    """Decisions on the units that no longer follow the votes (a member changed their vote
    after the president recorded it)."""
    overtaken = []
    decisions = (
        JuryDecision.objects.filter(
            item__session=session,
            item__active=True,
            corrects=None,
            outcome__in=sorted(JUDGING_OUTCOMES),
        )
        .select_related("item__dossier", "decided_by")
        .prefetch_related("units")
        .order_by("item__order", "item_id")
    )
    for decision in decisions:
        validated = {line.unit_id for line in decision.units.all() if line.validated}
        item = decision.item
        try:
            _check_outcome(
                item,
                decision.outcome,
                validated,
                units_to_judge(item),
                president_conflicted=decision.decided_by_id in conflicted_user_ids(item),
            )
        except DomainError:
            overtaken.append(decision)
    return overtaken


def session_close(*, session: JurySession, actor) -> JurySession:
    """Close the session: every decision becomes final, each dossier takes its outcome.

    Judged dossiers get their decision (acquired units recorded, candidate told); absent or
    deferred ones are ready for a later session. Refused while a dossier has no decision.
    """
    _require_president(session, actor)

    def every_dossier_decided(locked: JurySession) -> None:
        problems = close_problems(locked)
        overtaken = [d.item.dossier.reference for d in _overtaken_decisions(locked)]
        if overtaken:
            problems.append(
                _("The votes changed after the decision on %s: record the decision again.")
                % ", ".join(overtaken)
            )
        if problems:
            raise DomainError(" ".join(problems))

    with transaction.atomic():
        moved = _step(session, "close", actor=actor, guard=every_dossier_decided)
        now = timezone.now()
        decided_on = timezone.localdate()
        decisions = (
            JuryDecision.objects.filter(item__session=moved, item__active=True, corrects=None)
            .select_related("item__dossier__candidate__user", "item__dossier__cqp")
            .prefetch_related("units__unit")
        )
        for decision in decisions:
            dossier = decision.item.dossier
            if decision.outcome in JUDGING_OUTCOMES:
                candidates.dossier_record_decision(
                    dossier=dossier,
                    outcome=DOSSIER_OUTCOMES[decision.outcome],
                    validated_units=[line.unit for line in decision.units.all() if line.validated],
                    decided_on=decided_on,
                    actor=actor,
                    comment=decision.motivation,
                )
            else:
                candidates.dossier_remove_from_agenda(
                    dossier=dossier,
                    actor=actor,
                    comment=" ".join(
                        part
                        for part in (decision.get_outcome_display(), decision.motivation)
                        if part
                    ),
                )
            decision.final_at = now
            decision.save(update_fields=["final_at"])
        moved.agenda.update(active=False)
        # Numbered and coded now, in this transaction; their PDFs are queued once it commits.
        session_documents_issue(session=moved, decided_on=decided_on)
    return moved
