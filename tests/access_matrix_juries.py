"""The access matrix of the jury's space and of the documents decisions yield.

S1 is closed (juror A sits on it: every action is refused with a message, MOVED); S2 is
convened (juror B presides it: no deliberation yet). Branch staff manage sessions in the
admin: the jury's pages are the members' only.
"""

from tests.access_matrix_spec import (
    DENIED,
    HIDDEN,
    MOVED,
    NO_METHOD,
    OK,
    Case,
    Expected,
    expect,
    page,
    signed_in,
)


def member(side: str, answer: str) -> Expected:
    """Only the members of the session get in; anyone else gets a 404."""
    return signed_in(HIDDEN, **{f"juror_{side}": answer})


def session(number: int):
    return lambda w: {"pk": getattr(w, f"session_{number}").pk}


def item(number: int, letter: str, *, of: int | None = None):
    """Dossier `letter` on session `number`'s agenda, asked for through session `of`."""
    return lambda w: {
        "pk": getattr(w, f"session_{of or number}").pk,
        "item_pk": getattr(w, f"item_{letter}").pk,
    }


def item_piece(number: int, letter: str, *, piece: str | None = None):
    """A piece (of dossier `piece`, the item's own by default) through an item's URL."""
    return lambda w: {
        **item(number, letter)(w),
        "document_pk": getattr(w, f"piece_{piece or letter}").pk,
    }


def session_action(answer_1: str, answer_2: str):
    """A POST on a session: a member's GET is not allowed."""
    return (
        Case("S1", session(1), get=member("a", NO_METHOD), post=member("a", answer_1)),
        Case("S2", session(2), get=member("b", NO_METHOD), post=member("b", answer_2)),
    )


def item_action(answer_1: str, answer_2: str):
    """A POST on a dossier of the agenda: a member's GET is not allowed."""
    return (
        Case(
            "A's dossier in S1",
            item(1, "a"),
            get=member("a", NO_METHOD),
            post=member("a", answer_1),
        ),
        Case(
            "C's dossier in S2",
            item(2, "c"),
            get=member("b", NO_METHOD),
            post=member("b", answer_2),
        ),
        Case(
            "C's dossier through S1",
            item(2, "c", of=1),
            get=signed_in(HIDDEN),
            post=signed_in(HIDDEN),
        ),
    )


def certificate_readers(side: str, *, holder: bool) -> Expected:
    """Certificates are read by their holder and the branch's staff and CPNEF."""
    readers = {f"staff_{side}": OK, f"cpnef_{side}": OK}
    if holder:
        readers[f"candidate_{side}"] = OK
    return signed_in(HIDDEN, **readers)


JURIES = {
    # --- the jury's space ---
    "juries:session_list": page(get=signed_in(DENIED, juror_a=OK, juror_b=OK)),
    "juries:session_detail": (
        Case("S1", session(1), get=member("a", OK)),
        Case("S2", session(2), get=member("b", OK)),
    ),
    # S2's president is refused the opening in place (nobody ticked present: no quorum).
    "juries:open_deliberation": session_action(MOVED, OK),
    "juries:close_session": session_action(MOVED, MOVED),
    "juries:item_detail": (
        Case("A's dossier in S1", item(1, "a"), get=member("a", OK)),
        Case("C's dossier in S2", item(2, "c"), get=member("b", OK)),
        Case("C's dossier through S1", item(2, "c", of=1), get=signed_in(HIDDEN)),
    ),
    "juries:document_download": (
        Case("A's piece in S1", item_piece(1, "a"), get=member("a", OK)),
        Case("C's piece in S2", item_piece(2, "c"), get=member("b", OK)),
        Case("B's piece through A's item", item_piece(1, "a", piece="b"), get=signed_in(HIDDEN)),
    ),
    # Nobody votes or decides before the deliberation nor after the closing: back to the page.
    "juries:vote": item_action(MOVED, MOVED),
    # S2's member may declare a conflict: the empty reason is refused in place.
    "juries:conflict": item_action(MOVED, OK),
    "juries:decision": item_action(MOVED, MOVED),
    # --- the documents ---
    "documents:dossier_panel": (
        Case(
            "A's dossier",
            lambda w: {"dossier_pk": w.dossier_a.pk},
            get=certificate_readers("a", holder=True),
        ),
        Case(
            "B's dossier",
            lambda w: {"dossier_pk": w.dossier_b.pk},
            get=certificate_readers("b", holder=True),
        ),
    ),
    "documents:certificate_pdf": (
        Case(
            "A's certificate",
            lambda w: {"pk": w.certificate_a.pk},
            get=certificate_readers("a", holder=True),
        ),
        Case(
            "another holder's attestation",
            lambda w: {"pk": w.attestation_other.pk},
            get=certificate_readers("a", holder=False),
        ),
    ),
    # The minutes: the branch's staff and CPNEF, and the session's members.
    "documents:minutes_pdf": (
        Case(
            "S1's minutes",
            lambda w: {"pk": w.minutes_1.pk},
            get=signed_in(HIDDEN, staff_a=OK, cpnef_a=OK, juror_a=OK),
        ),
    ),
    # The branch dashboard, in the admin: its members see their branch's figures; everyone else
    # (anonymous visitors included) is sent to the admin's login, which is not the site's.
    "dashboard:index": page(
        get=expect(MOVED, staff_a=OK, staff_b=OK, cpnef_a=OK, cpnef_b=OK),
        post=expect(
            MOVED, staff_a=NO_METHOD, staff_b=NO_METHOD, cpnef_a=NO_METHOD, cpnef_b=NO_METHOD
        ),
    ),
}
