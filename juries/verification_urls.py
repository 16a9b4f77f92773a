from django.urls import path

from . import verification_views as views

app_name = "verification"

urlpatterns = [
    path("", views.VerificationSearchView.as_view(), name="search"),
    path("<str:code>.json", views.VerificationJsonView.as_view(), name="certificate_json"),
    path("<str:code>/", views.VerificationView.as_view(), name="certificate"),
]
