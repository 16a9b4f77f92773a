"""Demo candidates: one dossier in each state of the path, on the CQP Négociateur immobilier.

Idempotent: a candidate already there is left as is. Every step goes through the services, so
the timelines, e-mails (kept out of the console here) and acquired units are real.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from certifications.demo import DEMO_PASSWORD
from certifications.models import BranchMembership, Cqp

from . import services
from .models import Candidate, DossierDocument, DossierStatus

S = DossierStatus

# A one-page PDF, enough to stand for a scanned piece in the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# (e-mail, first name, last name, birth date, birth place, situation, target status)
CANDIDATES = [
    (
        "candidat.brouillon@demo.cqp.fr",
        "Inès",
        "Marchand",
        "1998-03-14",
        "Nantes",
        "job_seeker",
        S.DRAFT,
    ),
    (
        "candidat.soumis@demo.cqp.fr",
        "Julien",
        "Caron",
        "1991-07-02",
        "Lille",
        "employee",
        S.SUBMITTED,
    ),
    (
        "candidat.incomplet@demo.cqp.fr",
        "Karima",
        "Benali",
        "1987-11-23",
        "Marseille",
        "employee",
        S.INCOMPLETE,
    ),
    (
        "candidat.recevable@demo.cqp.fr",
        "Louis",
        "Perrin",
        "2001-01-30",
        "Rennes",
        "initial_training",
        S.ADMISSIBLE,
    ),
    (
        "candidat.positionnement@demo.cqp.fr",
        "Manon",
        "Girard",
        "1995-05-09",
        "Toulouse",
        "employee",
        S.POSITIONING,
    ),
    ("candidat.vae@demo.cqp.fr", "Nicolas", "Fabre", "1983-09-17", "Bordeaux", "employee", S.VAE),
    (
        "candidat.formation@demo.cqp.fr",
        "Océane",
        "Lemoine",
        "1999-12-05",
        "Dijon",
        "job_seeker",
        S.TRAINING,
    ),
    (
        "candidat.evaluation@demo.cqp.fr",
        "Pierre",
        "Dupuis",
        "1990-04-21",
        "Tours",
        "employee",
        S.EVALUATION,
    ),
    (
        "candidat.jury@demo.cqp.fr",
        "Quentin",
        "Roussel",
        "1993-06-11",
        "Reims",
        "employee",
        S.READY_FOR_JURY,
    ),
    (
        "candidat.partiel@demo.cqp.fr",
        "Rose",
        "Vidal",
        "1989-02-27",
        "Nice",
        "employee",
        S.PARTIALLY_VALIDATED,
    ),
    (
        "candidat.certifie@demo.cqp.fr",
        "Samuel",
        "Colin",
        "1986-08-08",
        "Grenoble",
        "employee",
        S.CERTIFIED,
    ),
    (
        "candidat.irrecevable@demo.cqp.fr",
        "Théa",
        "Renaud",
        "2000-10-19",
        "Metz",
        "other",
        S.INADMISSIBLE,
    ),
    (
        "candidat.retrait@demo.cqp.fr",
        "Ugo",
        "Mercier",
        "1997-03-03",
        "Brest",
        "job_seeker",
        S.WITHDRAWN,
    ),
]


def _pdf(name):
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def _walk(dossier, target, *, user, staff, evaluator):
    """Take the dossier along the real path up to `target`."""
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
    services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    if target == S.POSITIONING:
        return
    pathway = "training" if target == S.TRAINING else "vae"
    services.dossier_choose_pathway(dossier=dossier, pathway=pathway, actor=evaluator)
    if target in (S.VAE, S.TRAINING):
        return
    services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
    if target == S.EVALUATION:
        return
    services.dossier_declare_ready(dossier=dossier, actor=evaluator)
    if target == S.READY_FOR_JURY:
        return
    services.dossier_put_on_agenda(dossier=dossier, actor=staff)
    units = list(dossier.referentiel.units.order_by("order"))
    decided_on = timezone.localdate() - datetime.timedelta(days=7)
    if target == S.CERTIFIED:
        services.dossier_record_decision(
            dossier=dossier,
            outcome=S.CERTIFIED,
            validated_units=units,
            decided_on=decided_on,
            actor=staff,
        )
    else:
        services.dossier_record_decision(
            dossier=dossier,
            outcome=S.PARTIALLY_VALIDATED,
            validated_units=units[:1],
            decided_on=decided_on,
            actor=staff,
            comment="Blocs 2 et 3 : mises en situation insuffisamment maîtrisées.",
        )


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
    evaluator = get_user_model().objects.get(email="evaluateur@demo.cqp.fr")
    lines = []
    for email, first, last, birth, place, situation, target in CANDIDATES:
        lines.append((email, f"{S(target).label} — {cqp.code}"))
        if get_user_model().objects.filter(email=email).exists():
            continue
        user = get_user_model().objects.create_user(
            email, DEMO_PASSWORD, first_name=first, last_name=last
        )
        candidate = Candidate.objects.create(
            user=user,
            first_name=first,
            last_name=last,
            birth_date=datetime.date.fromisoformat(birth),
            birth_place=place,
            situation=situation,
            employer_name="Agence démo Immobilier" if situation == "employee" else "",
        )
        dossier = services.dossier_open(
            candidate=candidate,
            cqp=cqp,
            funding="cpf" if situation != "employee" else "pdc",
            actor=user,
        )
        _walk(dossier, target, user=user, staff=staff, evaluator=evaluator)
    return lines
