"""The jury record of each dossier of a session, and the correction of a closed decision.

Branch staff organise the jury and answer appeals: the record shows the tally, each member's
vote (or why they did not vote) and every decision on record, corrections included. It is read
by the branch's staff and CPNEF members and by superusers; only the branch's staff (and
superusers) correct a decision, through `services.decision_correct`.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path
from django.utils.translation import gettext as _

from candidates.models import ConflictOfInterest
from cqp.errors import DomainError

from .. import selectors, services
from ..models import (
    JUDGING_OUTCOMES,
    AgendaItem,
    JuryDecision,
    JuryMember,
    Outcome,
    SessionStatus,
    Vote,
)
from .forms import DecisionCorrectForm

# Why a member has no vote on the dossier (besides the selectors' CONFLICT and EVALUATED).
ABSENT = "absent"


@dataclass
class MemberLine:
    """A member of the jury and what they did on the dossier."""

    member: JuryMember
    state: str  # selectors.VOTED, CONFLICT, EVALUATED, NO_VOTE, or ABSENT
    vote: Vote | None = None
    units: list = field(default_factory=list)  # (unit, validate: bool or None), units in order
    conflict: ConflictOfInterest | None = None


def member_lines(item: AgendaItem, units) -> list[MemberLine]:
    """Each member of the session, president first by college, with their vote on the dossier
    or the reason they have none (a fixed number of queries)."""
    excluded = services.conflicted_user_ids(item)
    conflicts = {conflict.person_id: conflict for conflict in selectors.item_conflicts(item)}
    votes = {vote.member_id: vote for vote in selectors.item_votes(item)}
    lines = []
    for member in selectors.session_members(item.session):
        vote = votes.get(member.pk)
        conflict = conflicts.get(member.user_id)
        if conflict is not None:
            state = selectors.CONFLICT
        elif member.user_id in excluded:
            state = selectors.EVALUATED
        elif vote is not None:
            state = selectors.VOTED
        elif member.present is False:
            state = ABSENT
        else:
            state = selectors.NO_VOTE
        per_unit = [(unit, vote.validate_by_unit.get(unit.pk)) for unit in units] if vote else []
        lines.append(MemberLine(member, state, vote, per_unit, conflict))
    return lines


def correction_refusal(session, decision: JuryDecision | None) -> str:
    """Why the dossier's current decision cannot be corrected, or "" (the service decides in
    the end; this spares the staff a form that could only be refused)."""
    if session.status == SessionStatus.DELIBERATING:
        return _(
            "The session is still deliberating: until it closes, the jury's president changes "
            "the decision."
        )
    if session.status != SessionStatus.CLOSED:
        return _("Only the decisions of a closed session are corrected.")
    if decision is None:
        return _("This dossier has no decision to correct.")
    if not decision.is_final or decision.outcome not in JUDGING_OUTCOMES:
        return _(
            "The jury judged no unit of this dossier (absent or deferred): there is no decision "
            "on the units to correct, the dossier goes to another session."
        )
    return ""


class DecisionPagesMixin:
    """The jury record and correction pages of `JurySessionAdmin` (with `SessionPagesMixin`,
    whose `get_object`, `may_act`, `_url` and `_page` they use)."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/agenda/<int:item_id>/",
                view(self.record_view),
                name="juries_jurysession_record",
            ),
            path(
                "<path:object_id>/agenda/<int:item_id>/correct/",
                view(self.correct_view),
                name="juries_jurysession_correct",
            ),
        ] + super().get_urls()

    def _item_to_read(self, request, object_id, item_id) -> AgendaItem:
        """The session's agenda item: 404 outside the user's branches or another session's."""
        session = self.get_object(request, object_id)
        if session is None:
            raise Http404
        item = selectors.session_item(session, item_id)
        if item is None:
            raise Http404
        return item

    def _item_to_correct(self, request, object_id, item_id) -> AgendaItem:
        """As `_item_to_read`, and 403 for those who only read it (CPNEF members)."""
        item = self._item_to_read(request, object_id, item_id)
        if not self.may_act(request, item.session):
            raise PermissionDenied
        return item

    def record_view(self, request, object_id, item_id):
        item = self._item_to_read(request, object_id, item_id)
        session, dossier = item.session, item.dossier
        tally = services.tally(item)
        decisions = selectors.item_decisions(item)
        current = decisions[-1] if decisions else None
        may_correct = self.may_act(request, session) and not correction_refusal(session, current)
        return self._page(
            request,
            session,
            "item.html",
            _("Jury record — %s") % dossier.reference,
            item=item,
            dossier=dossier,
            session_status=session.status,
            tally=tally,
            proposals=[
                (Outcome(value).label, count) for value, count in tally.proposals.most_common()
            ],
            members=member_lines(item, [line.unit for line in tally.units]),
            decisions=decisions,
            current=current,
            correct_url=self._url("correct", session, item.pk) if may_correct else None,
        )

    def correct_view(self, request, object_id, item_id):
        item = self._item_to_correct(request, object_id, item_id)
        session, dossier = item.session, item.dossier
        record_url = self._url("record", session, item.pk)
        decision = selectors.item_decision(item)
        refusal = correction_refusal(session, decision)
        form = None
        if not refusal:
            form = DecisionCorrectForm(
                request.POST if request.method == "POST" else None,
                units=services.units_to_judge(item),
                decision=decision,
            )
            if request.method == "POST" and form.is_valid():
                correction = self._correct(request, item, form)
                if correction is not None:
                    messages.success(
                        request,
                        _("The decision on %(reference)s is corrected: %(outcome)s.")
                        % {
                            "reference": dossier.reference,
                            "outcome": correction.get_outcome_display(),
                        },
                    )
                    return HttpResponseRedirect(record_url)
        return self._page(
            request,
            session,
            "correct.html",
            _("Correct the decision — %s") % dossier.reference,
            item=item,
            dossier=dossier,
            decision=decision,
            refusal=refusal,
            form=form,
            record_url=record_url,
        )

    @staticmethod
    def _correct(request, item: AgendaItem, form) -> JuryDecision | None:
        """The correction of the decision the page showed, or None with the refusal on the
        form (nothing written). A decision corrected meanwhile (a second submission, another
        tab) is refused by the service rather than its correction corrected unseen."""
        data = form.cleaned_data
        shown = item.decisions.filter(pk=data["decision"]).first()
        if shown is None:
            form.add_error(None, _("The decision shown is not this dossier's: reload the page."))
            return None
        try:
            return services.decision_correct(
                decision=shown,
                outcome=data["outcome"],
                validated_unit_ids=data["units"],
                motivation=data["motivation"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return None
