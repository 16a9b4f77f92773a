"""Demo juries of the immobilier branch: four jury logins and two sessions on the CQP NI.

- A session convened in two weeks (at the federation's offices and by video), with two
  dossiers on its agenda: the members see it, the president can open its deliberation.
  `candidat.jury` stays ready for the jury, off any agenda, for branch staff to add.
- A session held three weeks ago and closed: the members voted (one tie, broken by the
  president), the president recorded two certifications, a partial validation and a refusal,
  and closing made them final: the candidates see their result and acquired units. Closing
  issued a certificate, an attestation of partial validation, another certificate (revoked
  since by branch staff, for fraud) and the minutes, all produced (`demo_documents`).

Idempotent: a juror or candidate already there is left as is, and a session is built only if
none has its first candidate's dossier on its agenda. Every step goes through the services
(candidates: `candidates.demo`; sessions: `juries.services`), so the timelines, e-mails
(kept out of the console here) and acquired units are real.
"""

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.formats import date_format

from candidates.demo import (
    EVALUATOR,
    EVALUATOR_2,
    NOT_VALIDATED,
    VALIDATED,
    Assessment,
    DemoCandidate,
    Plan,
    Positioning,
    Story,
    _walk,
)
from candidates.models import (
    AssessmentModality,
    Candidate,
    Dossier,
    DossierStatus,
    Funding,
    Pathway,
)
from candidates.models import PositioningResult as R
from candidates.services import dossier_open
from certifications.demo import DEMO_PASSWORD
from certifications.models import BranchMembership, Cqp

from . import services
from .demo_documents import REVOKED_EMAIL, seed_documents
from .models import JuryMember, JurySession, Outcome

S = DossierStatus
M = AssessmentModality
College, Role = JuryMember.College, JuryMember.Role

PRESIDENT = "jury.president@demo.cqp.fr"
EMPLOYEE_REP = "jury.salarie@demo.cqp.fr"
EMPLOYER_REP = "jury.employeur@demo.cqp.fr"
EXPERT = "jury.expert@demo.cqp.fr"
PLACE = "Fédération, 129 rue du Faubourg Saint-Honoré, 75008 Paris"
VIDEO_LINK = "https://visio.demo.cqp.fr/jury-immobilier"


class Juror(NamedTuple):
    email: str
    first_name: str
    last_name: str
    college: str
    role: str


JURORS = [
    Juror(PRESIDENT, "Hélène", "Vasseur", College.EMPLOYER, Role.PRESIDENT),
    Juror(EMPLOYEE_REP, "Karim", "Bouaziz", College.EMPLOYEE, Role.MEMBER),
    Juror(EMPLOYER_REP, "Sophie", "Lebrun", College.EMPLOYER, Role.MEMBER),
    Juror(EXPERT, "Thierry", "Marchal", College.EXPERT, Role.MEMBER),
]

# On the agenda of the convened session.
CONVENED_CANDIDATES = [
    DemoCandidate(
        "candidat.convoque@demo.cqp.fr",
        "Thomas",
        "Leroy",
        "1988-09-03",
        "Orléans",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Neuf ans de transaction en réseau de franchise, dont trois comme négociateur "
                "principal : activité couvrant les trois blocs. Recevable en VAE.",
                (
                    (R.ACQUIRED, "Portefeuille de mandats entretenu, estimations solides.", None),
                    (R.ACQUIRED, "Découverte client et visites conduites en autonomie.", None),
                    (R.ACQUIRED, "Offres d'achat et compromis suivis jusqu'à l'acte.", None),
                ),
            ),
            assessments=(
                Assessment(
                    "BLOC1",
                    M.PORTFOLIO,
                    VALIDATED,
                    "Livret précis : mandats, avis de valeur et plan de prospection produits.",
                ),
                Assessment("BLOC2", M.OBSERVATION, VALIDATED),
                Assessment("BLOC3", M.INTERVIEW, VALIDATED),
            ),
        ),
    ),
    DemoCandidate(
        "candidat.convoquee@demo.cqp.fr",
        "Camille",
        "Rey",
        "1997-04-16",
        "Besançon",
        "job_seeker",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Reconversion d'une chargée de clientèle en assurance : relation client "
                "acquise, transaction immobilière à découvrir. Formation sur les trois blocs.",
                (
                    (R.NOT_YET, "Aucune pratique de la prospection ni du mandat.", 105),
                    (R.PARTLY, "Entretien de découverte maîtrisé, visites à acquérir.", 56),
                    (R.NOT_YET, "Cadre de l'avant-contrat inconnu.", 105),
                ),
            ),
            plan=Plan(-180, -20, Funding.CPF, {"BLOC1": 105, "BLOC2": 56, "BLOC3": 105}),
            assessments=(
                Assessment("BLOC1", M.CASE_STUDY, VALIDATED),
                Assessment("BLOC2", M.PRACTICAL, VALIDATED),
                Assessment(
                    "BLOC3",
                    M.WRITTEN,
                    NOT_VALIDATED,
                    "Offre d'achat incomplète : conditions suspensives de prêt omises.",
                    unmet=("L'offre d'achat rédigée",),
                ),
            ),
        ),
    ),
]

# Decided by the closed session.
CLOSED_CANDIDATES = [
    DemoCandidate(
        "candidat.jury-certifie@demo.cqp.fr",
        "Aurélie",
        "Masson",
        "1985-01-22",
        "Rouen",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Dix ans de négociation en agence de centre-ville, une cinquantaine de ventes "
                "par an : recevable en VAE sur les trois blocs.",
                (
                    (R.ACQUIRED, "Mandats exclusifs majoritaires, estimations argumentées.", None),
                    (R.ACQUIRED, "Accompagnement des acquéreurs maîtrisé.", None),
                    (R.ACQUIRED, "Suivi des ventes jusqu'à l'acte authentique.", None),
                ),
            ),
            assessments=(
                Assessment("BLOC1", M.PORTFOLIO, VALIDATED),
                Assessment("BLOC2", M.OBSERVATION, VALIDATED),
                Assessment(
                    "BLOC3",
                    M.INTERVIEW,
                    VALIDATED,
                    "Entretien convaincant sur la négociation et le suivi des conditions "
                    "suspensives.",
                ),
            ),
        ),
    ),
    DemoCandidate(
        "candidat.jury-partiel@demo.cqp.fr",
        "Damien",
        "Picard",
        "1992-11-08",
        "Caen",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.TRAINING,
                "Trois ans d'assistanat en agence : prise de mandats pratiquée, visites et "
                "contractualisation à consolider en formation.",
                (
                    (R.ACQUIRED, "Rentre des mandats avec le responsable d'agence.", None),
                    (R.PARTLY, "Visites accompagnées, découverte client à structurer.", 56),
                    (R.NOT_YET, "Aucune offre d'achat présentée.", 84),
                ),
            ),
            plan=Plan(-160, -25, Funding.PDC, {"BLOC2": 56, "BLOC3": 84}),
            assessments=(
                Assessment("BLOC1", M.CASE_STUDY, VALIDATED),
                Assessment(
                    "BLOC2",
                    M.PRACTICAL,
                    VALIDATED,
                    "Validé de justesse : découverte du client incomplète, mais visite bien "
                    "conduite et biens proposés adaptés.",
                    unmet=("Le questionnement réalisé",),
                ),
                Assessment(
                    "BLOC3",
                    M.PRACTICAL,
                    NOT_VALIDATED,
                    "Offre d'achat rédigée avec des erreurs ; présentation au vendeur non "
                    "structurée.",
                    unmet=("L'offre d'achat rédigée", "La présentation de l'offre d'achat"),
                ),
            ),
        ),
    ),
    DemoCandidate(
        "candidat.jury-refuse@demo.cqp.fr",
        "Sarah",
        "Texier",
        "1999-07-27",
        "Poitiers",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Dix-huit mois comme négociatrice, après deux ans d'accueil en agence. "
                "Recevable en VAE ; l'expérience est courte, à étayer dans le livret.",
                (
                    (R.PARTLY, "Peu de mandats rentrés seule.", None),
                    (R.PARTLY, "Visites conduites, découverte peu structurée.", None),
                    (R.PARTLY, "Offres d'achat préparées par le responsable.", None),
                ),
            ),
            assessments=(
                Assessment(
                    "BLOC1",
                    M.PORTFOLIO,
                    NOT_VALIDATED,
                    "Livret peu étayé : pas de pige ni de proposition pour le plan commercial.",
                    unmet=("La pige immobilière", "Les propositions d'actualisation"),
                ),
                Assessment(
                    "BLOC2",
                    M.PRACTICAL,
                    NOT_VALIDATED,
                    "Jeu de rôle : besoins de l'acquéreur non identifiés, biens proposés hors "
                    "budget.",
                    unmet=(
                        "Le questionnement réalisé",
                        "La sélection des biens",
                        "Les biens proposés prennent",
                    ),
                ),
                Assessment(
                    "BLOC3",
                    M.INTERVIEW,
                    NOT_VALIDATED,
                    "Ne décrit pas les étapes de l'offre d'achat ni le suivi jusqu'à l'acte.",
                    unmet=("L'offre d'achat rédigée", "La présentation de l'offre d'achat"),
                ),
            ),
        ),
    ),
    DemoCandidate(
        REVOKED_EMAIL,
        "Franck",
        "Dumont",
        "1979-05-14",
        "Saint-Étienne",
        "employee",
        S.READY_FOR_JURY,
        Story(
            positioning=Positioning(
                Pathway.VAE,
                "Se présente comme négociateur depuis huit ans dans deux agences de la Loire, "
                "attestations d'employeur à l'appui : recevable en VAE sur les trois blocs.",
                (
                    (R.ACQUIRED, "Mandats et estimations décrits avec aisance.", None),
                    (R.ACQUIRED, "Visites et découverte client détaillées.", None),
                    (R.ACQUIRED, "Offres d'achat et compromis présentés.", None),
                ),
            ),
            assessments=(
                Assessment("BLOC1", M.PORTFOLIO, VALIDATED),
                Assessment("BLOC2", M.INTERVIEW, VALIDATED),
                Assessment("BLOC3", M.INTERVIEW, VALIDATED),
            ),
        ),
    ),
]


class Ballot(NamedTuple):
    """A member's vote: the proposal, the units validated (the others are not), a comment."""

    proposal: str
    validated: tuple[str, ...]
    comment: str = ""


@dataclass(frozen=True)
class Deliberation:
    """The votes on a dossier and the president's decision (which follows them)."""

    email: str
    ballots: dict[str, Ballot]
    outcome: str
    validated: tuple[str, ...] = ()
    motivation: str = ""


ALL_UNITS = ("BLOC1", "BLOC2", "BLOC3")
DELIBERATIONS = [
    Deliberation(
        "candidat.jury-certifie@demo.cqp.fr",
        {
            PRESIDENT: Ballot(Outcome.CERTIFIED, ALL_UNITS),
            EMPLOYEE_REP: Ballot(Outcome.CERTIFIED, ALL_UNITS),
            EMPLOYER_REP: Ballot(Outcome.CERTIFIED, ALL_UNITS, "Dossier exemplaire."),
            EXPERT: Ballot(Outcome.CERTIFIED, ALL_UNITS),
        },
        Outcome.CERTIFIED,
        ALL_UNITS,
    ),
    Deliberation(
        "candidat.jury-partiel@demo.cqp.fr",
        {
            PRESIDENT: Ballot(Outcome.PARTIALLY_VALIDATED, ("BLOC1", "BLOC2")),
            EMPLOYEE_REP: Ballot(
                Outcome.PARTIALLY_VALIDATED,
                ("BLOC1",),
                "BLOC2 : la découverte du client reste trop sommaire.",
            ),
            EMPLOYER_REP: Ballot(Outcome.PARTIALLY_VALIDATED, ("BLOC1", "BLOC2")),
            EXPERT: Ballot(
                Outcome.PARTIALLY_VALIDATED,
                ("BLOC1",),
                "Visite correcte, mais les besoins de l'acquéreur ne sont pas identifiés.",
            ),
        },
        Outcome.PARTIALLY_VALIDATED,
        # BLOC2: two votes to two, the president validates it.
        ("BLOC1", "BLOC2"),
        "Blocs 1 et 2 validés (bloc 2 à voix égales, voix de la présidente). Bloc 3 non "
        "validé : l'offre d'achat comporte des erreurs et sa présentation au vendeur n'est pas "
        "structurée. Le candidat peut se représenter sur ce bloc après une mise en situation "
        "complémentaire.",
    ),
    Deliberation(
        "candidat.jury-refuse@demo.cqp.fr",
        {
            PRESIDENT: Ballot(Outcome.NOT_VALIDATED, ()),
            EMPLOYEE_REP: Ballot(
                Outcome.PARTIALLY_VALIDATED,
                ("BLOC2",),
                "Les visites sont bien conduites : le bloc 2 pourrait être validé.",
            ),
            EMPLOYER_REP: Ballot(Outcome.NOT_VALIDATED, ()),
            EXPERT: Ballot(Outcome.NOT_VALIDATED, ()),
        },
        Outcome.NOT_VALIDATED,
        (),
        "Aucun bloc validé : l'expérience décrite ne couvre pas la prise de mandats, la "
        "découverte des besoins de l'acquéreur reste à acquérir et l'offre d'achat n'est pas "
        "maîtrisée. Le jury recommande un parcours de formation avant une nouvelle candidature.",
    ),
    # Certified unanimously; the certificate is revoked afterwards (`demo_documents`).
    Deliberation(
        REVOKED_EMAIL,
        {juror.email: Ballot(Outcome.CERTIFIED, ALL_UNITS) for juror in JURORS},
        Outcome.CERTIFIED,
        ALL_UNITS,
    ),
]


@dataclass
class JuryReport:
    users: list[tuple[str, str]] = field(default_factory=list)
    candidates: list[tuple[str, str]] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def seed_juries() -> JuryReport:
    """Create the jurors, the sessions' candidates, the two sessions and the closed one's
    documents (the report lists their verification codes).

    Their e-mails go to a memory backend (they are sent once the transaction commits, hence
    the override around it): a demo does not flood the console or anyone's inbox.
    """
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        transaction.atomic(),
    ):
        return _seed_juries()


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _seed_juries() -> JuryReport:
    cqp = Cqp.objects.select_related("branch").get(branch__slug="immobilier", code="NI")
    branch = cqp.branch
    staff = BranchMembership.objects.get(
        branch=branch, role=BranchMembership.BranchRole.STAFF, user__email="staff.immo@demo.cqp.fr"
    ).user
    evaluators = {
        user.email: user
        for user in get_user_model().objects.filter(email__in=[EVALUATOR, EVALUATOR_2])
    }
    report = JuryReport()
    jurors = {}
    for juror in JURORS:
        jurors[juror.email] = _juror(juror)
        report.users.append(
            (
                juror.email,
                f"{College(juror.college).label} ({Role(juror.role).label.lower()}) — "
                f"jury {branch.name}",
            )
        )

    def dossiers_of(specs):
        return [_candidate(spec, cqp, staff=staff, evaluators=evaluators) for spec in specs]

    convened = dossiers_of(CONVENED_CANDIDATES)
    session = _session_of(CONVENED_CANDIDATES[0]) or _convened_session(
        cqp, convened, jurors=jurors, staff=staff
    )
    report.sessions.append(_describe_session(session))

    closed = dossiers_of(CLOSED_CANDIDATES)
    session = _session_of(CLOSED_CANDIDATES[0]) or _closed_session(
        cqp, closed, jurors=jurors, staff=staff
    )
    report.sessions.append(_describe_session(session))
    report.documents = seed_documents(session, staff=staff)

    for spec in CONVENED_CANDIDATES + CLOSED_CANDIDATES:
        dossier = Dossier.objects.get(candidate__user__email=spec.email)
        report.candidates.append((spec.email, _describe_dossier(dossier)))
    return report


def _juror(juror: Juror):
    user_model = get_user_model()
    return user_model.objects.filter(email__iexact=juror.email).first() or (
        user_model.objects.create_user(
            juror.email, DEMO_PASSWORD, first_name=juror.first_name, last_name=juror.last_name
        )
    )


def _candidate(spec: DemoCandidate, cqp, *, staff, evaluators) -> Dossier:
    """The candidate's dossier, walked to its target through the services on the first run."""
    existing = Dossier.objects.filter(candidate__user__email=spec.email).first()
    if existing is not None:
        return existing
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
    dossier = dossier_open(
        candidate=candidate,
        cqp=cqp,
        funding=spec.funding or (Funding.PDC if employee else Funding.CPF),
        actor=user,
    )
    _walk(dossier, spec, user=user, staff=staff, evaluators=evaluators)
    return Dossier.objects.get(pk=dossier.pk)


def _session_of(spec: DemoCandidate) -> JurySession | None:
    """The session already built with this candidate on its agenda (the demo's marker)."""
    return JurySession.objects.filter(agenda__dossier__candidate__user__email=spec.email).first()


def _seat_jury(session, jurors, *, staff) -> None:
    for juror in JURORS:
        services.member_add(
            session=session,
            user=jurors[juror.email],
            college=juror.college,
            role=juror.role,
            actor=staff,
        )


def _convened_session(cqp, dossiers, *, jurors, staff) -> JurySession:
    session = services.session_create(
        branch=cqp.branch,
        cqps=[cqp],
        starts_at=_at(14, 9, 30),
        place=PLACE,
        video_link=VIDEO_LINK,
        actor=staff,
    )
    _seat_jury(session, jurors, staff=staff)
    services.agenda_add(session=session, dossiers_to_add=dossiers, actor=staff)
    return services.session_convene(session=session, actor=staff)


def _closed_session(cqp, dossiers, *, jurors, staff) -> JurySession:
    # Planned for tomorrow (a session is created in the future), held now, then dated back.
    session = services.session_create(
        branch=cqp.branch, cqps=[cqp], starts_at=_at(1, 14), place=PLACE, actor=staff
    )
    _seat_jury(session, jurors, staff=staff)
    items = services.agenda_add(session=session, dossiers_to_add=dossiers, actor=staff)
    session = services.session_convene(session=session, actor=staff)
    # The only write outside the services, a demo's date: the session took place three weeks
    # ago (the services plan sessions in the future and hold them at their date). Dated back
    # before the deliberation, so that the documents closing issues print the jury's date.
    JurySession.objects.filter(pk=session.pk).update(starts_at=_at(-21, 14))
    session.refresh_from_db()
    president = jurors[PRESIDENT]
    session = services.session_open_deliberation(
        session=session,
        present_member_ids=session.members.values_list("pk", flat=True),
        actor=president,
    )
    by_email = {item.dossier.candidate.user.email: item for item in items}
    for deliberation in DELIBERATIONS:
        item = by_email[deliberation.email]
        units = {unit.code: unit.pk for unit in services.units_to_judge(item)}
        for email, ballot in deliberation.ballots.items():
            services.vote_cast(
                item=item,
                proposal=ballot.proposal,
                unit_votes={pk: code in ballot.validated for code, pk in units.items()},
                comment=ballot.comment,
                actor=jurors[email],
            )
        services.decision_record(
            item=item,
            outcome=deliberation.outcome,
            validated_unit_ids=[units[code] for code in deliberation.validated],
            motivation=deliberation.motivation,
            actor=president,
        )
    return services.session_close(session=session, actor=president)


def _describe_session(session: JurySession) -> str:
    when = date_format(timezone.localtime(session.starts_at), "SHORT_DATETIME_FORMAT")
    where = ", ".join(part for part in (session.place, session.video_link) if part)
    dossiers = session.agenda.count()
    return f"{session.get_status_display()} — {when}, {where} ({dossiers} dossiers)"


def _describe_dossier(dossier: Dossier) -> str:
    line = f"{dossier.get_status_display()} — {dossier.cqp.code}"
    if dossier.pathway:
        line += f" ({Pathway(dossier.pathway).label})"
    return line
