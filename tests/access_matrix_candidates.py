"""The access matrix of the candidate's space, the candidates' accounts and the evaluator's
space.

A's dossier is certified (every action is refused with a message: MOVED), B's is under
evaluation; each is tried by everyone, so each role meets its own dossier and another's.
"""

from tests.access_matrix_spec import (
    BAD,
    DENIED,
    HIDDEN,
    MOVED,
    NO_METHOD,
    OK,
    Case,
    Expected,
    everyone,
    expect,
    page,
    signed_in,
)


def readers(side: str) -> Expected:
    """A dossier's readers: its candidate, its evaluator, its branch's staff and CPNEF."""
    kinds = ("candidate", "evaluator", "staff", "cpnef")
    return signed_in(HIDDEN, **{f"{kind}_{side}": OK for kind in kinds})


def holder(side: str, answer: str) -> Expected:
    """Acting on a dossier as its candidate: the branch's staff and CPNEF read it but may not
    act (403); anyone else, its evaluator included, gets a 404."""
    return signed_in(
        HIDDEN, **{f"candidate_{side}": answer, f"staff_{side}": DENIED, f"cpnef_{side}": DENIED}
    )


def assigned(side: str, answer: str) -> Expected:
    """The evaluator's pages: only the evaluator the dossier is assigned to gets in."""
    return signed_in(HIDDEN, **{f"evaluator_{side}": answer})


CANDIDATE_SPACE = signed_in(DENIED, candidate_a=OK, candidate_b=OK)
POST_ONLY = signed_in(NO_METHOD)


def dossier(side: str):
    return lambda w: {"pk": getattr(w, f"dossier_{side}").pk}


def piece(side: str, *, of: str | None = None):
    """A piece of `side`'s dossier, asked for through `of`'s dossier (its own by default)."""
    return lambda w: {
        "dossier_pk": getattr(w, f"dossier_{of or side}").pk,
        "pk": getattr(w, f"piece_{side}").pk,
    }


def unit(side: str, *, of: str):
    """A unit of `of`'s référentiel version, asked for on `side`'s dossier."""
    return lambda w: {
        "pk": getattr(w, f"dossier_{side}").pk,
        "unit_pk": getattr(w, f"unit_{of}").pk,
    }


def on_both(get_a, get_b=None, *, post_a=None, post_b=None, kwargs=dossier):
    """The same URL on A's dossier and on B's."""
    return (
        Case("A's dossier", kwargs("a"), get=get_a, post=post_a),
        Case("B's dossier", kwargs("b"), get=get_b, post=post_b),
    )


def candidate_action(
    answer_a: str, answer_b: str, *, get_a=POST_ONLY, get_b=POST_ONLY, kwargs=dossier
):
    """An action of the candidate on their dossier (on A's and on B's)."""
    return on_both(
        get_a, get_b, post_a=holder("a", answer_a), post_b=holder("b", answer_b), kwargs=kwargs
    )


def evaluator_page(answer_a: str, answer_b: str, *, post: bool = True, kwargs=dossier):
    """A page of the evaluator's space, tried with GET and (if `post`) an empty POST."""
    a, b = assigned("a", answer_a), assigned("b", answer_b)
    return on_both(a, b, post_a=a if post else None, post_b=b if post else None, kwargs=kwargs)


def evaluator_action(answer_a: str, answer_b: str):
    """A POST of the evaluator's space: the assigned evaluator's GET is not allowed."""
    return on_both(
        assigned("a", NO_METHOD),
        assigned("b", NO_METHOD),
        post_a=assigned("a", answer_a),
        post_b=assigned("b", answer_b),
    )


CANDIDATES = {
    # --- the candidate's space ---
    "candidates:dossier_list": page(get=CANDIDATE_SPACE),
    "candidates:dossier_open": page(get=CANDIDATE_SPACE, post=CANDIDATE_SPACE),
    "candidates:acquired_units": page(get=CANDIDATE_SPACE),
    "candidates:profile": page(get=CANDIDATE_SPACE, post=CANDIDATE_SPACE),
    "candidates:dossier_detail": on_both(readers("a"), readers("b")),
    "candidates:dossier_submit": candidate_action(MOVED, MOVED),
    # GET asks for the confirmation; an empty POST withdraws B's dossier (undone after).
    "candidates:dossier_withdraw": candidate_action(
        MOVED, MOVED, get_a=holder("a", OK), get_b=holder("b", OK)
    ),
    "candidates:document_upload": candidate_action(MOVED, MOVED),
    "candidates:document_download": (
        *on_both(readers("a"), readers("b"), kwargs=piece),
        Case("B's piece through A's dossier", piece("b", of="a"), get=signed_in(HIDDEN)),
    ),
    "candidates:document_replace": (
        *candidate_action(MOVED, MOVED, kwargs=piece),
        Case(
            "B's piece through A's dossier",
            piece("b", of="a"),
            get=POST_ONLY,
            post=holder("a", HIDDEN),
        ),
    ),
    "candidates:document_delete": (
        *candidate_action(MOVED, MOVED, kwargs=piece),
        Case(
            "B's piece through A's dossier",
            piece("b", of="a"),
            get=POST_ONLY,
            post=holder("a", HIDDEN),
        ),
    ),
    # --- the candidates' accounts ---
    # Signed-in users are sent home rather than registering a second account.
    "candidates:register": page(get=expect(MOVED, anonymous=OK), post=expect(MOVED, anonymous=OK)),
    "candidates:register_done": page(get=everyone(OK)),
    # GET shows the button; the POST needs the password chosen at registration.
    "candidates:confirm_email": (
        Case(
            "a valid link",
            lambda w: w.confirmation.kwargs(),
            get=everyone(OK),
            post=everyone(BAD),
        ),
        Case(
            "a link for an active account",
            lambda w: w.confirmation_of_active.kwargs(),
            get=everyone(BAD),
            post=everyone(BAD),
        ),
    ),
    # As the password reset: a valid link leads to the form, any other says it is invalid.
    "candidates:accept_invitation": (
        Case(
            "a valid link",
            lambda w: w.invitation.kwargs(),
            get=everyone(MOVED),
            post=everyone(MOVED),
        ),
        Case(
            "a confirmation link for the invited candidate",
            lambda w: w.invitation_as_confirmation.kwargs(),
            get=everyone(OK),
            post=everyone(OK),
        ),
    ),
    # --- the evaluator's space ---
    "evaluators:dossier_list": page(get=signed_in(DENIED, evaluator_a=OK, evaluator_b=OK)),
    "evaluators:dossier_detail": evaluator_page(OK, OK, post=False),
    # Neither dossier is at the positioning or the training plan: back to the dossier.
    "evaluators:positioning": evaluator_page(MOVED, MOVED),
    "evaluators:training_plan": evaluator_page(MOVED, MOVED),
    "evaluators:start_evaluation": evaluator_action(MOVED, MOVED),
    # B's unit opens its form (an empty POST is refused in place); A's is decided.
    "evaluators:unit_assessment": (
        *evaluator_page(MOVED, OK, kwargs=lambda side: unit(side, of=side)),
        Case(
            "a unit of A's version on B's dossier",
            unit("b", of="a"),
            get=signed_in(HIDDEN),
            post=signed_in(HIDDEN),
        ),
    ),
    # B's units are not assessed: the declaration is refused with a message.
    "evaluators:declare_ready": evaluator_action(MOVED, MOVED),
    "evaluators:conflict": evaluator_page(MOVED, OK),
}
