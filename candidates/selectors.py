"""Reads for the candidate's and the evaluator's pages; query counts do not grow with rows."""

import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from certifications.models import CompetenceUnit, Cqp
from cqp.queries import count_subquery
from cqp.validators import search_key

from .lifecycles import DOSSIER_LIFECYCLE, PRIVATE_COMMENT_ACTIONS, WITH_EVALUATOR, step_label
from .models import (
    OPEN_STATUSES,
    AcquiredUnit,
    Candidate,
    CarriedOverUnit,
    ConflictOfInterest,
    Dossier,
    DossierDocument,
    DossierEvent,
    PositioningAssessment,
    PositioningUnit,
    TrainingPlan,
    TrainingPlanUnit,
    UnitAssessment,
)


def candidate_dossiers(candidate: Candidate) -> QuerySet[Dossier]:
    """The candidate's dossiers, newest first, with their CQP."""
    return (
        Dossier.objects.filter(candidate=candidate)
        .select_related("cqp")
        .order_by("-created_at", "-id")
    )


def dossier_timeline(dossier: Dossier, *, hide_private: bool = True) -> list[DossierEvent]:
    """The dossier's events, oldest first, each with `label` and `status_label` set.

    The comments kept within the branch (a conflict's reason, the evaluator's note when
    handing over to the jury) are blanked unless `hide_private` is False (branch members).
    """
    events = list(dossier.events.select_related("actor").order_by("created_at", "id"))
    for event in events:
        event.label = step_label(event.action)
        event.status_label = DOSSIER_LIFECYCLE.status_label(event.to_status)
        if hide_private and event.action in PRIVATE_COMMENT_ACTIONS:
            event.comment = ""
    return events


def dossier_units(dossier: Dossier) -> list:
    """The units of the dossier's version, each with `acquired` (carried over or granted)."""
    carried = dossier.carried_over.order_by().values_list("unit_id", flat=True)
    granted = dossier.granted_units.order_by().values_list("unit_id", flat=True)
    held = set(carried.union(granted))
    units = list(dossier.referentiel.units.order_by("order", "id"))
    for unit in units:
        unit.acquired = unit.pk in held
    return units


def dossier_documents(dossier: Dossier):
    return list(dossier.documents.order_by("kind", "uploaded_at", "id"))


def candidate_acquired_units(candidate: Candidate) -> QuerySet[AcquiredUnit]:
    """Every unit the candidate holds, across dossiers, with its CQP and version."""
    return candidate.acquired_units.select_related("unit__referentiel__cqp", "dossier").order_by(
        "acquired_on", "id"
    )


def assigned_dossiers(user) -> QuerySet[Dossier]:
    """The dossiers assigned to `user` as evaluator, most recently moved first."""
    return (
        Dossier.objects.filter(evaluator=user)
        .select_related("candidate", "cqp")
        .order_by("-status_changed_at", "-id")
    )


# The evaluator's due-date filters (their labels are in the form).
DUE_FILTERS = ("overdue", "week", "month", "none")


def filter_assigned_dossiers(
    user, *, status: str = "", cqp_id: int | None = None, due: str = ""
) -> QuerySet[Dossier]:
    """The evaluator's dossiers, filtered; open ones by default, by due date then reference.

    `status`: one status, "closed" for every closed one, "" for every open one; `due`: one of
    `DUE_FILTERS` ("overdue", due within a "week" or a "month", "none").
    """
    dossiers = Dossier.objects.filter(evaluator=user).select_related("candidate", "cqp")
    if status == "closed":
        dossiers = dossiers.exclude(status__in=OPEN_STATUSES)
    elif status:
        dossiers = dossiers.filter(status=status)
    else:
        dossiers = dossiers.filter(status__in=OPEN_STATUSES)
    if cqp_id:
        dossiers = dossiers.filter(cqp_id=cqp_id)
    today = timezone.localdate()
    if due in ("overdue", "week", "month"):
        # A due date binds the evaluator only while they are at work on the dossier.
        dossiers = dossiers.filter(status__in=WITH_EVALUATOR)
    if due == "overdue":
        dossiers = dossiers.filter(evaluator_due_on__lt=today)
    elif due in ("week", "month"):
        horizon = today + datetime.timedelta(days=7 if due == "week" else 31)
        dossiers = dossiers.filter(evaluator_due_on__range=(today, horizon))
    elif due == "none":
        dossiers = dossiers.filter(evaluator_due_on__isnull=True)
    return dossiers.order_by(F("evaluator_due_on").asc(nulls_last=True), "reference")


PROGRESS_FIELDS = (
    "required_count",
    "carried_required_count",
    "done_count",
    "has_booklet",
    "has_plan",
)


def add_evaluator_progress(dossiers: list[Dossier]) -> None:
    """Set `with_evaluator_progress`'s figures on a page of dossiers, in one query.

    Computed for the page's rows only: annotated on the whole list, PostgreSQL hashes every
    VAE booklet and training plan of the database before the LIMIT (130 ms at 150,000
    dossiers, against a few here).
    """
    progress = {
        row["pk"]: row
        for row in with_evaluator_progress(
            Dossier.objects.filter(pk__in=[d.pk for d in dossiers])
        ).values("pk", *PROGRESS_FIELDS)
    }
    for dossier in dossiers:
        for name in PROGRESS_FIELDS:
            setattr(dossier, name, progress[dossier.pk][name])


def with_evaluator_progress(dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """Annotate what the evaluator's list needs to say the next step.

    `required_count`: required units of the version; `carried_required_count`: those already
    held (not assessed); `done_count`: assessments of required units that count (not made by
    an evaluator who then declared a conflict of interest on the dossier).
    """
    by_conflicted_evaluator = ConflictOfInterest.objects.filter(
        dossier_id=OuterRef("dossier_id"), person_id=OuterRef("evaluator_id")
    )
    return dossiers.annotate(
        required_count=count_subquery(
            CompetenceUnit.objects.filter(
                referentiel=OuterRef("referentiel_id"), is_optional=False
            ),
            "referentiel",
        ),
        carried_required_count=count_subquery(
            CarriedOverUnit.objects.filter(dossier=OuterRef("pk"), unit__is_optional=False),
            "dossier",
        ),
        done_count=count_subquery(
            UnitAssessment.objects.filter(dossier=OuterRef("pk"), unit__is_optional=False).filter(
                ~Exists(by_conflicted_evaluator)
            ),
            "dossier",
        ),
        has_booklet=Exists(
            DossierDocument.objects.filter(
                dossier=OuterRef("pk"), kind=DossierDocument.Kind.VAE_BOOKLET
            )
        ),
        has_plan=Exists(TrainingPlan.objects.filter(dossier=OuterRef("pk"))),
    )


def assigned_status_counts(user) -> dict[str, int]:
    """How many dossiers assigned to `user` sit in each status (one query)."""
    rows = (
        Dossier.objects.filter(evaluator=user)
        .values_list("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    return dict(rows)


def assigned_cqps(user):
    """The CQPs of the dossiers assigned to `user`, for the list's filter."""
    assigned = Dossier.objects.filter(evaluator=user).values("cqp_id")
    return Cqp.objects.filter(pk__in=assigned).order_by("code", "id")


_UNREAD = object()


def dossier_referentiel_units(
    dossier: Dossier, *, positioning=_UNREAD, plan=_UNREAD
) -> list[CompetenceUnit]:
    """The units of the dossier's version with competences and criteria, in a fixed number
    of queries (fewer when the caller passes the positioning and plan it already read).

    Each unit carries `carried_over` (held already: not assessed), `positioned` (its line of
    the positioning or None), `planned_hours` (training plan) and `assessment` (or None, with
    its criteria results as `assessment.met` {criterion id: bool}).
    """
    units = list(
        dossier.referentiel.units.order_by("order", "id").prefetch_related(
            "competences", "criteria"
        )
    )
    carried = set(dossier.carried_over.values_list("unit_id", flat=True))
    if positioning is _UNREAD:  # callers that show the positioning pass it, read once
        positioning = dossier_positioning(dossier)
    if plan is _UNREAD:
        plan = dossier_training_plan(dossier)
    positioned = {line.unit_id: line for line in positioning.units.all()} if positioning else {}
    planned = {line.unit_id: line.hours for line in plan.units.all()} if plan else {}
    assessments = {a.unit_id: a for a in dossier_assessments(dossier)}
    for unit in units:
        unit.carried_over = unit.pk in carried
        unit.positioned = positioned.get(unit.pk)
        unit.planned_hours = planned.get(unit.pk)
        unit.assessment = assessments.get(unit.pk)
    return units


def dossier_positioning(dossier: Dossier) -> PositioningAssessment | None:
    """The positioning with its unit lines (prefetched) and evaluator, or None."""
    return (
        PositioningAssessment.objects.filter(dossier=dossier)
        .select_related("evaluator")
        # The lines with their unit in one query (a plain "units__unit" takes two).
        .prefetch_related(Prefetch("units", PositioningUnit.objects.select_related("unit")))
        .first()
    )


def dossier_training_plan(dossier: Dossier) -> TrainingPlan | None:
    """The training plan with its provider and unit lines (prefetched), or None."""
    plan = (
        TrainingPlan.objects.filter(dossier=dossier)
        .select_related("provider", "recorded_by")
        .prefetch_related(Prefetch("units", TrainingPlanUnit.objects.select_related("unit")))
        .first()
    )
    if plan is not None:
        plan.total_hours = sum(line.hours for line in plan.units.all())
    return plan


def dossier_assessments(dossier: Dossier) -> list[UnitAssessment]:
    """The unit assessments in unit order, in a fixed number of queries.

    Each carries `met` {criterion id: bool}, `criteria_results` [(criterion, met or None)] in
    the criteria's order, and `by_conflicted_evaluator` (made by an evaluator who then
    declared a conflict of interest: it no longer counts, the unit is to be assessed again).
    """
    assessments = list(
        dossier.unit_assessments.select_related("unit", "evaluator")
        .prefetch_related("criteria", "unit__criteria")
        .order_by("unit__order", "unit_id")
    )
    conflicted = set(dossier.conflicts.values_list("person_id", flat=True)) if assessments else ()
    for assessment in assessments:
        assessment.met = {line.criterion_id: line.met for line in assessment.criteria.all()}
        assessment.criteria_results = [
            (criterion, assessment.met.get(criterion.pk))
            for criterion in assessment.unit.criteria.all()
        ]
        assessment.by_conflicted_evaluator = assessment.evaluator_id in conflicted
    return assessments


def counted_assessments(dossier: Dossier) -> QuerySet[UnitAssessment]:
    """The dossier's unit assessments that count: not made by an evaluator in conflict."""
    return dossier.unit_assessments.exclude(evaluator_id__in=dossier.conflicts.values("person_id"))


def search_words(term: str) -> list[str]:
    """The words of a search as the search keys hold them (no accents, lower case)."""
    return search_key(term).split()


def candidates_matching(queryset: QuerySet[Candidate], term: str) -> QuerySet[Candidate]:
    """Candidates whose names or e-mail address contain every word typed, accents aside
    (a trigram index serves it on PostgreSQL)."""
    for word in search_words(term):
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def dossiers_matching(queryset: QuerySet[Dossier], term: str) -> QuerySet[Dossier]:
    """Dossiers whose reference, or candidate's names or e-mail address, contain every word."""
    for word in search_words(term):
        queryset = queryset.filter(
            Q(reference__contains=word.upper())
            | Q(candidate__in=Candidate.objects.filter(search_text__contains=word))
        )
    return queryset
