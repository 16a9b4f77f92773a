"""Import CQPs and their référentiels from France Compétences exports.

One CQP per fiche, matched on its RNCP/RS number. Every write goes through the catalogue
services; the whole import is one transaction (a broken file writes nothing) and each fiche
its own savepoint (a bad fiche is reported and skipped).
"""

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from os import PathLike

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from certifications import services
from certifications.lifecycles import CQP_LIFECYCLE
from certifications.models import (
    REGISTRY_NUMBER_RE,
    Branch,
    CompetenceUnit,
    Cqp,
    CqpStatus,
    Referentiel,
    ReferentielStatus,
)
from certifications.permissions import is_branch_staff
from cqp.errors import ActionNotPermitted, DomainError
from cqp.validators import siret_is_valid

from .fiches import Bloc, Fiche, check_source, iter_fiches, source_name

SOURCE_LABEL = "France Compétences, fiche %s"
MAX_UNITS = 100  # blocs in one fiche (a real one: about 10)
CODES_SEPARATOR = ", "
CATALOGUE_FIELDS = (
    "title",
    "level",
    "nsf_codes",
    "rome_codes",
    "formacodes",
    "registration_end_date",
)


class Outcome(models.TextChoices):
    CREATED = "created", gettext_lazy("Created")
    UPDATED = "updated", gettext_lazy("Updated")
    NEW_VERSION = "new_version", gettext_lazy("New version")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")
    ARCHIVED = "archived", gettext_lazy("Archived")
    ERROR = "error", gettext_lazy("Error")


@dataclass(frozen=True)
class FicheResult:
    """What happened to one fiche."""

    source: str
    position: int  # rank of the fiche in its file
    number: str
    title: str
    branch: str
    outcome: Outcome
    message: str = ""
    cqp_id: int | None = None

    @property
    def outcome_label(self) -> str:
        return str(self.outcome.label)


@dataclass
class ImportReport:
    """Counts per outcome and one line per fiche, in file order."""

    dry_run: bool = False
    results: list[FicheResult] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, result: FicheResult) -> None:
        self.results.append(result)
        self.counts[result.outcome] += 1

    def count(self, outcome: Outcome) -> int:
        return self.counts[outcome]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def created(self) -> int:
        return self.counts[Outcome.CREATED]

    @property
    def updated(self) -> int:
        return self.counts[Outcome.UPDATED]

    @property
    def new_version(self) -> int:
        return self.counts[Outcome.NEW_VERSION]

    @property
    def unchanged(self) -> int:
        return self.counts[Outcome.UNCHANGED]

    @property
    def archived(self) -> int:
        return self.counts[Outcome.ARCHIVED]

    @property
    def errors(self) -> int:
        return self.counts[Outcome.ERROR]

    def summary(self) -> str:
        return _(
            "%(total)s fiches: %(created)s created, %(updated)s updated, "
            "%(new_version)s new versions, %(unchanged)s unchanged, %(archived)s archived, "
            "%(errors)s errors."
        ) % {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "new_version": self.new_version,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "errors": self.errors,
        }


def import_referentiels(
    sources,
    *,
    branch: Branch | None = None,
    dry_run: bool = False,
    actor=None,
    progress: Callable[[FicheResult], None] | None = None,
    numbers: Iterable[str] | None = None,
) -> ImportReport:
    """Import every fiche of `sources` (paths or binary file objects, or a single one).

    `branch`: put every fiche under it (else the branch of a matching certifier, or a new one).
    `actor`: None for the system (command line); otherwise a user who must be staff of each
    fiche's branch. `progress` is called with each fiche's result as soon as it is known.
    `numbers`: import only the fiches with these RNCP/RS numbers (a branch's own CQPs out
    of a national export); the others are skipped without a report line.
    Raises ImportFileError (nothing written) when a file is missing, malformed or hostile.
    """
    if isinstance(sources, str | PathLike) or hasattr(sources, "read"):
        sources = [sources]
    sources = list(sources)
    for source in sources:
        check_source(source)
    wanted = {n.strip().upper() for n in numbers} if numbers is not None else None
    report = ImportReport(dry_run=dry_run)
    importer = _FicheImporter(branch=branch, actor=actor)
    with transaction.atomic():
        for source in sources:
            name = source_name(source)
            for fiche in iter_fiches(source):
                if wanted is not None and fiche.number.upper() not in wanted:
                    continue
                result = importer.import_fiche(fiche, name)
                report.add(result)
                if progress is not None:
                    progress(result)
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- content ----------------------------------------------------------------------------------


def _unit_payload(bloc: Bloc) -> dict:
    return {
        "code": bloc.code,
        "title": _fit(bloc.title, CompetenceUnit, "title"),
        "evaluation_modalities": bloc.evaluation_modalities,
        "competences": list(bloc.competences),
    }


def content_hash(units: Iterable[Bloc]) -> str:
    """Fingerprint of units, competences and modalities (what a fiche says about its blocs)."""
    canonical = json.dumps(
        [_unit_payload(bloc) for bloc in units],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _unit_matches(unit: CompetenceUnit, bloc: Bloc, order: int | None = None) -> bool:
    """Whether a stored unit already says what the bloc says (competences prefetched)."""
    payload = _unit_payload(bloc)
    return (
        unit.title == payload["title"]
        and unit.evaluation_modalities == payload["evaluation_modalities"]
        and [c.text for c in unit.competences.all()] == payload["competences"]
        and (order is None or unit.order == order)
    )


def _fit(value: str, model, field_name: str) -> str:
    """Cut `value` to the column's length (PostgreSQL refuses longer values)."""
    limit = model._meta.get_field(field_name).max_length
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _join_codes(codes: Iterable[str], field_name: str) -> str:
    """Codes comma-separated, as many whole codes as the column holds."""
    limit = Cqp._meta.get_field(field_name).max_length
    joined = ""
    for code in codes:
        candidate = f"{joined}{CODES_SEPARATOR}{code}" if joined else code
        if len(candidate) > limit:
            break
        joined = candidate
    return joined


def _catalogue_values(fiche: Fiche) -> dict:
    """The CQP fields the fiche sets; empty values are left out (they never erase)."""
    values = {
        "title": _fit(fiche.title, Cqp, "title"),
        "level": fiche.level,
        "nsf_codes": _join_codes(fiche.nsf_codes, "nsf_codes"),
        "rome_codes": _join_codes(fiche.rome_codes, "rome_codes"),
        "formacodes": _join_codes(fiche.formacodes, "formacodes"),
        "registration_end_date": fiche.registration_end_date,
    }
    return {name: value for name, value in values.items() if value}


def _check_fiche(fiche: Fiche) -> str:
    """Why the fiche cannot be imported, or ""."""
    if not fiche.number:
        return _("The fiche has no number (NUMERO_FICHE).")
    if not REGISTRY_NUMBER_RE.match(fiche.number):
        return _("Invalid fiche number “%s” (expected RNCPnnnnn or RSnnnn).") % fiche.number
    if not fiche.title:
        return _("The fiche has no title (INTITULE).")
    if fiche.problems:
        return fiche.problems[0]
    if len(fiche.units) > MAX_UNITS:
        # Each unit costs several writes: a fiche made of thousands of blocs is an attack.
        return _("The fiche has %(count)s blocs; no fiche has more than %(max)s.") % {
            "count": len(fiche.units),
            "max": MAX_UNITS,
        }
    seen = set()
    code_length = CompetenceUnit._meta.get_field("code").max_length
    for index, bloc in enumerate(fiche.units, start=1):
        if not bloc.code:
            return _("Bloc %s has no code.") % index
        if len(bloc.code) > code_length:
            return _("The bloc code “%s” is too long.") % bloc.code
        if not bloc.title:
            return _("Bloc %s has no title.") % bloc.code
        if bloc.code in seen:
            return _("Two blocs have the code %s.") % bloc.code
        seen.add(bloc.code)
    return ""


# --- branches ---------------------------------------------------------------------------------


def _normalize_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _branch_code_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]", "", ascii_name.upper())[:8]
    return base if len(base) >= 2 else (base + "BR")[:2]


def _unique_value(base: str, max_length: int, taken: Callable[[str], bool], sep: str = "") -> str:
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        suffix = f"{sep}{n}"
        candidate = base[: max_length - len(suffix)] + suffix
    return candidate


# --- the importer -----------------------------------------------------------------------------


class _FicheImporter:
    """Imports fiches one by one, each in a savepoint; remembers branches between fiches."""

    def __init__(self, *, branch: Branch | None, actor):
        self.branch = branch
        self.actor = actor
        self._branches: tuple[dict, dict] | None = None  # (by name, by SIRET), loaded lazily

    def import_fiche(self, fiche: Fiche, source: str) -> FicheResult:
        base = {
            "source": source,
            "position": fiche.position,
            "number": fiche.number,
            "title": fiche.title,
        }
        problem = _check_fiche(fiche)
        if problem:
            return FicheResult(**base, branch="", outcome=Outcome.ERROR, message=problem)
        branch_name = ""
        try:
            with transaction.atomic():
                cqp = Cqp.objects.select_related("branch").filter(registry_number=fiche.number)
                cqp = cqp.first()
                target = cqp.branch if cqp is not None else self._branch_for(fiche)
                branch_name = target.name
                if self.branch is not None and target.pk != self.branch.pk:
                    raise DomainError(
                        _("This fiche is already imported in the branch %s; it is not moved.")
                        % target.name
                    )
                self._require_actor(target)
                if cqp is None:
                    cqp, outcome, message = self._create(target, fiche)
                else:
                    outcome, message = self._update(cqp, fiche)
        except (DomainError, ValidationError, IntegrityError, DataError) as error:
            self._branches = None  # a branch created in the rolled-back savepoint is gone
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else error
            return FicheResult(
                **base, branch=branch_name, outcome=Outcome.ERROR, message=str(message)
            )
        return FicheResult(
            **base, branch=branch_name, outcome=outcome, message=message, cqp_id=cqp.pk
        )

    def _require_actor(self, branch: Branch) -> None:
        if self.actor is not None and not is_branch_staff(self.actor, branch.pk):
            raise ActionNotPermitted(
                _("You are not staff of the branch %s: this fiche was not imported.") % branch.name
            )

    # -- branches --

    def _known_branches(self) -> tuple[dict, dict]:
        if self._branches is None:
            by_name, by_siret = {}, {}
            for branch in Branch.objects.order_by("name", "pk"):
                by_name.setdefault(_normalize_name(branch.name), branch)
                if branch.siret:
                    by_siret.setdefault(branch.siret, branch)
            self._branches = (by_name, by_siret)
        return self._branches

    def _branch_for(self, fiche: Fiche) -> Branch:
        if self.branch is not None:
            return self.branch
        by_name, by_siret = self._known_branches()
        for certifier in fiche.certifiers:
            found = by_name.get(_normalize_name(certifier.name)) if certifier.name else None
            if found is None and certifier.siret:
                found = by_siret.get(certifier.siret)
            if found is not None:
                return found
        named = [c for c in fiche.certifiers if c.name]
        if not named:
            raise DomainError(_("The fiche names no certifier: choose its branch."))
        first = next((c for c in named if c.active), named[0])
        if self.actor is not None and not self.actor.is_superuser:
            raise ActionNotPermitted(
                _("No branch matches the certifier %s and only an administrator may create one.")
                % first.name
            )
        return self._create_branch(first.name, first.siret, fiche.idcc_codes)

    def _create_branch(self, name: str, siret: str, idcc_codes: Iterable[str]) -> Branch:
        """A branch named after the certifier (unique short name and numbering code)."""
        name = _fit(name, Branch, "name")
        slug = _unique_value(
            slugify(name)[:50] or "branche",
            Branch._meta.get_field("slug").max_length,
            lambda value: Branch.objects.filter(slug=value).exists(),
            sep="-",
        )
        code = _unique_value(
            _branch_code_base(name), 8, lambda value: Branch.objects.filter(code=value).exists()
        )
        branch = services.branch_create(
            name=name,
            slug=slug,
            code=code,
            siret=siret if siret_is_valid(siret) else "",
            idcc_codes=idcc_codes,
            actor=self.actor,
        )
        by_name, by_siret = self._known_branches()
        by_name.setdefault(_normalize_name(branch.name), branch)
        if branch.siret:
            by_siret.setdefault(branch.siret, branch)
        return branch

    # -- CQPs --

    def _create(self, branch: Branch, fiche: Fiche) -> tuple[Cqp, Outcome, str]:
        cqp = services.cqp_create(
            branch=branch,
            code=fiche.number,
            actor=self.actor,
            comment=_("Imported from the France Compétences fiche %s.") % fiche.number,
            registry_number=fiche.number,
            description=fiche.objectives or fiche.activities,
            **_catalogue_values(fiche),
        )
        referentiel = cqp.referentiels.get()
        self._fill(referentiel, fiche.units)
        self._stamp(referentiel, fiche)
        units = len(fiche.units)
        message = ngettext(
            "Draft version %(version)s with %(count)s unit.",
            "Draft version %(version)s with %(count)s units.",
            units,
        ) % {"version": referentiel.version, "count": units}
        if not fiche.active:
            self._archive(cqp)
            return cqp, Outcome.ARCHIVED, f"{message} {_('Archived: the fiche is inactive.')}"
        return cqp, Outcome.CREATED, message

    def _update(self, cqp: Cqp, fiche: Fiche) -> tuple[Outcome, str]:
        messages = []
        outcome = Outcome.UNCHANGED
        changed = {
            name: value
            for name, value in _catalogue_values(fiche).items()
            if getattr(cqp, name) != value
        }
        if changed:
            services.cqp_update(cqp=cqp, actor=self.actor, **changed)
            labels = ", ".join(str(Cqp._meta.get_field(name).verbose_name) for name in changed)
            messages.append(_("Changed: %s.") % labels)
            outcome = Outcome.UPDATED

        latest = cqp.referentiels.order_by("-version").first()
        if latest is None or latest.content_hash != content_hash(fiche.units):
            if latest is not None and latest.status == ReferentielStatus.DRAFT:
                self._fill(latest, fiche.units)
                self._stamp(latest, fiche)
                messages.append(_("Blocs changed: draft version %s updated.") % latest.version)
                outcome = Outcome.UPDATED
            else:
                draft = services.referentiel_create_draft(
                    cqp=cqp, actor=self.actor, source=SOURCE_LABEL % fiche.number
                )
                self._fill(draft, fiche.units, previous=latest)
                self._stamp(draft, fiche)
                messages.append(_("Blocs changed: new draft version %s.") % draft.version)
                outcome = Outcome.NEW_VERSION

        if not fiche.active and cqp.status != CqpStatus.ARCHIVED:
            if CQP_LIFECYCLE.can(cqp.status, "archive"):
                self._archive(cqp)
                messages.append(_("Archived: the fiche is inactive."))
                outcome = Outcome.ARCHIVED
            else:
                # A project under CPNEF review is the CPNEF's to decide: leave it to them.
                messages.append(
                    _(
                        "The fiche is inactive but the CQP is under CPNEF review: "
                        "archive it after the decision."
                    )
                )
        return outcome, " ".join(messages)

    def _archive(self, cqp: Cqp) -> None:
        services.cqp_archive(
            cqp=cqp,
            actor=self.actor,
            comment=_("The fiche is inactive in the France Compétences export."),
        )

    # -- référentiels --

    def _fill(
        self, referentiel: Referentiel, units: Iterable[Bloc], previous: Referentiel | None = None
    ) -> None:
        """Make the draft's units say what the blocs say, touching only what differs.

        Criteria are the branch's own (a fiche has none): a unit keeps its criteria, and a new
        version takes them from the previous version's unit of the same code. A unit that is
        the same as in the previous version is declared equivalent, so its holders keep it.
        """
        current = {
            unit.code: unit
            for unit in referentiel.units.prefetch_related("competences", "criteria")
        }
        older = {}
        if previous is not None:
            older = {
                unit.code: unit
                for unit in previous.units.prefetch_related("competences", "criteria")
            }
        codes = {bloc.code for bloc in units}
        for code, unit in current.items():
            if code not in codes:
                services.unit_delete(unit=unit, actor=self.actor)
        for order, bloc in enumerate(units, start=1):
            unit = current.get(bloc.code)
            if unit is not None and _unit_matches(unit, bloc, order):
                continue
            source_unit = unit if unit is not None else older.get(bloc.code)
            criteria = [c.text for c in source_unit.criteria.all()] if source_unit else []
            payload = _unit_payload(bloc)
            unit = services.unit_save(
                referentiel=referentiel,
                actor=self.actor,
                unit=unit,
                code=bloc.code,
                title=payload["title"],
                order=order,
                is_optional=source_unit.is_optional if source_unit else False,
                evaluation_modalities=bloc.evaluation_modalities,
            )
            services.unit_set_contents(
                unit=unit, competences=bloc.competences, criteria=criteria, actor=self.actor
            )
            held = older.get(bloc.code)
            if held is not None and _unit_matches(held, bloc):
                services.unit_equivalence_declare(from_unit=held, to_unit=unit, actor=self.actor)

    def _stamp(self, referentiel: Referentiel, fiche: Fiche) -> None:
        # The fingerprint is the importer's own bookkeeping (no user edits it): set it directly.
        values = {"content_hash": content_hash(fiche.units)}
        if not referentiel.source:
            values["source"] = SOURCE_LABEL % fiche.number
        Referentiel.objects.filter(pk=referentiel.pk).update(**values)
        for name, value in values.items():
            setattr(referentiel, name, value)
