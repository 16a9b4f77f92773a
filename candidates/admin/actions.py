"""The staff's actions on a dossier: which service each calls, and its small form."""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.models import EvaluatorAccreditation

from .. import services
from ..lifecycles import WITH_EVALUATOR
from ..models import Dossier


@dataclass(frozen=True)
class StaffAction:
    service: object
    comment_required: bool = False
    comment_label: str = gettext_lazy("Comment")
    comment_help: str = gettext_lazy("Kept in the dossier's history, which the candidate sees.")
    evaluator: bool = False  # the form offers the accredited evaluators, and a due date


STAFF_ACTIONS = {
    "declare_complete": StaffAction(services.dossier_declare_complete),
    "declare_incomplete": StaffAction(
        services.dossier_declare_incomplete,
        comment_required=True,
        comment_label=gettext_lazy("Missing items"),
        comment_help=gettext_lazy("Sent to the candidate, who completes the dossier."),
    ),
    "declare_admissible": StaffAction(services.dossier_declare_admissible),
    "declare_inadmissible": StaffAction(
        services.dossier_declare_inadmissible,
        comment_required=True,
        comment_label=gettext_lazy("Reasons"),
        comment_help=gettext_lazy("Sent to the candidate."),
    ),
    "assign_evaluator": StaffAction(services.dossier_assign_evaluator, evaluator=True),
    "reassign_evaluator": StaffAction(
        services.dossier_reassign_evaluator,
        comment_required=True,
        comment_label=gettext_lazy("Reason for the change"),
        evaluator=True,
    ),
    "archive": StaffAction(
        services.dossier_archive,
        comment_required=True,
        comment_label=gettext_lazy("Reason for archiving"),
    ),
}


def accredited_evaluators(dossier: Dossier):
    """Active users holding, today, an accreditation of the dossier's branch covering its CQP.

    Never the candidate, the evaluator assigned now, nor anyone who declared a conflict of
    interest on this dossier.
    """
    valid = (
        EvaluatorAccreditation.objects.valid_on(timezone.localdate())
        .filter(branch_id=dossier.cqp.branch_id)
        .filter(Q(cqps=None) | Q(cqps=dossier.cqp_id))
    )
    users = get_user_model().objects.filter(is_active=True, pk__in=valid.values("user_id"))
    users = users.exclude(pk=dossier.candidate.user_id)
    users = users.exclude(pk__in=dossier.conflicts.values("person_id"))
    if dossier.evaluator_id:
        users = users.exclude(pk=dossier.evaluator_id)
    return users.order_by("last_name", "first_name", "email")


def awaiting_evaluator(dossier: Dossier) -> bool:
    """An evaluator should be at work on the dossier, and there is none (after a conflict)."""
    return dossier.status in WITH_EVALUATOR and dossier.evaluator_id is None


class DossierActionForm(forms.Form):
    """Confirmation of a staff action: an evaluator and due date when one is chosen, a comment."""

    evaluator = forms.ModelChoiceField(label=gettext_lazy("Evaluator"), queryset=None)
    due_on = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea({"rows": 4}))

    def __init__(self, *args, action: StaffAction, dossier: Dossier, **kwargs):
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.required = action.comment_required
        comment.label, comment.help_text = action.comment_label, action.comment_help
        if not action.evaluator:
            del self.fields["evaluator"], self.fields["due_on"]
            return
        field = self.fields["evaluator"]
        field.queryset = accredited_evaluators(dossier)
        field.help_text = _(
            "Only evaluators accredited today for this CQP are offered, never one who declared "
            "a conflict of interest on this dossier."
        )
        due_on = self.fields["due_on"]
        if action.service is services.dossier_assign_evaluator:
            due_on.initial = default_positioning_due_on()
            due_on.help_text = _(
                "The date by which the evaluator records the positioning (%(days)d days by "
                "default)."
            ) % {"days": services.POSITIONING_DELAY.days}
        else:
            due_on.help_text = (
                _("Leave blank to keep the current due date, %(date)s.")
                % {"date": date_format(dossier.evaluator_due_on, "SHORT_DATE_FORMAT")}
                if dossier.evaluator_due_on
                else _("Leave blank to set no due date.")
            )
            if awaiting_evaluator(dossier):
                comment.initial = _("Conflict of interest declared by the previous evaluator.")


def default_positioning_due_on() -> datetime.date:
    return timezone.localdate() + services.POSITIONING_DELAY
