"""`manage.py import_referentiels PATH [PATH ...] [--branch SLUG] [--number N ...] [--dry-run]`."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certifications.importers import ImportFileError, Outcome, import_referentiels
from certifications.models import Branch

# At verbosity 1, a counter line every this many fiches (plus a line per fiche that changed).
PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = "Import CQPs and their référentiels from France Compétences XML exports (flux 4.1)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="XML export file(s).")
        parser.add_argument(
            "--branch",
            metavar="SLUG",
            help="Put every fiche under this branch (default: the certifier's branch).",
        )
        parser.add_argument(
            "--number",
            action="append",
            dest="numbers",
            metavar="NUMBER",
            help="Import only this RNCP/RS number (repeat for several).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do everything and report, then roll back: nothing is written.",
        )

    def handle(
        self, *args, paths, branch=None, numbers=None, dry_run=False, verbosity=1, **options
    ):
        target = None
        if branch:
            target = Branch.objects.filter(slug=branch).first()
            if target is None:
                raise CommandError(_("Unknown branch “%s” (give its short name).") % branch)
        seen = 0

        def progress(result):
            nonlocal seen
            seen += 1
            if verbosity >= 2 or (verbosity == 1 and result.outcome != Outcome.UNCHANGED):
                self._write_result(result)
            if verbosity == 1 and seen % PROGRESS_EVERY == 0:
                self.stdout.write(_("… %s fiches read") % seen)

        try:
            report = import_referentiels(
                paths,
                branch=target,
                dry_run=dry_run,
                actor=None,
                progress=progress,
                numbers=numbers,
            )
        except ImportFileError as error:
            raise CommandError(_("Import failed, nothing was written: %s") % error) from error

        if verbosity >= 1:
            style = self.style.WARNING if report.errors else self.style.SUCCESS
            self.stdout.write(style(report.summary()))
            if dry_run:
                self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))

    def _write_result(self, result):
        line = f"{result.number or '?'} [{result.outcome_label}]"
        if result.branch:
            line += f" {result.branch}"
        line += f" — {result.title}" if result.title else ""
        if result.message:
            line += f": {result.message}"
        if result.outcome == Outcome.ERROR:
            where = _("%(file)s, fiche %(position)s") % {
                "file": result.source,
                "position": result.position,
            }
            self.stderr.write(f"{line} ({where})")
        else:
            self.stdout.write(line)
