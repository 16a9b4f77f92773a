"""Forms of the candidate's pages: they check the input's shape; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certifications.models import Cqp

from .models import Candidate, DossierDocument, Funding
from .services import PROFILE_FIELDS


class CqpChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.title}"


class DossierOpenForm(forms.Form):
    cqp = CqpChoiceField(
        label=_("CQP"),
        queryset=Cqp.objects.none(),
        empty_label=_("Choose a CQP"),
    )
    funding = forms.ChoiceField(
        label=_("Funding"),
        choices=[("", _("Choose a funding"))] + list(Funding.choices),
        help_text=_("How your path to the CQP is funded; ask your employer if unsure."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only CQPs open to candidates are offered; any other posted pk is an invalid choice.
        self.fields["cqp"].queryset = (
            Cqp.objects.open_to_candidates().select_related("branch").order_by("title", "id")
        )


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of piece"), choices=DossierDocument.Kind.choices)
    # Empty, oversize and disguised files are refused by the service, with its own messages.
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class DocumentReplaceForm(forms.Form):
    file = forms.FileField(label=_("New file"), allow_empty_file=True)


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = PROFILE_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].help_text = _("As they should be printed on a certificate.")
        self.fields["employer_name"].help_text = _("Only if you are an employee.")
        self.fields["employer_siret"].help_text = _("14 digits, only if you are an employee.")

    def clean_employer_siret(self):
        return "".join(self.cleaned_data.get("employer_siret", "").split())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("situation") == Candidate.Situation.EMPLOYEE:
            for name in ("employer_name", "employer_siret"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Required when you are an employee."))
        else:
            cleaned["employer_name"] = cleaned["employer_siret"] = ""
        return cleaned
