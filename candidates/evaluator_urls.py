from django.urls import path

from . import evaluator_views

app_name = "evaluators"

urlpatterns = [
    path("", evaluator_views.EvaluatorDossierListView.as_view(), name="dossier_list"),
]
