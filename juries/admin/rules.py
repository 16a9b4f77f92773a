"""Each branch's quorum rule for its juries: one row per branch, edited by its staff."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.admin.scoping import BranchScopedAdmin
from certifications.models import Branch
from certifications.permissions import staff_branch_ids

from ..models import JuryRules


class JuryRulesForm(forms.ModelForm):
    class Meta:
        model = JuryRules
        fields = ["branch", "quorum_percent", "both_colleges_required"]

    def clean_quorum_percent(self):
        value = self.cleaned_data["quorum_percent"]
        if value is not None and not 1 <= value <= 99:
            raise forms.ValidationError(gettext_lazy("Give a share between 1 and 99%."))
        return value


@admin.register(JuryRules)
class JuryRulesAdmin(BranchScopedAdmin):
    """Saved by the admin itself (no lifecycle, no event): a branch setting, not a decision."""

    form = JuryRulesForm
    list_display = ["branch", "quorum_display", "both_colleges_required"]
    fields = ["branch", "quorum_percent", "both_colleges_required"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch")

    def get_readonly_fields(self, request, obj=None):
        return ["branch"] if obj is not None else []  # one row per branch, for good

    def add_view(self, request, form_url="", extra_context=None):
        """Created on the first save; once every branch of the user has its row, change it."""
        if self.has_add_permission(request) and not self._branches_without_rules(request).exists():
            messages.info(request, _("Your branches already have their rules: change them here."))
            return HttpResponseRedirect(reverse("admin:juries_juryrules_changelist"))
        return super().add_view(request, form_url, extra_context)

    def _branches_without_rules(self, request):
        branches = Branch.objects.filter(jury_rules__isnull=True)
        if not request.user.is_superuser:
            branches = branches.filter(pk__in=staff_branch_ids(request.user))
        return branches

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "branch":  # the user's branches (scoped above) without rules yet
            formfield.queryset = formfield.queryset.filter(jury_rules__isnull=True)
        return formfield

    @admin.display(description=gettext_lazy("quorum"), ordering="quorum_percent")
    def quorum_display(self, rules):
        return _("more than %(percent)d%% of the members present") % {
            "percent": rules.quorum_percent
        }
