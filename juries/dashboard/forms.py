"""The dashboard's filters: branch (when there is a choice), CQP, period."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .figures import Filters

# Dates outside these years are typing mistakes (and would overflow the time zone arithmetic).
FIRST_YEAR, LAST_YEAR = 1900, 2100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class QuickSelect(forms.Select):
    """A select whose options are written in Python: a superuser chooses among hundreds of
    CQPs, and the widget templates (one per option) would take most of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = {**self.build_attrs(self.attrs, attrs), "name": name}
        current = set(self.format_value(value))
        options = "".join(
            '<option value="{}"{}>{}</option>'.format(
                escape(str(key)), " selected" if str(key) in current else "", escape(str(label))
            )
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final_attrs)}>{options}</select>")  # escaped above


def _date_field(label):
    return forms.DateField(label=label, required=False, widget=DateInput())


class DashboardFilterForm(forms.Form):
    """Validated filters; `filters()` turns them into the figures' scope."""

    branch = forms.TypedChoiceField(
        label=_("Branch"), required=False, coerce=int, widget=QuickSelect
    )
    cqp = forms.TypedChoiceField(label=_("CQP"), required=False, coerce=int, widget=QuickSelect)
    start = _date_field(_("From"))
    end = _date_field(_("To"))

    def __init__(self, data, *, branches, cqps):
        """`branches`: (id, name) pairs, None without a choice; `cqps`: (id, code, title,
        branch id) of the visible branches."""
        super().__init__(data)
        self._cqp_branch = {pk: branch_id for pk, _code, _title, branch_id in cqps}
        if branches is None:
            del self.fields["branch"]
        else:
            self.fields["branch"].choices = [("", _("Every branch")), *branches]
        self.fields["cqp"].choices = [("", _("Every CQP"))] + [
            (pk, f"{code} — {title}") for pk, code, title, _branch in cqps
        ]

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise forms.ValidationError(
                _("Enter a date between %(first)d and %(last)d."),
                code="out_of_range",
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean(self):
        data = super().clean()
        branch, cqp = data.get("branch"), data.get("cqp")
        if branch and cqp and self._cqp_branch.get(cqp) != branch:
            self.add_error("cqp", _("This CQP is not one of the chosen branch's."))
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period cannot be before its start."))
        return data

    def filters(self, branch_ids: frozenset[int] | None) -> Filters:
        """The figures' scope: the visible `branch_ids`, narrowed by the valid filters."""
        branch = self.cleaned_data.get("branch")
        return Filters(
            branch_ids=frozenset({branch}) if branch else branch_ids,
            cqp_id=self.cleaned_data.get("cqp") or None,
            start=self.cleaned_data.get("start"),
            end=self.cleaned_data.get("end"),
        )
