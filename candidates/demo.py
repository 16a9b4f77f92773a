"""Demo candidates: dossiers in every state of the path, on the CQP Négociateur immobilier.

The evaluator `evaluateur@demo.cqp.fr` follows those from the positioning on (two awaiting
their positioning, VAE with and without the booklet, training in progress and finished,
evaluation under way, ready for the jury, then decided by the jury); on one more dossier
`evaluateur2@demo.cqp.fr` declared a conflict of interest and it awaits another evaluator.

Idempotent: a candidate already there is left as is. Every step goes through the services, so
the timelines, e-mails (kept out of the console here) and acquired units are real. The
services date positionings and assessments no earlier than the dossier's opening (today), so
they are dated today; the training plans started weeks or months ago.
"""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from certifications.demo import DEMO_PASSWORD
from certifications.models import BranchMembership, Cqp, TrainingProvider

from . import services
from .models import (
    AssessmentModality,
    Candidate,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Funding,
    Pathway,
    PositioningResult,
    UnitAssessmentResult,
)

S = DossierStatus
R = PositioningResult
M = AssessmentModality
VALIDATED, NOT_VALIDATED = UnitAssessmentResult.VALIDATED, UnitAssessmentResult.NOT_VALIDATED

EVALUATOR = "evaluateur@demo.cqp.fr"
EVALUATOR_2 = "evaluateur2@demo.cqp.fr"
PROVIDER_SIRET = "84231765300025"  # Institut Hoguet Formation (certifications/demo.py)

# A one-page PDF, enough to stand for a scanned piece in the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class Positioning:
    """The evaluator's bilan: one (result, comment, estimated hours) per unit, in order."""

    pathway: str
    justification: str
    units: tuple[tuple[str, str, int | None], ...]


@dataclass(frozen=True)
class Plan:
    """A training plan with the demo provider; days counted from today; hours per unit code."""

    starts_in: int
    ends_in: int
    funding: str
    hours: dict[str, int]


@dataclass(frozen=True)
class Assessment:
    """One unit's assessment; `unmet` names the criteria not met by the start of their text."""

    unit: str
    modality: str
    result: str
    comment: str = ""
    unmet: tuple[str, ...] = ()


@dataclass(frozen=True)
class Story:
    """What happens to a dossier once admissible (for the states past the admissibility)."""

    positioning: Positioning | None = None
    booklet: bool = True  # VAE: the candidate added their booklet
    plan: Plan | None = None
    assessments: tuple[Assessment, ...] = ()
    due_in: int | None = None  # days left for the positioning (30 by default)
    evaluator: str = EVALUATOR
    conflict: str = ""  # the evaluator steps aside with this reason
    jury_comment: str = ""
    note: str = ""  # printed next to the login


class DemoCandidate(NamedTuple):
    email: str
    first_name: str
    last_name: str
    birth_date: str
    birth_place: str
    situation: str
    target: str
    story: Story = Story()
    funding: str = ""  # the dossier's; CPF for a job seeker, the employer's plan otherwise
    idle_years: int = 0  # everything they did happened that long ago (retention period over)


CANDIDATES = [
    DemoCandidate(
        "candidat.brouillon@demo.cqp.fr",
        "Inès",
        "Marchand",
        "1998-03-14",
        "Nantes",
        "job_seeker",
        S.DRAFT,
    ),
    DemoCandidate(
        "candidat.soumis@demo.cqp.fr",
        "Julien",
        "Caron",
        "1991-07-02",
        "Lille",
        "employee",
        S.SUBMITTED,
    ),
    DemoCandidate(
        "candidat.incomplet@demo.cqp.fr",
        "Karima",
        "Benali",
        "1987-11-23",
        "Marseille",
        "employee",
        S.INCOMPLETE,
    ),
    DemoCandidate(
        "candidat.recevable@demo.cqp.fr",
        "Louis",
        "Perrin",
        "2001-01-30",
        "Rennes",
        "initial_training",
        S.ADMISSIBLE,
    ),
    DemoCandidate(
        "candidat.positionnement@demo.cqp.fr",
        "Manon",
        "Girard",
        "1995-05-09",
        "Toulouse",
        "employee",
        S.POSITIONING,
        Story(note="bilan attendu sous 30 jours"),
    ),
    DemoCandidate(
        "candidat.bilan@demo.cqp.fr",
        "Valérie",
        "Lambert",
        "1992-10-12",
        "Angers",
        "employee",
        S.POSITIONING,
        Story(due_in=5, note="bilan attendu sous 5 jours"),
    ),
    DemoCandidate(
        "candidat.vae@demo.cqp.fr",
        "Nicolas",
        "Fabre",
        "1983-09-17",
        "Bordeaux",
        "employee",
        S.VAE,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Douze ans en agence, dont huit comme négociateur : prise de mandats, "
                "accompagnement des acquéreurs et suivi des ventes jusqu'à l'acte authentique. "
                "Expérience en rapport direct avec le référentiel : recevable en VAE.",
                (
                    (
                        R.ACQUIRED,
                        "Une quarantaine de mandats par an, dont un tiers en exclusivité ; "
                        "estimations argumentées à partir des références DVF.",
                        None,
                    ),
                    (
                        R.ACQUIRED,
                        "Conduit seul découverte client et visites depuis 2016.",
                        None,
                    ),
                    (
                        R.PARTLY,
                        "Rédige les offres d'achat ; le suivi des conditions suspensives est "
                        "confié à l'assistante : à illustrer précisément dans le livret.",
                        None,
                    ),
                ),
            ),
            note="livret VAE déposé, évaluation à démarrer",
        ),
    ),
    DemoCandidate(
        "candidat.livret-attendu@demo.cqp.fr",
        "William",
        "Bertrand",
        "1980-06-24",
        "Clermont-Ferrand",
        "employee",
        S.VAE,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Six ans d'expérience en transaction ; maîtrise de l'estimation à consolider. "
                "Activité couvrant les trois blocs : recevable en VAE.",
                (
                    (
                        R.PARTLY,
                        "Prospection et prise de mandats régulières ; estimations encore "
                        "validées par le responsable d'agence.",
                        None,
                    ),
                    (R.ACQUIRED, "Accueil, découverte et visites maîtrisés.", None),
                    (
                        R.ACQUIRED,
                        "Offres d'achat et avant-contrats préparés en autonomie.",
                        None,
                    ),
                ),
            ),
            booklet=False,
            note="livret VAE attendu",
        ),
    ),
    DemoCandidate(
        "candidat.formation@demo.cqp.fr",
        "Océane",
        "Lemoine",
        "1999-12-05",
        "Dijon",
        "job_seeker",
        S.TRAINING,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Reconversion après cinq ans de vente en magasin : sens commercial et accueil "
                "acquis, aucune pratique de la transaction ni du cadre juridique (loi Hoguet, "
                "mandats). Parcours de formation recommandé sur les trois blocs.",
                (
                    (
                        R.PARTLY,
                        "Prospection téléphonique pratiquée en boutique ; pige, estimation et "
                        "rédaction des mandats à acquérir.",
                        105,
                    ),
                    (
                        R.PARTLY,
                        "Accueil et découverte client maîtrisés ; organisation et conduite des "
                        "visites à acquérir.",
                        70,
                    ),
                    (
                        R.NOT_YET,
                        "Aucune pratique de l'offre d'achat, de l'avant-contrat ni du suivi "
                        "jusqu'à l'acte.",
                        140,
                    ),
                ),
            ),
            plan=Plan(-21, 120, Funding.CPF, {"BLOC1": 105, "BLOC2": 70, "BLOC3": 140}),
            note="formation en cours",
        ),
    ),
    DemoCandidate(
        "candidat.formation-terminee@demo.cqp.fr",
        "Xavier",
        "Morel",
        "1996-02-18",
        "Limoges",
        "employee",
        S.TRAINING,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Deux ans d'alternance comme assistant commercial en agence : accueil et "
                "visites maîtrisés ; prise de mandats et contractualisation à consolider en "
                "formation.",
                (
                    (
                        R.PARTLY,
                        "Participe à la pige ; n'a jamais rentré de mandat seul.",
                        70,
                    ),
                    (
                        R.ACQUIRED,
                        "Organise et conduit les visites, comptes rendus aux vendeurs compris.",
                        None,
                    ),
                    (
                        R.PARTLY,
                        "Connaît la chaîne de la vente ; n'a pas présenté d'offre d'achat.",
                        84,
                    ),
                ),
            ),
            plan=Plan(-150, -8, Funding.CONTRAT_PRO, {"BLOC1": 70, "BLOC3": 84}),
            note="formation terminée, évaluation en retard",
        ),
        funding=Funding.CONTRAT_PRO,
    ),
    DemoCandidate(
        "candidat.evaluation@demo.cqp.fr",
        "Pierre",
        "Dupuis",
        "1990-04-21",
        "Tours",
        "employee",
        S.EVALUATION,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Quatre ans d'assistanat commercial en agence : suivi des ventes acquis, peu de "
                "prise de mandats en autonomie. Formation recommandée sur la prospection, "
                "l'estimation et la découverte client.",
                (
                    (
                        R.NOT_YET,
                        "Estimations faites par le responsable d'agence ; pas de mandat rentré "
                        "seul.",
                        105,
                    ),
                    (R.PARTLY, "Accompagne les visites ; découverte client à structurer.", 35),
                    (
                        R.ACQUIRED,
                        "Prépare les compromis et suit les conditions suspensives depuis trois "
                        "ans.",
                        None,
                    ),
                ),
            ),
            plan=Plan(-100, 14, Funding.PDC, {"BLOC1": 105, "BLOC2": 35}),
            assessments=(
                Assessment(
                    "BLOC3",
                    M.INTERVIEW,
                    VALIDATED,
                    "Suivi des conditions suspensives et relation avec le notaire décrits avec "
                    "précision, pièces à l'appui.",
                ),
                Assessment(
                    "BLOC1",
                    M.CASE_STUDY,
                    NOT_VALIDATED,
                    "Dossier de prospection incomplet : la pige n'est pas exploitée et les "
                    "propositions pour le plan commercial restent générales. À reprendre en fin "
                    "de formation.",
                    unmet=(
                        "La pige immobilière",
                        "Les propositions d'actualisation",
                    ),
                ),
            ),
            note="BLOC2 pas encore évalué",
        ),
    ),
    DemoCandidate(
        "candidat.jury@demo.cqp.fr",
        "Quentin",
        "Roussel",
        "1993-06-11",
        "Reims",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Sept ans de négociation en agence indépendante, 35 à 40 ventes par an : "
                "expérience en rapport direct avec les trois blocs. Recevable en VAE.",
                (
                    (R.ACQUIRED, "Mandats exclusifs majoritaires, estimation maîtrisée.", None),
                    (R.ACQUIRED, "Découverte et visites conduites en autonomie.", None),
                    (
                        R.PARTLY,
                        "Présentation des offres au vendeur peu structurée, à préciser dans le "
                        "livret.",
                        None,
                    ),
                ),
            ),
            assessments=(
                Assessment(
                    "BLOC1",
                    M.PORTFOLIO,
                    VALIDATED,
                    "Livret et mandats produits probants ; avis de valeur bien argumentés.",
                ),
                Assessment("BLOC2", M.OBSERVATION, VALIDATED),
                Assessment(
                    "BLOC3",
                    M.INTERVIEW,
                    VALIDATED,
                    "Validé : la présentation de l'offre d'achat au vendeur ne suit pas toutes "
                    "les étapes attendues, mais l'argumentation et le suivi jusqu'à l'acte sont "
                    "maîtrisés.",
                    unmet=("La présentation de l'offre d'achat",),
                ),
            ),
        ),
    ),
    DemoCandidate(
        "candidat.partiel@demo.cqp.fr",
        "Rose",
        "Vidal",
        "1989-02-27",
        "Nice",
        "employee",
        S.PARTIALLY_VALIDATED,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Cinq ans en gestion locative puis deux ans en transaction : prise de mandats "
                "maîtrisée, expérience de la vente plus courte. Recevable en VAE ; les blocs 2 "
                "et 3 seront à étayer dans le livret.",
                (
                    (R.ACQUIRED, "Rentre et rédige seule ses mandats.", None),
                    (R.PARTLY, "Peu de visites conduites seule.", None),
                    (R.PARTLY, "Offres d'achat rédigées avec le responsable.", None),
                ),
            ),
            assessments=(
                Assessment("BLOC1", M.PORTFOLIO, VALIDATED),
                Assessment(
                    "BLOC2",
                    M.PRACTICAL,
                    NOT_VALIDATED,
                    "Jeu de rôle : découverte du client acquéreur incomplète, biens proposés "
                    "sans rapport avec son budget.",
                    unmet=(
                        "Le questionnement réalisé",
                        "La sélection des biens",
                        "Les biens proposés prennent",
                    ),
                ),
                Assessment(
                    "BLOC3",
                    M.PRACTICAL,
                    NOT_VALIDATED,
                    "Offre d'achat incomplète (conditions suspensives omises) ; présentation de "
                    "l'offre au vendeur non structurée.",
                    unmet=(
                        "L'offre d'achat rédigée",
                        "La présentation de l'offre d'achat",
                    ),
                ),
            ),
            jury_comment="Blocs 2 et 3 : mises en situation insuffisamment maîtrisées.",
        ),
    ),
    DemoCandidate(
        "candidat.certifie@demo.cqp.fr",
        "Samuel",
        "Colin",
        "1986-08-08",
        "Grenoble",
        "employee",
        S.CERTIFIED,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Reconversion d'un conseiller bancaire (dix ans de crédit immobilier) : "
                "financement et contractualisation connus, prospection et visites à acquérir.",
                (
                    (R.NOT_YET, "Aucune expérience de la prospection ni du mandat.", 105),
                    (R.PARTLY, "Sait conduire un entretien de découverte.", 56),
                    (R.PARTLY, "Connaît les conditions suspensives de prêt.", 35),
                ),
            ),
            plan=Plan(-200, -30, Funding.PRO_A, {"BLOC1": 105, "BLOC2": 56, "BLOC3": 35}),
            assessments=(
                Assessment("BLOC1", M.CASE_STUDY, VALIDATED),
                Assessment("BLOC2", M.PRACTICAL, VALIDATED),
                Assessment(
                    "BLOC3",
                    M.WRITTEN,
                    VALIDATED,
                    "Offre d'achat et calendrier jusqu'à l'acte sans erreur.",
                ),
            ),
        ),
    ),
    DemoCandidate(
        "candidat.conflit@demo.cqp.fr",
        "Yasmine",
        "Haddad",
        "1994-07-30",
        "Montpellier",
        "employee",
        S.POSITIONING,
        Story(
            evaluator=EVALUATOR_2,
            conflict="La candidate travaille dans l'agence dirigée par mon beau-frère : je ne "
            "peux pas l'évaluer en toute impartialité.",
            note="conflit d'intérêts déclaré par evaluateur2, évaluateur à réaffecter",
        ),
    ),
    DemoCandidate(
        "candidat.irrecevable@demo.cqp.fr",
        "Théa",
        "Renaud",
        "2000-10-19",
        "Metz",
        "other",
        S.INADMISSIBLE,
    ),
    DemoCandidate(
        "candidat.retrait@demo.cqp.fr",
        "Ugo",
        "Mercier",
        "1997-03-03",
        "Brest",
        "job_seeker",
        S.WITHDRAWN,
    ),
    DemoCandidate(
        "candidat.ancien@demo.cqp.fr",
        "Yves",
        "Lebrun",
        "1979-01-25",
        "Tours",
        "employee",
        S.WITHDRAWN,
        Story(note="dossier retiré il y a six ans : les équipes peuvent l'anonymiser"),
        idle_years=6,
    ),
]


def _pdf(name):
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def _walk(dossier, spec: DemoCandidate, *, user, staff, evaluators):
    """Take the dossier along the real path up to the candidate's target state."""
    target = spec.target
    services.document_upload(
        dossier=dossier, kind=DossierDocument.Kind.IDENTITY, upload=_pdf("identite.pdf"), actor=user
    )
    services.document_upload(dossier=dossier, kind="cv", upload=_pdf("cv.pdf"), actor=user)
    if target == S.DRAFT:
        return
    services.dossier_submit(dossier=dossier, actor=user)
    if target == S.SUBMITTED:
        return
    if target == S.INCOMPLETE:
        services.dossier_declare_incomplete(
            dossier=dossier,
            actor=staff,
            comment="Merci d'ajouter l'attestation de votre employeur.",
        )
        return
    services.dossier_declare_complete(dossier=dossier, actor=staff)
    if target == S.INADMISSIBLE:
        services.dossier_declare_inadmissible(
            dossier=dossier,
            actor=staff,
            comment="Les prérequis d'expérience en transaction immobilière ne sont pas réunis.",
        )
        return
    services.dossier_declare_admissible(dossier=dossier, actor=staff)
    if target in (S.ADMISSIBLE, S.WITHDRAWN):
        if target == S.WITHDRAWN:
            services.dossier_withdraw(dossier=dossier, actor=user, comment="Changement de projet.")
        return
    _evaluate(dossier, spec, user=user, staff=staff, evaluators=evaluators)


def _evaluate(dossier, spec: DemoCandidate, *, user, staff, evaluators):
    """From the evaluator's assignment to the target: positioning, pathway, assessments, jury."""
    target, story = spec.target, spec.story
    today = timezone.localdate()
    evaluator = evaluators[story.evaluator]
    due_on = today + datetime.timedelta(days=story.due_in) if story.due_in is not None else None
    services.dossier_assign_evaluator(
        dossier=dossier, evaluator=evaluator, actor=staff, due_on=due_on
    )
    if story.conflict:
        services.dossier_declare_conflict(dossier=dossier, reason=story.conflict, actor=evaluator)
        return
    if target == S.POSITIONING:
        return
    units = {unit.code: unit for unit in services.units_to_acquire(dossier)}
    _position(dossier, story.positioning, list(units.values()), evaluator=evaluator)
    if story.positioning.pathway == Pathway.VAE:
        if story.booklet:
            services.document_upload(
                dossier=dossier,
                kind=DossierDocument.Kind.VAE_BOOKLET,
                upload=_pdf("livret-2-vae.pdf"),
                actor=user,
            )
    else:
        plan = story.plan
        services.training_plan_save(
            dossier=dossier,
            provider=TrainingProvider.objects.get(siret=PROVIDER_SIRET),
            start_date=today + datetime.timedelta(days=plan.starts_in),
            end_date=today + datetime.timedelta(days=plan.ends_in),
            funding=plan.funding,
            unit_hours={units[code].pk: hours for code, hours in plan.hours.items()},
            actor=evaluator,
        )
    if target in (S.VAE, S.TRAINING):
        return
    services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
    for assessment in story.assessments:
        _assess(dossier, units[assessment.unit], assessment, evaluator=evaluator)
    if target == S.EVALUATION:
        return
    services.dossier_declare_ready(dossier=dossier, actor=evaluator)
    if target == S.READY_FOR_JURY:
        return
    services.dossier_put_on_agenda(dossier=dossier, actor=staff)
    validated = [units[a.unit] for a in story.assessments if a.result == VALIDATED]
    services.dossier_record_decision(
        dossier=dossier,
        outcome=target,
        validated_units=validated,
        decided_on=today,
        actor=staff,
        comment=story.jury_comment,
    )


def _position(dossier, positioning: Positioning, units, *, evaluator):
    today = timezone.localdate()
    vae = positioning.pathway == Pathway.VAE
    valid_until = services.years_later(today, services.VAE_ELIGIBILITY_YEARS) if vae else None
    services.positioning_record(
        dossier=dossier,
        assessed_on=today,
        recommendation=positioning.pathway,
        justification=positioning.justification,
        units=[
            services.UnitPositioning(unit.pk, result, comment, hours)
            for unit, (result, comment, hours) in zip(units, positioning.units, strict=True)
        ],
        eligibility_valid_until=valid_until,
        actor=evaluator,
    )


def _assess(dossier, unit, assessment: Assessment, *, evaluator):
    criteria = list(unit.criteria.order_by("order", "id"))
    unmet = {c.pk for c in criteria if c.text.startswith(assessment.unmet)}
    if len(unmet) < len(assessment.unmet):
        raise ValueError(f"{unit.code}: a criterion of {assessment.unmet} is not in the unit.")
    services.unit_assessment_save(
        dossier=dossier,
        unit=unit,
        assessed_on=timezone.localdate(),
        modality=assessment.modality,
        result=assessment.result,
        criteria={c.pk: c.pk not in unmet for c in criteria},
        comment=assessment.comment,
        actor=evaluator,
    )


def _describe(spec: DemoCandidate, cqp) -> str:
    line = f"{S(spec.target).label} — {cqp.code}"
    if spec.story.positioning is not None and spec.target not in (S.VAE, S.TRAINING):
        line += f" ({Pathway(spec.story.positioning.pathway).label})"
    return f"{line}, {spec.story.note}" if spec.story.note else line


def seed_candidates() -> list[tuple[str, str]]:
    """Create the demo candidates and their dossiers; returns (e-mail, description) lines.

    Their e-mails go to a memory backend (they are sent once the transaction commits, hence
    the override around it): a demo does not flood the console or anyone's inbox.
    """
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        transaction.atomic(),
    ):
        return _seed_candidates()


def _seed_candidates() -> list[tuple[str, str]]:
    cqp = Cqp.objects.get(branch__slug="immobilier", code="NI")
    staff = BranchMembership.objects.get(
        branch=cqp.branch,
        role=BranchMembership.BranchRole.STAFF,
        user__email="staff.immo@demo.cqp.fr",
    ).user
    evaluators = {
        user.email: user
        for user in get_user_model().objects.filter(email__in=[EVALUATOR, EVALUATOR_2])
    }
    lines = []
    for spec in CANDIDATES:
        lines.append((spec.email, _describe(spec, cqp)))
        if get_user_model().objects.filter(email=spec.email).exists():
            continue
        user = get_user_model().objects.create_user(
            spec.email, DEMO_PASSWORD, first_name=spec.first_name, last_name=spec.last_name
        )
        employee = spec.situation == "employee"
        candidate = Candidate(
            user=user,
            first_name=spec.first_name,
            last_name=spec.last_name,
            birth_date=datetime.date.fromisoformat(spec.birth_date),
            birth_place=spec.birth_place,
            situation=spec.situation,
            employer_name="Agence démo Immobilier" if employee else "",
        )
        candidate.refresh_search_text()
        candidate.save()
        dossier = services.dossier_open(
            candidate=candidate,
            cqp=cqp,
            funding=spec.funding or (Funding.PDC if employee else Funding.CPF),
            actor=user,
        )
        _walk(dossier, spec, user=user, staff=staff, evaluators=evaluators)
        if spec.idle_years:
            _idle_since(candidate, spec.idle_years)
    return lines


def _idle_since(candidate, years: int) -> None:
    """Move the candidate's whole history `years` back (a demo of the retention period)."""
    then = timezone.now() - datetime.timedelta(days=365 * years + 30)
    get_user_model().objects.filter(pk=candidate.user_id).update(date_joined=then, last_login=then)
    Dossier.objects.filter(candidate=candidate).update(
        created_at=then, status_changed_at=then, submitted_at=None
    )
    DossierEvent.objects.filter(dossier__candidate=candidate).update(created_at=then)
