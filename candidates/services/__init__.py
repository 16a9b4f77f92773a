"""Every write about a candidate: account, profile, dossiers and their steps, pieces, units.

Split by who acts: `accounts` (the candidate's account and profile), `dossiers` (the candidate's
and the branch staff's steps), `pathway` (the evaluator's positioning, VAE and training plan),
`assessments` (the evaluator's unit assessments, readiness and conflicts of interest),
`decisions` (the jury's, called by the juries app), `pieces` (uploads), `units` (acquired units
and carry-over).
"""

from cqp.errors import DomainError

from .accounts import (
    PROFILE_FIELDS,
    candidate_confirm_email,
    candidate_invite,
    candidate_register,
    candidate_update_profile,
    is_unconfirmed_candidate,
)
from .anonymisation import (
    anonymisation_refusal,
    candidate_anonymise,
    may_anonymise,
    retention_ends_on,
)
from .assessments import (
    dossier_declare_conflict,
    dossier_declare_ready,
    unit_assessment_save,
    units_missing_assessment,
)
from .decisions import (
    CORRECTION_ACTIONS,
    DECISION_ACTIONS,
    dossier_correct_decision,
    dossier_put_on_agenda,
    dossier_record_decision,
    dossier_remove_from_agenda,
)
from .dossiers import (
    POSITIONING_DELAY,
    accreditation_valid_for,
    dossier_archive,
    dossier_assign_evaluator,
    dossier_declare_admissible,
    dossier_declare_complete,
    dossier_declare_inadmissible,
    dossier_declare_incomplete,
    dossier_open,
    dossier_reassign_evaluator,
    dossier_resubmit,
    dossier_submit,
    dossier_withdraw,
)
from .pathway import (
    MAX_ELIGIBILITY_YEARS,
    MAX_TRAINING_YEARS,
    MAX_UNIT_HOURS,
    VAE_CERTIFICATIONS_PER_YEAR,
    VAE_ELIGIBILITY_YEARS,
    UnitPositioning,
    dossier_start_evaluation,
    evaluation_start_problems,
    positioning_record,
    training_habilitation,
    training_plan_save,
    units_to_acquire,
    vae_quota_problem,
    years_later,
)
from .pieces import document_delete, document_replace, document_upload
from .units import equivalent_units, units_held_for

__all__ = [
    "anonymisation_refusal",
    "candidate_anonymise",
    "may_anonymise",
    "retention_ends_on",
    "CORRECTION_ACTIONS",
    "DECISION_ACTIONS",
    "dossier_correct_decision",
    "MAX_ELIGIBILITY_YEARS",
    "MAX_TRAINING_YEARS",
    "MAX_UNIT_HOURS",
    "VAE_ELIGIBILITY_YEARS",
    "evaluation_start_problems",
    "years_later",
    "POSITIONING_DELAY",
    "UnitPositioning",
    "dossier_declare_conflict",
    "positioning_record",
    "training_habilitation",
    "training_plan_save",
    "unit_assessment_save",
    "units_missing_assessment",
    "units_to_acquire",
    "PROFILE_FIELDS",
    "VAE_CERTIFICATIONS_PER_YEAR",
    "DomainError",
    "accreditation_valid_for",
    "candidate_confirm_email",
    "candidate_invite",
    "candidate_register",
    "candidate_update_profile",
    "document_delete",
    "document_replace",
    "document_upload",
    "dossier_archive",
    "dossier_assign_evaluator",
    "dossier_declare_admissible",
    "dossier_declare_complete",
    "dossier_declare_inadmissible",
    "dossier_declare_incomplete",
    "dossier_declare_ready",
    "dossier_open",
    "dossier_put_on_agenda",
    "dossier_reassign_evaluator",
    "dossier_record_decision",
    "dossier_remove_from_agenda",
    "dossier_resubmit",
    "dossier_start_evaluation",
    "dossier_submit",
    "dossier_withdraw",
    "equivalent_units",
    "is_unconfirmed_candidate",
    "units_held_for",
    "vae_quota_problem",
]
