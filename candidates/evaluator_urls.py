from django.urls import path

from . import evaluator_views as views

app_name = "evaluators"

urlpatterns = [
    path("", views.EvaluatorDossierListView.as_view(), name="dossier_list"),
    path("dossiers/<int:pk>/", views.EvaluatorDossierDetailView.as_view(), name="dossier_detail"),
    path(
        "dossiers/<int:pk>/positioning/",
        views.PositioningView.as_view(),
        name="positioning",
    ),
    path(
        "dossiers/<int:pk>/training-plan/",
        views.TrainingPlanView.as_view(),
        name="training_plan",
    ),
    path(
        "dossiers/<int:pk>/start-evaluation/",
        views.StartEvaluationView.as_view(),
        name="start_evaluation",
    ),
    path(
        "dossiers/<int:pk>/units/<int:unit_pk>/",
        views.UnitAssessmentView.as_view(),
        name="unit_assessment",
    ),
    path("dossiers/<int:pk>/ready/", views.DeclareReadyView.as_view(), name="declare_ready"),
    path("dossiers/<int:pk>/conflict/", views.DeclareConflictView.as_view(), name="conflict"),
]
