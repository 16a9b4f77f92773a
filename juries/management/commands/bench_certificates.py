"""`manage.py bench_certificates --count N`: what the certificate pipeline costs over WeasyPrint.

Builds a branch (with a logo), a CQP with a published référentiel of six units, N certified
candidates and their closed decisions, and issues their certificates (numbered, coded, the
snapshot read from the models). Then, document by document, it times the real production
(`certificate_produce`: data, template, QR code, PDF, storage, status) and bare WeasyPrint on
the same HTML with the same fonts, alternating which goes first, after a warm-up. Nothing is
kept: every row is rolled back and the PDFs go to a temporary folder that is deleted.
"""

import datetime
import secrets
import statistics
import tempfile
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from candidates.models import AcquiredUnit, Candidate, Dossier, DossierStatus, Funding
from certifications.models import (
    Branch,
    CompetenceUnit,
    Cqp,
    CqpStatus,
    Referentiel,
    ReferentielStatus,
)

from ...demo_documents import branch_logo_png
from ...documents import pdf, rendering
from ...models import (
    AgendaItem,
    Certificate,
    DecisionUnit,
    JuryDecision,
    JurySession,
    Outcome,
    SessionStatus,
)
from ...services import certificate_issue
from ...services.production import certificate_produce

TARGET_RATIO = 1.25
UNITS = [
    "Accueillir et conseiller la clientèle dans son projet immobilier",
    "Prospecter un secteur et rentrer des mandats de vente",
    "Estimer la valeur vénale d'un bien et argumenter le prix",
    "Négocier les conditions de la vente jusqu'au compromis",
    "Assurer le suivi administratif et juridique des transactions",
    "Appliquer la réglementation de la lutte contre le blanchiment",
]
NAMES = [
    ("Camille", "Lefèvre"),
    ("Mathéo", "Rousseau"),
    ("Inès", "Chevalier"),
    ("Léon", "Garnier"),
    ("Zoé", "Fontaine"),
    ("Hugo", "Bertrand-Moreau"),
    ("Chloé", "Nguyen"),
    ("Noah", "Perrin"),
]


class Command(BaseCommand):
    help = (
        "Time the certificate pipeline (data, template, QR code, PDF, storage) against bare "
        "WeasyPrint on the same HTML; nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=20, help="documents timed (20)")
        parser.add_argument("--warmup", type=int, default=3, help="untimed first documents (3)")

    def handle(self, *args, count, warmup, **options):
        if count < 1 or warmup < 0:
            raise CommandError("--count must be at least 1 and --warmup at least 0.")
        media = tempfile.TemporaryDirectory(prefix="cqp-bench-")
        storages = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
        try:
            with (
                override_settings(MEDIA_ROOT=media.name, STORAGES=storages),
                transaction.atomic(),
            ):
                try:
                    pipeline, bare = self._measure(count, warmup)
                finally:
                    transaction.set_rollback(True)  # not a row left behind
        finally:
            media.cleanup()
        self._report(count, warmup, pipeline, bare)

    def _measure(self, count: int, warmup: int) -> tuple[list[float], list[float]]:
        certificates = issued_certificates(count + warmup)
        bare_fonts = FontConfiguration()  # bare WeasyPrint's own, made once like the pipeline's
        base_url = pdf.static_root().as_uri() + "/"
        pipeline, bare = [], []
        for index, certificate in enumerate(certificates):
            html = rendering.certificate_html(certificate)  # what the pipeline renders

            def produce(certificate=certificate):
                if not certificate_produce(certificate.pk):
                    raise CommandError(f"{certificate.number} was not produced.")

            def weasyprint_only(html=html):
                HTML(string=html, base_url=base_url).write_pdf(font_config=bare_fonts)

            # Alternate which goes first: neither always finds the caches warmed by the other.
            runs = [(produce, pipeline), (weasyprint_only, bare)]
            for run, times in runs if index % 2 == 0 else reversed(runs):
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
                if index >= warmup:
                    times.append(elapsed)
        return pipeline, bare

    def _report(self, count, warmup, pipeline, bare) -> None:
        ratio = statistics.median(pipeline) / statistics.median(bare)
        rows = [
            ("database", connection.vendor),
            ("documents", f"{count} certificates timed, after {warmup} warm-up"),
            ("pipeline", _times(pipeline)),
            ("bare WeasyPrint", _times(bare)),
            ("ratio (medians)", f"{ratio:.2f}×"),
            ("target", f"≤ {TARGET_RATIO:.2f}× — {'met' if ratio <= TARGET_RATIO else 'MISSED'}"),
        ]
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"{label.ljust(width)}  {value}")


def _times(seconds: list[float]) -> str:
    median, mean = statistics.median(seconds), statistics.fmean(seconds)
    return f"median {median * 1000:.1f} ms, mean {mean * 1000:.1f} ms per document"


def issued_certificates(count: int) -> list[Certificate]:
    """`count` pending certificates of certified candidates, issued as closing issues them."""
    now = timezone.now()
    today = timezone.localdate()
    branch = _branch()
    cqp = Cqp.objects.create(
        branch=branch,
        code="NI",
        title="Négociateur immobilier",
        level="4",
        status=CqpStatus.APPROVED,
    )
    referentiel = Referentiel.objects.create(
        cqp=cqp, version=1, status=ReferentielStatus.PUBLISHED, published_at=now
    )
    units = [
        CompetenceUnit.objects.create(
            referentiel=referentiel, code=f"BC{n:02d}", title=title, order=n
        )
        for n, title in enumerate(UNITS, start=1)
    ]
    User = get_user_model()
    president = User.objects.create(
        email=f"president@{branch.slug}.bench.invalid", first_name="Claire", last_name="Martin"
    )
    session = JurySession.objects.create(
        branch=branch,
        starts_at=now - datetime.timedelta(hours=3),
        place="Paris",
        status=SessionStatus.CLOSED,
        status_changed_at=now,
        created_by=president,
    )
    session.cqps.add(cqp)
    certificates = []
    for n in range(count):
        first_name, last_name = NAMES[n % len(NAMES)]
        user = User.objects.create(
            email=f"candidate{n}@{branch.slug}.bench.invalid",
            first_name=first_name,
            last_name=last_name,
        )
        candidate = Candidate(
            user=user,
            first_name=first_name,
            last_name=last_name,
            birth_date=datetime.date(1990, 1, 1) + datetime.timedelta(days=97 * n),
            birth_place="Lyon",
        )
        candidate.refresh_search_text()
        candidate.save()
        dossier = Dossier.objects.create(
            candidate=candidate,
            cqp=cqp,
            referentiel=referentiel,
            reference=f"{branch.code}-{n:06d}",
            funding=Funding.CPF,
            status=DossierStatus.CERTIFIED,
        )
        item = AgendaItem.objects.create(
            session=session, dossier=dossier, order=n, added_by=president
        )
        decision = JuryDecision.objects.create(
            item=item, outcome=Outcome.CERTIFIED, decided_by=president, final_at=now
        )
        DecisionUnit.objects.bulk_create(
            DecisionUnit(decision=decision, unit=unit, validated=True) for unit in units
        )
        AcquiredUnit.objects.bulk_create(
            AcquiredUnit(candidate=candidate, unit=unit, dossier=dossier, acquired_on=today)
            for unit in units
        )
        certificates.append(certificate_issue(decision=decision, decided_on=today))
    return certificates


def _branch() -> Branch:
    """A branch of its own (unused code and slug) with a logo and a signatory."""
    while True:
        code = "BN" + secrets.token_hex(3).upper()
        if not Branch.objects.filter(code=code).exists():
            break
    branch = Branch.objects.create(
        name=f"Immobilier (bench {code})",
        slug=f"bench-{code.lower()}",
        code=code,
        cpnef_name="CPNEF de l'immobilier",
        signatory_name="Claire Martin",
        signatory_title="Présidente de la CPNEF",
    )
    # The logo a real branch would have (its name without the bench's code).
    logo = branch_logo_png(Branch(name="Immobilier"))
    branch.logo.save(f"{branch.slug}.png", ContentFile(logo))
    return branch
