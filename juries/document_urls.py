from django.urls import path

from . import document_views as views

app_name = "documents"

urlpatterns = [
    path(
        "dossiers/<int:dossier_pk>/",
        views.DossierDocumentsPanelView.as_view(),
        name="dossier_panel",
    ),
    path(
        "certificates/<int:pk>.pdf",
        views.CertificateDownloadView.as_view(),
        name="certificate_pdf",
    ),
    path("minutes/<int:pk>.pdf", views.MinutesDownloadView.as_view(), name="minutes_pdf"),
]
