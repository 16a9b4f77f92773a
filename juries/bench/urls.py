"""The project's URLs plus a trivial view: the reference `bench_pages` compares pages with."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    """No query, no template: what the middleware stack alone costs."""
    return HttpResponse("ok")


urlpatterns = [
    path("bench/trivial", trivial, name="bench_trivial"),
    path("", include("cqp.urls")),
]
