"""Demo catalogue: three real branches, their CQPs from real référentiels, one user per role.

Idempotent: running it again changes nothing. Later apps add candidates, juries, documents.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import services
from .models import (
    Branch,
    BranchMembership,
    CompetenceUnit,
    Cqp,
    CqpStatus,
    EvaluatorAccreditation,
    Habilitation,
    IdccConvention,
    ReferentielStatus,
    TrainingProvider,
)
from .reference_data import DATA_DIR

DEMO_PASSWORD = "demo-cqp-2026"
STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF

BRANCHES = [
    {
        "slug": "immobilier",
        "name": "Immobilier",
        "code": "IMMO",
        "idcc": ["1527"],
        "cpnef_name": "CPNEFP de la branche de l'immobilier",
        "address": "Commission paritaire permanente de négociation et d'interprétation (COPI)\n"
        "Paris",
        "signatory_name": "Catherine Aubert",
        "signatory_title": "Présidente de la CPNEFP de l'immobilier",
    },
    {
        "slug": "cdna",
        "name": "Commerces de détail non alimentaires",
        "code": "CDNA",
        "idcc": ["1517"],
        "cpnef_name": "CPNEFP du commerce de détail non alimentaire (CDNA)",
        "address": "Paris",
        "signatory_name": "Marc Lemoine",
        "signatory_title": "Président de la CPNEFP CDNA",
    },
    {
        "slug": "veterinaires",
        "name": "Cabinets et cliniques vétérinaires",
        "code": "VETO",
        "idcc": ["1875"],
        "cpnef_name": "CPNE-FP des cabinets et cliniques vétérinaires",
        "address": "Paris",
        "signatory_name": "Hélène Garnier",
        "signatory_title": "Présidente de la CPNE-FP vétérinaire",
    },
]

USERS = [
    # (e-mail, first name, last name, branch slug, role)
    ("admin@demo.cqp.fr", "Alice", "Administratrice", None, "superuser"),
    ("staff.immo@demo.cqp.fr", "Bruno", "Lefèvre", "immobilier", STAFF),
    ("cpnef.immo@demo.cqp.fr", "Chantal", "Moreau", "immobilier", CPNEF),
    ("staff.cdna@demo.cqp.fr", "David", "Garnier", "cdna", STAFF),
    ("cpnef.cdna@demo.cqp.fr", "Élodie", "Faure", "cdna", CPNEF),
    ("staff.veto@demo.cqp.fr", "Fabien", "Roux", "veterinaires", STAFF),
    ("cpnef.veto@demo.cqp.fr", "Gaëlle", "Blanc", "veterinaires", CPNEF),
    ("evaluateur@demo.cqp.fr", "Hugo", "Petit", None, "evaluator"),
    ("evaluateur2@demo.cqp.fr", "Isabelle", "Fontaine", None, "evaluator"),
]

# Evaluators accredited by the immobilier branch: (e-mail, reference, only the CQP NI?).
EVALUATORS = [
    ("evaluateur@demo.cqp.fr", "ACC-IMMO-001", True),
    ("evaluateur2@demo.cqp.fr", "ACC-IMMO-002", False),  # every CQP of the branch
]

ROLE_LABELS = {"superuser": "administrateur (tous les droits)", "evaluator": "évaluateur"}
SHORT_NAMES = {"immobilier": "immo", "cdna": "cdna", "veterinaires": "veto"}

JSON_CQPS = [
    # (file, branch slug, code, level, target status)
    ("cqp_negociateur_immobilier_idcc1527.json", "immobilier", "NI", "5", CqpStatus.APPROVED),
    ("cqp_vendeur_magasin_jeux_jouets_idcc1517.json", "cdna", "VJJ", "4", CqpStatus.SUBMITTED),
]

PROVIDERS = [
    # (name, SIRET, branch slug, CQP code or RNCP number, other fields)
    # Real partner organisations of RNCP40344 (France Compétences export).
    ("AGRICAMPUS LAVAL", "19530081900016", "veterinaires", "RNCP40344", {}),
    ("CENTRE D'ENSEIGNEMENT ZOOTECHNIQUE", "19783360100010", "veterinaires", "RNCP40344", {}),
    # A fictitious provider for the demo dossiers' training plans (SIREN and SIRET Luhn-valid).
    (
        "Institut Hoguet Formation",
        "84231765300025",
        "immobilier",
        "NI",
        {
            "nda": "84691765369",
            "address": "14 rue de la République\n69002 Lyon",
            "email": "institut.hoguet@demo.cqp.fr",
            "phone": "04 78 42 17 30",
        },
    ),
]


@dataclass
class SeedReport:
    users: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _user(email, first_name, last_name, *, superuser=False):
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        create = (
            user_model.objects.create_superuser if superuser else user_model.objects.create_user
        )
        user = create(email, DEMO_PASSWORD, first_name=first_name, last_name=last_name)
    return user


def _branch(spec):
    branch, _created = Branch.objects.get_or_create(
        slug=spec["slug"],
        defaults={k: v for k, v in spec.items() if k not in ("slug", "idcc")},
    )
    branch.idcc_conventions.add(*IdccConvention.objects.filter(idcc__in=spec["idcc"]))
    return branch


def _unit_code(block, index):
    return block.get("code") or f"BLOC{index}"


def _load_json_referentiel(*, cqp, data, actor):
    """Fill the CQP's draft version from a référentiel transcribed as JSON (shared/data)."""
    if CompetenceUnit.objects.filter(referentiel__cqp=cqp).exists():
        return  # loaded by an earlier run
    referentiel = cqp.referentiels.get(status=ReferentielStatus.DRAFT)
    services.referentiel_update_source(referentiel=referentiel, source=data["source"], actor=actor)
    for index, block in enumerate(data["blocks"], start=1):
        title = block["title"][:1].upper() + block["title"][1:]
        unit = services.unit_save(
            referentiel=referentiel,
            actor=actor,
            code=_unit_code(block, index),
            title=title,
            order=index,
            evaluation_modalities=block.get("evaluation", ""),
        )
        criteria = [line for text in block.get("criteria", []) for line in text.splitlines()]
        services.unit_set_contents(
            unit=unit, competences=block["competences"], criteria=criteria, actor=actor
        )


def _bring_to(cqp, target, *, staff, cpnef):
    """Move a CQP through its real lifecycle up to `target` (submitted or approved)."""
    if cqp.status == CqpStatus.DRAFT:
        services.cqp_submit(cqp=cqp, actor=staff, comment="Projet présenté à la CPNEF.")
    if target == CqpStatus.APPROVED and cqp.status == CqpStatus.SUBMITTED:
        services.cpnef_decision_record(
            cqp=cqp,
            outcome="approve",
            meeting_date=timezone.localdate() - datetime.timedelta(days=14),
            reference=f"CPNEF-{timezone.localdate():%Y}-{cqp.code}",
            comment="Projet validé en séance.",
            actor=cpnef,
        )


def _publish_draft(cqp, *, staff):
    draft = cqp.referentiels.filter(status=ReferentielStatus.DRAFT).first()
    if (
        draft is not None
        and not cqp.referentiels.filter(status=ReferentielStatus.PUBLISHED).exists()
    ):
        services.referentiel_publish(referentiel=draft, actor=staff)


def _import_samples(*, branches, report):
    """RNCP40344 goes to the vets' branch; the other sample fiches to their certifiers."""
    from .importers import import_referentiels

    samples = DATA_DIR / "rncp"
    if not Cqp.objects.filter(registry_number="RNCP40344").exists():
        result = import_referentiels(
            [samples / "export_fiches_RNCP_sample.xml"],
            branch=branches["veterinaires"],
            numbers={"RNCP40344"},
        )
        report.notes.append(f"RNCP40344: {result.summary()}")
    if not Cqp.objects.filter(registry_number__in=["RNCP36612", "RS5568"]).exists():
        result = import_referentiels(
            [samples / "export_fiches_RNCP_sample.xml", samples / "export_fiches_RS_sample.xml"],
            numbers={"RNCP36612", "RS5568"},
        )
        report.notes.append(f"RNCP36612, RS5568: {result.summary()}")


@transaction.atomic
def seed_catalogue() -> SeedReport:
    report = SeedReport()
    branches = {spec["slug"]: _branch(spec) for spec in BRANCHES}
    users = {}
    for email, first, last, slug, role in USERS:
        user = _user(email, first, last, superuser=role == "superuser")
        users[email] = user
        if slug is not None:
            services.membership_grant(user=user, branch=branches[slug], role=role)
        label = ROLE_LABELS.get(role) or BranchMembership.BranchRole(role).label
        report.users.append((email, label if slug is None else f"{label} — {branches[slug].name}"))

    def staff_of(slug):
        return users[f"staff.{SHORT_NAMES[slug]}@demo.cqp.fr"]

    def cpnef_of(slug):
        return users[f"cpnef.{SHORT_NAMES[slug]}@demo.cqp.fr"]

    for filename, slug, code, level, target in JSON_CQPS:
        data = json.loads((DATA_DIR / "referentiels" / filename).read_text(encoding="utf-8"))
        branch, staff = branches[slug], staff_of(slug)
        cqp = Cqp.objects.filter(branch=branch, code=code).first() or services.cqp_create(
            branch=branch,
            code=code,
            title=data["title"],
            level=level,
            description=f"Certificateur : {', '.join(data['certifier'])}.",
            actor=staff,
        )
        _load_json_referentiel(cqp=cqp, data=data, actor=staff)
        _bring_to(cqp, target, staff=staff, cpnef=cpnef_of(slug))
        if target == CqpStatus.APPROVED:
            _publish_draft(cqp, staff=staff)

    _import_samples(branches=branches, report=report)
    asv = Cqp.objects.get(registry_number="RNCP40344")
    _publish_draft(asv, staff=staff_of("veterinaires"))
    _bring_to(
        asv, CqpStatus.APPROVED, staff=staff_of("veterinaires"), cpnef=cpnef_of("veterinaires")
    )

    today = timezone.localdate()
    for name, siret, slug, cqp_code, fields in PROVIDERS:
        provider, _created = TrainingProvider.objects.get_or_create(
            siret=siret, defaults={"name": name, **fields}
        )
        provider.branches.add(branches[slug])
        lookup = "registry_number" if cqp_code.startswith("RNCP") else "code"
        cqp = Cqp.objects.get(branch=branches[slug], **{lookup: cqp_code})
        Habilitation.objects.get_or_create(
            provider=provider,
            cqp=cqp,
            defaults={
                # From last January: the demo's training plans started up to months ago.
                "valid_from": today.replace(year=today.year - 1, month=1, day=1),
                "valid_until": today.replace(year=today.year + 3, month=12, day=31),
                "reference": f"HAB-{branches[slug].code}-{cqp.code or cqp.registry_number}",
            },
        )

    for email, reference, only_ni in EVALUATORS:
        if EvaluatorAccreditation.objects.filter(user=users[email]).exists():
            continue
        accreditation = EvaluatorAccreditation(
            branch=branches["immobilier"],
            valid_from=today.replace(month=1, day=1),
            valid_until=today.replace(year=today.year + 2, month=12, day=31),
            reference=reference,
        )
        services.evaluator_accreditation_save(
            accreditation=accreditation,
            email=email,
            cqps=Cqp.objects.filter(branch=branches["immobilier"], code="NI") if only_ni else [],
            actor=staff_of("immobilier"),
        )
    return report
