"""The only media files served without a permission check: branch logos (public identity)."""

from django.urls import path

from . import views

urlpatterns = [
    path("branches/logos/<str:name>", views.branch_logo, name="branch_logo"),
]
