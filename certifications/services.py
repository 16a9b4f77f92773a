"""Every write to the catalogue: CQP projects, CPNEF decisions, référentiel versions."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqp.errors import ActionNotPermitted, DomainError
from cqp.lifecycle import apply_transition

from . import notifications
from .lifecycles import CQP_LIFECYCLE, OPEN_PROJECT, REFERENTIEL_LIFECYCLE
from .models import (
    Branch,
    BranchMembership,
    CompetenceUnit,
    CpnefDecision,
    Cqp,
    CqpEvent,
    CqpStatus,
    IdccConvention,
    Referentiel,
    ReferentielEvent,
    ReferentielStatus,
    UnitEquivalence,
)
from .permissions import forget_memberships, is_branch_staff, is_cpnef_member

# --- helpers ----------------------------------------------------------------------------------


def _require_staff(actor, branch_id: int) -> None:
    """`actor=None` is the system (importer on the command line, periodic tasks)."""
    if actor is not None and not is_branch_staff(actor, branch_id):
        raise ActionNotPermitted(_("Only the branch's staff may do this."))


def _clean_lines(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


# --- branches ---------------------------------------------------------------------------------


def branch_create(
    *, name: str, slug: str, code: str, actor, siret: str = "", idcc_codes=(), **fields
) -> Branch:
    """A new branch (administrators, or the system when an import meets a new certifier)."""
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may create a branch."))
    if Branch.objects.filter(slug=slug).exists() or Branch.objects.filter(code=code).exists():
        raise DomainError(_("A branch with this short name or numbering code already exists."))
    with transaction.atomic():
        branch = Branch.objects.create(name=name, slug=slug, code=code, siret=siret, **fields)
        if idcc_codes:
            branch.idcc_conventions.set(IdccConvention.objects.filter(idcc__in=list(idcc_codes)))
    return branch


# --- memberships ------------------------------------------------------------------------------


def membership_grant(*, user, branch: Branch, role: str, actor=None) -> BranchMembership:
    """Give `user` a role in `branch`; members get admin access (scoped to their branch)."""
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may grant branch roles."))
    with transaction.atomic():
        membership, _created = BranchMembership.objects.get_or_create(
            user=user, branch=branch, role=role
        )
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    forget_memberships(user)
    return membership


def membership_revoke(*, membership: BranchMembership, actor=None) -> None:
    if actor is not None and not actor.is_superuser:
        raise ActionNotPermitted(_("Only an administrator may revoke branch roles."))
    user = membership.user
    with transaction.atomic():
        membership.delete()
        if not user.is_superuser and not user.branch_memberships.exists():
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    forget_memberships(user)


# --- CQPs -------------------------------------------------------------------------------------

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


UNDER_REVIEW = gettext_lazy(
    "The CPNEF is reviewing this project: it cannot be changed until the CPNEF has decided."
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
        cqp = Cqp.objects.create(branch=branch, code=code, title=title, **fields)
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
        if locked.status in OPEN_PROJECT:
            raise DomainError(UNDER_REVIEW)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
    cqp.refresh_from_db()
    return cqp


def _latest_project_submitter(cqp: Cqp):
    event = (
        CqpEvent.objects.filter(cqp=cqp, action__in=("submit", "resubmit"))
        .order_by("-created_at", "-id")
        .first()
    )
    return event.actor_id if event else None


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
    _require_staff(actor, cqp.branch_id)
    with transaction.atomic():
        cqp = apply_transition(
            CQP_LIFECYCLE,
            cqp,
            "submit",
            actor=actor,
            comment=comment,
            guard=_require_referentiel_content,
        )
        notifications.project_submitted(cqp, resubmitted=False, comment=comment)
    return cqp


def cqp_resubmit(*, cqp: Cqp, actor, comment: str = "") -> Cqp:
    """Send the project back to the CPNEF after the requested changes."""
    _require_staff(actor, cqp.branch_id)
    with transaction.atomic():
        cqp = apply_transition(
            CQP_LIFECYCLE,
            cqp,
            "resubmit",
            actor=actor,
            comment=comment,
            guard=_require_referentiel_content,
        )
        notifications.project_submitted(cqp, resubmitted=True, comment=comment)
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
            if _latest_project_submitter(locked) == actor.pk:
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


# --- référentiels -----------------------------------------------------------------------------


def _require_editable(referentiel: Referentiel) -> None:
    """Inside the caller's transaction: lock the version and check it is still a draft."""
    # Read the status afresh and hold the row: a stale instance (e.g. a unit's cached
    # référentiel) must not reopen a version published since it was loaded, and a
    # publication must wait for an edit in progress.
    referentiel.status, cqp_status = (
        Referentiel.objects.select_for_update(of=("self",))
        .values_list("status", "cqp__status")
        .get(pk=referentiel.pk)
    )
    if cqp_status in OPEN_PROJECT:
        raise DomainError(UNDER_REVIEW)
    if referentiel.status != ReferentielStatus.DRAFT:
        raise DomainError(
            _(
                "Version %(version)s is %(status)s: only a draft can be changed. "
                "Create a new version."
            )
            % {"version": referentiel.version, "status": referentiel.get_status_display().lower()}
        )


def referentiel_create_draft(*, cqp: Cqp, actor, source: str = "") -> Referentiel:
    """An empty new draft version (when the CQP has none)."""
    _require_staff(actor, cqp.branch_id)
    with transaction.atomic():
        Cqp.objects.select_for_update().get(pk=cqp.pk)
        if cqp.referentiels.filter(status=ReferentielStatus.DRAFT).exists():
            raise DomainError(_("This CQP already has a draft version: edit that one."))
        last = cqp.referentiels.order_by("-version").values_list("version", flat=True).first()
        referentiel = Referentiel.objects.create(cqp=cqp, version=(last or 0) + 1, source=source)
        ReferentielEvent.objects.create(
            referentiel=referentiel, action="create", to_status=referentiel.status, actor=actor
        )
    return referentiel


def referentiel_new_version(*, referentiel: Referentiel, actor) -> Referentiel:
    """Copy a published or retired version into a new draft, with unit equivalences."""
    cqp = referentiel.cqp
    _require_staff(actor, cqp.branch_id)
    if referentiel.status == ReferentielStatus.DRAFT:
        raise DomainError(_("This version is still a draft: edit it instead of copying it."))
    with transaction.atomic():
        Cqp.objects.select_for_update().get(pk=cqp.pk)
        if cqp.referentiels.filter(status=ReferentielStatus.DRAFT).exists():
            raise DomainError(_("This CQP already has a draft version: edit that one."))
        last = cqp.referentiels.order_by("-version").values_list("version", flat=True).first()
        copy = Referentiel.objects.create(
            cqp=cqp,
            version=last + 1,
            based_on=referentiel,
            source=referentiel.source,
            content_hash=referentiel.content_hash,
        )
        units = referentiel.units.prefetch_related("competences", "criteria")
        for unit in units:
            new_unit = CompetenceUnit.objects.create(
                referentiel=copy,
                code=unit.code,
                title=unit.title,
                order=unit.order,
                is_optional=unit.is_optional,
                evaluation_modalities=unit.evaluation_modalities,
            )
            new_unit.competences.bulk_create(
                [type(c)(unit=new_unit, order=c.order, text=c.text) for c in unit.competences.all()]
            )
            new_unit.criteria.bulk_create(
                [type(c)(unit=new_unit, order=c.order, text=c.text) for c in unit.criteria.all()]
            )
            # A copied unit is the same unit until someone changes it: holders keep it.
            UnitEquivalence.objects.create(from_unit=unit, to_unit=new_unit, declared_by=actor)
        ReferentielEvent.objects.create(
            referentiel=copy,
            action="create",
            to_status=copy.status,
            actor=actor,
            comment=_("Copied from version %s.") % referentiel.version,
        )
    return copy


def _require_publishable(referentiel: Referentiel) -> None:
    if referentiel.cqp.status in (CqpStatus.ARCHIVED, CqpStatus.REJECTED):
        raise DomainError(
            _("The CQP is archived or rejected: its référentiel cannot be published.")
        )
    units = list(referentiel.units.all())
    if not units:
        raise DomainError(_("A référentiel without competence units cannot be published."))
    if referentiel.units.filter(competences__isnull=True).exists():
        raise DomainError(_("Every competence unit must list at least one competence."))
    if referentiel.cqp.is_rncp and any(not u.code for u in units):
        raise DomainError(_("A CQP registered in the RNCP is organised in coded blocs."))


def referentiel_publish(*, referentiel: Referentiel, actor, comment: str = "") -> Referentiel:
    """Publish a draft; the version it replaces is retired. Published versions are immutable."""
    _require_staff(actor, referentiel.cqp.branch_id)
    with transaction.atomic():
        Cqp.objects.select_for_update().get(pk=referentiel.cqp_id)
        current = referentiel.cqp.referentiels.filter(status=ReferentielStatus.PUBLISHED).first()
        if current is not None and current.pk != referentiel.pk:
            apply_transition(
                REFERENTIEL_LIFECYCLE,
                current,
                "retire",
                actor=actor,
                comment=_("Replaced by version %s.") % referentiel.version,
            )
        published = apply_transition(
            REFERENTIEL_LIFECYCLE,
            referentiel,
            "publish",
            actor=actor,
            comment=comment,
            guard=_require_publishable,
            changes={"published_at": timezone.now()},
        )
    return published


def referentiel_retire(*, referentiel: Referentiel, actor, comment: str = "") -> Referentiel:
    _require_staff(actor, referentiel.cqp.branch_id)
    return apply_transition(
        REFERENTIEL_LIFECYCLE, referentiel, "retire", actor=actor, comment=comment
    )


def unit_save(
    *,
    referentiel: Referentiel,
    actor,
    code: str,
    title: str,
    order: int = 1,
    is_optional: bool = False,
    evaluation_modalities: str = "",
    unit: CompetenceUnit | None = None,
) -> CompetenceUnit:
    """Create or change a unit of a draft référentiel."""
    _require_staff(actor, referentiel.cqp.branch_id)
    with transaction.atomic():
        _require_editable(referentiel)
        clash = referentiel.units.filter(code=code)
        if unit is not None:
            clash = clash.exclude(pk=unit.pk)
        if clash.exists():
            raise DomainError(_("Another unit of this version already has the code “%s”.") % code)
        unit = unit or CompetenceUnit(referentiel=referentiel)
        unit.code, unit.title, unit.order = code, title, order
        unit.is_optional, unit.evaluation_modalities = is_optional, evaluation_modalities
        unit.save()
    return unit


def unit_set_contents(
    *, unit: CompetenceUnit, competences: Sequence[str], criteria: Sequence[str], actor
) -> CompetenceUnit:
    """Replace a draft unit's competences and criteria by these lists, in this order."""
    _require_staff(actor, unit.referentiel.cqp.branch_id)
    with transaction.atomic():
        _require_editable(unit.referentiel)
        unit.competences.all().delete()
        unit.criteria.all().delete()
        unit.competences.bulk_create(
            [
                unit.competences.model(unit=unit, order=i, text=text)
                for i, text in enumerate(_clean_lines(competences), start=1)
            ]
        )
        unit.criteria.bulk_create(
            [
                unit.criteria.model(unit=unit, order=i, text=text)
                for i, text in enumerate(_clean_lines(criteria), start=1)
            ]
        )
    return unit


def unit_delete(*, unit: CompetenceUnit, actor) -> None:
    _require_staff(actor, unit.referentiel.cqp.branch_id)
    with transaction.atomic():
        _require_editable(unit.referentiel)
        unit.delete()


def check_unit_equivalence(from_unit: CompetenceUnit, to_unit: CompetenceUnit) -> None:
    """Refuse an equivalence inside one version or across branches."""
    if from_unit.referentiel_id == to_unit.referentiel_id:
        raise DomainError(_("An equivalence links units of two different versions."))
    if from_unit.referentiel.cqp.branch_id != to_unit.referentiel.cqp.branch_id:
        raise DomainError(_("Both units must belong to the same branch."))


def unit_equivalence_declare(
    *, from_unit: CompetenceUnit, to_unit: CompetenceUnit, actor
) -> UnitEquivalence:
    """Holding `from_unit` will count as holding `to_unit` (units of two versions)."""
    _require_staff(actor, to_unit.referentiel.cqp.branch_id)
    check_unit_equivalence(from_unit, to_unit)
    equivalence, _created = UnitEquivalence.objects.get_or_create(
        from_unit=from_unit, to_unit=to_unit, defaults={"declared_by": actor}
    )
    return equivalence


# --- evaluators -------------------------------------------------------------------------------


def evaluator_accreditation_save(
    *,
    accreditation,
    email: str,
    cqps,
    actor,
    first_name: str = "",
    last_name: str = "",
):
    """Create or change an accreditation; the evaluator is named by e-mail."""
    from cqp.services import user_get_or_create_by_email

    _require_staff(actor, accreditation.branch_id)
    cqps = list(cqps)
    if any(c.branch_id != accreditation.branch_id for c in cqps):
        raise DomainError(_("Choose CQPs of the accreditation's branch only."))
    if accreditation.valid_until and accreditation.valid_until < accreditation.valid_from:
        raise DomainError(_("The end of validity cannot be before its start."))
    with transaction.atomic():
        accreditation.user = user_get_or_create_by_email(
            email=email, first_name=first_name, last_name=last_name, actor=actor
        )
        accreditation.save()
        accreditation.cqps.set(cqps)
    return accreditation


def referentiel_update_source(*, referentiel: Referentiel, source: str, actor) -> Referentiel:
    _require_staff(actor, referentiel.cqp.branch_id)
    with transaction.atomic():
        _require_editable(referentiel)
        referentiel.source = source
        referentiel.save(update_fields=["source"])
    return referentiel
