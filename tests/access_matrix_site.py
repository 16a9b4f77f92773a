"""The access matrix of the site's own pages, the catalogue and the public pages."""

from tests.access_matrix_spec import (
    DENIED,
    HIDDEN,
    MOVED,
    NO_METHOD,
    OK,
    Case,
    everyone,
    expect,
    page,
    signed_in,
)

LOGGED_IN_MOVED = expect(MOVED, anonymous=OK)  # sent to their space; visitors see the page

SITE = {
    # The home page sends each user with one space there; a visitor gets the welcome page.
    "home": page(get=LOGGED_IN_MOVED),
    "healthz": page(get=everyone(OK)),
    "robots_txt": page(get=everyone(OK)),
    # Logging in again is allowed (another account); an empty form is refused in place.
    "login": page(get=everyone(OK), post=everyone(OK)),
    "logout": page(get=everyone(NO_METHOD), post=everyone(MOVED)),
    # Everyone signed in reads what is held about them and downloads it (their own only).
    "personal_data": page(get=signed_in(OK), post=signed_in(OK)),
    "password_reset": page(get=everyone(OK), post=everyone(OK)),
    "password_reset_done": page(get=everyone(OK)),
    "password_reset_complete": page(get=everyone(OK)),
    # Whoever holds the link sets the password: a valid one leads to the form (the token
    # moves into the session), any other says the link is invalid.
    "password_reset_confirm": (
        Case(
            "a valid link",
            lambda w: w.reset.kwargs(),
            get=everyone(MOVED),
            post=everyone(MOVED),
        ),
        Case(
            "an invitation link for the same user",
            lambda w: w.reset_as_invitation.kwargs(),
            get=everyone(OK),
            post=everyone(OK),
        ),
    ),
    # Django's language switch: back to a safe page whatever the request.
    "set_language": page(get=everyone(MOVED), post=everyone(MOVED)),
    # --- the catalogue ---
    "certifications:catalogue": page(get=everyone(OK)),
    "certifications:cqp_detail": (
        Case("an open CQP", lambda w: {"pk": w.open_cqp.pk}, get=everyone(OK)),
        # Not open to candidates: the public page does not exist, whoever asks.
        Case("a draft CQP", lambda w: {"pk": w.draft_cqp.pk}, get=everyone(HIDDEN)),
    ),
    "certifications:cpnef_projects": page(get=signed_in(DENIED, cpnef_a=OK, cpnef_b=OK)),
    "certifications:my_accreditations": page(get=signed_in(DENIED, evaluator_a=OK, evaluator_b=OK)),
    # --- public: verification and branch logos ---
    "verification:search": page(get=everyone(OK)),
    "verification:certificate": (
        Case("A's certificate", lambda w: {"code": w.certificate_a.public_code}, get=everyone(OK)),
        Case("an unknown code", lambda w: {"code": "ZZZZZ22222"}, get=everyone(HIDDEN)),
    ),
    "verification:certificate_json": (
        Case("A's certificate", lambda w: {"code": w.certificate_a.public_code}, get=everyone(OK)),
        Case("an unknown code", lambda w: {"code": "ZZZZZ22222"}, get=everyone(HIDDEN)),
    ),
    "branch_logo": (
        Case("branch A's logo", lambda w: {"name": w.logo_name}, get=everyone(OK)),
        Case("no branch's logo", lambda w: {"name": "nobody.png"}, get=everyone(HIDDEN)),
    ),
}
