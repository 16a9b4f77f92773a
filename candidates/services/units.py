"""Units a candidate holds, and which of a version they hold through equivalences."""

from collections.abc import Iterable

from certifications.models import (
    CompetenceUnit,
    UnitEquivalence,
)

from ..models import (
    AcquiredUnit,
    Candidate,
)


def equivalent_units(units: Iterable[CompetenceUnit]) -> dict[int, int]:
    """Every unit reachable from `units` through declared equivalences: {unit id: held unit id}.

    Equivalences chain across versions (v1 → v2 → v3), so the walk follows them transitively.
    """
    reached = {unit.pk: unit.pk for unit in units}
    frontier = set(reached)
    while frontier:
        pairs = UnitEquivalence.objects.filter(from_unit__in=frontier).values_list(
            "from_unit_id", "to_unit_id"
        )
        frontier = set()
        for source, target in pairs:
            if target not in reached:
                reached[target] = reached[source]
                frontier.add(target)
    return reached


def units_held_for(candidate: Candidate, referentiel) -> dict[int, AcquiredUnit]:
    """The units of `referentiel` the candidate already holds: {unit id: acquired unit}."""
    acquired = {a.unit_id: a for a in candidate.acquired_units.select_related("unit")}
    if not acquired:
        return {}
    reachable = equivalent_units([a.unit for a in acquired.values()])
    unit_ids = set(referentiel.units.values_list("pk", flat=True))
    return {uid: acquired[held] for uid, held in reachable.items() if uid in unit_ids}
