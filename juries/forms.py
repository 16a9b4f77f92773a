"""Forms of the jury's pages: they check the input's shape; the services decide.

The vote and decision forms build one field per unit to judge, named after its primary key
(`unit_<pk>`), and hand the services plain values.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .documents.codes import normalise_code
from .models import JUDGING_OUTCOMES, Outcome

TEXT_MAX = 5000
VALIDATE, REJECT = "validate", "reject"


def unit_label(unit) -> str:
    return f"{unit.code} — {unit.title}"


class OpenDeliberationForm(forms.Form):
    """The president ticks the members present; the service checks the quorum."""

    present = forms.TypedMultipleChoiceField(
        label=_("Members present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every member present, yourself included."),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for member in members:
            label = f"{member.user.get_full_name() or member.user.email} — "
            label += str(member.get_college_display())
            if member.is_president:
                label += f" ({member.get_role_display()})"
            choices.append((member.pk, label))
        self.fields["present"].choices = choices

    def present_ids(self) -> list[int]:
        return list(self.cleaned_data["present"])


class UnitFieldsMixin:
    """One field per unit to judge: `unit_rows()` gives each unit with its bound field."""

    def unit_field(self, unit) -> str:
        return f"unit_{unit.pk}"

    def unit_rows(self):
        return [{"unit": unit, "field": self[self.unit_field(unit)]} for unit in self.units]


class VoteForm(UnitFieldsMixin, forms.Form):
    """A member's vote: each unit validated or not, an overall proposal, a comment."""

    proposal = forms.ChoiceField(
        label=_("Your proposal for the dossier"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a proposal.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Read by the jury's president; never by the candidate."),
    )

    def __init__(self, *args, units, vote=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = list(units)
        given = vote.validate_by_unit if vote is not None else {}
        unit_fields = {}
        for unit in self.units:
            initial = None
            if unit.pk in given:
                initial = VALIDATE if given[unit.pk] else REJECT
            unit_fields[self.unit_field(unit)] = forms.ChoiceField(
                label=unit_label(unit),
                label_suffix="",
                choices=[(VALIDATE, _("Validate")), (REJECT, _("Do not validate"))],
                widget=forms.RadioSelect,
                required=False,
                initial=initial,
            )
        # The units first, then the proposal and the comment.
        self.fields = {**unit_fields, **self.fields}
        if vote is not None:
            self.initial.setdefault("proposal", vote.proposal)
            self.initial.setdefault("comment", vote.comment)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("proposal") in JUDGING_OUTCOMES:
            for unit in self.units:
                name = self.unit_field(unit)
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Say whether you validate this unit."))
        return cleaned

    def unit_fields(self):
        return [self[self.unit_field(unit)] for unit in self.units]

    def unit_votes(self) -> dict[int, bool]:
        """Each unit validated or not; none for an absence or a deferral."""
        if self.cleaned_data["proposal"] not in JUDGING_OUTCOMES:
            return {}
        return {
            unit.pk: self.cleaned_data[self.unit_field(unit)] == VALIDATE for unit in self.units
        }


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict of interest?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: you work for the same employer as the candidate, or you know them "
            "personally. The branch's staff read it."
        ),
        error_messages={"required": _("Say what the conflict of interest is.")},
    )


class DecisionForm(UnitFieldsMixin, forms.Form):
    """The president's decision: the outcome, each unit validated or not, the motivation."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    motivation = forms.CharField(
        label=_("Motivation"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required for a partial validation and for a refusal (not validated); the candidate "
            "reads it."
        ),
    )

    def __init__(self, *args, tally, decision=None, **kwargs):
        # The president's page holds the vote form too, with the same unit field names: ids of
        # its own keep each label on its box (a duplicated id leaves the checkboxes unnamed).
        kwargs.setdefault("auto_id", "id_decision_%s")
        super().__init__(*args, **kwargs)
        self.tally = tally
        self.units = [line.unit for line in tally.units]
        self.unit_tallies = {line.unit.pk: line for line in tally.units}
        for line in tally.units:
            if decision is not None:
                initial = line.unit.pk in decision.validated_ids
            else:  # the majority of the votes cast; a tie is left unticked, to the president
                initial = bool(line.majority)
            self.fields[self.unit_field(line.unit)] = forms.BooleanField(
                label=unit_label(line.unit), required=False, initial=initial
            )
        if decision is not None:
            self.initial.setdefault("outcome", decision.outcome)
            self.initial.setdefault("motivation", decision.motivation)

    def unit_rows(self):
        rows = super().unit_rows()
        for row in rows:
            row["tally"] = self.unit_tallies[row["unit"].pk]
        return rows

    def validated_unit_ids(self) -> list[int]:
        """The units ticked; none for an absence or a deferral."""
        if self.cleaned_data["outcome"] not in JUDGING_OUTCOMES:
            return []
        return [unit.pk for unit in self.units if self.cleaned_data.get(self.unit_field(unit))]


class VerificationForm(forms.Form):
    """A verification code as printed (case, spaces and dashes do not matter)."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("The ten characters printed under the QR code, e.g. ABCDE-23456."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("A code has ten letters and digits, as printed under the QR code.")
            )
        return code
