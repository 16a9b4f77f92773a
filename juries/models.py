"""Jury sessions of a branch: their members, their agenda (votes and decisions come next)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from candidates.models import Dossier
from certifications.models import Branch, Cqp
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
            "majority)."
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
                condition=Q(quorum_percent__lte=100), name="jury_rules_quorum_percent"
            ),
        ]

    def __str__(self):
        return str(self.branch)


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONVENED = "convened", _("Convened")
    DELIBERATING = "deliberating", _("Deliberating")
    CLOSED = "closed", _("Closed")
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
