"""The import page: a France Compétences export uploaded by staff, and its report."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from cqp.audit import audit_record
from cqp.errors import DomainError
from cqp.models import AuditAction

from ..forms import ImportForm
from ..importers import import_referentiels
from ..models import Branch
from ..permissions import staff_branch_ids


class ImportViewMixin:
    """Adds the import page to the CQP admin (its URL is declared in CqpAdmin.get_urls)."""

    def import_view(self, request):
        if not (request.user.is_superuser or staff_branch_ids(request.user)):
            raise PermissionDenied
        branches = (
            Branch.objects.all()
            if request.user.is_superuser
            else Branch.objects.filter(pk__in=staff_branch_ids(request.user))
        )
        # Bound on every POST, an empty one included: it gets the form's errors, not a blank form.
        posted = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        form = ImportForm(*posted, branches=branches)
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            branch = data["branch"]
            if branch is None and not request.user.is_superuser:
                if branches.count() == 1:
                    branch = branches.get()
                else:
                    form.add_error("branch", _("Choose the branch the fiches belong to."))
            if form.is_valid():
                try:
                    report = import_referentiels(
                        [data["file"]], branch=branch, dry_run=data["dry_run"], actor=request.user
                    )
                except DomainError as error:  # unreadable or hostile file: nothing written
                    form.add_error("file", error.message)
                else:
                    if not report.dry_run:
                        # A write answered with its report, not a redirect: on the trail here.
                        audit_record(
                            actor=request.user,
                            action=AuditAction.ADMIN_CHANGE,
                            request=request,
                            summary=report.summary(),
                        )
        return TemplateResponse(
            request,
            "admin/certifications/cqp/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Import référentiels from a France Compétences export"),
                "form": form,
                "report": report,
            },
        )
