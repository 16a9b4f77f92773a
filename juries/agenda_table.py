"""The rows of a jury session's agenda, drawn in Python.

A session holds up to hundreds of dossiers; the template language spent about a millisecond
on each row (twenty variable lookups and a URL reversed), the better part of the page's time.
The markup is the one the template had.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import CONFLICT, EVALUATED, TO_VOTE, VOTED

NOTHING = '<span class="muted">—</span>'


def agenda_rows(agenda, session, *, is_president: bool) -> SafeString:
    """The agenda's <tr> rows: reference (linked), candidate, CQP, the member's vote, the
    votes cast (for the president), the decision."""
    badges = {
        CONFLICT: _badge("muted", _("Conflict of interest")),
        EVALUATED: _badge("muted", _("You evaluated it")),
        VOTED: _badge("success", _("Voted")),
        TO_VOTE: _badge("warning", _("Not yet")),
    }
    not_final = f' <span class="muted">({escape(_("not final yet"))})</span>'
    # One URL reversed, each item's id in its place.
    prefix = reverse("juries:item_detail", args=[session.pk, 0]).removesuffix("0/")
    rows = []
    for item in agenda:
        dossier = item.dossier
        decision = NOTHING
        if item.decision_outcome:
            decision = escape(item.decision_label) + ("" if item.decision_final else not_final)
        votes = f"<td>{item.votes_count}</td>" if is_president else ""
        rows.append(
            f'<tr><th scope="row"><a class="mono nowrap" href="{prefix}{item.pk}/">'
            f"{escape(dossier.reference)}</a></th>"
            f"<td>{escape(str(dossier.candidate))}</td>"
            f'<td><span class="mono nowrap">{escape(dossier.cqp.code)}</span></td>'
            f"<td>{badges.get(item.vote_state, NOTHING)}</td>{votes}<td>{decision}</td></tr>"
        )
    return mark_safe("\n".join(rows))


def _badge(kind: str, text: str) -> str:
    return f'<span class="badge badge--{kind}">{escape(text)}</span>'
