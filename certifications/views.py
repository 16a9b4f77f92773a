"""Catalogue pages: the public catalogue and CQP page, the CPNEF and evaluator spaces."""

from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django.views.generic import ListView, TemplateView

from . import selectors
from .models import LOGO_DIR, Branch, Cqp
from .permissions import cpnef_branch_ids, has_accreditation


class CatalogueView(ListView):
    """The public list of CQPs open to candidates, searchable and filterable by branch."""

    template_name = "certifications/catalogue.html"
    context_object_name = "cqps"
    paginate_by = 25

    def get_queryset(self):
        self.q = self.request.GET.get("q", "").strip()[:100]
        self.branch_slug = self.request.GET.get("branch", "").strip()[:60]
        return selectors.catalogue_cqps(q=self.q, branch_slug=self.branch_slug)

    def get_template_names(self):
        # htmx swaps the results in place; a plain request (or htmx restoring its history after
        # a cache miss, which replaces the whole body) gets the whole page.
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.boosted and not htmx.history_restore_request:
            return ["certifications/_catalogue_results.html"]
        return [self.template_name]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers a fragment or a page: caches must tell them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            q=self.q,
            branch_slug=self.branch_slug,
            branches=selectors.catalogue_branches(),
            filtered=bool(self.q or self.branch_slug),
            query_without_page=query.urlencode(),
        )
        return context


class CqpDetailView(TemplateView):
    """The public page of a CQP open to candidates, with its current référentiel."""

    template_name = "certifications/cqp_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            cqp = selectors.get_open_cqp(kwargs["pk"])
        except Cqp.DoesNotExist:
            raise Http404 from None
        context.update(cqp=cqp, referentiel=selectors.published_referentiel(cqp))
        return context


class CpnefProjectsView(LoginRequiredMixin, TemplateView):
    """The CPNEF member's space: projects awaiting a decision, then recent decisions."""

    template_name = "certifications/cpnef_projects.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or cpnef_branch_ids(user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        projects = list(selectors.cpnef_pending_projects(user))
        back = urlencode({"next": self.request.path})
        for cqp in projects:
            cqp.decide_url = f"{reverse('admin:certifications_cqp_decide', args=[cqp.pk])}?{back}"
        decisions = list(selectors.cpnef_recent_decisions(user))
        for decision in decisions:
            decision.cqp_admin_url = reverse(
                "admin:certifications_cqp_change", args=[decision.cqp_id]
            )
        context.update(projects=projects, decisions=decisions)
        return context


class MyAccreditationsView(LoginRequiredMixin, TemplateView):
    """The evaluator's space: their accreditations and whether each is valid today."""

    template_name = "certifications/my_accreditations.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_accreditation(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        accreditations = list(selectors.accreditations_of(self.request.user))
        for accreditation in accreditations:
            accreditation.valid_today = accreditation.is_valid_on(today)
        context.update(accreditations=accreditations, today=today)
        return context


LOGO_CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@require_safe
def branch_logo(request, name):
    """A branch's logo (public: it is printed on every certificate the branch issues)."""
    stored = f"{LOGO_DIR}{name}"
    content_type = LOGO_CONTENT_TYPES.get(Path(name).suffix.lower())
    if content_type is None or not Branch.objects.filter(logo=stored).exists():
        raise Http404
    try:
        handle = default_storage.open(stored, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
