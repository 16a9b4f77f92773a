"""CQP projects: creation, submission to the CPNEF, its decision, suspension, archiving."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqp.errors import ActionNotPermitted, DomainError
from cqp.lifecycle import apply_transition

from .. import notifications
from ..lifecycles import CQP_LIFECYCLE
from ..models import (
    Branch,
    CpnefDecision,
    Cqp,
    CqpEvent,
    Referentiel,
    ReferentielEvent,
)
from ..permissions import is_cpnef_member
from ._common import _require_staff, require_changeable

CQP_EDITABLE_FIELDS = (
    "code",
    "title",
    "level",
    "registry_number",
    "nsf_codes",
    "rome_codes",
    "formacodes",
    "registration_end_date",
    "description",
)


def _normalize_number(fields: dict) -> None:
    """RNCP/RS numbers are stored upper-case without spaces, so duplicates are caught."""
    if fields.get("registry_number"):
        fields["registry_number"] = "".join(fields["registry_number"].split()).upper()


def cqp_create(*, branch: Branch, code: str, title: str, actor, comment: str = "", **fields) -> Cqp:
    """A new CQP project, in draft, with an empty first référentiel version."""
    _require_staff(actor, branch.pk)
    unknown = set(fields) - set(CQP_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown CQP fields: {sorted(unknown)}")
    if Cqp.objects.filter(branch=branch, code=code).exists():
        raise DomainError(_("This branch already has a CQP with the code “%s”.") % code)
    _normalize_number(fields)
    number = fields.get("registry_number") or ""
    if number and Cqp.objects.filter(registry_number=number).exists():
        raise DomainError(_("Another CQP already has the number %s.") % number)
    with transaction.atomic():
        cqp = Cqp(branch=branch, code=code, title=title, **fields)
        cqp.refresh_search_text()
        cqp.save()
        CqpEvent.objects.create(
            cqp=cqp,
            action="create",
            from_status="",
            to_status=cqp.status,
            actor=actor,
            comment=comment,
        )
        referentiel = Referentiel.objects.create(cqp=cqp, version=1)
        ReferentielEvent.objects.create(
            referentiel=referentiel,
            action="create",
            to_status=referentiel.status,
            actor=actor,
            comment=comment,
        )
    return cqp


def cqp_update(*, cqp: Cqp, actor, **fields) -> Cqp:
    """Change the CQP's descriptive fields (never its status or branch)."""
    _require_staff(actor, cqp.branch_id)
    unknown = set(fields) - set(CQP_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown CQP fields: {sorted(unknown)}")
    _normalize_number(fields)
    number = fields.get("registry_number")
    if number and Cqp.objects.filter(registry_number=number).exclude(pk=cqp.pk).exists():
        raise DomainError(_("Another CQP already has the number %s.") % number)
    code = fields.get("code")
    if code and Cqp.objects.filter(branch_id=cqp.branch_id, code=code).exclude(pk=cqp.pk).exists():
        raise DomainError(_("This branch already has a CQP with the code “%s”.") % code)
    with transaction.atomic():
        locked = Cqp.objects.select_for_update().get(pk=cqp.pk)
        require_changeable(locked.status)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.refresh_search_text()
        locked.save()
    cqp.refresh_from_db()
    return cqp


def _has_submitted(cqp: Cqp, user) -> bool:
    """Whether `user` submitted or resubmitted this project at any time."""
    return CqpEvent.objects.filter(cqp=cqp, action__in=("submit", "resubmit"), actor=user).exists()


def _require_referentiel_content(cqp: Cqp) -> None:
    referentiel = cqp.referentiels.order_by("-version").first()
    if referentiel is None or not referentiel.units.exists():
        raise DomainError(
            _("The référentiel has no competence unit yet: describe the units before submitting.")
        )
    if referentiel.units.filter(competences__isnull=True).exists():
        raise DomainError(_("Every competence unit must list at least one competence."))


def cqp_submit(*, cqp: Cqp, actor, comment: str = "") -> Cqp:
    """Send the CQP project to the branch's CPNEF (its members are told by e-mail)."""
    return _send_to_cpnef(cqp, "submit", actor=actor, comment=comment)


def cqp_resubmit(*, cqp: Cqp, actor, comment: str = "") -> Cqp:
    """Send the project back to the CPNEF after the requested changes."""
    return _send_to_cpnef(cqp, "resubmit", actor=actor, comment=comment)


def _send_to_cpnef(cqp: Cqp, action: str, *, actor, comment: str) -> Cqp:
    _require_staff(actor, cqp.branch_id)
    with transaction.atomic():
        cqp = apply_transition(
            CQP_LIFECYCLE,
            cqp,
            action,
            actor=actor,
            comment=comment,
            guard=_require_referentiel_content,
        )
        notifications.project_submitted(cqp, resubmitted=action == "resubmit", comment=comment)
    return cqp


OUTCOME_ACTIONS = {
    CpnefDecision.Outcome.APPROVE: "approve",
    CpnefDecision.Outcome.REJECT: "reject",
    CpnefDecision.Outcome.REQUEST_CHANGES: "request_changes",
}


def cpnef_decision_record(
    *,
    cqp: Cqp,
    outcome: str,
    meeting_date: datetime.date,
    actor,
    reference: str = "",
    comment: str = "",
    minutes=None,
) -> CpnefDecision:
    """Record the CPNEF's decision on a submitted project and move the CQP accordingly."""
    if actor is None or not is_cpnef_member(actor, cqp.branch_id):
        raise ActionNotPermitted(_("Only a CPNEF member of this branch may record its decision."))
    if outcome not in OUTCOME_ACTIONS:
        raise DomainError(_("Unknown decision."))
    if meeting_date > timezone.localdate():
        raise DomainError(_("The meeting date cannot be in the future."))
    if outcome != CpnefDecision.Outcome.APPROVE and not (comment or "").strip():
        raise DomainError(
            _("Explain the decision: a comment is required to reject or to request changes.")
        )

    def guard(locked: Cqp) -> None:
        if outcome == CpnefDecision.Outcome.APPROVE:
            if _has_submitted(locked, actor):
                raise ActionNotPermitted(
                    _("You submitted this project: another CPNEF member must approve it.")
                )
            _require_referentiel_content(locked)

    with transaction.atomic():
        apply_transition(
            CQP_LIFECYCLE,
            cqp,
            OUTCOME_ACTIONS[outcome],
            actor=actor,
            comment=comment,
            guard=guard,
        )
        decision = CpnefDecision(
            cqp=cqp,
            outcome=outcome,
            meeting_date=meeting_date,
            reference=reference,
            comment=comment,
            decided_by=actor,
        )
        if minutes:
            decision.minutes.save(minutes.name, minutes, save=False)
        decision.save()
        notifications.cpnef_decided(decision)
    return decision


def cqp_suspend(*, cqp: Cqp, actor, comment: str) -> Cqp:
    """Close the CQP to new candidates for a while; a reason is required."""
    _require_staff(actor, cqp.branch_id)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for the suspension."))
    return apply_transition(CQP_LIFECYCLE, cqp, "suspend", actor=actor, comment=comment)


def cqp_reinstate(*, cqp: Cqp, actor, comment: str = "") -> Cqp:
    _require_staff(actor, cqp.branch_id)

    def guard(locked: Cqp) -> None:
        end = locked.registration_end_date
        if end and end < timezone.localdate():
            raise DomainError(_("The registration has ended: this CQP can only be archived."))

    return apply_transition(
        CQP_LIFECYCLE, cqp, "reinstate", actor=actor, comment=comment, guard=guard
    )


def cqp_archive(*, cqp: Cqp, actor, comment: str = "") -> Cqp:
    _require_staff(actor, cqp.branch_id)
    return apply_transition(CQP_LIFECYCLE, cqp, "archive", actor=actor, comment=comment)


def cqps_archive_expired(*, today: datetime.date | None = None) -> int:
    """Archive approved or suspended CQPs whose registration ended; returns how many."""
    today = today or timezone.localdate()
    expired = Cqp.objects.filter(
        status__in=CQP_LIFECYCLE.get("expire").sources, registration_end_date__lt=today
    ).only("pk", "registration_end_date")
    count = 0
    for cqp in expired:
        try:
            with transaction.atomic():
                archived = apply_transition(
                    CQP_LIFECYCLE,
                    cqp,
                    "expire",
                    actor=None,
                    comment=_("Registration ended on %s.")
                    % cqp.registration_end_date.strftime("%d/%m/%Y"),
                    guard=lambda locked: _require_expired(locked, today),
                )
                notifications.cqp_expired(archived)
        except DomainError:
            continue  # changed meanwhile (reinstated, dates moved): nothing to do
        count += 1
    return count


def _require_expired(cqp: Cqp, today: datetime.date) -> None:
    if not cqp.registration_end_date or cqp.registration_end_date >= today:
        raise DomainError("not expired")
