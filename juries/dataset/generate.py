"""A national volume of realistic data, written in bulk (see `generate_dataset`).

At 100,000 candidates: 20 branches (real collective agreements) of very different sizes, 500
CQPs of 4 to 8 blocs, 150,000 dossiers in every state with their history, pieces, positioning,
training plans and assessments, about 2,000 jury sessions (closed ones with their decisions,
upcoming ones with their agenda, one of 300 dossiers), 60,000 certificates and attestations.
Everything scales with the number of candidates.

The rows are computed in memory, in the order a real dossier lives them (dates follow one
another, a decision's units are those its certificate prints), then written table by table
with `writer.Table`: no model is saved one by one and nothing is read back.
"""

import datetime
import itertools
import math
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from candidates.models import (
    AcquiredUnit,
    AssessmentModality,
    Candidate,
    CriterionAssessment,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Funding,
    Pathway,
    PositioningAssessment,
    PositioningResult,
    PositioningUnit,
    TrainingPlan,
    TrainingPlanUnit,
    UnitAssessment,
    UnitAssessmentResult,
)
from certifications.models import (
    Branch,
    BranchMembership,
    Competence,
    CompetenceUnit,
    CpnefDecision,
    Cqp,
    CqpStatus,
    EvaluationCriterion,
    EvaluatorAccreditation,
    Habilitation,
    IdccConvention,
    Level,
    Referentiel,
    ReferentielStatus,
    TrainingProvider,
)
from cqp.validators import search_key

from ..documents.codes import ALPHABET, LENGTH
from ..models import (
    AgendaItem,
    Certificate,
    CertificateCounter,
    DecisionUnit,
    DocumentStatus,
    JuryDecision,
    JuryMember,
    JuryMinutes,
    JurySession,
    Outcome,
    SessionStatus,
)
from . import words
from .writer import Table, bulk_reference_checks, check_references, link_table, reset_sequences

S = DossierStatus
PASSWORD = "dataset-password"
DOMAIN = "dataset.cqp.test"  # .test: reserved, never delivered (RFC 2606)
SLUG_PREFIX = "dataset-"  # the generated branches' slugs: a second dataset is refused

# Share of the dossiers in each state (sums to 1): 40 % end in a certificate or an
# attestation, which gives 60,000 of them for 150,000 dossiers.
STATUS_MIX = {
    S.DRAFT: 0.05,
    S.SUBMITTED: 0.04,
    S.INCOMPLETE: 0.03,
    S.ADMISSIBLE: 0.02,
    S.POSITIONING: 0.04,
    S.VAE: 0.05,
    S.TRAINING: 0.09,
    S.EVALUATION: 0.06,
    S.READY_FOR_JURY: 0.03,
    S.IN_JURY: 0.05,
    S.CERTIFIED: 0.34,
    S.PARTIALLY_VALIDATED: 0.06,
    S.NOT_VALIDATED: 0.05,
    S.WITHDRAWN: 0.05,
    S.INADMISSIBLE: 0.02,
    S.ARCHIVED: 0.02,
}
FINAL = {S.CERTIFIED, S.PARTIALLY_VALIDATED, S.NOT_VALIDATED}
# The steps of a dossier, in order: (action, status it leads to; None = the status stays).
STEPS = [
    ("submit", S.SUBMITTED),
    ("declare_complete", None),
    ("declare_admissible", S.ADMISSIBLE),
    ("assign_evaluator", S.POSITIONING),
    ("choose", None),  # choose_vae / choose_training: the status is the pathway
    ("start_evaluation", S.EVALUATION),
    ("declare_ready", S.READY_FOR_JURY),
    ("put_on_agenda", S.IN_JURY),
    ("decide", None),  # certify / validate_partially / not_validate
]
# How far along the steps each state is (how many of STEPS it has taken).
STEPS_TAKEN = {
    S.DRAFT: 0,
    S.SUBMITTED: 1,
    S.INCOMPLETE: 1,
    S.INADMISSIBLE: 1,
    S.ADMISSIBLE: 3,
    S.POSITIONING: 4,
    S.VAE: 5,
    S.TRAINING: 5,
    S.EVALUATION: 6,
    S.READY_FOR_JURY: 7,
    S.IN_JURY: 8,
    S.CERTIFIED: 9,
    S.PARTIALLY_VALIDATED: 9,
    S.NOT_VALIDATED: 9,
}
# Open dossiers: how long ago they were opened (days), the later the state the older.
OPEN_AGE = {
    S.DRAFT: (0, 45),
    S.SUBMITTED: (2, 40),
    S.INCOMPLETE: (10, 90),
    S.ADMISSIBLE: (15, 80),
    S.POSITIONING: (20, 120),
    S.VAE: (40, 240),
    S.TRAINING: (40, 300),
    S.EVALUATION: (120, 400),
    S.READY_FOR_JURY: (150, 420),
    S.IN_JURY: (160, 450),
}
DECIDE_ACTION = {
    S.CERTIFIED: ("certify", Outcome.CERTIFIED),
    S.PARTIALLY_VALIDATED: ("validate_partially", Outcome.PARTIALLY_VALIDATED),
    S.NOT_VALIDATED: ("not_validate", Outcome.NOT_VALIDATED),
}
FUNDING_MIX = {
    Funding.CPF: 30,
    Funding.PDC: 25,
    Funding.CONTRAT_PRO: 20,
    Funding.PRO_A: 5,
    Funding.PERSONAL: 15,
    Funding.OTHER: 5,
}
# A tiny valid PDF: the generated pieces, certificates, attestations and minutes all point at
# one per kind (150,000 dossiers' files would fill the disk and rendering 60,000 certificates
# takes hours; their rows are what the pages read, and every download answers).
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
DOSSIERS_PER_SESSION = 36
UPCOMING_DAYS = 120  # how far ahead the sessions to come are spread
USER_FIELDS = [
    "id",
    "password",
    "is_superuser",
    "email",
    "first_name",
    "last_name",
    "is_staff",
    "is_active",
    "date_joined",
]


def sample_pdf(kind: str) -> str:
    """The file every generated piece or document of this kind points at."""
    return f"dataset/{kind}.pdf"


def save_sample_pdfs(kinds) -> None:
    for kind in kinds:
        if not default_storage.exists(sample_pdf(kind)):
            default_storage.save(sample_pdf(kind), ContentFile(SAMPLE_PDF))


def split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """`total` shared in proportion to `weights`, each share at least `minimum`."""
    shares = [minimum] * len(weights)
    rest = max(0, total - minimum * len(weights))
    scale = sum(weights)
    exact = [rest * w / scale for w in weights]
    for i, value in enumerate(exact):
        shares[i] += int(value)
    leftover = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order[: max(0, leftover)]:
        shares[i] += 1
    return shares


def ascii_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum() and c.isascii()).lower()


@dataclass
class CqpInfo:
    id: int
    branch: int  # index in the generator's branches
    code: str
    title: str
    registry_number: str
    level: str
    referentiel: int
    units: list[tuple[int, str, str, bool]] = field(default_factory=list)  # id, code, title, opt
    criteria: dict[int, list[int]] = field(default_factory=dict)  # unit id -> criterion ids
    habilitations: list[tuple[int, int]] = field(default_factory=list)  # (provider, habilitation)


@dataclass
class SessionPlan:
    id: int
    branch: int
    starts_at: datetime.datetime
    status: str
    members: list[tuple[int, str, str]]  # user id, college, role
    dossiers: list[int] = field(default_factory=list)
    cqps: set[int] = field(default_factory=set)
    # When each dossier was put on the agenda (its event's time).
    added: dict[int, datetime.datetime] = field(default_factory=dict)

    @property
    def president(self) -> int:
        return self.members[0][0]


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


class DatasetGenerator:
    """Computes the rows of a dataset of `candidates` candidates and writes them."""

    def __init__(self, candidates: int, seed: int = 1, say=print):
        if candidates < 50:
            raise ValueError("at least 50 candidates")
        self.n = candidates
        self.rng = random.Random(seed)
        self.say = say
        self.now = timezone.now().replace(microsecond=0)
        scale = candidates / 100_000
        self.branch_count = max(2, min(20, candidates // 100))
        self.cqp_count = max(2 * self.branch_count, round(500 * scale))
        self.dossier_count = round(1.5 * candidates)
        self.upcoming_count = max(self.branch_count, round(100 * scale))
        self.cancelled_count = max(1, round(30 * scale))
        # Branch sizes follow a power law: one national branch, a long tail of small ones.
        self.weights = [1 / (i + 1) ** 1.2 for i in range(self.branch_count)]
        self.report = Report()
        self.ids: dict[type, itertools.count] = {}
        self.users: list[tuple] = []  # rows of the user table, written in batches
        self.emails: dict[int, str] = {}

    # --- helpers ---------------------------------------------------------------------------

    def new_id(self, model) -> int:
        if model not in self.ids:
            self.ids[model] = itertools.count(Table(model, ["id"]).next_id())
        return next(self.ids[model])

    def write(self, model, fields: list[str], rows) -> None:
        count = Table(model, fields).write(rows)
        name = model._meta.db_table
        self.report.counts[name] = self.report.counts.get(name, 0) + count

    def days_ago(self, low: float, high: float) -> datetime.datetime:
        return self.now - datetime.timedelta(days=self.rng.uniform(low, high))

    def weighted(self, choices: dict):
        return self.rng.choices(list(choices), weights=list(choices.values()))[0]

    # --- the steps -------------------------------------------------------------------------

    def run(self) -> Report:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            checked_in_bulk = bulk_reference_checks()
            steps = [
                ("accounts and branches", self.people_and_branches),
                ("catalogue", self.catalogue),
                ("dossiers", self.dossiers),
                ("juries and certificates", self.juries),
                ("sequences and statistics", self.sequences),
            ]
            if checked_in_bulk:
                steps.append(("references", lambda: check_references(list(self.ids))))
            for label, step in steps:
                started = timezone.now()
                step()
                seconds = (timezone.now() - started).total_seconds()
                self.say(f"{label}: done in {seconds:.1f} s")
            if not checked_in_bulk:
                # The database checks each row's references (deferred constraints) at the
                # commit: a good third of the time at 100,000 candidates on PostgreSQL.
                self.say("committing (the database checks every reference)…")
        return self.report

    def people_and_branches(self) -> None:
        user_model = get_user_model()
        self.password = make_password(PASSWORD)  # one hash for every generated account
        conventions = list(IdccConvention.objects.order_by("idcc").values_list("id", "label"))
        if len(conventions) < self.branch_count:
            raise ValueError("the IDCC conventions are missing: run migrate first")
        picked = self.rng.sample(conventions, self.branch_count)
        self.branches = []  # (id, code, name)
        self.cpnef_names = []  # printed on the certificates
        branch_rows, idcc_rows, member_rows = [], [], []
        codes = set()
        for index, (convention_id, label) in enumerate(picked):
            branch_id = self.new_id(Branch)
            name = f"Branche — {label}"[:200]
            code = f"B{index + 1:02d}"
            codes.add(code)
            self.branches.append((branch_id, code, name))
            self.cpnef_names.append(f"CPNEF — {label}"[:255])
            branch_rows.append(
                (
                    branch_id,
                    name,
                    f"{SLUG_PREFIX}{index + 1:02d}-{slugify(label)[:40]}",
                    code,
                    "",
                    self.cpnef_names[-1],
                    "",
                    "",
                    f"Présidence paritaire {index + 1}",
                    "Président de la CPNEF",
                    self.now,
                )
            )
            idcc_rows.append((branch_id, convention_id))
        self.write(
            Branch,
            [
                "id",
                "name",
                "slug",
                "code",
                "siret",
                "cpnef_name",
                "address",
                "logo",
                "signatory_name",
                "signatory_title",
                "created_at",
            ],
            branch_rows,
        )
        self.write_links(Branch, "idcc_conventions", idcc_rows)

        # Staff, CPNEF members, evaluators and jury members of each branch.
        self.staff, self.cpnef, self.evaluators, self.jurors = {}, {}, {}, {}
        evaluator_counts = split(max(self.branch_count * 2, self.n // 250), self.weights, 2)
        juror_counts = split(max(self.branch_count * 8, self.n // 160), self.weights, 8)
        for b, (branch_id, code, _name) in enumerate(self.branches):
            slug = code.lower()
            self.staff[b] = [self.account(f"gestion{i}.{slug}", is_staff=True) for i in (1, 2)]
            self.cpnef[b] = [self.account(f"cpnef{i}.{slug}", is_staff=True) for i in (1, 2)]
            for user_id in self.staff[b]:
                member_rows.append((user_id, branch_id, BranchMembership.BranchRole.STAFF))
            for user_id in self.cpnef[b]:
                member_rows.append((user_id, branch_id, BranchMembership.BranchRole.CPNEF))
            self.evaluators[b] = [
                self.account(f"evaluateur{i}.{slug}") for i in range(1, evaluator_counts[b] + 1)
            ]
            self.jurors[b] = [
                self.account(f"jury{i}.{slug}") for i in range(1, juror_counts[b] + 1)
            ]
        self.report.logins = [
            ("staff of the largest branch", self.email_of(self.staff[0][0])),
            ("CPNEF member of the largest branch", self.email_of(self.cpnef[0][0])),
            ("evaluator with the most dossiers", self.email_of(self.evaluators[0][0])),
            ("jury member", self.email_of(self.jurors[0][1])),
        ]
        self.candidate_users = [self.candidate_account() for _ in range(self.n)]
        self.write(
            user_model,
            USER_FIELDS,
            self.users,
        )
        self.users = []
        self.write(
            BranchMembership,
            ["id", "user_id", "branch_id", "role", "created_at"],
            [(self.new_id(BranchMembership), *row, self.now) for row in member_rows],
        )
        self.write(
            EvaluatorAccreditation,
            ["id", "user_id", "branch_id", "valid_from", "valid_until", "reference"],
            [
                (
                    self.new_id(EvaluatorAccreditation),
                    user_id,
                    self.branches[b][0],
                    timezone.localdate(self.now - datetime.timedelta(days=2500)),
                    None,
                    f"ACC-{self.branches[b][1]}-{i + 1:04d}",
                )
                for b, users in self.evaluators.items()
                for i, user_id in enumerate(users)
            ],
        )

    def write_links(self, model, field_name: str, pairs) -> None:
        """Rows of a many-to-many table, e.g. (branch id, convention id) pairs."""
        table = link_table(model, field_name)
        rows = [(self.new_id(table.model), *pair) for pair in pairs]
        self.write(table.model, table.fields, rows)

    def account(self, local: str, *, is_staff: bool = False) -> int:
        user_id = self.new_id(get_user_model())
        first = self.rng.choice(words.FIRST_NAMES)
        last = self.rng.choices(words.LAST_NAMES, words.LAST_NAME_WEIGHTS)[0]
        email = f"{local}@{DOMAIN}"
        self.users.append(
            (user_id, self.password, False, email, first, last, is_staff, True, self.now)
        )
        self.emails[user_id] = email
        return user_id

    def email_of(self, user_id: int) -> str:
        return self.emails[user_id]

    def candidate_account(self) -> tuple[int, str, str, str]:
        user_id = self.new_id(get_user_model())
        first = self.rng.choice(words.FIRST_NAMES)
        last = self.rng.choices(words.LAST_NAMES, words.LAST_NAME_WEIGHTS)[0]
        email = f"{ascii_name(first)}.{ascii_name(last)}.{user_id}@candidats.{DOMAIN}"
        return user_id, first, last, email

    def catalogue(self) -> None:
        cqps_per_branch = split(self.cqp_count, self.weights, 2)
        self.cqps: list[CqpInfo] = []
        self.branch_cqps = defaultdict(list)
        cqp_rows, ref_rows, unit_rows, comp_rows, crit_rows, decision_rows = [], [], [], [], [], []
        registry = 38000
        published = self.now - datetime.timedelta(days=2400)
        for b, count in enumerate(cqps_per_branch):
            branch_id, code, _name = self.branches[b]
            jobs = self.rng.sample(words.JOBS, min(count, len(words.JOBS)))
            for i in range(count):
                cqp_id = self.new_id(Cqp)
                job = jobs[i % len(jobs)]
                specialty = words.SPECIALTIES[(i // len(jobs)) % len(words.SPECIALTIES)]
                title = f"{job} — {specialty}" if specialty else job
                registry += 1
                number = f"RNCP{registry}" if self.rng.random() < 0.7 else ""
                level = self.rng.choice([Level.NIV3, Level.NIV4, Level.NIV4, Level.NIV5])
                cqp_code = f"CQP-{code}-{i + 1:03d}"
                info = CqpInfo(cqp_id, b, cqp_code, title, number, level, self.new_id(Referentiel))
                cqp_rows.append(
                    (
                        cqp_id,
                        branch_id,
                        cqp_code,
                        title,
                        level,
                        number,
                        "",
                        "",
                        "",
                        None,
                        "",
                        search_key(cqp_code, title, number),
                        CqpStatus.APPROVED,
                        published,
                        published,
                        published,
                    )
                )
                decision_rows.append(
                    (
                        self.new_id(CpnefDecision),
                        cqp_id,
                        CpnefDecision.Outcome.APPROVE,
                        timezone.localdate(published),
                        f"CPNEF-{code}-{i + 1:03d}",
                        "",
                        "",
                        self.cpnef[b][0],
                        published,
                    )
                )
                ref_rows.append(
                    (
                        info.referentiel,
                        cqp_id,
                        1,
                        ReferentielStatus.PUBLISHED,
                        published,
                        None,
                        "Accord de branche (jeu de données généré)",
                        "",
                        published,
                        published,
                    )
                )
                titles = self.rng.sample(words.UNIT_TITLES, self.rng.randint(4, 8))
                for order, unit_title in enumerate(titles, start=1):
                    unit_id = self.new_id(CompetenceUnit)
                    unit_code = f"{number}BC{order:02d}" if number else f"BC{order:02d}"
                    optional = order == len(titles) and len(titles) > 6
                    info.units.append((unit_id, unit_code, unit_title, optional))
                    unit_rows.append(
                        (
                            unit_id,
                            info.referentiel,
                            unit_code,
                            unit_title,
                            order,
                            optional,
                            "Mise en situation professionnelle et entretien avec le jury.",
                        )
                    )
                    for c, verb in enumerate(self.rng.sample(words.COMPETENCE_VERBS, 3), 1):
                        comp_rows.append(
                            (self.new_id(Competence), unit_id, c, f"{verb} — {unit_title}")
                        )
                    info.criteria[unit_id] = []
                    for c, text in enumerate(self.rng.sample(words.CRITERIA, 3), 1):
                        criterion_id = self.new_id(EvaluationCriterion)
                        info.criteria[unit_id].append(criterion_id)
                        crit_rows.append((criterion_id, unit_id, c, text))
                self.cqps.append(info)
                self.branch_cqps[b].append(info)
        self.write(
            Cqp,
            [
                "id",
                "branch_id",
                "code",
                "title",
                "level",
                "registry_number",
                "nsf_codes",
                "rome_codes",
                "formacodes",
                "registration_end_date",
                "description",
                "search_text",
                "status",
                "status_changed_at",
                "created_at",
                "updated_at",
            ],
            cqp_rows,
        )
        self.write(
            CpnefDecision,
            [
                "id",
                "cqp_id",
                "outcome",
                "meeting_date",
                "reference",
                "comment",
                "minutes",
                "decided_by_id",
                "created_at",
            ],
            decision_rows,
        )
        self.write(
            Referentiel,
            [
                "id",
                "cqp_id",
                "version",
                "status",
                "status_changed_at",
                "based_on_id",
                "source",
                "content_hash",
                "published_at",
                "created_at",
            ],
            ref_rows,
        )
        self.write(
            CompetenceUnit,
            [
                "id",
                "referentiel_id",
                "code",
                "title",
                "order",
                "is_optional",
                "evaluation_modalities",
            ],
            unit_rows,
        )
        self.write(Competence, ["id", "unit_id", "order", "text"], comp_rows)
        self.write(EvaluationCriterion, ["id", "unit_id", "order", "text"], crit_rows)
        self.providers()

    def providers(self) -> None:
        count = max(self.branch_count, self.n // 650)
        provider_rows, link_rows, hab_rows = [], [], []
        by_branch = defaultdict(list)
        for i in range(count):
            provider_id = self.new_id(TrainingProvider)
            city, postal_code = self.rng.choice(words.CITIES)
            name = self.rng.choice(words.TRAINING_PROVIDERS).format(city=city)
            siret = f"{10000000000000 + i * 7919:014d}"
            provider_rows.append(
                (
                    provider_id,
                    f"{name} ({i + 1})",
                    siret,
                    f"11{i:09d}"[:11],
                    f"{postal_code} {city}",
                    f"contact{i + 1}@organismes.{DOMAIN}",
                    "",
                    self.now,
                )
            )
            b = self.rng.choices(range(self.branch_count), weights=self.weights)[0]
            by_branch[b].append(provider_id)
            link_rows.append((provider_id, self.branches[b][0]))
        for b in range(self.branch_count):
            if not by_branch[b]:  # every branch has providers for its CQPs
                provider_id = provider_rows[b % len(provider_rows)][0]
                by_branch[b].append(provider_id)
                link_rows.append((provider_id, self.branches[b][0]))
        start = timezone.localdate(self.now - datetime.timedelta(days=2500))
        for info in self.cqps:
            chosen = self.rng.sample(by_branch[info.branch], min(2, len(by_branch[info.branch])))
            for provider_id in chosen:
                hab_id = self.new_id(Habilitation)
                info.habilitations.append((provider_id, hab_id))
                hab_rows.append(
                    (
                        hab_id,
                        provider_id,
                        info.id,
                        Habilitation.Scope.TRAIN_AND_EVALUATE,
                        f"HAB-{info.code}-{hab_id}",
                        start,
                        None,
                    )
                )
        self.write(
            TrainingProvider,
            ["id", "name", "siret", "nda", "address", "email", "phone", "created_at"],
            provider_rows,
        )
        self.write_links(TrainingProvider, "branches", sorted(set(link_rows)))
        self.write(
            Habilitation,
            ["id", "provider_id", "cqp_id", "scope", "reference", "valid_from", "valid_until"],
            hab_rows,
        )

    # --- dossiers --------------------------------------------------------------------------

    def dossiers(self) -> None:
        statuses = split(self.dossier_count, list(STATUS_MIX.values()))
        pool = [s for s, count in zip(STATUS_MIX, statuses, strict=True) for _ in range(count)]
        self.rng.shuffle(pool)
        # Who and which CQP: every candidate has a first dossier; the others go to candidates
        # who come back for another CQP of the same branch.
        cqp_weights = {
            b: [1 / (j + 1) ** 0.8 for j in range(len(infos))]
            for b, infos in self.branch_cqps.items()
        }
        choices = []  # (candidate index, CqpInfo)
        taken = defaultdict(set)
        for c in range(self.n):
            b = self.rng.choices(range(self.branch_count), weights=self.weights)[0]
            info = self.rng.choices(self.branch_cqps[b], weights=cqp_weights[b])[0]
            choices.append((c, info))
            taken[c].add(info.id)
        for _ in range(self.dossier_count - self.n):
            c = self.rng.randrange(self.n)
            b = choices[c][1].branch
            others = [i for i in self.branch_cqps[b] if i.id not in taken[c]]
            info = self.rng.choice(others or self.cqps)
            if info.id in taken[c]:
                continue  # rare: a candidate who already tried every CQP of a tiny branch
            taken[c].add(info.id)
            choices.append((c, info))
        pool = pool[: len(choices)]
        self.plan_sessions(
            Counter(info.branch for (_c, info), s in zip(choices, pool, strict=True) if s in FINAL)
        )

        self.rows = defaultdict(list)
        self.finals = []  # (dossier id, candidate index, CqpInfo, status, reference, validated)
        self.first_opened = {}
        assigned = Counter()
        for (c, info), status in zip(choices, pool, strict=True):
            self.dossier(c, info, status, assigned)
        self.say(f"  {len(self.rows['dossier']):,} dossiers computed")
        self.write_candidates()
        self.write_dossier_rows()

    def plan_sessions(self, finals_per_branch: Counter) -> None:
        """Closed sessions spread over six years, cancelled ones, and those to come."""
        self.sessions: list[SessionPlan] = []
        self.closed_by_branch = defaultdict(list)
        self.upcoming_by_branch = defaultdict(list)
        upcoming = split(self.upcoming_count, self.weights, 1)
        cancelled = split(self.cancelled_count, self.weights)
        for b in range(self.branch_count):
            closed = max(1, math.ceil(finals_per_branch[b] / DOSSIERS_PER_SESSION))
            first, last = 6 * 365, 10
            for i in range(closed):
                days = first - (first - last) * (i + 0.5) / closed
                when = self.session_time(self.now - datetime.timedelta(days=days))
                plan = self.session(b, when, SessionStatus.CLOSED)
                self.closed_by_branch[b].append(plan)
            for _ in range(cancelled[b]):
                when = self.session_time(self.days_ago(30, 6 * 365))
                self.session(b, when, SessionStatus.CANCELLED)
            for i in range(upcoming[b]):
                # Over the next four months: a large branch holds several juries a week.
                ahead = 7 + UPCOMING_DAYS * i / upcoming[b]
                when = self.session_time(self.now + datetime.timedelta(days=ahead))
                status = SessionStatus.CONVENED if i == 0 else SessionStatus.PLANNED
                self.upcoming_by_branch[b].append(self.session(b, when, status))

    @staticmethod
    def session_time(day: datetime.datetime) -> datetime.datetime:
        local = timezone.localtime(day).replace(hour=9, minute=30, second=0, microsecond=0)
        return local

    def session(self, b: int, when, status) -> SessionPlan:
        jurors = self.rng.sample(self.jurors[b], 5)
        colleges = [
            JuryMember.College.EMPLOYER,
            JuryMember.College.EMPLOYER,
            JuryMember.College.EMPLOYEE,
            JuryMember.College.EMPLOYEE,
            JuryMember.College.EXPERT,
        ]
        members = [
            (user_id, college, JuryMember.Role.PRESIDENT if i == 0 else JuryMember.Role.MEMBER)
            for i, (user_id, college) in enumerate(zip(jurors, colleges, strict=True))
        ]
        plan = SessionPlan(self.new_id(JurySession), b, when, status, members)
        self.sessions.append(plan)
        return plan

    def dossier(self, c: int, info: CqpInfo, status: str, assigned: Counter) -> None:
        rng = self.rng
        b = info.branch
        dossier_id = self.new_id(Dossier)
        user_id = self.candidate_users[c][0]
        staff = self.staff[b][0]
        session = None
        if status in FINAL:
            session = rng.choice(self.closed_by_branch[b])
            changed = session.starts_at + datetime.timedelta(hours=3)
            opened = changed - datetime.timedelta(days=rng.triangular(90, 600, 220))
        elif status == S.IN_JURY:
            session = self.upcoming_session(b)
            opened = self.days_ago(*OPEN_AGE[status])
            changed = opened + (self.now - opened) * rng.uniform(0.85, 0.98)
        elif status in OPEN_AGE:
            opened = self.days_ago(*OPEN_AGE[status])
            changed = opened + (self.now - opened) * rng.uniform(0.6, 0.98)
        elif status == S.WITHDRAWN:
            opened = self.days_ago(30, 6 * 365)
            changed = min(opened + datetime.timedelta(days=rng.uniform(10, 300)), self.now)
        elif status == S.INADMISSIBLE:
            opened = self.days_ago(20, 6 * 365)
            changed = opened + datetime.timedelta(days=rng.uniform(5, 40))
        else:  # archived: a draft left aside
            opened = self.days_ago(400, 6 * 365)
            changed = opened + datetime.timedelta(days=rng.uniform(180, 360))
        if status == S.DRAFT:
            changed = opened
        self.first_opened[c] = min(opened, self.first_opened.get(c, opened))

        # The steps taken, and the status each leaves the dossier in.
        taken = STEPS_TAKEN.get(status)
        if status == S.WITHDRAWN:
            taken = rng.choice([1, 3, 4, 5, 5, 6])
        elif status == S.ARCHIVED:
            taken = 0
        pathway = ""
        if taken >= 5:
            pathway = {S.VAE: Pathway.VAE, S.TRAINING: Pathway.TRAINING}.get(status) or (
                Pathway.VAE if rng.random() < 0.4 else Pathway.TRAINING
            )
        evaluator = None
        if taken >= 4:
            evaluators = self.evaluators[b]
            # The first evaluator of a branch is its busiest (the evaluator list's worst case).
            evaluator = evaluators[0] if rng.random() < 0.08 else rng.choice(evaluators)
            assigned[evaluator] += 1
        events = [("open", "", S.DRAFT, user_id)]
        current = S.DRAFT
        for action, to in STEPS[:taken]:
            actor = staff
            if action == "submit":
                actor = user_id
            elif action == "choose":
                action = f"choose_{pathway}"
                to = S.VAE if pathway == Pathway.VAE else S.TRAINING
                actor = evaluator
            elif action in ("start_evaluation", "declare_ready"):
                actor = evaluator
            elif action == "decide":
                action, _outcome = DECIDE_ACTION[status]
                to = status
            events.append((action, current, to or current, actor))
            current = to or current
            if action == f"choose_{Pathway.TRAINING}":
                events.append(("plan_training", current, current, evaluator))
        if status == S.INCOMPLETE:
            events.append(("declare_incomplete", S.SUBMITTED, S.INCOMPLETE, staff))
        elif status == S.INADMISSIBLE:
            events.append(("declare_inadmissible", S.SUBMITTED, S.INADMISSIBLE, staff))
        elif status == S.WITHDRAWN:
            events.append(("withdraw", current, S.WITHDRAWN, user_id))
        elif status == S.ARCHIVED:
            events.append(("archive", S.DRAFT, S.ARCHIVED, staff))
        span = changed - opened
        times = [opened + span * (i / max(1, len(events) - 1)) for i in range(len(events))]
        when = dict(zip((e[0] for e in events), times, strict=False))
        for (action, before, after, actor), moment in zip(events, times, strict=True):
            self.rows["event"].append(
                (self.new_id(DossierEvent), dossier_id, action, before, after, actor, "", moment)
            )

        submitted = when.get("submit")
        complete = when.get("declare_complete")
        due = None
        if status in (S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION):
            due = timezone.localdate(changed + datetime.timedelta(days=45))
        vae_requested = (
            timezone.localdate(when[f"choose_{Pathway.VAE}"]) if pathway == Pathway.VAE else None
        )
        provider = None
        if pathway == Pathway.TRAINING and info.habilitations:
            provider, habilitation = rng.choice(info.habilitations)
        funding = self.weighted(FUNDING_MIX)
        reference = f"{timezone.localtime(opened).year}-{dossier_id:06d}"
        self.rows["dossier"].append(
            (
                dossier_id,
                c,  # the candidate's index: replaced by its id when written
                info.id,
                info.referentiel,
                reference,
                funding,
                pathway,
                vae_requested,
                evaluator,
                due,
                provider,
                None,
                status,
                changed,
                submitted,
                complete,
                opened,
            )
        )
        if submitted:
            self.pieces(dossier_id, user_id, opened, pathway)
        if pathway:
            self.positioning(dossier_id, info, pathway, evaluator, when)
        if provider:
            self.training_plan(dossier_id, info, provider, habilitation, funding, evaluator, when)
        validated = None
        if taken >= 6:
            validated = self.assessments(dossier_id, info, status, pathway, evaluator, when)
        if session is not None:
            session.dossiers.append(dossier_id)
            session.added[dossier_id] = when["put_on_agenda"]
            session.cqps.add(info.id)
            if status in FINAL:
                self.finals.append((dossier_id, c, info, status, reference, validated))

    def upcoming_session(self, b: int) -> SessionPlan:
        sessions = self.upcoming_by_branch[b]
        # The largest branch's next session holds 300 dossiers (the jury page's worst case).
        if b == 0 and len(sessions[0].dossiers) < 300:
            return sessions[0]
        return self.rng.choice(sessions[1:] or sessions)

    def pieces(self, dossier_id, user_id, opened, pathway) -> None:
        kinds = [DossierDocument.Kind.IDENTITY, DossierDocument.Kind.CV]
        if pathway == Pathway.VAE:
            kinds.append(DossierDocument.Kind.VAE_BOOKLET)
        for kind in kinds:
            self.rows["piece"].append(
                (
                    self.new_id(DossierDocument),
                    dossier_id,
                    kind,
                    sample_pdf(kind),
                    f"{kind}.pdf",
                    "application/pdf",
                    len(SAMPLE_PDF),
                    user_id,
                    opened + datetime.timedelta(hours=self.rng.uniform(1, 48)),
                )
            )

    def positioning(self, dossier_id, info, pathway, evaluator, when) -> None:
        positioning_id = self.new_id(PositioningAssessment)
        day = when[f"choose_{pathway}"]
        vae = pathway == Pathway.VAE
        self.rows["positioning"].append(
            (
                positioning_id,
                dossier_id,
                evaluator,
                timezone.localdate(day),
                pathway,
                "Expérience significative dans le métier."
                if vae
                else "Une formation complète est recommandée.",
                timezone.localdate(day + datetime.timedelta(days=365)) if vae else None,
                day,
            )
        )
        for unit_id, *_rest in info.units:
            if vae:
                result = self.rng.choice([PositioningResult.ACQUIRED, PositioningResult.PARTLY])
            else:
                result = self.rng.choice([PositioningResult.NOT_YET, PositioningResult.PARTLY])
            self.rows["positioning_unit"].append(
                (
                    self.new_id(PositioningUnit),
                    positioning_id,
                    unit_id,
                    result,
                    "",
                    None if vae else self.rng.choice([35, 70, 105]),
                )
            )

    def training_plan(self, dossier_id, info, provider, habilitation, funding, evaluator, when):
        plan_id = self.new_id(TrainingPlan)
        start = timezone.localdate(when["plan_training"] + datetime.timedelta(days=14))
        self.rows["plan"].append(
            (
                plan_id,
                dossier_id,
                provider,
                habilitation,
                start,
                start + datetime.timedelta(days=120),
                funding,
                evaluator,
                when["plan_training"],
                when["plan_training"],
            )
        )
        for unit_id, *_rest in info.units:
            self.rows["plan_unit"].append(
                (self.new_id(TrainingPlanUnit), plan_id, unit_id, self.rng.choice([35, 70, 105]))
            )

    def assessments(self, dossier_id, info, status, pathway, evaluator, when) -> list[int]:
        """The evaluator's unit assessments; returns the units validated."""
        rng = self.rng
        units = [u[0] for u in info.units]
        if status == S.EVALUATION:
            units = units[: rng.randint(0, len(units))]
        if status == S.CERTIFIED:
            validated = set(units)
        elif status == S.PARTIALLY_VALIDATED:
            validated = set(rng.sample(units, rng.randint(1, len(units) - 1)))
        elif status == S.NOT_VALIDATED:
            validated = set()
        else:
            validated = {u for u in units if rng.random() < 0.9}
        start = when["start_evaluation"]
        # Assessed until handed to the jury, or until the candidate withdrew.
        end = when.get("declare_ready") or when.get("withdraw") or self.now
        modality = (
            AssessmentModality.PORTFOLIO
            if pathway == Pathway.VAE
            else (AssessmentModality.PRACTICAL)
        )
        detailed = status not in FINAL  # criteria of the dossiers still being worked on
        for unit_id in units:
            assessment_id = self.new_id(UnitAssessment)
            moment = start + (end - start) * rng.random()
            ok = unit_id in validated
            self.rows["assessment"].append(
                (
                    assessment_id,
                    dossier_id,
                    unit_id,
                    evaluator,
                    timezone.localdate(moment),
                    modality,
                    UnitAssessmentResult.VALIDATED if ok else UnitAssessmentResult.NOT_VALIDATED,
                    "",
                    moment,
                    moment,
                )
            )
            if detailed:
                for criterion_id in info.criteria[unit_id]:
                    self.rows["criterion"].append(
                        (
                            self.new_id(CriterionAssessment),
                            assessment_id,
                            criterion_id,
                            ok or rng.random() < 0.5,
                        )
                    )
        return sorted(validated)

    def write_candidates(self) -> None:
        rows = []
        self.candidate_ids = []
        self.identity = []
        for c, (user_id, first, last, email) in enumerate(self.candidate_users):
            candidate_id = self.new_id(Candidate)
            self.candidate_ids.append(candidate_id)
            city, postal_code = self.rng.choice(words.CITIES)
            birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 16000))
            self.identity.append((first, last, birth, city))
            created = self.first_opened.get(c, self.now) - datetime.timedelta(hours=1)
            self.users.append(
                (user_id, self.password, False, email, first, last, False, True, created)
            )
            situation = self.rng.choice(Candidate.Situation.values)
            employed = situation == Candidate.Situation.EMPLOYEE
            rows.append(
                (
                    candidate_id,
                    user_id,
                    first,
                    last,
                    birth,
                    city,
                    f"06{self.rng.randint(0, 99_999_999):08d}",
                    f"{self.rng.randint(1, 120)} rue de la République",
                    postal_code,
                    city,
                    situation,
                    "Entreprise adhérente" if employed else "",
                    "",
                    created,
                    created,
                    None,
                    search_key(last, first, email),
                )
            )
        self.write(get_user_model(), USER_FIELDS, self.users)
        self.users = []
        self.write(
            Candidate,
            [
                "id",
                "user_id",
                "first_name",
                "last_name",
                "birth_date",
                "birth_place",
                "phone",
                "address",
                "postal_code",
                "city",
                "situation",
                "employer_name",
                "employer_siret",
                "created_at",
                "updated_at",
                "anonymised_at",
                "search_text",
            ],
            rows,
        )

    def write_dossier_rows(self) -> None:
        ids = self.candidate_ids
        dossiers = [(row[0], ids[row[1]], *row[2:]) for row in self.rows.pop("dossier")]
        self.write(
            Dossier,
            [
                "id",
                "candidate_id",
                "cqp_id",
                "referentiel_id",
                "reference",
                "funding",
                "pathway",
                "vae_requested_on",
                "evaluator_id",
                "evaluator_due_on",
                "training_provider_id",
                "previous_id",
                "status",
                "status_changed_at",
                "submitted_at",
                "completeness_checked_at",
                "created_at",
            ],
            dossiers,
        )
        self.say(f"  {len(dossiers):,} dossiers written")
        tables = [
            (
                "event",
                DossierEvent,
                [
                    "id",
                    "dossier_id",
                    "action",
                    "from_status",
                    "to_status",
                    "actor_id",
                    "comment",
                    "created_at",
                ],
            ),
            (
                "piece",
                DossierDocument,
                [
                    "id",
                    "dossier_id",
                    "kind",
                    "file",
                    "original_name",
                    "content_type",
                    "size",
                    "uploaded_by_id",
                    "uploaded_at",
                ],
            ),
            (
                "positioning",
                PositioningAssessment,
                [
                    "id",
                    "dossier_id",
                    "evaluator_id",
                    "assessed_on",
                    "recommendation",
                    "justification",
                    "eligibility_valid_until",
                    "created_at",
                ],
            ),
            (
                "positioning_unit",
                PositioningUnit,
                ["id", "positioning_id", "unit_id", "result", "comment", "estimated_hours"],
            ),
            (
                "plan",
                TrainingPlan,
                [
                    "id",
                    "dossier_id",
                    "provider_id",
                    "habilitation_id",
                    "start_date",
                    "end_date",
                    "funding",
                    "recorded_by_id",
                    "created_at",
                    "updated_at",
                ],
            ),
            ("plan_unit", TrainingPlanUnit, ["id", "plan_id", "unit_id", "hours"]),
            (
                "assessment",
                UnitAssessment,
                [
                    "id",
                    "dossier_id",
                    "unit_id",
                    "evaluator_id",
                    "assessed_on",
                    "modality",
                    "result",
                    "comment",
                    "created_at",
                    "updated_at",
                ],
            ),
            ("criterion", CriterionAssessment, ["id", "assessment_id", "criterion_id", "met"]),
        ]
        for key, model, fields in tables:
            rows = self.rows.pop(key)
            self.write(model, fields, rows)
            self.say(f"  {len(rows):,} rows of {model._meta.db_table} written")
        save_sample_pdfs(DossierDocument.Kind.values)

    # --- juries ----------------------------------------------------------------------------

    def juries(self) -> None:
        rng = self.rng
        session_rows, member_rows, cqp_rows, item_rows = [], [], [], []
        decision_rows, decision_unit_rows, acquired_rows = [], [], []
        certificate_rows, minutes_rows = [], []
        by_dossier = {f[0]: f for f in self.finals}
        counters = Counter()  # (branch index, year) -> last sequence
        codes = set()
        for plan in sorted(self.sessions, key=lambda p: p.starts_at):
            branch_id, branch_code, branch_name = self.branches[plan.branch]
            closed = plan.status == SessionStatus.CLOSED
            changed = plan.starts_at + datetime.timedelta(hours=3) if closed else self.now
            session_rows.append(
                (
                    plan.id,
                    branch_id,
                    plan.starts_at,
                    f"Siège de la branche {branch_code}, salle {rng.randint(1, 6)}",
                    "",
                    plan.status,
                    changed,
                    self.staff[plan.branch][0],
                    # Planned weeks ahead, and never after the first dossier put on it.
                    min([plan.starts_at - datetime.timedelta(days=40), *plan.added.values()]),
                )
            )
            member_ids = {}
            for user_id, college, role in plan.members:
                member_ids[user_id] = self.new_id(JuryMember)
                member_rows.append(
                    (member_ids[user_id], plan.id, user_id, college, role, True if closed else None)
                )
            if not plan.cqps:
                plan.cqps.add(rng.choice(self.branch_cqps[plan.branch]).id)
            cqp_rows.extend((plan.id, cqp_id) for cqp_id in sorted(plan.cqps))
            for order, dossier_id in enumerate(plan.dossiers, start=1):
                item_id = self.new_id(AgendaItem)
                item_rows.append(
                    (
                        item_id,
                        plan.id,
                        dossier_id,
                        order,
                        not closed,
                        self.staff[plan.branch][0],
                        plan.added[dossier_id],
                    )
                )
                if not closed:
                    continue
                _d, c, info, status, reference, validated = by_dossier[dossier_id]
                _action, outcome = DECIDE_ACTION[status]
                decision_id = self.new_id(JuryDecision)
                decided = plan.starts_at + datetime.timedelta(hours=2)
                motivation = (
                    ""
                    if outcome == Outcome.CERTIFIED
                    else "Les compétences de certains blocs restent à démontrer en situation."
                )
                decision_rows.append(
                    (
                        decision_id,
                        item_id,
                        outcome,
                        motivation,
                        plan.president,
                        decided,
                        decided + datetime.timedelta(hours=1),
                        None,
                    )
                )
                held = set(validated or ())
                for unit_id, *_rest in info.units:
                    decision_unit_rows.append(
                        (self.new_id(DecisionUnit), decision_id, unit_id, unit_id in held)
                    )
                day = timezone.localtime(plan.starts_at).date()
                candidate_id = self.candidate_ids[c]
                for unit_id in sorted(held):
                    acquired_rows.append(
                        (self.new_id(AcquiredUnit), candidate_id, unit_id, dossier_id, day, decided)
                    )
                if outcome == Outcome.NOT_VALIDATED:
                    continue
                year = day.year
                counters[plan.branch, year] += 1
                sequence = counters[plan.branch, year]
                code = "".join(rng.choices(ALPHABET, k=LENGTH))
                while code in codes:
                    code = "".join(rng.choices(ALPHABET, k=LENGTH))
                codes.add(code)
                kind = (
                    Certificate.Kind.CERTIFICATE
                    if outcome == Outcome.CERTIFIED
                    else Certificate.Kind.PARTIAL_ATTESTATION
                )
                first, last, birth, city = self.identity[c]
                snapshot = {
                    "holder": {
                        "first_name": first,
                        "last_name": last,
                        "birth_date": birth.isoformat(),
                        "birth_place": city,
                    },
                    "cqp": {
                        "code": info.code,
                        "title": info.title,
                        "registry_number": info.registry_number,
                        "level": str(Level(info.level).label),
                        "referentiel_version": 1,
                    },
                    "branch": {
                        "name": branch_name,
                        "cpnef_name": self.cpnef_names[plan.branch],
                    },
                    "dossier": reference,
                    "units_held": [
                        {
                            "code": u[1],
                            "title": u[2],
                            "optional": u[3],
                            "acquired_on": day.isoformat(),
                        }
                        for u in info.units
                        if u[0] in held
                    ],
                    "units_remaining": [
                        {"code": u[1], "title": u[2], "optional": u[3]}
                        for u in info.units
                        if u[0] not in held
                    ],
                    "jury_date": day.isoformat(),
                    "decided_on": day.isoformat(),
                    "place": session_rows[-1][3],
                }
                certificate_rows.append(
                    (
                        self.new_id(Certificate),
                        DocumentStatus.READY,
                        sample_pdf(kind),
                        1,
                        "",
                        decided,
                        decided,
                        decided,
                        dossier_id,
                        decision_id,
                        branch_id,
                        kind,
                        year,
                        sequence,
                        f"{branch_code}-{year}-{sequence:06d}",
                        code,
                        snapshot,
                        None,
                        "",
                        None,
                    )
                )
            if closed:
                moment = plan.starts_at + datetime.timedelta(hours=3)
                minutes_rows.append(
                    (
                        self.new_id(JuryMinutes),
                        DocumentStatus.READY,
                        sample_pdf("minutes"),
                        1,
                        "",
                        moment,
                        moment,
                        moment,
                        plan.id,
                    )
                )
        self.write(
            JurySession,
            [
                "id",
                "branch_id",
                "starts_at",
                "place",
                "video_link",
                "status",
                "status_changed_at",
                "created_by_id",
                "created_at",
            ],
            session_rows,
        )
        self.write(
            JuryMember, ["id", "session_id", "user_id", "college", "role", "present"], member_rows
        )
        self.write_links(JurySession, "cqps", cqp_rows)
        self.write(
            AgendaItem,
            ["id", "session_id", "dossier_id", "order", "active", "added_by_id", "added_at"],
            item_rows,
        )
        self.write(
            JuryDecision,
            [
                "id",
                "item_id",
                "outcome",
                "motivation",
                "decided_by_id",
                "decided_at",
                "final_at",
                "corrects_id",
            ],
            decision_rows,
        )
        self.write(DecisionUnit, ["id", "decision_id", "unit_id", "validated"], decision_unit_rows)
        self.write(
            AcquiredUnit,
            ["id", "candidate_id", "unit_id", "dossier_id", "acquired_on", "created_at"],
            acquired_rows,
        )
        self.write(
            Certificate,
            [
                "id",
                "status",
                "pdf",
                "attempts",
                "last_error",
                "queued_at",
                "produced_at",
                "created_at",
                "dossier_id",
                "decision_id",
                "branch_id",
                "kind",
                "year",
                "sequence",
                "number",
                "public_code",
                "snapshot",
                "revoked_at",
                "revoked_reason",
                "revoked_by_id",
            ],
            certificate_rows,
        )
        self.write(
            CertificateCounter,
            ["id", "branch_id", "year", "last"],
            [
                (self.new_id(CertificateCounter), self.branches[b][0], year, last)
                for (b, year), last in sorted(counters.items())
            ],
        )
        self.write(
            JuryMinutes,
            [
                "id",
                "status",
                "pdf",
                "attempts",
                "last_error",
                "queued_at",
                "produced_at",
                "created_at",
                "session_id",
            ],
            minutes_rows,
        )
        save_sample_pdfs(
            [Certificate.Kind.CERTIFICATE, Certificate.Kind.PARTIAL_ATTESTATION, "minutes"]
        )
        self.say(
            f"  {len(session_rows):,} sessions, {len(decision_rows):,} decisions, "
            f"{len(certificate_rows):,} certificates and attestations written"
        )

    def sequences(self) -> None:
        reset_sequences(list(self.ids))
        if connection.vendor == "postgresql":
            # Fresh statistics: the planner would otherwise believe the tables nearly empty
            # until autovacuum comes by (and choose nested loops over 150,000 rows).
            with connection.cursor() as cursor:
                for model in self.ids:
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')
