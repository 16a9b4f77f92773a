"""The small forms of the jury session pages: input shape only, the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy

from ..models import JUDGING_OUTCOMES, JuryMember, Outcome


class SessionForm(forms.Form):
    """Plan a session: the branch, its CQPs, when and where."""

    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=None)
    cqps = forms.ModelMultipleChoiceField(
        label=gettext_lazy("CQPs"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The CQPs whose dossiers the jury deliberates on."),
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Paris time."),
    )
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text=gettext_lazy("The address of the meeting, or leave blank for a video session."),
    )
    video_link = forms.URLField(
        label=gettext_lazy("Video link"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )

    def __init__(self, *args, branches, cqps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["cqps"].queryset = cqps
        only = list(branches[:2])
        if len(only) == 1:
            self.fields["branch"].initial = only[0].pk


class MemberAddForm(forms.Form):
    """Seat a person: one chosen among the people the branch knows, or found by e-mail."""

    person = forms.ModelChoiceField(
        label=gettext_lazy("Person"),
        queryset=None,
        required=False,
        help_text=gettext_lazy(
            "The branch's staff and CPNEF members, and the people who already sat on its juries."
        ),
    )
    email = forms.EmailField(
        label=gettext_lazy("Or their e-mail address"),
        required=False,
        help_text=gettext_lazy("For anyone else: their account must exist and be active."),
    )
    college = forms.ChoiceField(
        label=gettext_lazy("College"),
        choices=JuryMember.College.choices,
        widget=forms.RadioSelect,
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=JuryMember.Role.choices,
        initial=JuryMember.Role.MEMBER,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = person_label

    def clean(self):
        data = super().clean()
        person, email = data.get("person"), data.get("email")
        if "email" in self.errors:
            return data
        if person and email:
            raise forms.ValidationError(
                gettext_lazy("Choose a person or give an e-mail address, not both.")
            )
        if not person and not email:
            raise forms.ValidationError(
                gettext_lazy("Choose a person or give their e-mail address.")
            )
        if email:
            person = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
            if person is None:
                self.add_error("email", gettext_lazy("No active account has this e-mail address."))
        data["user"] = person
        return data


def person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


class AgendaAddForm(forms.Form):
    """Dossiers ready for the jury, ticked one by one."""

    dossiers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Dossiers ready for the jury"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Tick the dossiers to put on the agenda."),
            "invalid_choice": gettext_lazy(
                "A ticked dossier is no longer ready for the jury: look at the list again."
            ),
        },
    )

    def __init__(self, *args, ready, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dossiers"].queryset = ready


class ConfirmForm(forms.Form):
    """A confirmation with nothing to fill in."""


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea({"rows": 3}),
    )

    def __init__(self, *args, label=None, help_text="", required=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["comment"]
        field.required = required
        if label:
            field.label = label
        field.help_text = help_text


class DecisionCorrectForm(forms.Form):
    """Correct a final decision: the outcome, the units it validates, and why.

    The service checks that the units agree with the outcome; `decision` is the decision the
    page showed, so that a second submission (or another tab) does not correct it twice.
    """

    decision = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Corrected decision"),
        choices=[(o.value, o.label) for o in Outcome if o in JUDGING_OUTCOMES],
        widget=forms.RadioSelect,
    )
    units = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Units validated"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Certified: every required unit; partially validated: some of them; not "
            "validated: none."
        ),
    )
    motivation = forms.CharField(
        label=gettext_lazy("Reasons for the correction"),
        widget=forms.Textarea({"rows": 4}),
        help_text=gettext_lazy(
            "Kept with the decision and in the dossier's history, which the candidate sees."
        ),
        error_messages={"required": gettext_lazy("Give the reasons for correcting the decision.")},
    )

    def __init__(self, *args, units, decision, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(unit.pk, f"{unit.code} — {unit.title}") for unit in units]
        self.initial.setdefault("decision", decision.pk)
        self.initial.setdefault("outcome", decision.outcome)
        self.initial.setdefault("units", sorted(decision.validated_ids))


class CertificateRevokeForm(forms.Form):
    """Revoke a certificate or attestation: the reason is required (the public page shows it)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking"),
        widget=forms.Textarea({"rows": 4}),
        help_text=gettext_lazy(
            "Shown on the public verification page, to anyone who checks the document."
        ),
        error_messages={
            "required": gettext_lazy(
                "Give the reason for revoking: the verification page shows it."
            )
        },
    )
