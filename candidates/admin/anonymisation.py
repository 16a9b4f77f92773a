"""Anonymising candidates from their changelist: a bulk action with a confirmation page."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cqp.errors import DomainError

from .. import services


class AnonymiseActionMixin:
    """The action "Anonymise": says who may not be and why, then anonymises the others."""

    actions = ["anonymise"]

    @admin.action(description=gettext_lazy("Anonymise (retention period over)"))
    def anonymise(self, request, queryset):
        rows = []
        for candidate in queryset.select_related("user"):
            refusal = (
                services.anonymisation_refusal(candidate)
                if services.may_anonymise(request.user, candidate)
                else _("Only the staff of the candidate's branches may do this.")
            )
            rows.append((candidate, refusal))
        eligible = [candidate for candidate, refusal in rows if not refusal]
        if request.POST.get("post") == "yes" and eligible:
            done = 0
            for candidate in eligible:
                try:
                    services.candidate_anonymise(
                        candidate=candidate, actor=request.user, request=request
                    )
                except DomainError as error:
                    messages.error(request, f"{candidate}: {error.message}")
                else:
                    done += 1
            if done:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d candidate anonymised.",
                        "%(count)d candidates anonymised.",
                        done,
                    )
                    % {"count": done},
                )
            return None
        return TemplateResponse(
            request,
            "admin/candidates/candidate/anonymise.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Anonymise candidates"),
                "rows": rows,
                "eligible": eligible,
                "selected": [str(candidate.pk) for candidate, _refusal in rows],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
