"""Jury sessions of a branch: members, agenda, votes and the decisions they lead to."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from candidates.models import Dossier
from certifications.models import Branch, CompetenceUnit, Cqp
from cqp.models import LifecycleEvent


class JuryRules(models.Model):
    """A branch's quorum rule for its juries (without a row: the default rule)."""

    branch = models.OneToOneField(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="jury_rules"
    )
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (% of the members present)"),
        default=50,
        help_text=_(
            "Deliberation opens when more than this share of the members are present (50: a "
            "majority; 99 at most, since more than all of them can never be present)."
        ),
    )
    both_colleges_required = models.BooleanField(
        _("both colleges present"),
        default=True,
        help_text=_("At least one employer and one employee representative present."),
    )

    class Meta:
        verbose_name = _("jury rules")
        verbose_name_plural = _("jury rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__lte=99), name="jury_rules_quorum_below_100"
            ),
        ]

    def __str__(self):
        return str(self.branch)


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONVENED = "convened", _("Convened")
    DELIBERATING = "deliberating", _("Deliberating")
    CLOSED = "closed", pgettext_lazy("jury session", "Closed")
    CANCELLED = "cancelled", _("Cancelled")


# A session still to hold: its agenda may change (a dossier sits on one of them at a time).
OPEN_SESSION_STATUSES = frozenset({SessionStatus.PLANNED, SessionStatus.CONVENED})


class JurySession(models.Model):
    """A meeting of the branch's jury on dossiers of one or more CQPs."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="jury_sessions"
    )
    cqps = models.ManyToManyField(Cqp, verbose_name=_("CQPs"), related_name="jury_sessions")
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("jury session")
        verbose_name_plural = _("jury sessions")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["branch", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(place="", video_link=""), name="jury_session_place_or_link"
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.starts_at).strftime("%d/%m/%Y %H:%M")
        return f"{self.branch} — {when}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SESSION_STATUSES


class JurySessionEvent(LifecycleEvent):
    session = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="events")

    class Meta(LifecycleEvent.Meta):
        verbose_name = _("jury session event")
        verbose_name_plural = _("jury session events")


class JuryMember(models.Model):
    """A person sitting on a session, for a college; one of them presides."""

    class College(models.TextChoices):
        EMPLOYER = "employer", _("Employer representative")
        EMPLOYEE = "employee", _("Employee representative")
        EXPERT = "expert", _("Expert")

    class Role(models.TextChoices):
        PRESIDENT = "president", _("President")
        MEMBER = "member", _("Member")

    session = models.ForeignKey(
        JurySession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="jury_seats",
    )
    college = models.CharField(_("college"), max_length=20, choices=College.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    present = models.BooleanField(
        _("present"), null=True, blank=True, help_text=_("Recorded when deliberation opens.")
    )

    class Meta:
        verbose_name = _("jury member")
        verbose_name_plural = _("jury members")
        ordering = ["session", "role", "college", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="jury_member_once"),
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(role="president"),
                name="jury_one_president",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_college_display()}"

    @property
    def is_president(self) -> bool:
        return self.role == self.Role.PRESIDENT


class AgendaItem(models.Model):
    """A dossier on a session's agenda; `active` while it may still be decided there."""

    session = models.ForeignKey(
        JurySession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="agenda"
    )
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="agenda_items"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(
        _("on the agenda"),
        default=True,
        help_text=_("Off once removed, or once the session is cancelled."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["session", "order", "id"]
        constraints = [
            # A dossier sits on one session at a time (and once on each).
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(active=True), name="agenda_one_active_per_dossier"
            ),
            models.UniqueConstraint(fields=["session", "dossier"], name="agenda_dossier_once"),
        ]

    def __str__(self):
        return f"{self.session} — {self.dossier.reference}"


class Outcome(models.TextChoices):
    """What the jury decides on a dossier (and what a member proposes)."""

    CERTIFIED = "certified", _("Certified")
    PARTIALLY_VALIDATED = "partially_validated", _("Partially validated")
    NOT_VALIDATED = "not_validated", _("Not validated")
    ABSENT = "absent", _("Absent")
    DEFERRED = "deferred", _("Deferred")


# Outcomes that judge the units (the others send the dossier to a later session).
JUDGING_OUTCOMES = frozenset(
    {Outcome.CERTIFIED, Outcome.PARTIALLY_VALIDATED, Outcome.NOT_VALIDATED}
)
# Outcomes that need a motivation (Code du travail: refusals and partial validations).
REASONED_OUTCOMES = frozenset({Outcome.PARTIALLY_VALIDATED, Outcome.NOT_VALIDATED})


class Vote(models.Model):
    """One member's vote on one dossier: per unit, and an overall proposal (changeable until
    the session closes)."""

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        JuryMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="votes"
    )
    proposal = models.CharField(_("proposal"), max_length=20, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("cast"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["item", "member"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="vote_once_per_member"),
        ]

    def __str__(self):
        return f"{self.item} — {self.member}"


class UnitVote(models.Model):
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    validate = models.BooleanField(_("validate"))

    class Meta:
        verbose_name = _("vote on a unit")
        verbose_name_plural = _("votes on units")
        constraints = [
            models.UniqueConstraint(fields=["vote", "unit"], name="unit_vote_once"),
        ]

    def __str__(self):
        return f"{self.unit.code}: {self.validate}"


class JuryDecision(models.Model):
    """The jury's decision on a dossier, recorded by the president; final once the session
    closes. A correction by branch staff is a new decision that `corrects` the old one."""

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    motivation = models.TextField(_("motivation"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("recorded"), default=timezone.now)
    final_at = models.DateTimeField(_("final since"), null=True, blank=True)
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction",
    )

    class Meta:
        verbose_name = _("jury decision")
        verbose_name_plural = _("jury decisions")
        ordering = ["item", "decided_at", "id"]
        constraints = [
            # The jury's own decision: one per dossier of the agenda (corrections aside).
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(corrects__isnull=True),
                name="jury_decision_once_per_item",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=sorted(REASONED_OUTCOMES), motivation=""),
                name="jury_decision_reasoned",
            ),
        ]

    def __str__(self):
        return f"{self.item} — {self.get_outcome_display()}"

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


class DecisionUnit(models.Model):
    """A unit the decision judged: validated or not."""

    decision = models.ForeignKey(
        JuryDecision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    validated = models.BooleanField(_("validated"))

    class Meta:
        verbose_name = _("unit decided")
        verbose_name_plural = _("units decided")
        constraints = [
            models.UniqueConstraint(fields=["decision", "unit"], name="decision_unit_once"),
        ]

    def __str__(self):
        return f"{self.unit.code}: {self.validated}"


# The documents decisions produce live in their own module; imported here so that Django
# registers them with the app.
from .documents.models import (  # noqa: E402, F401
    Certificate,
    CertificateCounter,
    CertificateEvent,
    DocumentStatus,
    JuryMinutes,
)
