"""Forms of the catalogue: input shape only; the rules live in the services."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Branch, CompetenceUnit, CpnefDecision, Cqp, EvaluatorAccreditation

MINUTES_MAX_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class TransitionForm(forms.Form):
    """Confirmation of a lifecycle action, with an optional or required comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept in the history of the CQP."),
    )

    def __init__(self, *args, comment_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = comment_required


class CpnefDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=CpnefDecision.Outcome.choices, widget=forms.RadioSelect
    )
    meeting_date = forms.DateField(
        label=_("Date of the CPNEF meeting"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    comment = forms.CharField(
        label=_("Reasons and comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required to reject or to request changes."),
    )
    minutes = forms.FileField(
        label=_("Minutes (PDF)"), required=False, help_text=_("Optional, PDF, 20 MB at most.")
    )

    def clean_minutes(self):
        upload = self.cleaned_data.get("minutes")
        if not upload:
            return upload
        if upload.size > MINUTES_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (20 MB at most)."))
        head = upload.read(5)
        upload.seek(0)
        if head != PDF_MAGIC:
            raise forms.ValidationError(_("The minutes must be a PDF file."))
        return upload

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome and outcome != CpnefDecision.Outcome.APPROVE and not data.get("comment"):
            self.add_error("comment", _("Explain the decision: a comment is required."))
        return data


class ImportForm(forms.Form):
    """Upload of a France Compétences export (XML) to import référentiels."""

    file = forms.FileField(label=_("Export file (XML)"))
    branch = forms.ModelChoiceField(
        label=_("Branch"),
        queryset=Branch.objects.none(),
        required=False,
        help_text=_(
            "Every fiche goes under this branch. Empty: your branch if you have only one, "
            "otherwise the branch of a matching certifier."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run (show what would change, write nothing)"), required=False
    )

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches if branches is not None else Branch.objects.all()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class CqpAdminForm(forms.ModelForm):
    """The admin's CQP form; its branch is read-only on change."""

    class Meta:
        model = Cqp
        fields = ["branch", "code", "title", "level", "description", "registry_number"]
        fields += ["registration_end_date", "nsf_codes", "rome_codes", "formacodes"]
        widgets = {"title": forms.TextInput(attrs={"size": 90, "class": "vLargeTextField"})}

    def clean_code(self):
        code = self.cleaned_data["code"]
        cqp = self.instance
        # With the branch read-only, Django skips the (branch, code) constraint on change.
        clash = Cqp.objects.filter(branch_id=cqp.branch_id, code=code).exclude(pk=cqp.pk)
        if cqp.pk and clash.exists():
            raise forms.ValidationError(
                _("This branch already has a CQP with the code “%s”.") % code
            )
        return code


class CompetenceUnitInlineForm(forms.ModelForm):
    """A unit with its competences and criteria edited as one line each."""

    competences_text = forms.CharField(
        label=_("Competences"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 90}),
        help_text=_("One competence per line, in order."),
    )
    criteria_text = forms.CharField(
        label=_("Evaluation criteria"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 90}),
        help_text=_("One criterion per line, in order."),
    )

    class Meta:
        model = CompetenceUnit
        fields = ["order", "code", "title", "is_optional", "evaluation_modalities"]
        widgets = {
            "title": forms.TextInput(attrs={"size": 90, "class": "vLargeTextField"}),
            "evaluation_modalities": forms.Textarea(attrs={"rows": 3, "cols": 90}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The référentiel page prefetches competences and criteria for every unit.
            self.initial["competences_text"] = "\n".join(
                c.text for c in self.instance.competences.all()
            )
            self.initial["criteria_text"] = "\n".join(c.text for c in self.instance.criteria.all())

    def has_changed(self):
        return super().has_changed() or any(
            name in self.changed_data for name in ("competences_text", "criteria_text")
        )


class AccreditationAdminForm(forms.ModelForm):
    """Names the evaluator by e-mail; an account is created when none exists yet."""

    evaluator_email = forms.EmailField(
        label=_("Evaluator's e-mail"),
        help_text=_(
            "A new account is created if needed; the evaluator sets a password with "
            "“Forgotten password”."
        ),
    )
    evaluator_first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    evaluator_last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    class Meta:
        model = EvaluatorAccreditation
        fields = ["branch", "cqps", "valid_from", "valid_until", "reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            user = self.instance.user
            self.initial.update(
                evaluator_email=user.email,
                evaluator_first_name=user.first_name,
                evaluator_last_name=user.last_name,
            )

    def clean_evaluator_email(self):
        return self.cleaned_data["evaluator_email"].strip().lower()

    def clean(self):
        data = super().clean()
        branch, cqps = data.get("branch"), data.get("cqps")
        if branch and cqps and any(c.branch_id != branch.pk for c in cqps):
            self.add_error("cqps", _("Choose CQPs of the accreditation's branch only."))
        return data
