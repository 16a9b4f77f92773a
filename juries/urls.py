from django.urls import path

from . import views

app_name = "juries"

urlpatterns = [
    path("", views.SessionListView.as_view(), name="session_list"),
    path("sessions/<int:pk>/", views.SessionDetailView.as_view(), name="session_detail"),
    path(
        "sessions/<int:pk>/open/",
        views.OpenDeliberationView.as_view(),
        name="open_deliberation",
    ),
    path("sessions/<int:pk>/close/", views.CloseSessionView.as_view(), name="close_session"),
    path(
        "sessions/<int:pk>/dossiers/<int:item_pk>/",
        views.ItemDetailView.as_view(),
        name="item_detail",
    ),
    path(
        "sessions/<int:pk>/dossiers/<int:item_pk>/pieces/<int:document_pk>/",
        views.DocumentDownloadView.as_view(),
        name="document_download",
    ),
    path("sessions/<int:pk>/dossiers/<int:item_pk>/vote/", views.VoteView.as_view(), name="vote"),
    path(
        "sessions/<int:pk>/dossiers/<int:item_pk>/conflict/",
        views.ConflictView.as_view(),
        name="conflict",
    ),
    path(
        "sessions/<int:pk>/dossiers/<int:item_pk>/decision/",
        views.DecisionView.as_view(),
        name="decision",
    ),
]
