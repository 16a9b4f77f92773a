"""The candidate's pages: dossiers, their timeline, units and pieces, acquired units, profile.

Pages read through `selectors`; state changes are POST views calling one service and turning
its domain error into a message. Every dossier or piece is fetched through `permissions`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from cqp.audit import record_download_by_other
from cqp.errors import DomainError

from . import selectors, services
from .forms import (
    DocumentReplaceForm,
    DocumentUploadForm,
    DossierOpenForm,
    ProfileForm,
    WithdrawForm,
)
from .lifecycles import DOSSIER_LIFECYCLE, WITH_EVALUATOR
from .models import Candidate, DossierDocument, DossierStatus, Pathway
from .panels import dossier_panels
from .permissions import (
    candidate_of,
    get_document_for_user,
    get_dossier_for_user,
    is_dossier_member,
    is_dossier_owner,
)

S = DossierStatus


class CandidateRequiredMixin(LoginRequiredMixin):
    """Pages of the candidate space: logged-in users without a candidate profile get a 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.candidate = candidate_of(request.user)
            if self.candidate is None:
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _form_error_message(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


class DossierListView(CandidateRequiredMixin, TemplateView):
    """My dossiers."""

    template_name = "candidates/dossier_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["dossiers"] = selectors.candidate_dossiers(self.candidate)
        return context


class DossierOpenView(CandidateRequiredMixin, FormView):
    """Open a dossier on a CQP open to candidates."""

    template_name = "candidates/dossier_open.html"
    form_class = DossierOpenForm

    def get_initial(self):
        initial = super().get_initial()
        cqp = self.request.GET.get("cqp", "")
        if cqp.isdigit():
            initial["cqp"] = int(cqp)
        return initial

    def form_valid(self, form):
        try:
            dossier = services.dossier_open(
                candidate=self.candidate,
                cqp=form.cleaned_data["cqp"],
                funding=form.cleaned_data["funding"],
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Your dossier %s is open.") % dossier.reference)
        return redirect(dossier)


class DossierDetailView(LoginRequiredMixin, TemplateView):
    """A dossier: status and next step, timeline, units, pieces; actions for its candidate."""

    template_name = "candidates/dossier_detail.html"
    # While the evaluator assesses and until the jury decides, units read "assessed" or
    # "pending"; the results stay with the branch and the jury.
    assessed_shown = frozenset({S.EVALUATION, S.READY_FOR_JURY, S.IN_JURY})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dossier = get_dossier_for_user(self.request.user, kwargs["pk"])
        is_owner = is_dossier_owner(self.request.user, dossier)
        events = selectors.dossier_timeline(
            dossier, hide_private=not is_dossier_member(self.request.user, dossier)
        )
        missing = next(
            (e.comment for e in reversed(events) if e.action == "declare_incomplete"), ""
        )
        pieces_editable = is_owner and DOSSIER_LIFECYCLE.can(dossier.status, "add_piece")
        documents = selectors.dossier_documents(dossier)
        units = selectors.dossier_units(dossier)
        # The positioning exists once a pathway is taken, the plan on the training pathway.
        positioning = selectors.dossier_positioning(dossier) if dossier.pathway else None
        plan = (
            selectors.dossier_training_plan(dossier)
            if dossier.pathway == Pathway.TRAINING
            else None
        )
        # Which units the evaluator assessed (never the results: the jury decides).
        if dossier.status in self.assessed_shown:
            assessed = set(
                selectors.counted_assessments(dossier).order_by().values_list("unit_id", flat=True)
            )
            for unit in units:
                unit.assessed = unit.pk in assessed
        today = timezone.localdate()
        context.update(
            dossier=dossier,
            candidate=dossier.candidate,
            is_owner=is_owner,
            events=events,
            missing_items=missing,
            units=units,
            show_assessed=dossier.status in self.assessed_shown,
            documents=documents,
            positioning=positioning,
            eligibility_expired=positioning is not None
            and positioning.eligibility_valid_until is not None
            and not positioning.eligibility_is_valid_on(today),
            plan=plan,
            has_booklet=any(d.kind == DossierDocument.Kind.VAE_BOOKLET for d in documents),
            awaiting_evaluator=dossier.status in WITH_EVALUATOR and dossier.evaluator_id is None,
            pieces_editable=pieces_editable,
            can_submit=is_owner
            and any(DOSSIER_LIFECYCLE.can(dossier.status, a) for a in ("submit", "resubmit")),
            can_withdraw=is_owner and DOSSIER_LIFECYCLE.can(dossier.status, "withdraw"),
            upload_form=DocumentUploadForm() if pieces_editable else None,
            max_upload_bytes=settings.FILE_UPLOAD_MAX_BYTES,
            # What other apps show on the dossier (the juries: certificates, attestations).
            panels=dossier_panels(self.request, dossier),
            S=S,
        )
        return context


class DossierActionView(LoginRequiredMixin, View):
    """A POST acting on the dossier as its candidate; errors become messages."""

    http_method_names = ["post"]

    def get_dossier(self):
        return get_dossier_for_user(self.request.user, self.kwargs["pk"], write=True)

    def back(self, dossier):
        return redirect("candidates:dossier_detail", pk=dossier.pk)


class DossierSubmitView(DossierActionView):
    """Submit a draft, or send back an incomplete dossier once completed."""

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        resubmit = dossier.status == S.INCOMPLETE
        service = services.dossier_resubmit if resubmit else services.dossier_submit
        try:
            service(dossier=dossier, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your dossier was sent to the branch."))
        return self.back(dossier)


class DossierWithdrawView(DossierActionView):
    """GET asks for confirmation (with an optional reason); POST withdraws."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        return self.render(dossier, WithdrawForm())

    def render(self, dossier, form):
        return render(
            self.request,
            "candidates/dossier_withdraw.html",
            {
                "dossier": dossier,
                "form": form,
                "can_withdraw": DOSSIER_LIFECYCLE.can(dossier.status, "withdraw"),
            },
        )

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            return self.render(dossier, form)
        try:
            services.dossier_withdraw(
                dossier=dossier, actor=request.user, comment=form.cleaned_data["comment"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your dossier was withdrawn."))
        return self.back(dossier)


class DocumentUploadView(DossierActionView):
    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        form = DocumentUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            _form_error_message(request, form)
            return self.back(dossier)
        try:
            document = services.document_upload(
                dossier=dossier,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=request.user,
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Piece added: %s.") % document.original_name)
        return self.back(dossier)


class DocumentActionView(DossierActionView):
    def get_document(self):
        return get_document_for_user(
            self.request.user, self.kwargs["dossier_pk"], self.kwargs["pk"], write=True
        )

    def back(self, document):
        return redirect("candidates:dossier_detail", pk=document.dossier_id)


class DocumentReplaceView(DocumentActionView):
    def post(self, request, *args, **kwargs):
        document = self.get_document()
        form = DocumentReplaceForm(request.POST, request.FILES)
        if not form.is_valid():
            _form_error_message(request, form)
            return self.back(document)
        try:
            services.document_replace(
                document=document, upload=form.cleaned_data["file"], actor=request.user
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Piece replaced: %s.") % document.original_name)
        return self.back(document)


class DocumentDeleteView(DocumentActionView):
    def post(self, request, *args, **kwargs):
        document = self.get_document()
        name = document.original_name
        try:
            services.document_delete(document=document, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Piece deleted: %s.") % name)
        return self.back(document)


def document_response(request, document, dossier) -> FileResponse:
    """A piece as a private download (the caller has checked who may see it).

    Read by anyone but the candidate (staff, evaluator, jury member): on the audit trail (the
    piece's kind, not its file name, which may be personal).
    """
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    record_download_by_other(
        request,
        target=document,
        subject_id=dossier.candidate.user_id,
        label=f"{dossier.reference} · {document.get_kind_display()} #{document.pk}",
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentDownloadView(LoginRequiredMixin, View):
    """A piece, served only to those who may see its dossier."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        document = get_document_for_user(request.user, kwargs["dossier_pk"], kwargs["pk"])
        return document_response(request, document, document.dossier)


class AcquiredUnitsView(CandidateRequiredMixin, TemplateView):
    """The units I hold, across dossiers."""

    template_name = "candidates/acquired_units.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["acquired_units"] = selectors.candidate_acquired_units(self.candidate)
        return context


class ProfileView(CandidateRequiredMixin, FormView):
    """My identity, contact details and situation."""

    template_name = "candidates/profile.html"
    form_class = ProfileForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.candidate
        return kwargs

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in services.PROFILE_FIELDS}
        # The model form already wrote the new values on its instance: the service compares
        # them with the stored ones (identity changes go on record), so it gets a fresh copy.
        stored = Candidate.objects.get(pk=self.candidate.pk)
        try:
            services.candidate_update_profile(candidate=stored, actor=self.request.user, **fields)
        except DomainError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile was saved."))
        return redirect(reverse("candidates:profile"))
