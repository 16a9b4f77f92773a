"""What happens to one candidate: profile, dossiers and their events, pieces, acquired units."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certifications.models import (
    CompetenceUnit,
    Cqp,
    EvaluationCriterion,
    Habilitation,
    Referentiel,
    TrainingProvider,
)
from cqp.models import LifecycleEvent
from cqp.validators import search_key, validate_siret


class Candidate(models.Model):
    """A candidate's identity as printed on a certificate, contact details and situation."""

    class Situation(models.TextChoices):
        JOB_SEEKER = "job_seeker", _("Job seeker")
        INITIAL_TRAINING = "initial_training", _("Young person in initial training")
        EMPLOYEE = "employee", _("Employee")
        OTHER = "other", _("Other")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="candidate",
    )
    first_name = models.CharField(_("first names"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_place = models.CharField(_("birth place"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=150, blank=True)
    situation = models.CharField(
        _("situation"), max_length=20, choices=Situation.choices, blank=True
    )
    employer_name = models.CharField(_("employer"), max_length=255, blank=True)
    employer_siret = models.CharField(
        _("employer's SIRET"), max_length=14, blank=True, validators=[validate_siret]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    search_text = models.TextField(
        _("search key"),
        blank=True,
        editable=False,
        help_text=_("Names and e-mail address without accents, kept by the services."),
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["last_name", "first_name"]
        indexes = [
            # The admin's order: a page of candidates without sorting every row.
            models.Index(fields=["last_name", "first_name", "id"], name="candidate_by_name"),
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def email(self):
        return self.user.email

    def refresh_search_text(self) -> None:
        """What the admin's search reads (accent- and case-insensitive, trigram-indexed)."""
        self.search_text = search_key(self.last_name, self.first_name, self.user.email)

    @property
    def identity_is_complete(self) -> bool:
        """Everything a certificate prints is known."""
        return bool(self.first_name and self.last_name and self.birth_date and self.birth_place)


class DossierStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INCOMPLETE = "incomplete", _("Incomplete")
    ADMISSIBLE = "admissible", _("Admissible")
    INADMISSIBLE = "inadmissible", _("Inadmissible")
    POSITIONING = "positioning", _("Positioning")
    VAE = "vae", _("VAE pathway")
    TRAINING = "training", _("Training pathway")
    EVALUATION = "evaluation", _("Evaluation")
    READY_FOR_JURY = "ready_for_jury", _("Ready for the jury")
    IN_JURY = "in_jury", _("Before the jury")
    CERTIFIED = "certified", _("Certified")
    PARTIALLY_VALIDATED = "partially_validated", _("Partially validated")
    NOT_VALIDATED = "not_validated", _("Not validated")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ARCHIVED = "archived", _("Archived")


FINAL_DECISION_STATUSES = frozenset(
    {DossierStatus.CERTIFIED, DossierStatus.PARTIALLY_VALIDATED, DossierStatus.NOT_VALIDATED}
)
CLOSED_STATUSES = FINAL_DECISION_STATUSES | {
    DossierStatus.INADMISSIBLE,
    DossierStatus.WITHDRAWN,
    DossierStatus.ARCHIVED,
}
OPEN_STATUSES = frozenset(set(DossierStatus.values) - CLOSED_STATUSES)
# The states in which an evaluator is at work on the dossier (and owes it by a due date).
EVALUATOR_AT_WORK = frozenset(
    {DossierStatus.POSITIONING, DossierStatus.VAE, DossierStatus.TRAINING, DossierStatus.EVALUATION}
)


class Funding(models.TextChoices):
    CONTRAT_PRO = "contrat_pro", _("Contrat de professionnalisation")
    PDC = "pdc", _("Plan de développement des compétences")
    PRO_A = "pro_a", _("Pro-A")
    CPF = "cpf", _("CPF")
    PERSONAL = "personal", _("Personal funding")
    OTHER = "other", _("Other")


class Pathway(models.TextChoices):
    VAE = "vae", _("VAE")
    TRAINING = "training", _("Training")


class DossierQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Dossier(models.Model):
    """One candidate's path to one CQP, from opening to the jury's decision."""

    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="dossiers"
    )
    cqp = models.ForeignKey(
        Cqp, verbose_name=_("CQP"), on_delete=models.PROTECT, related_name="dossiers"
    )
    referentiel = models.ForeignKey(
        Referentiel,
        verbose_name=_("référentiel version"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        help_text=_("Pinned when the dossier opens: the candidate is assessed against it."),
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    funding = models.CharField(_("funding"), max_length=20, choices=Funding.choices)
    pathway = models.CharField(_("pathway"), max_length=10, choices=Pathway.choices, blank=True)
    vae_requested_on = models.DateField(
        _("VAE eligibility requested on"),
        null=True,
        blank=True,
        help_text=_("Counts for the yearly limits of R335-7."),
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_dossiers",
    )
    evaluator_due_on = models.DateField(
        _("evaluator's due date"),
        null=True,
        blank=True,
        help_text=_(
            "What the evaluator must have done by then: the positioning once assigned, the "
            "evaluation at the end of the training or of the VAE eligibility."
        ),
    )
    training_provider = models.ForeignKey(
        TrainingProvider,
        verbose_name=_("training provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous attempt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_attempts",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DossierStatus.choices, default=DossierStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    completeness_checked_at = models.DateTimeField(_("declared complete"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "cqp"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="dossier_one_open_per_candidate_and_cqp",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "cqp"]),
            models.Index(fields=["evaluator", "status"]),
            # The lists' order (newest first): a page of them without sorting every row.
            models.Index(fields=["-created_at", "-id"], name="dossier_newest_first"),
            # The evaluator's list: their dossiers by due date, a page without sorting them all.
            models.Index(
                fields=["evaluator", "evaluator_due_on", "reference"],
                name="dossier_evaluator_queue",
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.candidate} — {self.cqp.code}"

    def get_absolute_url(self):
        return reverse("candidates:dossier_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        """The evaluator's due date has passed while they still have work on the dossier."""
        return (
            self.status in EVALUATOR_AT_WORK
            and self.evaluator_due_on is not None
            and self.evaluator_due_on < today
        )


class DossierEvent(LifecycleEvent):
    """A step of the dossier: its audit trail and the candidate's timeline."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")

    class Meta(LifecycleEvent.Meta):
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")


def document_path(document, filename):
    """A stored name of our own: never the uploader's (path tricks, clashes, personal data)."""
    suffix = PurePath(filename).suffix.lower()
    return f"dossiers/{document.dossier_id}/{uuid.uuid4().hex}{suffix}"


class DossierDocument(models.Model):
    """A piece of the dossier (pièce justificative): PDF, PNG or JPEG, private."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity document")
        CV = "cv", _("CV")
        EMPLOYER_ATTESTATION = "employer_attestation", _("Employer attestation")
        TRAINING_CERTIFICATE = "training_certificate", _("Training certificates")
        VAE_BOOKLET = "vae_booklet", _("VAE booklet")
        OTHER = "other", _("Other")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("type"), max_length=30)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("piece")
        verbose_name_plural = _("pieces")
        ordering = ["kind", "uploaded_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.original_name}"

    def get_absolute_url(self):
        return reverse("candidates:document_download", args=[self.dossier_id, self.pk])


class AcquiredUnit(models.Model):
    """A unit the candidate holds for good, with the decision (dossier) and date that granted it."""

    candidate = models.ForeignKey(
        Candidate,
        verbose_name=_("candidate"),
        on_delete=models.PROTECT,
        related_name="acquired_units",
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("granted by the decision on"),
        on_delete=models.PROTECT,
        related_name="granted_units",
    )
    acquired_on = models.DateField(_("acquired on"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("acquired unit")
        verbose_name_plural = _("acquired units")
        ordering = ["acquired_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "unit"], name="acquired_unit_once"),
        ]

    def __str__(self):
        return f"{self.candidate} — {self.unit.code}"


class CarriedOverUnit(models.Model):
    """A unit of the dossier's version the candidate already holds: never assessed again."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="carried_over"
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    acquired = models.ForeignKey(
        AcquiredUnit,
        verbose_name=_("held as"),
        on_delete=models.PROTECT,
        related_name="carried_into",
    )

    class Meta:
        verbose_name = _("unit carried over")
        verbose_name_plural = _("units carried over")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "unit"], name="carried_over_once"),
        ]

    def __str__(self):
        return f"{self.dossier.reference} — {self.unit.code}"


class ConflictOfInterest(models.Model):
    """Someone who must not assess or judge a dossier (same employer, relative, ...)."""

    class Role(models.TextChoices):
        EVALUATOR = "evaluator", _("Evaluator")
        JURY_MEMBER = "jury_member", _("Jury member")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="conflicts"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        on_delete=models.PROTECT,
        related_name="declared_conflicts",
    )
    role = models.CharField(_("as"), max_length=20, choices=Role.choices)
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["declared_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "person"], name="conflict_declared_once"),
        ]

    def __str__(self):
        return f"{self.dossier.reference} — {self.person}"


class PositioningResult(models.TextChoices):
    ACQUIRED = "acquired", _("Acquired through experience")
    PARTLY = "partly", _("Partly acquired")
    NOT_YET = "not_yet", _("Not yet acquired")


class PositioningAssessment(models.Model):
    """The evaluator's positioning (bilan): each unit against experience, and the pathway.

    With a VAE recommendation it is also the VAE eligibility (recevabilité), dated
    `assessed_on` and valid until `eligibility_valid_until`.
    """

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="positioning"
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_on = models.DateField(_("assessed on"))
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Pathway.choices)
    justification = models.TextField(_("justification"))
    eligibility_valid_until = models.DateField(
        _("VAE eligibility valid until"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("positioning")
        verbose_name_plural = _("positionings")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        recommendation=Pathway.VAE,
                        eligibility_valid_until__gt=models.F("assessed_on"),
                    )
                    | Q(recommendation=Pathway.TRAINING, eligibility_valid_until__isnull=True)
                ),
                name="positioning_eligibility_with_vae_only",
            ),
        ]

    def __str__(self):
        return f"{self.dossier.reference} — {self.get_recommendation_display()}"

    def eligibility_is_valid_on(self, day) -> bool:
        return self.eligibility_valid_until is not None and day <= self.eligibility_valid_until


class PositioningUnit(models.Model):
    """One unit of the positioning: how much the candidate's experience already covers it."""

    positioning = models.ForeignKey(
        PositioningAssessment,
        verbose_name=_("positioning"),
        on_delete=models.CASCADE,
        related_name="units",
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("result"), max_length=10, choices=PositioningResult.choices)
    comment = models.TextField(_("comment"), blank=True)
    estimated_hours = models.PositiveSmallIntegerField(
        _("estimated training hours"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("unit positioning")
        verbose_name_plural = _("unit positionings")
        ordering = ["unit__order", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["positioning", "unit"], name="positioning_unit_once"),
        ]

    def __str__(self):
        return f"{self.unit.code} — {self.get_result_display()}"


class TrainingPlan(models.Model):
    """The training pathway: a habilitated provider, the units covered, dates and funding."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="training_plan"
    )
    provider = models.ForeignKey(
        TrainingProvider,
        verbose_name=_("training provider"),
        on_delete=models.PROTECT,
        related_name="training_plans",
    )
    habilitation = models.ForeignKey(
        Habilitation,
        verbose_name=_("habilitation"),
        on_delete=models.PROTECT,
        related_name="training_plans",
        help_text=_("The provider's habilitation covering the plan's dates when it was recorded."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    funding = models.CharField(_("funding"), max_length=20, choices=Funding.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="training_plan_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.dossier.reference} — {self.provider}"


class TrainingPlanUnit(models.Model):
    plan = models.ForeignKey(
        TrainingPlan,
        verbose_name=_("training plan"),
        on_delete=models.CASCADE,
        related_name="units",
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    hours = models.PositiveSmallIntegerField(_("hours"))

    class Meta:
        verbose_name = _("unit of the training plan")
        verbose_name_plural = _("units of the training plan")
        ordering = ["unit__order", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "unit"], name="training_plan_unit_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_plan_unit_hours"),
        ]

    def __str__(self):
        return f"{self.unit.code} — {self.hours} h"


class AssessmentModality(models.TextChoices):
    OBSERVATION = "observation", _("Observation in a work situation")
    PRACTICAL = "practical", _("Practical exercise (mise en situation)")
    INTERVIEW = "interview", _("Technical interview")
    CASE_STUDY = "case_study", _("Case study")
    WRITTEN = "written", _("Written test")
    PORTFOLIO = "portfolio", _("Review of the VAE booklet and evidence")
    OTHER = "other", _("Other")


class UnitAssessmentResult(models.TextChoices):
    VALIDATED = "validated", _("Validated")
    NOT_VALIDATED = "not_validated", _("Not validated")


class UnitAssessment(models.Model):
    """The evaluator's assessment of one unit still to acquire: criterion by criterion."""

    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        on_delete=models.CASCADE,
        related_name="unit_assessments",
    )
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_on = models.DateField(_("assessed on"))
    modality = models.CharField(_("modality"), max_length=20, choices=AssessmentModality.choices)
    result = models.CharField(_("result"), max_length=20, choices=UnitAssessmentResult.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("unit assessment")
        verbose_name_plural = _("unit assessments")
        ordering = ["unit__order", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "unit"], name="unit_assessed_once"),
        ]

    def __str__(self):
        return f"{self.dossier.reference} — {self.unit.code} — {self.get_result_display()}"

    @property
    def is_validated(self) -> bool:
        return self.result == UnitAssessmentResult.VALIDATED


class CriterionAssessment(models.Model):
    assessment = models.ForeignKey(
        UnitAssessment,
        verbose_name=_("unit assessment"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    criterion = models.ForeignKey(
        EvaluationCriterion,
        verbose_name=_("criterion"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    met = models.BooleanField(_("met"))

    class Meta:
        verbose_name = _("criterion assessed")
        verbose_name_plural = _("criteria assessed")
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="criterion_assessed_once"
            ),
        ]

    def __str__(self):
        return f"{self.criterion} — {self.met}"
