from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from .roles import spaces_for


class HomeView(TemplateView):
    """Sends a user with one space straight there; lists the spaces otherwise."""

    template_name = "home.html"

    def get(self, request, *args, **kwargs):
        spaces = spaces_for(request.user)
        if len(spaces) == 1 and not request.GET.get("choose"):
            return redirect(spaces[0].url)
        return self.render_to_response(self.get_context_data(spaces=spaces))


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from cqp.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # any transport error means "unreachable"; health is reported, not raised
        return "unreachable"
    return "ok"


@never_cache
def healthz(request):
    """200 when the database answers; says whether the Celery broker is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "broker": _broker_status()}, status=status)


# Private spaces and the certificates' verification pages: never crawled (the verification
# pages also answer noindex, for crawlers that come in through a link).
# The verification pages are not listed: a crawler must fetch them to read their "noindex"
# (a disallowed page whose address is linked elsewhere may still be indexed, unread).
NOT_CRAWLED = (
    "admin:index",
    "candidates:dossier_list",
    "evaluators:dossier_list",
    "juries:session_list",
)


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {reverse(name)}" for name in NOT_CRAWLED)]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
