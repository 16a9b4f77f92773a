"""E-mails of the catalogue's lifecycle, queued in the service's transaction."""

from django.urls import reverse

from cqp.mail import queue_email

from .models import BranchMembership, CpnefDecision, Cqp


def _member_emails(branch_id: int, role: str) -> list[str]:
    return list(
        BranchMembership.objects.filter(
            branch_id=branch_id, role=role, user__is_active=True
        ).values_list("user__email", flat=True)
    )


def project_submitted(cqp: Cqp, *, resubmitted: bool, comment: str) -> None:
    """Tell the branch's CPNEF members a project awaits their decision."""
    queue_email(
        to=_member_emails(cqp.branch_id, BranchMembership.BranchRole.CPNEF),
        template="emails/certifications/project_submitted",
        context={
            "cqp": cqp,
            "resubmitted": resubmitted,
            "comment": comment,
            "path": reverse("admin:certifications_cqp_decide", args=[cqp.pk]),
        },
    )


def cpnef_decided(decision: CpnefDecision) -> None:
    """Tell the branch's staff what the CPNEF decided."""
    queue_email(
        to=_member_emails(decision.cqp.branch_id, BranchMembership.BranchRole.STAFF),
        template="emails/certifications/cpnef_decided",
        context={
            "decision": decision,
            "cqp": decision.cqp,
            "path": reverse("admin:certifications_cqp_change", args=[decision.cqp_id]),
        },
    )


def cqp_expired(cqp: Cqp) -> None:
    """Tell the branch's staff a CQP was archived because its registration ended."""
    queue_email(
        to=_member_emails(cqp.branch_id, BranchMembership.BranchRole.STAFF),
        template="emails/certifications/cqp_expired",
        context={
            "cqp": cqp,
            "path": reverse("admin:certifications_cqp_change", args=[cqp.pk]),
        },
    )
