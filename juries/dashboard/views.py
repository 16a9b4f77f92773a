"""The dashboard page (in the admin) and its tables as CSV files."""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View

from .csv import csv_response
from .figures import cache_seconds, cached_figures
from .forms import DashboardFilterForm
from .scope import branch_choices, cqp_choices, dashboard_branch_ids
from .table_html import page_sections
from .tables import dashboard_table


class DashboardView(View):
    """Figures of the user's branches, filtered; `?export=<table>` downloads one table."""

    template_name = "admin/dashboard.html"

    def get(self, request):
        branch_ids = dashboard_branch_ids(request.user)
        form = DashboardFilterForm(
            request.GET, branches=branch_choices(branch_ids), cqps=cqp_choices(branch_ids)
        )
        if not form.is_valid():  # the errors, and no figure that would look filtered
            return self.page(request, form)
        figures = cached_figures(form.filters(branch_ids))
        export = request.GET.get("export")
        if export:
            table = dashboard_table(figures, export)
            if table is None:
                raise Http404
            return csv_response(table)
        return self.page(request, form, figures=figures, sections=page_sections(figures))

    def page(self, request, form, **context):
        return TemplateResponse(
            request,
            self.template_name,
            {
                **admin.site.each_context(request),
                "title": _("Dashboard"),
                "form": form,
                "refresh_minutes": max(1, round(cache_seconds() / 60)),
                **context,
            },
        )
