"""Pages about the person's own account, whatever their role."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse
from django.utils import timezone
from django.views.generic import TemplateView

from . import personal_data
from .audit import audit_record
from .models import AuditAction


class PersonalDataView(LoginRequiredMixin, TemplateView):
    """What we hold about you, and a ZIP of all of it (the right of access, self-service)."""

    template_name = "registration/personal_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retention_years"] = settings.PERSONAL_DATA_RETENTION_YEARS
        return context

    def post(self, request):
        archive = personal_data.build_archive(request.user)
        audit_record(
            actor=request.user,
            action=AuditAction.PERSONAL_DATA_EXPORT,
            subject=request.user,
            request=request,
        )
        response = FileResponse(
            archive,
            as_attachment=True,
            filename=f"mes-donnees-cqp-{timezone.localdate():%Y-%m-%d}.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page, and a new password lifts a login pause (the locked-out page's way out).

    The reset link proves the person holds the mailbox: the wrong guesses were not theirs, or
    no longer matter.
    """

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.email)
        return response
