"""The session's pages beside its form: planning, members, agenda, convocation, cancellation.

Each page shows a small form on GET; on POST it calls one service and turns its refusal into a
form error (nothing is written), or redirects to the session's page with a message. Another
branch's session is not found (404); a CPNEF member, who reads it, may not act (403).
"""

from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from candidates.models import Dossier, DossierStatus
from certifications.admin.history import person
from certifications.models import Branch, BranchMembership, Cqp, CqpStatus
from certifications.permissions import is_branch_staff, staff_branch_ids
from cqp.errors import DomainError

from .. import services
from ..lifecycles import SESSION_LIFECYCLE
from ..models import JuryMember, JurySession
from .forms import AgendaAddForm, CommentForm, ConfirmForm, MemberAddForm, SessionForm

# CQPs a session may deliberate on: those that have (or had) dossiers.
SESSION_CQP_STATUSES = (CqpStatus.APPROVED, CqpStatus.SUSPENDED)


@dataclass(frozen=True)
class SessionAction:
    """A lifecycle action staff take from the session page, and what its form asks."""

    service_name: str
    reason_label: str = ""  # a required reason, kept in the session's history
    intro: str = ""
    danger: bool = False

    def call(self, session, actor, reason):
        service = getattr(services, self.service_name)
        if self.reason_label:
            return service(session=session, actor=actor, comment=reason)
        return service(session=session, actor=actor)


STAFF_ACTIONS = {
    "convene": SessionAction(
        "session_convene",
        intro=gettext_lazy(
            "Each member receives an e-mail with the session's details and a calendar "
            "invitation; each candidate on the agenda is told the date."
        ),
    ),
    "cancel": SessionAction(
        "session_cancel",
        reason_label=gettext_lazy("Reason for cancelling"),
        intro=gettext_lazy(
            "The dossiers on the agenda leave it and are ready for another session."
        ),
        danger=True,
    ),
}


class SessionPagesMixin:
    """The pages of `JurySessionAdmin` that act on a session, each through one service."""

    def may_act(self, request, session: JurySession) -> bool:
        return is_branch_staff(request.user, session.branch_id)

    # --- urls ----------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/action/<str:action>/",
                view(self.action_view),
                name="juries_jurysession_action",
            ),
            path(
                "<path:object_id>/members/add/",
                view(self.member_add_view),
                name="juries_jurysession_member_add",
            ),
            path(
                "<path:object_id>/members/<int:member_id>/remove/",
                view(self.member_remove_view),
                name="juries_jurysession_member_remove",
            ),
            path(
                "<path:object_id>/agenda/add/",
                view(self.agenda_add_view),
                name="juries_jurysession_agenda_add",
            ),
            path(
                "<path:object_id>/agenda/add-ready/<int:cqp_id>/",
                view(self.agenda_add_ready_view),
                name="juries_jurysession_agenda_add_ready",
            ),
            path(
                "<path:object_id>/agenda/<int:item_id>/remove/",
                view(self.agenda_remove_view),
                name="juries_jurysession_agenda_remove",
            ),
        ] + super().get_urls()

    # --- planning: the add page calls the service -------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        branches = Branch.objects.order_by("name")
        cqps = Cqp.objects.filter(status__in=SESSION_CQP_STATUSES).order_by("code", "title")
        if not request.user.is_superuser:
            ids = staff_branch_ids(request.user)
            branches = branches.filter(pk__in=ids)
            cqps = cqps.filter(branch__in=ids)
        form = SessionForm(
            request.POST if request.method == "POST" else None, branches=branches, cqps=cqps
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                session = services.session_create(
                    branch=data["branch"],
                    cqps=data["cqps"],
                    starts_at=data["starts_at"],
                    place=data["place"],
                    video_link=data["video_link"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Session planned for %(when)s. Seat its members and put dossiers on its "
                        "agenda, then convene the jury."
                    )
                    % {"when": self.when(session)},
                )
                return HttpResponseRedirect(self._change_url(session))
        return TemplateResponse(
            request,
            "admin/juries/jurysession/add.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Plan a jury session"),
                "form": form,
                "no_cqp": not form.fields["cqps"].queryset.exists(),
            },
        )

    # --- action pages --------------------------------------------------------------------------

    def _change_url(self, session) -> str:
        return reverse("admin:juries_jurysession_change", args=[session.pk])

    @staticmethod
    def _url(name, session, *args) -> str:
        return reverse(f"admin:juries_jurysession_{name}", args=[session.pk, *args])

    def _session_to_act_on(self, request, object_id) -> JurySession:
        """The session if the user acts on it: 404 outside their branches, 403 if read-only."""
        session = self.get_object(request, object_id)
        if session is None:
            raise Http404
        if not self.may_act(request, session):
            raise PermissionDenied
        return session

    def _page(self, request, session, template, title, **context):
        return TemplateResponse(
            request,
            f"admin/juries/jurysession/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": session,
                "title": title,
                "change_url": self._change_url(session),
                "status_label": session.get_status_display(),
                **context,
            },
        )

    def _confirm(
        self,
        request,
        session,
        *,
        action: str,
        form,
        run,
        done,
        title: str,
        submit: str,
        intro: str = "",
        details=None,
        danger: bool = False,
    ):
        """A confirmation page: GET shows the form, POST runs one service (all or nothing).

        `done` is the success message, or a function of what the service returned.
        """
        allowed = SESSION_LIFECYCLE.can(session.status, action)
        if allowed and request.method == "POST" and form.is_valid():
            try:
                result = run(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, done(result) if callable(done) else done)
                return HttpResponseRedirect(self._change_url(session))
        return self._page(
            request,
            session,
            "action.html",
            title,
            form=form,
            allowed=allowed,
            submit_label=submit,
            intro=intro,
            details=details or [],
            danger=danger,
        )

    def action_view(self, request, object_id, action):
        if action not in STAFF_ACTIONS:
            raise Http404
        session = self._session_to_act_on(request, object_id)
        staff_action = STAFF_ACTIONS[action]
        transition = SESSION_LIFECYCLE.get(action)
        data = request.POST if request.method == "POST" else None
        if staff_action.reason_label:
            form = CommentForm(data, label=staff_action.reason_label, required=True)
        else:
            form = ConfirmForm(data)
        details = []
        if action == "convene" and request.method == "GET":
            details = services.convene_problems(session)
        return self._confirm(
            request,
            session,
            action=action,
            form=form,
            run=lambda cleaned: staff_action.call(
                session, request.user, cleaned.get("comment", "")
            ),
            done=_("%(session)s: %(action)s — done.")
            % {"session": session, "action": transition.label},
            title=f"{transition.label} — {session}",
            submit=transition.label,
            intro=staff_action.intro,
            details=details,
            danger=staff_action.danger,
        )

    def member_add_view(self, request, object_id):
        session = self._session_to_act_on(request, object_id)
        form = MemberAddForm(
            request.POST if request.method == "POST" else None,
            people=self.known_people(session),
        )
        allowed = SESSION_LIFECYCLE.can(session.status, "change_members")
        if allowed and request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                member = services.member_add(
                    session=session,
                    user=data["user"],
                    college=data["college"],
                    role=data["role"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("%(person)s sits on the jury as %(college)s (%(role)s).")
                    % {
                        "person": person(member.user),
                        "college": member.get_college_display(),
                        "role": member.get_role_display(),
                    },
                )
                return HttpResponseRedirect(self._change_url(session))
        return self._page(
            request,
            session,
            "member_add.html",
            _("Add a member — %s") % session,
            form=form,
            allowed=allowed,
            problems=services.composition_problems(session),
        )

    @staticmethod
    def known_people(session: JurySession):
        """Active people of the branch (staff, CPNEF) and those who sat on its juries, not on
        this one yet: the branch's staff never browse every account of the platform."""
        branch_id = session.branch_id
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(pk__in=BranchMembership.objects.filter(branch_id=branch_id).values("user_id"))
                | Q(pk__in=JuryMember.objects.filter(session__branch_id=branch_id).values("user"))
            )
            .exclude(pk__in=session.members.values("user_id"))
            .order_by("last_name", "first_name", "email")
        )

    def member_remove_view(self, request, object_id, member_id):
        session = self._session_to_act_on(request, object_id)
        member = session.members.select_related("user").filter(pk=member_id).first()
        if member is None:
            raise Http404
        name = person(member.user)
        return self._confirm(
            request,
            session,
            action="change_members",
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            run=lambda cleaned: services.member_remove(member=member, actor=request.user),
            done=_("%(person)s no longer sits on the jury.") % {"person": name},
            title=_("Remove a member — %s") % session,
            submit=_("Remove from the jury"),
            intro=_("%(person)s, %(college)s (%(role)s), leaves the jury.")
            % {
                "person": name,
                "college": member.get_college_display(),
                "role": member.get_role_display(),
            },
            danger=True,
        )

    def ready_dossiers(self, session: JurySession):
        """Dossiers of the session's CQPs ready for the jury, oldest ready first."""
        return (
            Dossier.objects.filter(
                cqp__in=session.cqps.all(),
                cqp__branch_id=session.branch_id,
                status=DossierStatus.READY_FOR_JURY,
            )
            .select_related("candidate", "cqp")
            .order_by("cqp__code", "status_changed_at", "id")
        )

    def agenda_add_view(self, request, object_id):
        session = self._session_to_act_on(request, object_id)
        ready = self.ready_dossiers(session)
        form = AgendaAddForm(request.POST if request.method == "POST" else None, ready=ready)
        allowed = SESSION_LIFECYCLE.can(session.status, "change_agenda")
        if allowed and request.method == "POST" and form.is_valid():
            try:
                items = services.agenda_add(
                    session=session,
                    dossiers_to_add=form.cleaned_data["dossiers"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _added(len(items)))
                return HttpResponseRedirect(self._change_url(session))
        dossiers = list(ready) if allowed else []
        cqps = sorted(session.cqps.all(), key=lambda cqp: cqp.code)
        per_cqp = Counter(dossier.cqp_id for dossier in dossiers)
        return self._page(
            request,
            session,
            "agenda_add.html",
            _("Add dossiers — %s") % session,
            form=form,
            allowed=allowed,
            dossiers=dossiers,
            ticked={str(value) for value in (form["dossiers"].value() or [])},
            cqps=[
                (
                    cqp,
                    per_cqp.get(cqp.pk, 0),
                    self._url("agenda_add_ready", session, cqp.pk),
                )
                for cqp in cqps
            ],
        )

    def agenda_add_ready_view(self, request, object_id, cqp_id):
        session = self._session_to_act_on(request, object_id)
        cqp = session.cqps.filter(pk=cqp_id).first()
        if cqp is None:
            raise Http404
        count = self.ready_dossiers(session).filter(cqp=cqp).count()
        return self._confirm(
            request,
            session,
            action="change_agenda",
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            run=lambda cleaned: services.agenda_add_ready(
                session=session, cqp=cqp, actor=request.user
            ),
            done=lambda items: _added(len(items)),
            title=_("Add every ready dossier of %(cqp)s — %(session)s")
            % {"cqp": cqp.code, "session": session},
            submit=_("Add every ready dossier"),
            intro=ngettext(
                "%(count)d dossier of %(cqp)s is ready for the jury: it goes on the agenda.",
                "%(count)d dossiers of %(cqp)s are ready for the jury: they go on the agenda.",
                count,
            )
            % {"count": count, "cqp": cqp},
        )

    def agenda_remove_view(self, request, object_id, item_id):
        session = self._session_to_act_on(request, object_id)
        item = (
            session.agenda.select_related("dossier__candidate", "dossier__cqp")
            .filter(pk=item_id)
            .first()
        )
        if item is None:
            raise Http404
        dossier = item.dossier
        form = CommentForm(
            request.POST if request.method == "POST" else None,
            help_text=_("Kept in the dossier's history, which the candidate sees."),
        )
        return self._confirm(
            request,
            session,
            action="change_agenda",
            form=form,
            run=lambda cleaned: services.agenda_remove(
                item=item, actor=request.user, comment=cleaned["comment"]
            ),
            done=_("%(reference)s is off the agenda: it is ready for another session.")
            % {"reference": dossier.reference},
            title=_("Remove from the agenda — %s") % dossier.reference,
            submit=_("Remove from the agenda"),
            intro=_("The dossier %(reference)s of %(candidate)s (%(cqp)s) leaves the agenda.")
            % {"reference": dossier.reference, "candidate": dossier.candidate, "cqp": dossier.cqp},
            danger=True,
        )


def _added(count: int) -> str:
    return ngettext(
        "%(count)d dossier put on the agenda.", "%(count)d dossiers put on the agenda.", count
    ) % {"count": count}
