"""The dossier's one lifecycle: every step from opening to the jury's decision.

Later issues act on this same table (the evaluator's pathway and assessments, the jury's
decisions); the actions are defined here once, with who may take them.
"""

from django.utils.translation import gettext_lazy as _

from cqp.lifecycle import Lifecycle, Transition

from .models import (
    EVALUATOR_AT_WORK,
    FINAL_DECISION_STATUSES,
    OPEN_STATUSES,
    Dossier,
    DossierEvent,
    DossierStatus,
)

S = DossierStatus
# Pieces are added, replaced or deleted while the candidate prepares or completes the dossier
# (and the VAE booklet during the VAE pathway).
PIECES_EDITABLE = frozenset({S.DRAFT, S.INCOMPLETE, S.VAE})

# The candidate may withdraw from any open state (the jury then records the withdrawal).
WITHDRAWABLE = OPEN_STATUSES
WITH_EVALUATOR = EVALUATOR_AT_WORK

DOSSIER_LIFECYCLE = Lifecycle(
    model=Dossier,
    event_model=DossierEvent,
    subject_field="dossier",
    transitions=[
        # candidate
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, _("Submit the dossier")),
        Transition(
            "resubmit", frozenset({S.INCOMPLETE}), S.SUBMITTED, _("Send the completed dossier")
        ),
        Transition("withdraw", WITHDRAWABLE, S.WITHDRAWN, _("Withdraw")),
        # branch staff: admissibility
        Transition(
            "declare_complete", frozenset({S.SUBMITTED}), S.SUBMITTED, _("Declare complete")
        ),
        Transition(
            "declare_incomplete", frozenset({S.SUBMITTED}), S.INCOMPLETE, _("Declare incomplete")
        ),
        Transition(
            "declare_admissible", frozenset({S.SUBMITTED}), S.ADMISSIBLE, _("Declare admissible")
        ),
        Transition(
            "declare_inadmissible",
            frozenset({S.SUBMITTED}),
            S.INADMISSIBLE,
            _("Declare inadmissible"),
        ),
        Transition(
            "assign_evaluator", frozenset({S.ADMISSIBLE}), S.POSITIONING, _("Assign an evaluator")
        ),
        Transition(
            "reassign_evaluator",
            WITH_EVALUATOR,
            None,  # the status stays; the positioning and assessments already made stay too
            _("Assign another evaluator"),
        ),
        Transition("archive", OPEN_STATUSES, S.ARCHIVED, _("Archive")),
        # evaluator: recording the positioning takes one of the two pathways
        Transition("choose_vae", frozenset({S.POSITIONING}), S.VAE, _("Orient towards the VAE")),
        Transition(
            "choose_training", frozenset({S.POSITIONING}), S.TRAINING, _("Orient towards training")
        ),
        Transition("plan_training", frozenset({S.TRAINING}), None, _("Record the training plan")),
        Transition(
            "start_evaluation",
            frozenset({S.VAE, S.TRAINING}),
            S.EVALUATION,
            _("Start the evaluation"),
        ),
        Transition("assess_unit", frozenset({S.EVALUATION}), None, _("Assess a unit")),
        Transition(
            "declare_ready",
            frozenset({S.EVALUATION}),
            S.READY_FOR_JURY,
            _("Declare ready for the jury"),
        ),
        # the evaluator steps aside; the dossier waits for staff to assign another evaluator
        Transition("declare_conflict", WITH_EVALUATOR, None, _("Declare a conflict of interest")),
        Transition("add_piece", PIECES_EDITABLE, None, _("Add a piece")),
        Transition("replace_piece", PIECES_EDITABLE, None, _("Replace a piece")),
        Transition("delete_piece", PIECES_EDITABLE, None, _("Delete a piece")),
        # system: data minimisation once the decision is final
        Transition("erase_identity", FINAL_DECISION_STATUSES, None, _("Delete the identity piece")),
        # jury (sessions)
        Transition(
            "put_on_agenda", frozenset({S.READY_FOR_JURY}), S.IN_JURY, _("Put on a jury's agenda")
        ),
        Transition(
            "remove_from_agenda",
            frozenset({S.IN_JURY}),
            S.READY_FOR_JURY,
            _("Remove from the agenda"),
        ),
        Transition("certify", frozenset({S.IN_JURY}), S.CERTIFIED, _("Certify")),
        Transition(
            "validate_partially",
            frozenset({S.IN_JURY}),
            S.PARTIALLY_VALIDATED,
            _("Validate partially"),
        ),
        Transition("not_validate", frozenset({S.IN_JURY}), S.NOT_VALIDATED, _("Not validate")),
        # branch staff: a reasoned correction of a final decision (the old one stays on record)
        Transition(
            "correct_to_certified",
            FINAL_DECISION_STATUSES,
            S.CERTIFIED,
            _("Correct the decision: certified"),
        ),
        Transition(
            "correct_to_partially_validated",
            FINAL_DECISION_STATUSES,
            S.PARTIALLY_VALIDATED,
            _("Correct the decision: partially validated"),
        ),
        Transition(
            "correct_to_not_validated",
            FINAL_DECISION_STATUSES,
            S.NOT_VALIDATED,
            _("Correct the decision: not validated"),
        ),
    ],
)

# How each step reads once done: the timeline, the e-mails' subjects, the admin's history.
STEP_LABELS = {
    "open": _("Dossier opened"),
    "submit": _("Dossier submitted"),
    "resubmit": _("Completed dossier sent again"),
    "withdraw": _("Dossier withdrawn"),
    "declare_complete": _("Dossier declared complete"),
    "declare_incomplete": _("Dossier declared incomplete"),
    "declare_admissible": _("Dossier declared admissible"),
    "declare_inadmissible": _("Dossier declared inadmissible"),
    "assign_evaluator": _("Evaluator assigned"),
    "reassign_evaluator": _("Another evaluator assigned"),
    "archive": _("Dossier archived"),
    "choose_vae": _("Oriented towards the VAE"),
    "choose_training": _("Oriented towards training"),
    "plan_training": _("Training plan recorded"),
    "start_evaluation": _("Evaluation started"),
    "assess_unit": _("Unit assessed"),
    "declare_conflict": _("The evaluator stepped aside (conflict of interest)"),
    "declare_ready": _("Declared ready for the jury"),
    "put_on_agenda": _("Put on a jury's agenda"),
    "remove_from_agenda": _("Removed from the jury's agenda"),
    "certify": _("CQP awarded by the jury"),
    "validate_partially": _("Partially validated by the jury"),
    "not_validate": _("Not validated by the jury"),
    "correct_to_certified": _("Decision corrected: CQP awarded"),
    "correct_to_partially_validated": _("Decision corrected: partially validated"),
    "correct_to_not_validated": _("Decision corrected: not validated"),
    "add_piece": _("Piece added"),
    "replace_piece": _("Piece replaced"),
    "delete_piece": _("Piece deleted"),
    "erase_identity": _("Identity piece deleted"),
    "update_identity": _("Identity changed by the candidate"),
}


# Steps whose comment stays within the branch (a conflict's reason, the evaluator's note to
# the branch): the candidate and the next evaluator see the step, not the comment.
PRIVATE_COMMENT_ACTIONS = frozenset({"declare_conflict", "declare_ready"})


def step_label(action: str) -> str:
    """A step as it reads once done ("Dossier submitted"), for people rather than buttons."""
    if action in STEP_LABELS:
        return str(STEP_LABELS[action])
    try:
        return str(DOSSIER_LIFECYCLE.get(action).label)
    except KeyError:
        return action
