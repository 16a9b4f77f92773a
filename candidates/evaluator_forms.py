"""Forms of the evaluator's pages: they check the input's shape; the services decide.

The positioning, training plan and unit assessment forms build one field (or three) per unit
or criterion, named after its primary key (`unit_<pk>_result`, `criterion_<pk>`), and hand the
services plain values.
"""

from django import forms
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from certifications.models import Habilitation, TrainingProvider
from cqp.forms import QuickSelect

from .lifecycles import WITH_EVALUATOR
from .models import (
    OPEN_STATUSES,
    AssessmentModality,
    DossierStatus,
    Funding,
    Pathway,
    PositioningResult,
    UnitAssessmentResult,
)
from .selectors import DUE_FILTERS
from .services import (
    MAX_ELIGIBILITY_YEARS,
    MAX_UNIT_HOURS,
    VAE_ELIGIBILITY_YEARS,
    UnitPositioning,
    years_later,
)

CLOSED = "closed"
DUE_LABELS = {
    "overdue": _("Overdue"),
    "week": _("Due within a week"),
    "month": _("Due within a month"),
    "none": _("No due date"),
}
TEXT_MAX = 5000


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# The open statuses a dossier may have once an evaluator is assigned (from the positioning on).
ASSIGNED_OPEN_STATUSES = OPEN_STATUSES & (
    WITH_EVALUATOR | {DossierStatus.READY_FOR_JURY, DossierStatus.IN_JURY}
)


def open_status_choices():
    """The open statuses of an assigned dossier, in the lifecycle's order."""
    return [
        (value, label) for value, label in DossierStatus.choices if value in ASSIGNED_OPEN_STATUSES
    ]


class CqpFilterField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.title}"


class DossierFilterForm(forms.Form):
    """The list's filters, read from the query string (every field optional)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    cqp = CqpFilterField(
        label=_("CQP"),
        queryset=None,
        required=False,
        empty_label=_("Every CQP"),
        widget=QuickSelect,
    )
    due = forms.ChoiceField(label=_("Due date"), required=False)

    def __init__(self, *args, cqps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Every open dossier")),
            *open_status_choices(),
            (CLOSED, _("Closed")),
        ]
        self.fields["cqp"].queryset = cqps
        self.fields["due"].choices = [("", _("Any due date"))] + [
            (key, DUE_LABELS[key]) for key in DUE_FILTERS
        ]

    def filters(self) -> dict:
        """The selector's keyword arguments (nothing filtered unless the form is valid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        cqp = self.cleaned_data.get("cqp")
        return {
            "status": self.cleaned_data.get("status") or "",
            "cqp_id": cqp.pk if cqp else None,
            "due": self.cleaned_data.get("due") or "",
        }


class UnitFieldsMixin:
    """Fields grouped per unit: `unit_rows()` gives each unit with its bound fields."""

    unit_field_names: tuple[str, ...] = ()

    def unit_field(self, unit, name: str) -> str:
        return f"unit_{unit.pk}_{name}"

    def unit_rows(self):
        return [
            {
                "unit": unit,
                "fields": [self[self.unit_field(unit, name)] for name in self.unit_field_names],
                **{name: self[self.unit_field(unit, name)] for name in self.unit_field_names},
            }
            for unit in self.units
        ]


class PositioningForm(UnitFieldsMixin, forms.Form):
    """The positioning (bilan): each unit still to acquire, then the recommended pathway."""

    unit_field_names = ("result", "comment", "hours")

    assessed_on = forms.DateField(label=_("Date of the positioning"), widget=date_input())
    recommendation = forms.ChoiceField(
        label=_("Recommended pathway"),
        choices=[
            (Pathway.VAE, _("VAE: the candidate is eligible")),
            (Pathway.TRAINING, _("Training")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Recommend the VAE or a training.")},
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this pathway; the candidate reads it on their dossier page."),
        error_messages={"required": _("Justify the recommendation.")},
    )
    eligibility_valid_until = forms.DateField(
        label=_("VAE eligibility valid until"),
        required=False,
        widget=date_input(),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = list(units)
        today = timezone.localdate()
        self.fields["assessed_on"].initial = today
        self.fields["eligibility_valid_until"].initial = years_later(today, VAE_ELIGIBILITY_YEARS)
        self.fields["eligibility_valid_until"].help_text = gettext(
            "Required for the VAE: usually %(usual)d years after the positioning, %(most)d at most."
        ) % {"usual": VAE_ELIGIBILITY_YEARS, "most": MAX_ELIGIBILITY_YEARS}
        for unit in self.units:
            self.fields[self.unit_field(unit, "result")] = forms.ChoiceField(
                label=_("Result"),
                choices=PositioningResult.choices,
                widget=forms.RadioSelect,
                required=not unit.is_optional,
                error_messages={"required": _("Choose a result for this unit.")},
                help_text=_("Optional unit: leave it blank if it is not positioned.")
                if unit.is_optional
                else "",
            )
            self.fields[self.unit_field(unit, "comment")] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[self.unit_field(unit, "hours")] = forms.IntegerField(
                label=_("Estimated training hours"),
                required=False,
                min_value=0,
                max_value=MAX_UNIT_HOURS,
                help_text=_("For a training, required for a unit not acquired yet."),
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("recommendation") == Pathway.TRAINING:
            # A training carries no eligibility: whatever the date field holds is ignored.
            self.errors.pop("eligibility_valid_until", None)
            cleaned["eligibility_valid_until"] = None
        if (
            cleaned.get("recommendation") == Pathway.VAE
            and not cleaned.get("eligibility_valid_until")
            and "eligibility_valid_until" not in self.errors
        ):
            self.add_error(
                "eligibility_valid_until",
                _("Give the end of validity of the VAE eligibility."),
            )
        for unit in self.units:
            result = self.unit_field(unit, "result")
            if cleaned.get(result) or result in self.errors:
                continue
            if cleaned.get(self.unit_field(unit, "comment")) or cleaned.get(
                self.unit_field(unit, "hours")
            ):
                self.add_error(result, _("Choose a result for this unit, or leave it blank."))
        return cleaned

    def unit_positionings(self) -> list[UnitPositioning]:
        """The units given a result (optional units left blank are not positioned)."""
        data = self.cleaned_data
        return [
            UnitPositioning(
                unit_id=unit.pk,
                result=data[self.unit_field(unit, "result")],
                comment=data.get(self.unit_field(unit, "comment")) or "",
                estimated_hours=data.get(self.unit_field(unit, "hours")),
            )
            for unit in self.units
            if data.get(self.unit_field(unit, "result"))
        ]


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        starts = getattr(obj, "habilitated_from", None)
        if starts is not None and starts > timezone.localdate():
            return gettext("%(name)s (habilitated from %(date)s)") % {
                "name": obj.name,
                "date": date_format(starts, "SHORT_DATE_FORMAT"),
            }
        return obj.name


TRAINING_SCOPES = (Habilitation.Scope.TRAIN, Habilitation.Scope.TRAIN_AND_EVALUATE)


def training_providers(cqp, day, also=None):
    """Providers holding a habilitation to train for `cqp` not ended on `day` (and `also`).

    A habilitation starting later counts (a plan starting then may rely on it): the service
    checks it covers the plan's dates. Each provider carries `habilitated_from`, the first day
    of its earliest such habilitation (None for `also` if it holds none).
    """
    not_ended = Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    holders = Habilitation.objects.filter(not_ended, cqp=cqp, scope__in=TRAINING_SCOPES)
    offered = Q(pk__in=holders.values("provider_id"))
    if also is not None:
        offered |= Q(pk=also)
    return (
        TrainingProvider.objects.filter(offered)
        .annotate(
            habilitated_from=Min(
                "habilitations__valid_from",
                filter=Q(habilitations__in=holders),
            )
        )
        .order_by("name", "id")
    )


class TrainingPlanForm(UnitFieldsMixin, forms.Form):
    """The training plan: a provider, dates, funding, and the hours of each unit covered."""

    unit_field_names = ("covered", "hours")

    provider = ProviderChoiceField(
        label=_("Training provider"),
        queryset=None,
        empty_label=_("Choose a training provider"),
        error_messages={
            "required": _("Choose a training provider."),
            "invalid_choice": _("Choose a provider habilitated to train for this CQP."),
        },
        help_text=_(
            "Providers habilitated to train for this CQP, now or from a later date; the "
            "habilitation must cover the whole training, from its first to its last day."
        ),
    )
    start_date = forms.DateField(label=_("Start date"), widget=date_input())
    end_date = forms.DateField(label=_("End date"), widget=date_input())
    funding = forms.ChoiceField(label=_("Funding"), choices=Funding.choices)

    def __init__(self, *args, dossier, units, plan=None, positioning=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = list(units)
        self.fields["provider"].queryset = training_providers(
            dossier.cqp, timezone.localdate(), also=plan.provider_id if plan else None
        )
        planned = {line.unit_id: line.hours for line in plan.units.all()} if plan else {}
        estimated = {line.unit_id: line for line in positioning.units.all()} if positioning else {}
        if plan is not None:
            self.initial.setdefault("provider", plan.provider_id)
            self.initial.setdefault("start_date", plan.start_date)
            self.initial.setdefault("end_date", plan.end_date)
            self.initial.setdefault("funding", plan.funding)
        else:
            self.initial.setdefault("funding", dossier.funding)
        for unit in self.units:
            line = estimated.get(unit.pk)
            if plan is not None:
                covered = unit.pk in planned
                hours = planned.get(unit.pk) or (line.estimated_hours if line else None)
            else:
                covered = bool(
                    line and line.result != PositioningResult.ACQUIRED and line.estimated_hours
                )
                hours = line.estimated_hours if line else None
            self.fields[self.unit_field(unit, "covered")] = forms.BooleanField(
                label=_("Covered by the training"), required=False, initial=covered
            )
            self.fields[self.unit_field(unit, "hours")] = forms.IntegerField(
                label=_("Hours"),
                required=False,
                min_value=1,
                max_value=MAX_UNIT_HOURS,
                initial=hours or None,
            )

    def clean(self):
        cleaned = super().clean()
        for unit in self.units:
            hours = self.unit_field(unit, "hours")
            if (
                cleaned.get(self.unit_field(unit, "covered"))
                and not cleaned.get(hours)
                and hours not in self.errors
            ):
                self.add_error(hours, _("Give the hours of this unit, or untick it."))
        return cleaned

    def unit_hours(self) -> dict[int, int]:
        data = self.cleaned_data
        return {
            unit.pk: data[self.unit_field(unit, "hours")]
            for unit in self.units
            if data.get(self.unit_field(unit, "covered"))
        }


MET, NOT_MET = "met", "not_met"


class UnitAssessmentForm(forms.Form):
    """One unit's assessment: each criterion met or not, then the result."""

    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=date_input())
    modality = forms.ChoiceField(
        label=_("Modality"),
        choices=[("", _("Choose a modality")), *AssessmentModality.choices],
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=UnitAssessmentResult.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when the unit is not validated, or validated although a criterion is not met."
        ),
    )

    def __init__(self, *args, unit, assessment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.criteria = list(unit.criteria.all())
        met = assessment.met if assessment is not None else {}
        criterion_fields = {}
        for criterion in self.criteria:
            initial = None
            if criterion.pk in met:
                initial = MET if met[criterion.pk] else NOT_MET
            criterion_fields[f"criterion_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.text,
                label_suffix="",
                choices=[(MET, _("Met")), (NOT_MET, _("Not met"))],
                widget=forms.RadioSelect,
                initial=initial,
                error_messages={"required": _("Say whether this criterion is met.")},
            )
        # The criteria first, then the date, modality, result and comment.
        self.fields = {**criterion_fields, **self.fields}
        if assessment is not None:
            for name in ("assessed_on", "modality", "result", "comment"):
                self.initial.setdefault(name, getattr(assessment, name))
        else:
            self.initial.setdefault("assessed_on", timezone.localdate())

    def criterion_fields(self):
        return [self[f"criterion_{criterion.pk}"] for criterion in self.criteria]

    def other_fields(self):
        return [self[name] for name in ("assessed_on", "modality", "result", "comment")]

    def criteria_met(self) -> dict[int, bool]:
        return {
            criterion.pk: self.cleaned_data[f"criterion_{criterion.pk}"] == MET
            for criterion in self.criteria
        }


class DeclareReadyForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the branch (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict of interest?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: you work for the same employer, or you know the candidate personally. "
            "Only the branch's staff read it."
        ),
        error_messages={"required": _("Say what the conflict of interest is.")},
    )
