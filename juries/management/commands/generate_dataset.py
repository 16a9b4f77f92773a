"""`python manage.py generate_dataset --candidates 100000`: a national branch's volume."""

import time

from django.core.management.base import BaseCommand, CommandError

from candidates.models import Dossier
from certifications.models import Branch

from ...dataset.generate import PASSWORD, SLUG_PREFIX, DatasetGenerator


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic volume for measuring (20 branches, 500 CQPs, "
        "150,000 dossiers in every state, 2,000 jury sessions, 60,000 certificates at 100,000 "
        "candidates; everything scales with --candidates). Bulk writes (COPY on PostgreSQL), "
        "one transaction: on a failure nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--candidates", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add to a database that already holds dossiers (e.g. the demo's).",
        )

    def handle(self, *args, candidates, seed, force, **options):
        if candidates < 50:
            raise CommandError("--candidates: at least 50.")
        if Branch.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError("This database already holds a generated dataset.")
        if Dossier.objects.exists() and not force:
            raise CommandError(
                "This database already holds dossiers: generate into an empty one (migrate a "
                "new database) or pass --force to add to it."
            )
        started = time.monotonic()
        say = self.stdout.write
        say(f"Generating {candidates:,} candidates (seed {seed})…")
        generator = DatasetGenerator(candidates, seed=seed, say=lambda line: say(f"  {line}"))
        report = generator.run()
        seconds = time.monotonic() - started
        total = sum(report.counts.values())
        say(self.style.SUCCESS(f"{total:,} rows in {seconds:.1f} s"))
        for table, count in sorted(report.counts.items(), key=lambda item: -item[1]):
            say(f"  {table:<45} {count:>10,}")
        say(self.style.SUCCESS(f"Logins (password for every generated account: {PASSWORD}):"))
        for label, email in report.logins:
            say(f"  {label:<40} {email}")
