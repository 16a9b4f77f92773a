"""The public verification of certificates and attestations: no login, not indexed, and a
burst of guesses from one address is answered 429.

/verify/ asks for a code; /verify/<code>/ says valid (holder, CQP, units, date, branch),
revoked (date and reason) or unknown; /verify/<code>.json says the same for machines.
"""

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from cqp.ratelimit import over_limit

from .documents.codes import normalise_code
from .documents.snapshot import parse_date
from .documents.verification import certificate_by_code, verification_data
from .forms import VerificationForm

NOT_INDEXED = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Cache-Control": "no-store",  # a revocation shows at once, never a stale copy
}
RETRY_AFTER = "60"  # seconds: the rate limit's window


def _headers(response):
    for name, value in NOT_INDEXED.items():
        response[name] = value
    return response


def _to_canonical(code: str):
    return _headers(HttpResponseRedirect(reverse("verification:certificate", args=[code])))


def _too_many(request) -> bool:
    return over_limit(request, "verify", limit=settings.VERIFY_RATE_LIMIT)


class VerificationSearchView(View):
    """The form to type a code; a valid one leads to its page."""

    def get(self, request):
        form = VerificationForm(request.GET or None)
        if form.is_valid():
            return _to_canonical(form.cleaned_data["code"])
        return _headers(render(request, "juries/verification/search.html", {"form": form}))


class VerificationView(View):
    """A certificate's public page, or "unknown code" (404)."""

    def get(self, request, code):
        normalised = normalise_code(code)
        # Typed by hand (case, dashes): one address per certificate. Redirecting looks
        # nothing up, so it is not counted against the rate limit.
        if normalised and normalised != code:
            return _to_canonical(normalised)
        if _too_many(request):
            response = render(
                request,
                "juries/verification/too_many.html",
                {"form": VerificationForm(initial={"code": code})},
                status=429,
            )
            response["Retry-After"] = RETRY_AFTER
            return _headers(response)
        certificate = certificate_by_code(normalised) if normalised else None
        context = {
            "code": code,
            "certificate": certificate,
            # An unknown code stays in the field, to correct a typo.
            "form": VerificationForm(initial={} if certificate else {"code": code}),
        }
        if certificate is not None:
            data = verification_data(certificate)
            context.update(
                data=data,
                is_attestation=certificate.kind == certificate.Kind.PARTIAL_ATTESTATION,
                jury_date=parse_date(data["jury_date"]),
                decided_on=parse_date(data["decided_on"]),
            )
        status = 200 if certificate else 404
        return _headers(render(request, "juries/verification/result.html", context, status=status))


class VerificationJsonView(View):
    """The same answer as data: {"status": "valid" | "revoked" | "unknown", ...}."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Machines read the answer: a refused method is said in JSON too.
        refused = super().http_method_not_allowed(request, *args, **kwargs)
        response = JsonResponse(
            {"status": "method_not_allowed", "detail": _("Only GET is allowed.")}, status=405
        )
        response["Allow"] = refused["Allow"]
        return _headers(response)

    def get(self, request, code):
        if _too_many(request):
            response = JsonResponse(
                {"status": "rate_limited", "detail": _("Too many lookups: wait a minute.")},
                status=429,
            )
            response["Retry-After"] = RETRY_AFTER
            return _headers(response)
        normalised = normalise_code(code)
        certificate = certificate_by_code(normalised) if normalised else None
        if certificate is None:
            return _headers(JsonResponse({"status": "unknown", "code": code}, status=404))
        return _headers(
            JsonResponse(verification_data(certificate), json_dumps_params={"ensure_ascii": False})
        )
