from django.views.generic import TemplateView as CpnefProjectsView, TemplateView as MyAccreditationsView, TemplateView as CqpDetailView
