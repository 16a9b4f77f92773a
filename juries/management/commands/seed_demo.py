"""`python manage.py seed_demo`: demo data for every app (idempotent)."""

from django.core.management.base import BaseCommand

from certifications.demo import DEMO_PASSWORD, seed_catalogue


class Command(BaseCommand):
    help = "Create the demo branches, CQPs, référentiels and one user per role (idempotent)."

    def handle(self, *args, **options):
        report = seed_catalogue()
        for note in report.notes:
            self.stdout.write(f"  {note}")
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Logins (password: %s):" % DEMO_PASSWORD)
        )
        width = max(len(email) for email, _role in report.users)
        for email, role in report.users:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
