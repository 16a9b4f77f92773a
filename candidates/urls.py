from django.urls import path

from . import account_views, views

app_name = "candidates"

urlpatterns = [
    # candidate space
    path("", views.DossierListView.as_view(), name="dossier_list"),
    path("dossiers/new/", views.DossierOpenView.as_view(), name="dossier_open"),
    path("dossiers/<int:pk>/", views.DossierDetailView.as_view(), name="dossier_detail"),
    path("dossiers/<int:pk>/submit/", views.DossierSubmitView.as_view(), name="dossier_submit"),
    path(
        "dossiers/<int:pk>/withdraw/", views.DossierWithdrawView.as_view(), name="dossier_withdraw"
    ),
    path("dossiers/<int:pk>/pieces/", views.DocumentUploadView.as_view(), name="document_upload"),
    path(
        "dossiers/<int:dossier_pk>/pieces/<int:pk>/",
        views.DocumentDownloadView.as_view(),
        name="document_download",
    ),
    path(
        "dossiers/<int:dossier_pk>/pieces/<int:pk>/replace/",
        views.DocumentReplaceView.as_view(),
        name="document_replace",
    ),
    path(
        "dossiers/<int:dossier_pk>/pieces/<int:pk>/delete/",
        views.DocumentDeleteView.as_view(),
        name="document_delete",
    ),
    path("units/", views.AcquiredUnitsView.as_view(), name="acquired_units"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    # accounts
    path("register/", account_views.RegisterView.as_view(), name="register"),
    path("register/sent/", account_views.RegisterDoneView.as_view(), name="register_done"),
    path(
        "confirm/<uidb64>/<token>/",
        account_views.ConfirmEmailView.as_view(),
        name="confirm_email",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        account_views.AcceptInvitationView.as_view(),
        name="accept_invitation",
    ),
]
