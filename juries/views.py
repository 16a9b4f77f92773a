"""The jury's pages: my sessions, a session with its agenda, a dossier as the jury studies it.

Every session and dossier is fetched through `permissions` (404 unless the user sits on the
session); pages read through `selectors`; each POST calls one service and turns its domain
error into a form error or a message.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from candidates import selectors as dossiers
from candidates.views import document_response
from cqp.errors import DomainError

from . import selectors, services
from .agenda_table import agenda_rows
from .forms import ConflictForm, DecisionForm, OpenDeliberationForm, VoteForm
from .models import JuryMinutes, Outcome, SessionStatus, Vote
from .permissions import get_item_for_member, get_session_for_member

S = SessionStatus


class SessionListView(LoginRequiredMixin, TemplateView):
    """The sessions I sit on: upcoming (convened, deliberating) and past (closed, cancelled)."""

    template_name = "juries/session_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.sits_on_a_jury(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seats = selectors.member_seats(self.request.user)
        upcoming = [s for s in seats if s.session.status in selectors.UPCOMING_STATUSES]
        past = [s for s in seats if s.session.status in selectors.PAST_STATUSES]
        past.reverse()  # the latest first
        context.update(upcoming=upcoming, past=past, S=S)
        return context


class MemberSessionMixin(LoginRequiredMixin):
    """A session the user sits on (else 404), with their seat."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.load(request.user, kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, user, kwargs) -> None:
        self.session = get_session_for_member(user, kwargs["pk"])
        self.seat = self.session.seat

    def back(self):
        return redirect("juries:session_detail", pk=self.session.pk)

    def refused(self, name: str, form):
        """The page again with the refused form, or, if the page no longer offers it (the
        session moved on meanwhile), back to the page with the form's errors as messages."""
        self.session.refresh_from_db()
        context = self.get_context_data(**{name: form})
        if context.get(name) is form:
            return self.render_to_response(context)
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return self.back()


def ready_minutes(session) -> JuryMinutes | None:
    minutes = JuryMinutes.objects.filter(session=session).first()
    return minutes if minutes is not None and minutes.is_ready else None


class SessionDetailView(MemberSessionMixin, TemplateView):
    """The session: details, members by college, the agenda with my votes and the decisions;
    for the president, opening the deliberation then closing the session."""

    template_name = "juries/session_detail.html"

    def get_context_data(self, open_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        session, seat = self.session, self.seat
        members = selectors.session_members(session)
        agenda = selectors.agenda_for_member(session, seat)
        president = seat.is_president
        can_open = president and session.status == S.CONVENED
        can_close = president and session.status == S.DELIBERATING
        if can_open and open_form is None:
            open_form = OpenDeliberationForm(members=members)
        context.update(
            session=session,
            seat=seat,
            is_president=president,
            members=members,
            presence_recorded=any(m.present is not None for m in members),
            cqps=session.cqps.order_by("code"),
            agenda=agenda,
            agenda_rows=agenda_rows(agenda, session, is_president=president),
            decided_count=sum(1 for item in agenda if item.decision_outcome),
            to_vote_count=sum(1 for item in agenda if item.vote_state == selectors.TO_VOTE),
            open_form=open_form if can_open else None,
            rules=services.rules_for(session.branch_id) if can_open else None,
            can_close=can_close,
            close_problems=services.close_problems(session) if can_close else [],
            minutes=ready_minutes(session) if session.status == S.CLOSED else None,
            S=S,
            VOTED=selectors.VOTED,
            TO_VOTE=selectors.TO_VOTE,
            CONFLICT=selectors.CONFLICT,
            EVALUATED=selectors.EVALUATED,
        )
        return context


class OpenDeliberationView(SessionDetailView):
    """The president records who is present and opens the deliberation (quorum checked)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = OpenDeliberationForm(request.POST, members=selectors.session_members(self.session))
        if form.is_valid():
            try:
                services.session_open_deliberation(
                    session=self.session, present_member_ids=form.present_ids(), actor=request.user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("The deliberation is open: the members present vote on each dossier."),
                )
                return self.back()
        return self.refused("open_form", form)


class CloseSessionView(MemberSessionMixin, View):
    """The president closes the session: the decisions become final."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            services.session_close(session=self.session, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "The session is closed: the decisions are final and each candidate is told "
                    "by e-mail."
                ),
            )
        return self.back()


class MemberItemMixin(MemberSessionMixin):
    """A dossier the member's session deliberates on (else 404), with the session and seat."""

    def load(self, user, kwargs) -> None:
        self.item = get_item_for_member(user, kwargs["pk"], kwargs["item_pk"])
        self.session = self.item.session
        self.seat = self.session.seat

    def back(self):
        return redirect("juries:item_detail", pk=self.session.pk, item_pk=self.item.pk)


class ItemDetailView(MemberItemMixin, TemplateView):
    """A dossier as the jury studies it: candidate, evaluation, pieces, units held; the
    member's vote and conflict forms; for the president, the tally and the decision."""

    template_name = "juries/item_detail.html"

    def get_context_data(self, vote_form=None, conflict_form=None, decision_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        item, session, seat = self.item, self.session, self.seat
        dossier = item.dossier
        deliberating = session.status == S.DELIBERATING
        president = seat.is_president
        positioning = dossiers.dossier_positioning(dossier)
        plan = dossiers.dossier_training_plan(dossier)
        conflict = selectors.member_conflict(item, self.request.user)
        # Excluded from the vote: a declared conflict, or having evaluated the dossier.
        excluded = services.conflicted_user_ids(item)
        evaluated = conflict is None and seat.user_id in excluded
        vote = selectors.member_vote(item, seat)
        can_vote = deliberating and bool(seat.present) and seat.user_id not in excluded
        if can_vote and vote_form is None:
            vote_form = VoteForm(units=services.units_to_judge(item), vote=vote)
        can_conflict = (
            session.status in (S.CONVENED, S.DELIBERATING) and conflict is None and item.active
        )
        if can_conflict and conflict_form is None:
            conflict_form = ConflictForm()
        decision = selectors.item_decision(item)
        tally = None
        if president and deliberating:
            if decision_form is None:
                decision_form = DecisionForm(tally=services.tally(item), decision=decision)
            tally = decision_form.tally
        previous, following = selectors.neighbour_items(item)
        context.update(
            session=session,
            seat=seat,
            is_president=president,
            item=item,
            dossier=dossier,
            candidate=dossier.candidate,
            documents=dossiers.dossier_documents(dossier),
            positioning=positioning,
            training_plan=plan,
            units=dossiers.dossier_referentiel_units(dossier, positioning=positioning, plan=plan),
            carried_over=selectors.carried_over_units(dossier),
            handover=selectors.evaluator_handover(dossier),
            conflict=conflict,
            evaluated=evaluated,
            vote=vote,
            vote_form=vote_form if can_vote else None,
            conflict_form=conflict_form if can_conflict else None,
            decision=decision,
            decision_form=decision_form if president and deliberating else None,
            tally=tally,
            proposals=tally_proposals(tally) if tally else [],
            yet_to_vote=selectors.members_yet_to_vote(item, excluded) if tally else [],
            comments=vote_comments(item) if tally else [],
            previous_item=previous,
            next_item=following,
            S=S,
        )
        return context


def tally_proposals(tally) -> list[tuple[str, int]]:
    """The proposals made, most frequent first, with their labels."""
    return [(Outcome(value).label, count) for value, count in tally.proposals.most_common()]


def vote_comments(item) -> list[Vote]:
    return list(
        Vote.objects.filter(item=item)
        .exclude(comment="")
        .select_related("member__user")
        .order_by("updated_at", "id")
    )


class DocumentDownloadView(MemberItemMixin, View):
    """A piece of a dossier the member's session deliberates on, as a private download."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        dossier = self.item.dossier
        document = get_object_or_404(dossier.documents, pk=kwargs["document_pk"])
        return document_response(request, document, dossier)


class ItemActionView(ItemDetailView):
    """A POST on the dossier calling one service; its refusal re-renders the page."""

    http_method_names = ["post"]


class VoteView(ItemActionView):
    def post(self, request, *args, **kwargs):
        form = VoteForm(request.POST, units=services.units_to_judge(self.item))
        if form.is_valid():
            try:
                services.vote_cast(
                    item=self.item,
                    proposal=form.cleaned_data["proposal"],
                    unit_votes=form.unit_votes(),
                    comment=form.cleaned_data["comment"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Your vote on the dossier %s is recorded; you may change it until the "
                        "session closes."
                    )
                    % self.item.dossier.reference,
                )
                return self.back()
        return self.refused("vote_form", form)


class ConflictView(ItemActionView):
    def post(self, request, *args, **kwargs):
        form = ConflictForm(request.POST)
        if form.is_valid():
            try:
                services.member_declare_conflict(
                    item=self.item, reason=form.cleaned_data["reason"], actor=request.user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Conflict of interest recorded: you do not vote on the dossier %s.")
                    % self.item.dossier.reference,
                )
                return self.back()
        return self.refused("conflict_form", form)


class DecisionView(ItemActionView):
    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST, tally=services.tally(self.item))
        if form.is_valid():
            try:
                services.decision_record(
                    item=self.item,
                    outcome=form.cleaned_data["outcome"],
                    validated_unit_ids=form.validated_unit_ids(),
                    motivation=form.cleaned_data["motivation"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Decision on the dossier %s recorded.") % self.item.dossier.reference
                )
                return self.back()
        return self.refused("decision_form", form)
