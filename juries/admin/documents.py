"""The admin pages that serve and produce documents again, beside the forms.

A closed session's page shows how many of its documents are ready, its certificates and
attestations, its minutes (downloaded, or produced again) and every ready PDF as one ZIP; a
certificate's page downloads its PDF, produces it again (same number, same code) or revokes it.
The branch's staff and CPNEF members download; only the staff act (CPNEF members get a 403);
another branch's documents are not found (404).
"""

import logging
import zipfile
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from certifications.permissions import is_branch_staff
from cqp.audit import record_downloads_by_others
from cqp.errors import DomainError

from .. import services
from ..document_views import pdf_response
from ..lifecycles import CERTIFICATE_LIFECYCLE
from ..models import Certificate, DocumentStatus, JuryMinutes, JurySession, SessionStatus
from .forms import CertificateRevokeForm, ConfirmForm

logger = logging.getLogger(__name__)

NAME = "juries_certificate"  # the admin's url names: juries_certificate_<page>
CHUNK = 64 * 1024
REGENERABLE = (DocumentStatus.READY, DocumentStatus.FAILED)


@dataclass
class SessionDocuments:
    """A closed session's certificates and attestations (in number order) and its minutes."""

    certificates: list[Certificate]
    minutes: JuryMinutes | None

    @property
    def expected(self) -> list:
        """The documents the session yields: revoked ones are not waited for."""
        documents = [c for c in self.certificates if not c.is_revoked]
        return documents + ([self.minutes] if self.minutes else [])

    @property
    def ready_count(self) -> int:
        return sum(1 for document in self.expected if document.is_ready)

    @property
    def revoked_count(self) -> int:
        return sum(1 for certificate in self.certificates if certificate.is_revoked)

    def ready_documents(self) -> list:
        """Every document whose PDF is ready, the minutes last."""
        documents = [c for c in self.certificates if c.is_ready]
        if self.minutes is not None and self.minutes.is_ready:
            documents.append(self.minutes)
        return documents

    def ready_files(self) -> list[tuple[str, object]]:
        """(name in the ZIP, file) of every ready PDF."""
        return [(document.file_name, document.pdf) for document in self.ready_documents()]


def session_documents(session: JurySession) -> SessionDocuments:
    """Two queries: the certificates (the correction's included), the minutes."""
    certificates = list(
        Certificate.objects.filter(decision__item__session=session)
        .defer("last_error")
        .annotate(holder_user_id=F("dossier__candidate__user_id"))
        .order_by("year", "sequence")
    )
    minutes = JuryMinutes.objects.filter(session=session).first()
    if minutes is not None:
        minutes.session = session  # its file name reads the session's branch
    return SessionDocuments(certificates, minutes)


class _Sink:
    """A write-only stream the ZIP is written to, emptied after each piece is sent."""

    def __init__(self):
        self.chunks = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def zip_stream(files):
    """The ZIP of `files` ((name, file field) pairs), piece by piece: never whole in memory.

    A file gone from the storage is left out (and logged) rather than failing the download
    halfway through.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, field in files:
            try:
                source = field.open("rb")
            except FileNotFoundError:
                logger.warning("%s is missing from the storage: left out of the ZIP", field.name)
                continue
            with source, archive.open(name, "w") as entry:
                while data := source.read(CHUNK):
                    entry.write(data)
                    if sink.chunks:
                        yield sink.take()
    yield sink.take()  # the last compressed bytes and the central directory


class SessionDocumentsMixin:
    """The document pages of `JurySessionAdmin` (with `SessionPagesMixin`, whose
    `get_object`, `may_act`, `_url`, `_page` and `_session_to_act_on` they use)."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/documents.zip",
                view(self.documents_zip_view),
                name="juries_jurysession_documents_zip",
            ),
            path(
                "<path:object_id>/minutes.pdf",
                view(self.minutes_pdf_view),
                name="juries_jurysession_minutes_pdf",
            ),
            path(
                "<path:object_id>/minutes/regenerate/",
                view(self.minutes_regenerate_view),
                name="juries_jurysession_minutes_regenerate",
            ),
        ] + super().get_urls()

    def documents_context(self, request, session: JurySession) -> dict:
        """The page's "Documents" section, for a closed session."""
        if session.status != SessionStatus.CLOSED:
            return {"documents": None}
        documents = session_documents(session)
        minutes = documents.minutes
        may_regenerate = (
            minutes is not None and minutes.status in REGENERABLE and self.may_act(request, session)
        )
        return {
            "documents": documents,
            "documents_zip_url": (
                self._url("documents_zip", session) if documents.ready_files() else None
            ),
            "minutes_regenerate_url": (
                self._url("minutes_regenerate", session) if may_regenerate else None
            ),
        }

    def _session_to_read(self, request, object_id) -> JurySession:
        session = self.get_object(request, object_id)
        if session is None:
            raise Http404
        return session

    def documents_zip_view(self, request, object_id):
        session = self._session_to_read(request, object_id)
        documents = session_documents(session).ready_documents()
        if not documents:
            messages.warning(request, _("No document of this session is ready yet."))
            return HttpResponseRedirect(self._change_url(session))
        # Each holder finds in their data that staff downloaded their document.
        record_downloads_by_others(
            request,
            [
                (document, getattr(document, "holder_user_id", None), document.file_name)
                for document in documents
            ],
        )
        files = [(document.file_name, document.pdf) for document in documents]
        response = StreamingHttpResponse(zip_stream(files), content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(
            True, f"{session.branch.code}-session-{session.pk}.zip"
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def minutes_pdf_view(self, request, object_id):
        session = self._session_to_read(request, object_id)
        minutes = JuryMinutes.objects.filter(session=session).first()
        if minutes is None or not minutes.pdf:
            raise Http404
        minutes.session = session
        return pdf_response(minutes.pdf, minutes.file_name)

    def minutes_regenerate_view(self, request, object_id):
        session = self._session_to_act_on(request, object_id)
        minutes = JuryMinutes.objects.filter(session=session).first()
        if minutes is None:
            raise Http404
        minutes.session = session
        form = ConfirmForm(request.POST if request.method == "POST" else None)
        allowed = minutes.status in REGENERABLE
        if allowed and request.method == "POST" and form.is_valid():
            try:
                services.minutes_regenerate(minutes=minutes, actor=request.user)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The minutes are being produced again."))
                return HttpResponseRedirect(self._change_url(session))
        return self._page(
            request,
            session,
            "minutes_regenerate.html",
            _("Produce the minutes again — %s") % session,
            form=form,
            allowed=allowed,
            minutes=minutes,
        )


class CertificatePagesMixin:
    """The pages of `CertificateAdmin` beside its (read-only) form: download the PDF, produce
    it again, revoke it; each action calls one service."""

    def may_act(self, request, certificate: Certificate) -> bool:
        return is_branch_staff(request.user, certificate.branch_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/pdf/", view(self.pdf_view), name=f"{NAME}_pdf"),
            path(
                "<path:object_id>/regenerate/",
                view(self.regenerate_view),
                name=f"{NAME}_regenerate",
            ),
            path("<path:object_id>/revoke/", view(self.revoke_view), name=f"{NAME}_revoke"),
        ] + super().get_urls()

    def _certificate_to_read(self, request, object_id) -> Certificate:
        certificate = self.get_object(request, object_id)
        if certificate is None:
            raise Http404
        return certificate

    def _certificate_to_act_on(self, request, object_id) -> Certificate:
        """As `_certificate_to_read`, and 403 for those who only read it (CPNEF members)."""
        certificate = self._certificate_to_read(request, object_id)
        if not self.may_act(request, certificate):
            raise PermissionDenied
        return certificate

    def pdf_view(self, request, object_id):
        """The PDF as produced (revoked ones included: the branch keeps what it issued)."""
        certificate = self._certificate_to_read(request, object_id)
        if not certificate.pdf:
            raise Http404
        record_downloads_by_others(
            request,
            [(certificate, certificate.dossier.candidate.user_id, certificate.file_name)],
        )
        return pdf_response(certificate.pdf, certificate.file_name)

    def regenerate_view(self, request, object_id):
        certificate = self._certificate_to_act_on(request, object_id)
        return self._act(
            request,
            certificate,
            action="regenerate",
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            run=lambda data: services.certificate_regenerate(
                certificate=certificate, actor=request.user
            ),
            done=_("%(number)s is being produced again: same number, same verification code.")
            % {"number": certificate.number},
            title=_("Produce the PDF again — %s") % certificate.number,
            submit=_("Produce the PDF again"),
            intro=_(
                "The PDF is produced again with the branch's current logo and signatory. Its "
                "number, its verification code and the data it prints stay the same."
            ),
        )

    def revoke_view(self, request, object_id):
        certificate = self._certificate_to_act_on(request, object_id)
        return self._act(
            request,
            certificate,
            action="revoke",
            form=CertificateRevokeForm(request.POST if request.method == "POST" else None),
            run=lambda data: services.certificate_revoke(
                certificate=certificate, reason=data["reason"], actor=request.user
            ),
            done=_("%(number)s is revoked: the verification page says so.")
            % {"number": certificate.number},
            title=_("Revoke — %s") % certificate.number,
            submit=_("Revoke"),
            intro=_(
                "Revoking is final. The public verification page shows at once that the "
                "document is revoked, with the date and the reason below; its number stays "
                "taken and is never given again."
            ),
            danger=True,
        )

    def _act(
        self, request, certificate, *, action, form, run, done, title, submit, intro, danger=False
    ):
        """GET shows the form; POST runs one service, whose refusal becomes a form error."""
        change_url = certificate_url("change", certificate)
        allowed = CERTIFICATE_LIFECYCLE.can(certificate.status, action)
        if allowed and request.method == "POST" and form.is_valid():
            try:
                run(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/juries/certificate/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": certificate,
                "title": title,
                "change_url": change_url,
                "form": form,
                "allowed": allowed,
                "submit_label": submit,
                "intro": intro,
                "danger": danger,
            },
        )


def certificate_url(name: str, certificate: Certificate) -> str:
    return reverse(f"admin:{NAME}_{name}", args=[certificate.pk])
