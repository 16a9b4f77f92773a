"""`python manage.py seed_demo`: demo data for every app (idempotent)."""

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from candidates.demo import seed_candidates
from certifications.demo import DEMO_PASSWORD, seed_catalogue


class Command(BaseCommand):
    help = "Create the demo branches, CQPs, référentiels and one user per role (idempotent)."

    def handle(self, *args, **options):
        # The demo's notifications are recorded as sent to a memory backend: running the demo
        # must not flood the console or anyone's inbox.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            report = seed_catalogue()
            candidates = seed_candidates()
        for note in report.notes:
            self.stdout.write(f"  {note}")
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Logins (password: %s):" % DEMO_PASSWORD)
        )
        width = max(len(email) for email, _role in report.users)
        for email, role in report.users:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
        self.stdout.write(self.style.SUCCESS("Candidates (same password), one per dossier state:"))
        width = max(len(email) for email, _state in candidates)
        for email, state in candidates:
            self.stdout.write(f"  {email.ljust(width)}  {state}")
