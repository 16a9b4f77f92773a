"""The documents decisions yield, for the people they concern: the dossier's panel (which
htmx reloads while a PDF is being produced), the certificate's and the minutes' PDFs.

Every object goes through `permissions`; anyone else gets a 404.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.generic import View

from candidates.permissions import get_dossier_for_user
from cqp.audit import record_download_by_other

from . import panels
from .permissions import get_certificate_for_user, get_minutes_for_user, may_read_certificates
from .selectors import dossier_certificates


def pdf_response(field, filename: str) -> FileResponse:
    """A produced PDF as a private download (the caller has checked who may read it)."""
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class DossierDocumentsPanelView(LoginRequiredMixin, View):
    """The panel alone: what the dossier page's panel polls while a PDF is being produced."""

    http_method_names = ["get", "head"]

    def handle_no_permission(self):
        if self.request.htmx:  # logged out while the page polls: reload it (to the login)
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().handle_no_permission()

    def get(self, request, dossier_pk):
        dossier = get_dossier_for_user(request.user, dossier_pk)
        if not may_read_certificates(request.user, dossier):
            raise Http404
        certificates = list(dossier_certificates(dossier))
        response = render(request, panels.TEMPLATE, panels.panel_context(dossier, certificates))
        response["Cache-Control"] = "private, no-store"
        return response


class CertificateDownloadView(LoginRequiredMixin, View):
    http_method_names = ["get", "head"]

    def get(self, request, pk):
        certificate = get_certificate_for_user(request.user, pk)
        record_download_by_other(
            request,
            target=certificate,
            subject_id=certificate.dossier.candidate.user_id,
            label=certificate.number,
        )
        return pdf_response(certificate.pdf, certificate.file_name)


class MinutesDownloadView(LoginRequiredMixin, View):
    http_method_names = ["get", "head"]

    def get(self, request, pk):
        minutes = get_minutes_for_user(request.user, pk)
        # The minutes name every candidate of the session: each reading is traced.
        record_download_by_other(request, target=minutes, subject_id=None, label=minutes.file_name)
        return pdf_response(minutes.pdf, minutes.file_name)
