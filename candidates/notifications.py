"""E-mails of the dossier's lifecycle, queued in the service's transaction (outbox)."""

from django.urls import reverse

from certifications.models import BranchMembership
from cqp.mail import queue_email

from .lifecycles import step_label

# Steps the candidate hears about (the others are internal to the branch or the jury).
CANDIDATE_ACTIONS = frozenset(
    {
        "submit",
        "resubmit",
        "declare_incomplete",
        "declare_admissible",
        "declare_inadmissible",
        "assign_evaluator",
        "choose_vae",
        "choose_training",
        "plan_training",
        "start_evaluation",
        "declare_ready",
        "put_on_agenda",
        "remove_from_agenda",
        "certify",
        "validate_partially",
        "not_validate",
        "correct_to_certified",
        "correct_to_partially_validated",
        "correct_to_not_validated",
        "archive",
        "withdraw",
    }
)


def dossier_step(dossier, action: str, comment: str = "") -> None:
    """Tell the candidate what happened to their dossier, with the link to it."""
    if action not in CANDIDATE_ACTIONS:
        return
    queue_email(
        to=[dossier.candidate.user.email],
        template="emails/candidates/dossier_step",
        context={
            "dossier": dossier,
            "action": step_label(action),
            "status": dossier.get_status_display(),
            "comment": comment,
            "path": reverse("candidates:dossier_detail", args=[dossier.pk]),
        },
    )


def _tell_staff(dossier, template: str, **context) -> None:
    """An e-mail to the active staff of the dossier's branch, with the admin's dossier page."""
    queue_email(
        to=BranchMembership.objects.filter(
            branch_id=dossier.cqp.branch_id,
            role=BranchMembership.BranchRole.STAFF,
            user__is_active=True,
        ).values_list("user__email", flat=True),
        template=template,
        context={
            "dossier": dossier,
            "path": reverse("admin:candidates_dossier_change", args=[dossier.pk]),
            **context,
        },
    )


def dossier_submitted_to_staff(dossier, *, resubmitted: bool) -> None:
    """Tell the branch's staff a dossier awaits its admissibility check."""
    _tell_staff(dossier, "emails/candidates/dossier_submitted_staff", resubmitted=resubmitted)


def dossier_ready_to_staff(dossier, comment: str = "") -> None:
    """Tell the branch's staff a dossier is ready to go on a jury's agenda (with the note)."""
    _tell_staff(dossier, "emails/candidates/dossier_ready_staff", comment=comment)


def evaluator_conflict_to_staff(dossier, conflict) -> None:
    """Tell the branch's staff the evaluator stepped aside: another one must be assigned."""
    _tell_staff(dossier, "emails/candidates/evaluator_conflict_staff", conflict=conflict)


def account_confirmation(user, path: str) -> None:
    queue_email(
        to=[user.email],
        template="emails/candidates/confirm_email",
        context={"user": user, "path": path},
    )


def account_invitation(user, path: str, branch) -> None:
    queue_email(
        to=[user.email],
        template="emails/candidates/invitation",
        context={"user": user, "path": path, "branch": branch},
    )


def evaluator_assigned(dossier) -> None:
    """Tell the evaluator a dossier was assigned to them."""
    queue_email(
        to=[dossier.evaluator.email],
        template="emails/candidates/evaluator_assigned",
        context={
            "dossier": dossier,
            "path": reverse("evaluators:dossier_detail", args=[dossier.pk]),
            "list_path": reverse("evaluators:dossier_list"),
        },
    )
