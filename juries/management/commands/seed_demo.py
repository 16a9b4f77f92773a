"""`python manage.py seed_demo`: demo data for every app (idempotent)."""

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from candidates.demo import seed_candidates
from certifications.demo import DEMO_PASSWORD, seed_catalogue
from juries.demo import seed_juries


class Command(BaseCommand):
    help = (
        "Create the demo branches, CQPs, référentiels, one user per role, candidates in every "
        "state, the branch's jury sessions and the closed session's certificates (idempotent)."
    )

    def handle(self, *args, **options):
        # The demo's notifications are recorded as sent to a memory backend: running the demo
        # must not flood the console or anyone's inbox.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            report = seed_catalogue()
            candidates = seed_candidates()
            juries = seed_juries()
        for note in report.notes:
            self.stdout.write(f"  {note}")
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Logins (password: %s):" % DEMO_PASSWORD)
        )
        self._table(report.users + juries.users)
        self.stdout.write(self.style.SUCCESS("Candidates (same password), one per dossier state:"))
        self._table(candidates + juries.candidates)
        self.stdout.write(self.style.SUCCESS("Jury sessions:"))
        for line in juries.sessions:
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                "Documents of the closed session: type a code at /verify/ or open its link:"
            )
        )
        for line in juries.documents:
            self.stdout.write(f"  {line}")

    def _table(self, rows):
        width = max(len(email) for email, _label in rows)
        for email, label in rows:
            self.stdout.write(f"  {email.ljust(width)}  {label}")
