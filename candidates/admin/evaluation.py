"""The evaluator's work as branch staff read it on the dossier page: read-only, never edited.

The positioning, the training plan, the unit assessments criterion by criterion and the
conflicts of interest, read through the selectors in a fixed number of queries.
"""

from dataclasses import dataclass, field

from .. import selectors, services
from ..models import ConflictOfInterest, Dossier, DossierStatus, PositioningAssessment, TrainingPlan


@dataclass
class EvaluationSections:
    positioning: PositioningAssessment | None
    plan: TrainingPlan | None
    assessments: list = field(default_factory=list)
    conflicts: list[ConflictOfInterest] = field(default_factory=list)
    missing_units: list = field(default_factory=list)  # required, still without an assessment

    def __bool__(self) -> bool:
        return bool(
            self.positioning
            or self.plan
            or self.assessments
            or self.conflicts
            or self.missing_units
        )


def evaluation_sections(dossier: Dossier) -> EvaluationSections:
    """What the evaluator recorded on `dossier`, in a fixed number of queries whatever the units.

    Each assessment carries `criteria_results`: (criterion, met) in the criteria's order.
    """
    positioning = selectors.dossier_positioning(dossier)
    plan = selectors.dossier_training_plan(dossier)
    assessments = selectors.dossier_assessments(dossier)  # with their `criteria_results`
    conflicts = list(dossier.conflicts.select_related("person").order_by("declared_at", "id"))
    missing = (
        services.units_missing_assessment(dossier)
        if dossier.status == DossierStatus.EVALUATION
        else []
    )
    return EvaluationSections(positioning, plan, assessments, conflicts, missing)
