"""/admin/dashboard/: inside the admin (its login, its layout), before the admin's own URLs."""

from django.contrib import admin
from django.urls import path

from .views import DashboardView

app_name = "dashboard"

urlpatterns = [
    path("", admin.site.admin_view(DashboardView.as_view()), name="index"),
]
