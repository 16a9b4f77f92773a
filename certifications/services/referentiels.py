"""Référentiel versions and their units: drafts, publication, new versions, equivalences."""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqp.errors import DomainError
from cqp.lifecycle import apply_transition

from ..lifecycles import OPEN_PROJECT, REFERENTIEL_LIFECYCLE
from ..models import (
    CompetenceUnit,
    Cqp,
    CqpStatus,
    Referentiel,
    ReferentielEvent,
    ReferentielStatus,
    UnitEquivalence,
)
from ._common import UNDER_REVIEW, _clean_lines, _require_staff, require_changeable


def _require_editable(referentiel: Referentiel) -> None:
    """Inside the caller's transaction: lock the CQP and the version, check it is a draft."""
    # Read the statuses afresh and hold both rows, the CQP first as publication and
    # submission do: a stale instance must not reopen a version published since it was
    # loaded, and a submission or a publication waits for an edit in progress (and the
    # reverse), so the CPNEF never receives a référentiel changing under its checks.
    cqp_status = (
        Cqp.objects.select_for_update()
        .values_list("status", flat=True)
        .get(referentiels=referentiel.pk)
    )
    referentiel.status = (
        Referentiel.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=referentiel.pk)
    )
    require_changeable(cqp_status)
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
        require_changeable(Cqp.objects.select_for_update().get(pk=cqp.pk).status)
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
        require_changeable(Cqp.objects.select_for_update().get(pk=cqp.pk).status)
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
    if referentiel.cqp.status in OPEN_PROJECT:
        raise DomainError(UNDER_REVIEW)  # the CPNEF decides on the version it was shown
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


def referentiel_update_source(*, referentiel: Referentiel, source: str, actor) -> Referentiel:
    _require_staff(actor, referentiel.cqp.branch_id)
    with transaction.atomic():
        _require_editable(referentiel)
        referentiel.source = source
        referentiel.save(update_fields=["source"])
    return referentiel
