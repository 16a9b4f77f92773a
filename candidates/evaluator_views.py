"""The evaluator's space: the dossiers assigned to them (their assessments come next)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from certifications.permissions import has_accreditation

from . import selectors


class EvaluatorDossierListView(LoginRequiredMixin, TemplateView):
    """Dossiers assigned to the evaluator, the ones in progress first."""

    template_name = "candidates/evaluator/dossier_list.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (
            has_accreditation(user) or selectors.assigned_dossiers(user).exists()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dossiers = list(selectors.assigned_dossiers(self.request.user))
        context.update(
            in_progress=[d for d in dossiers if d.is_open],
            closed=[d for d in dossiers if not d.is_open],
        )
        return context


# Placeholders: the evaluator's pages are being built (issue 4).
EvaluatorDossierDetailView = PositioningView = TrainingPlanView = EvaluatorDossierListView
StartEvaluationView = UnitAssessmentView = DeclareReadyView = DeclareConflictView = (
    EvaluatorDossierListView
)
