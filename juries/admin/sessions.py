"""Jury sessions for branch staff: the list, and the session's page with its members, agenda,
problems, actions, documents (once closed) and history.

The session itself is never edited through the admin's form (its date and place are read-only
once planned); every change is a page of its own (`pages.py`) that calls one service.
"""

from django.contrib import admin
from django.db.models import Case, F, OuterRef, When
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.admin.cqp import status_badge
from certifications.admin.history import EventInline, person
from certifications.admin.scoping import BranchScopedAdmin
from cqp.queries import count_subquery

from .. import selectors, services
from ..lifecycles import SESSION_LIFECYCLE
from ..models import AgendaItem, JuryDecision, JuryMember, JurySession, JurySessionEvent
from ..models import SessionStatus as S
from .decisions import DecisionPagesMixin
from .documents import SessionDocumentsMixin
from .pages import STAFF_ACTIONS, SessionPagesMixin

# Statuses whose agenda shows the votes and decisions (and links to each dossier's record).
DELIBERATED_STATUSES = frozenset({S.DELIBERATING, S.CLOSED})


class SessionCqpFilter(admin.RelatedOnlyFieldListFilter):
    """The CQPs of the listed sessions (no "none" choice: a session always has its CQPs)."""

    @property
    def include_empty_choice(self):
        return False


class JurySessionEventInline(EventInline):
    model = JurySessionEvent
    lifecycle = SESSION_LIFECYCLE


def _count(model, **filters):
    """The number of `model` rows of each session, as a subquery (no join on the list)."""
    return count_subquery(model.objects.filter(session=OuterRef("pk"), **filters), "session")


@admin.register(JurySession)
class JurySessionAdmin(
    SessionDocumentsMixin, DecisionPagesMixin, SessionPagesMixin, BranchScopedAdmin
):
    list_display = [
        "when",
        "branch",
        "cqp_codes",
        "where",
        "status_display",
        "member_count",
        "agenda_count",
    ]
    list_display_links = ["when"]
    list_filter = [
        "status",
        ("cqps", SessionCqpFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
    ]
    fieldsets = [
        (None, {"fields": ["branch", "cqps", "starts_at", "place", "video_link"]}),
        (
            gettext_lazy("Status"),
            {"fields": ["status_display", "status_changed_at", "created_by_name", "created_at"]},
        ),
    ]
    readonly_fields = [
        "branch",
        "cqps",
        "starts_at",
        "place",
        "video_link",
        "status_display",
        "status_changed_at",
        "created_by_name",
        "created_at",
    ]
    inlines = [JurySessionEventInline]
    change_form_template = "admin/juries/jurysession/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("branch", "created_by")
            .prefetch_related("cqps")
            .annotate(
                _member_count=_count(JuryMember),
                # Closing takes every dossier off the agenda: a closed session counts those
                # it decided (as `selectors.session_agenda` lists them).
                _agenda_count=Case(
                    When(
                        status=S.CLOSED,
                        then=count_subquery(
                            JuryDecision.objects.filter(
                                item__session=OuterRef("pk"), corrects__isnull=True
                            ),
                            "item__session",
                        ),
                    ),
                    default=_count(AgendaItem, active=True),
                ),
            )
        )

    def get_object(self, request, object_id, from_field=None):
        """Read once per request (the session page asks twice: for its context and its form)."""
        cache = request.__dict__.setdefault("_jury_sessions", {})
        if (object_id, from_field) not in cache:
            cache[object_id, from_field] = super().get_object(request, object_id, from_field)
        return cache[object_id, from_field]

    def get_ordering(self, request):
        """Upcoming sessions first, the nearest on top; then past ones, the latest on top."""
        upcoming_at = Case(When(starts_at__gte=timezone.now(), then=F("starts_at")))
        return [upcoming_at.asc(nulls_last=True), F("starts_at").desc()]

    # --- rights: staff act through the pages below, never through the form --------------------

    def has_change_permission(self, request, obj=None):
        return False  # planned once; members and agenda change through their own pages

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404  # outside the user's branches: as if it did not exist

    def _one_branch(self, request) -> bool:
        return not request.user.is_superuser and len(self.visible_branch_ids(request)) == 1

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self._one_branch(request):
            columns.remove("branch")  # one branch: the column would repeat its name
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._one_branch(request):
            filters = [f for f in filters if f != ("branch", admin.RelatedOnlyFieldListFilter)]
        return filters

    # --- columns -------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("date and time"), ordering="starts_at")
    def when(self, session):
        return date_format(timezone.localtime(session.starts_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=gettext_lazy("CQPs"))
    def cqp_codes(self, session):
        return ", ".join(sorted(cqp.code for cqp in session.cqps.all()))

    @admin.display(description=gettext_lazy("place"))
    def where(self, session):
        return session.place or _("By video")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, session):
        return status_badge(session.status, session.get_status_display())

    @admin.display(description=gettext_lazy("members"), ordering="_member_count")
    def member_count(self, session):
        return session._member_count

    @admin.display(description=gettext_lazy("dossiers on the agenda"), ordering="_agenda_count")
    def agenda_count(self, session):
        return session._agenda_count

    @admin.display(description=gettext_lazy("created by"))
    def created_by_name(self, session):
        return person(session.created_by)

    # --- the session page ----------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, object_id)
        if session is None:
            raise Http404
        extra_context = {**(extra_context or {}), **self.session_context(request, session)}
        return super().change_view(request, object_id, form_url, extra_context)

    def session_context(self, request, session: JurySession) -> dict:
        may_act = self.may_act(request, session)
        change_members = may_act and SESSION_LIFECYCLE.can(session.status, "change_members")
        change_agenda = may_act and SESSION_LIFECYCLE.can(session.status, "change_agenda")
        colleges = list(JuryMember.College.values)
        members = sorted(
            session.members.select_related("user"),
            key=lambda m: (not m.is_president, colleges.index(m.college), m.pk),
        )
        # The dossiers deliberated on: on the agenda, or decided once the session closed.
        items = selectors.staff_agenda(session)
        deliberated = session.status in DELIBERATED_STATUSES
        problems, problems_title = [], ""
        if SESSION_LIFECYCLE.can(session.status, "convene"):
            problems = services.convene_problems(session)
            problems_title = _("The jury cannot be convened yet:")
        elif SESSION_LIFECYCLE.can(session.status, "change_members"):
            problems = services.composition_problems(session)
            problems_title = _("The jury's composition is incomplete:")
        return {
            "session_actions": self.available_actions(request, session),
            "members": [
                (
                    member,
                    self._url("member_remove", session, member.pk) if change_members else None,
                )
                for member in members
            ],
            "agenda": [
                (item, self._url("agenda_remove", session, item.pk) if change_agenda else None)
                for item in items
            ],
            "deliberated": deliberated,  # the agenda shows votes, decisions, records
            "problems": problems,
            "problems_title": problems_title,
            "member_add_url": self._url("member_add", session) if change_members else None,
            "agenda_add_url": self._url("agenda_add", session) if change_agenda else None,
            **self.documents_context(request, session),
        }

    def available_actions(self, request, session: JurySession) -> list[dict]:
        """Buttons shown on the session page, for this user and this status."""
        if not self.may_act(request, session):
            return []
        return [
            {
                "action": transition.action,
                "label": transition.label,
                "url": self._url("action", session, transition.action),
            }
            for transition in SESSION_LIFECYCLE.actions_from(session.status)
            if transition.action in STAFF_ACTIONS
        ]
