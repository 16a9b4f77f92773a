"""The staff's actions on a dossier: which service each calls, and its small form."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.models import EvaluatorAccreditation

from .. import services
from ..models import Dossier


@dataclass(frozen=True)
class StaffAction:
    service: object
    comment_required: bool = False
    comment_label: str = gettext_lazy("Comment")
    comment_help: str = gettext_lazy("Kept in the dossier's history, which the candidate sees.")
    evaluator: bool = False  # the form offers the accredited evaluators


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
    """Active users holding, today, an accreditation of the dossier's branch covering its CQP."""
    valid = (
        EvaluatorAccreditation.objects.valid_on(timezone.localdate())
        .filter(branch_id=dossier.cqp.branch_id)
        .filter(Q(cqps=None) | Q(cqps=dossier.cqp_id))
    )
    users = get_user_model().objects.filter(is_active=True, pk__in=valid.values("user_id"))
    users = users.exclude(pk=dossier.candidate.user_id)
    if dossier.evaluator_id:
        users = users.exclude(pk=dossier.evaluator_id)
    return users.order_by("last_name", "first_name", "email")


class DossierActionForm(forms.Form):
    """Confirmation of a staff action: an evaluator when one is chosen, and a comment."""

    evaluator = forms.ModelChoiceField(label=gettext_lazy("Evaluator"), queryset=None)
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea({"rows": 4}))

    def __init__(self, *args, action: StaffAction, dossier: Dossier, **kwargs):
        super().__init__(*args, **kwargs)
        if action.evaluator:
            field = self.fields["evaluator"]
            field.queryset = accredited_evaluators(dossier)
            field.help_text = _("Only evaluators accredited today for this CQP are offered.")
        else:
            del self.fields["evaluator"]
        comment = self.fields["comment"]
        comment.required = action.comment_required
        comment.label, comment.help_text = action.comment_label, action.comment_help
