from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import account_views, views
from .forms import EmailAuthenticationForm

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/my-data/", account_views.PersonalDataView.as_view(), name="personal_data"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("catalogue/", include("certifications.urls")),
    path("candidat/", include("candidates.urls")),
    path("evaluateur/", include("candidates.evaluator_urls")),
    path("jury/", include("juries.urls")),
    path("verify/", include("juries.verification_urls")),
    path("documents/", include("juries.document_urls")),
    path("media/", include("certifications.media_urls")),
    path("admin/dashboard/", include("juries.dashboard.urls")),
    path("admin/", admin.site.urls),
]
