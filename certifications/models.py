"""The catalogue: branches, CQPs, référentiels, providers, habilitations, accreditations."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import get_image_dimensions
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqp.models import LifecycleEvent
from cqp.roles import Role
from cqp.validators import search_key, validate_siret

REGISTRY_NUMBER_RE = re.compile(r"^(RNCP|RS)\d{1,6}$")
LOGO_DIR = "branches/logos/"
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 16_000_000


def validate_logo_size(upload) -> None:
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is too large (2 MB at most)."), code="logo_size")
    # A small file may unpack to a huge bitmap (a decompression bomb) that every certificate's
    # rendering would then hold in memory: the header says how large, without unpacking.
    width, height = get_image_dimensions(upload)
    if width and height and width * height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo is too large (16 million pixels at most, e.g. 4000 × 4000)."),
            code="logo_pixels",
        )


class IdccConvention(models.Model):
    """A collective agreement (convention collective) identified by its IDCC code."""

    idcc = models.CharField(_("IDCC"), max_length=4, unique=True)
    label = models.TextField(_("label"))

    class Meta:
        verbose_name = _("collective agreement (IDCC)")
        verbose_name_plural = _("collective agreements (IDCC)")
        ordering = ["idcc"]

    def __str__(self):
        return f"{self.idcc} — {self.label}"


class Branch(models.Model):
    """A professional branch: owns CQPs, has a CPNEF, signs certificates."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    code = models.CharField(
        _("numbering code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$", _("2 to 8 capital letters or digits."))],
        help_text=_("Prefix of the branch's certificate numbers, e.g. IMMO."),
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    idcc_conventions = models.ManyToManyField(
        IdccConvention, verbose_name=_("collective agreements (IDCC)"), blank=True
    )
    cpnef_name = models.CharField(_("CPNEF name"), max_length=255, blank=True)
    address = models.TextField(_("address"), blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to=LOGO_DIR,
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"]), validate_logo_size],
        help_text=_("PNG or JPEG, 2 MB at most; printed on certificates."),
    )
    signatory_name = models.CharField(_("certificate signatory"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("professional branch")
        verbose_name_plural = _("professional branches")
        ordering = ["name"]

    def __str__(self):
        return self.name


class BranchMembership(models.Model):
    """A user's role in a branch: staff manage its catalogue, CPNEF members decide on projects."""

    class BranchRole(models.TextChoices):
        STAFF = Role.BRANCH_STAFF.value, Role.BRANCH_STAFF.label
        CPNEF = Role.CPNEF_MEMBER.value, Role.CPNEF_MEMBER.label

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="branch_memberships",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=BranchRole.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("branch membership")
        verbose_name_plural = _("branch memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "branch", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.branch}"


class CqpStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted to the CPNEF")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    ARCHIVED = "archived", _("Archived")


class Level(models.TextChoices):
    """Level of the European qualification framework (nomenclature 2019)."""

    NIV1 = "1", _("Level 1")
    NIV2 = "2", _("Level 2")
    NIV3 = "3", _("Level 3")
    NIV4 = "4", _("Level 4")
    NIV5 = "5", _("Level 5")
    NIV6 = "6", _("Level 6")
    NIV7 = "7", _("Level 7")
    NIV8 = "8", _("Level 8")


class CqpQuerySet(models.QuerySet):
    def open_to_candidates(self, on=None):
        """Approved, with a published référentiel and a registration still running."""
        on = on or timezone.localdate()
        return self.filter(
            Q(registration_end_date__isnull=True) | Q(registration_end_date__gte=on),
            status=CqpStatus.APPROVED,
            referentiels__status=ReferentielStatus.PUBLISHED,
        ).distinct()


class Cqp(models.Model):
    """A certificat de qualification professionnelle of a branch."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="cqps"
    )
    code = models.CharField(
        _("code"), max_length=30, help_text=_("The branch's short code, e.g. NI.")
    )
    title = models.CharField(_("title"), max_length=300)
    level = models.CharField(_("level"), max_length=1, choices=Level.choices, blank=True)
    registry_number = models.CharField(
        _("RNCP or RS number"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(REGISTRY_NUMBER_RE, _("Expected RNCPnnnnn or RSnnnn."))],
        help_text=_("Set once France Compétences has registered the CQP."),
    )
    nsf_codes = models.CharField(_("NSF codes"), max_length=200, blank=True)
    rome_codes = models.CharField(_("ROME codes"), max_length=200, blank=True)
    formacodes = models.CharField(_("Formacodes"), max_length=200, blank=True)
    registration_end_date = models.DateField(_("registration end date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    search_text = models.TextField(
        _("search key"),
        blank=True,
        editable=False,
        help_text=_("Code, title and number without accents, kept by the services."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CqpStatus.choices, default=CqpStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CqpQuerySet.as_manager()

    class Meta:
        verbose_name = _("CQP")
        verbose_name_plural = _("CQPs")
        ordering = ["branch__name", "title"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "code"], name="cqp_unique_code_in_branch"),
            models.UniqueConstraint(
                fields=["registry_number"],
                condition=~Q(registry_number=""),
                name="cqp_unique_registry_number",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def clean(self):
        super().clean()
        self.registry_number = (self.registry_number or "").strip().upper()

    def refresh_search_text(self) -> None:
        self.search_text = search_key(self.code, self.title, self.registry_number)

    @property
    def is_rncp(self):
        return self.registry_number.startswith("RNCP")

    def is_open_to_candidates(self, on=None):
        on = on or timezone.localdate()
        if self.status != CqpStatus.APPROVED:
            return False
        if self.registration_end_date and self.registration_end_date < on:
            return False
        return self.referentiels.filter(status=ReferentielStatus.PUBLISHED).exists()

    def current_referentiel(self):
        return self.referentiels.filter(status=ReferentielStatus.PUBLISHED).first()


class CqpEvent(LifecycleEvent):
    cqp = models.ForeignKey(Cqp, on_delete=models.CASCADE, related_name="events")

    class Meta(LifecycleEvent.Meta):
        verbose_name = _("CQP event")
        verbose_name_plural = _("CQP events")


class CpnefDecision(models.Model):
    """The CPNEF's decision on a CQP creation or revision project."""

    # A context of their own: in French an outcome reads as a noun ("Approbation"), while the
    # lifecycle's actions with the same English words are verbs ("Approuver").
    class Outcome(models.TextChoices):
        APPROVE = "approve", pgettext_lazy("CPNEF decision outcome", "Approve")
        REJECT = "reject", pgettext_lazy("CPNEF decision outcome", "Reject")
        REQUEST_CHANGES = (
            "request_changes",
            pgettext_lazy("CPNEF decision outcome", "Request changes"),
        )

    cqp = models.ForeignKey(
        Cqp, verbose_name=_("CQP"), on_delete=models.CASCADE, related_name="cpnef_decisions"
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    meeting_date = models.DateField(_("meeting date"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    minutes = models.FileField(_("minutes"), upload_to="cpnef/minutes/%Y/", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("CPNEF decision")
        verbose_name_plural = _("CPNEF decisions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_outcome_display()} — {self.cqp} ({self.meeting_date:%d/%m/%Y})"


class ReferentielStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Referentiel(models.Model):
    """One version of a CQP's référentiel; immutable once published."""

    cqp = models.ForeignKey(
        Cqp, verbose_name=_("CQP"), on_delete=models.CASCADE, related_name="referentiels"
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReferentielStatus.choices,
        default=ReferentielStatus.DRAFT,
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.TextField(
        _("source"), blank=True, help_text=_("Where the text comes from (agreement, fiche).")
    )
    content_hash = models.CharField(
        _("content fingerprint"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Set by the importer to detect a changed fiche."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("référentiel")
        verbose_name_plural = _("référentiels")
        ordering = ["cqp", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cqp", "version"], name="referentiel_unique_version"),
            models.UniqueConstraint(
                fields=["cqp"],
                condition=Q(status="published"),
                name="referentiel_one_published_per_cqp",
            ),
            models.UniqueConstraint(
                fields=["cqp"],
                condition=Q(status="draft"),
                name="referentiel_one_draft_per_cqp",
            ),
        ]

    def __str__(self):
        return _("%(cqp)s, version %(version)s") % {"cqp": self.cqp, "version": self.version}

    @property
    def is_editable(self):
        return self.status == ReferentielStatus.DRAFT


class ReferentielEvent(LifecycleEvent):
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="events")

    class Meta(LifecycleEvent.Meta):
        verbose_name = _("référentiel event")
        verbose_name_plural = _("référentiel events")


class CompetenceUnit(models.Model):
    """A bloc (unit) of competences; assessed and acquired as a whole."""

    referentiel = models.ForeignKey(
        Referentiel, verbose_name=_("référentiel"), on_delete=models.CASCADE, related_name="units"
    )
    code = models.CharField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    is_optional = models.BooleanField(_("optional"), default=False)
    evaluation_modalities = models.TextField(_("evaluation modalities"), blank=True)

    class Meta:
        verbose_name = _("competence unit")
        verbose_name_plural = _("competence units")
        ordering = ["referentiel", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referentiel", "code"], name="unit_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"


class Competence(models.Model):
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="competences"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.TextField(_("competence"))

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["unit", "order", "id"]

    def __str__(self):
        return self.text[:80]


class EvaluationCriterion(models.Model):
    unit = models.ForeignKey(
        CompetenceUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="criteria"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.TextField(_("criterion"))

    class Meta:
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["unit", "order", "id"]

    def __str__(self):
        return self.text[:80]


class UnitEquivalence(models.Model):
    """Declares that holding `from_unit` (older version) counts as holding `to_unit`."""

    from_unit = models.ForeignKey(
        CompetenceUnit,
        verbose_name=_("unit held"),
        on_delete=models.CASCADE,
        related_name="equivalences_out",
    )
    to_unit = models.ForeignKey(
        CompetenceUnit,
        verbose_name=_("counts as"),
        on_delete=models.CASCADE,
        related_name="equivalences_in",
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("declared"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit equivalence")
        verbose_name_plural = _("unit equivalences")
        constraints = [
            models.UniqueConstraint(fields=["from_unit", "to_unit"], name="equivalence_unique"),
            models.CheckConstraint(
                condition=~Q(from_unit=models.F("to_unit")), name="equivalence_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.from_unit} ≡ {self.to_unit}"


class TrainingProvider(models.Model):
    """A training organisation (organisme de formation), identified by its SIRET."""

    name = models.CharField(_("name"), max_length=255)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    nda = models.CharField(_("activity declaration number (NDA)"), max_length=20, blank=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    branches = models.ManyToManyField(
        Branch, verbose_name=_("branches"), related_name="training_providers", blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("training provider")
        verbose_name_plural = _("training providers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ValidityQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day
        )

    def valid_over(self, start, end):
        """Valid on every day from `start` to `end` inclusive."""
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=end), valid_from__lte=start
        )


class ValidityPeriod(models.Model):
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("The end of validity cannot be before its start.")}
            )

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Habilitation(ValidityPeriod):
    """A provider's authorisation by the branch to train for, or evaluate, a CQP."""

    class Scope(models.TextChoices):
        TRAIN = "train", _("Train")
        EVALUATE = "evaluate", _("Organise evaluations")
        TRAIN_AND_EVALUATE = "train_and_evaluate", _("Train and organise evaluations")

    provider = models.ForeignKey(
        TrainingProvider,
        verbose_name=_("training provider"),
        on_delete=models.CASCADE,
        related_name="habilitations",
    )
    cqp = models.ForeignKey(
        Cqp, verbose_name=_("CQP"), on_delete=models.CASCADE, related_name="habilitations"
    )
    scope = models.CharField(
        _("scope"), max_length=20, choices=Scope.choices, default=Scope.TRAIN_AND_EVALUATE
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        ordering = ["cqp", "provider", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="habilitation_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.provider} — {self.cqp}"

    @property
    def allows_training(self):
        return self.scope in (self.Scope.TRAIN, self.Scope.TRAIN_AND_EVALUATE)

    @property
    def allows_evaluation(self):
        return self.scope in (self.Scope.EVALUATE, self.Scope.TRAIN_AND_EVALUATE)


class EvaluatorAccreditation(ValidityPeriod):
    """A user's accreditation as external evaluator for a branch (all its CQPs, or some)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.CASCADE,
        related_name="evaluator_accreditations",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        related_name="evaluator_accreditations",
    )
    cqps = models.ManyToManyField(
        Cqp,
        verbose_name=_("CQPs"),
        blank=True,
        related_name="evaluator_accreditations",
        help_text=_("Leave empty for every CQP of the branch."),
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("evaluator accreditation")
        verbose_name_plural = _("evaluator accreditations")
        ordering = ["branch", "user", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="accreditation_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.branch}"

    def get_absolute_url(self):
        return reverse("certifications:my_accreditations")
