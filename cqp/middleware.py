import logging

from django.contrib import admin
from django.db import DatabaseError
from django.middleware.locale import LocaleMiddleware

from .audit import audit_record
from .models import AuditAction

logger = logging.getLogger(__name__)


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """French unless the user chose another language (cookie), whatever the browser says.

    The product serves French branches; a browser left in English would otherwise switch
    staff and candidates to English without their asking.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


# Administration pages that change nothing worth recording.
UNAUDITED_ADMIN_VIEWS = {"admin:login", "admin:logout", "admin:jsi18n", "admin:autocomplete"}
BULK_IDS_SHOWN = 50


class AdminAuditMiddleware:
    """Puts every successful write and every download of the administration on the trail.

    A write is a POST answered by a redirect (the admin redirects after it saved), by a file
    (a bulk export) or by the admin's popup answer (an object added from a "+" link); a POST
    answered by another page only showed a form again (errors, a confirmation step) and
    changed nothing. A download is any answer sent as a file. Custom admin pages are covered
    without their having to remember it; a page that writes and answers with a page (the
    import's report) records itself, as do those that name whose data they read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        action = self.audited_action(request, response)
        if action is not None:
            try:
                self.record(request, action)
            except DatabaseError:
                # The change itself is committed: losing its trace is bad, answering 500 to
                # a change that was made would be worse.
                logger.exception("Audit entry not written for %s", request.path)
        return response

    @staticmethod
    def audited_action(request, response) -> AuditAction | None:
        match = request.resolver_match
        if (
            match is None
            or "admin" not in match.namespaces
            or match.view_name in UNAUDITED_ADMIN_VIEWS
            or not request.user.is_authenticated
            or response.status_code >= 400
            or getattr(request, "_cqp_audited", False)
        ):
            return None
        is_file = response.streaming or response.get("Content-Disposition", "").startswith(
            "attachment"
        )
        if is_file:
            return AuditAction.ADMIN_DOWNLOAD
        if request.method == "POST" and (
            300 <= response.status_code < 400
            or "popup_response_data" in (getattr(response, "context_data", None) or {})
        ):
            return AuditAction.ADMIN_CHANGE
        return None

    @staticmethod
    def record(request, action: AuditAction) -> None:
        match = request.resolver_match
        model_label = admin_model_label(match.view_name)
        object_id = match.kwargs.get("object_id") or next(
            (str(v) for k, v in match.kwargs.items() if k == "pk" or k.endswith("_id")), ""
        )
        summary = ""
        if request.method == "POST" and request.POST.get("action"):
            ids = request.POST.getlist("_selected_action")
            shown = ",".join(ids[:BULK_IDS_SHOWN]) + ("…" if len(ids) > BULK_IDS_SHOWN else "")
            summary = f"{request.POST['action']} ({len(ids)}): {shown}"
        audit_record(
            actor=request.user,
            action=action,
            request=request,
            summary=summary,
            target_model=model_label,
            target_id=str(object_id),
        )


def admin_model_label(view_name: str) -> str:
    """'candidates.dossier' for 'admin:candidates_dossier_change' (registered models only)."""
    name = view_name.removeprefix("admin:")
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model._meta.label_lower
    return ""
