from django.urls import path

from . import views

app_name = "certifications"

urlpatterns = [
    path("", views.CatalogueView.as_view(), name="catalogue"),
    path("cqp/<int:pk>/", views.CqpDetailView.as_view(), name="cqp_detail"),
    path("cpnef/", views.CpnefProjectsView.as_view(), name="cpnef_projects"),
    path("accreditations/", views.MyAccreditationsView.as_view(), name="my_accreditations"),
]
