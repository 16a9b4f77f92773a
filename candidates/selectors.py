"""Reads for the candidate's pages, each with a query count that does not grow with the rows."""

from django.db.models import QuerySet

from .lifecycles import DOSSIER_LIFECYCLE, step_label
from .models import AcquiredUnit, Candidate, Dossier, DossierEvent


def candidate_dossiers(candidate: Candidate) -> QuerySet[Dossier]:
    """The candidate's dossiers, newest first, with their CQP."""
    return (
        Dossier.objects.filter(candidate=candidate)
        .select_related("cqp")
        .order_by("-created_at", "-id")
    )


def dossier_timeline(dossier: Dossier) -> list[DossierEvent]:
    """The dossier's events, oldest first, each with `label` and `status_label` set."""
    events = list(dossier.events.order_by("created_at", "id"))
    for event in events:
        event.label = step_label(event.action)
        event.status_label = DOSSIER_LIFECYCLE.status_label(event.to_status)
    return events


def dossier_units(dossier: Dossier) -> list:
    """The units of the dossier's version, each with `acquired` (carried over or granted)."""
    held = set(dossier.carried_over.values_list("unit_id", flat=True))
    held |= set(dossier.granted_units.values_list("unit_id", flat=True))
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
