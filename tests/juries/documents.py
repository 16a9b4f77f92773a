"""Helpers for the documents' tests: a session closed with a certification, a partial
validation and a refusal."""

from juries import services
from juries.models import Outcome
from tests.juries.test_deliberation import convened_session, open_all
from tests.juries.test_sessions import ready_dossier


def close_three(branch, cqp, staff, evaluator, *, prefix=""):
    """A closed session: the first dossier certified, the second partially validated (its
    first unit), the third refused. Returns (session, members, items)."""
    dossiers = [
        ready_dossier(f"{prefix}{name}@example.org", cqp, staff, evaluator)
        for name in ("certified", "partial", "refused")
    ]
    session, members, items = convened_session(branch, cqp, staff, dossiers, prefix=prefix)
    president = members[0].user
    open_all(session, members)
    certified, partial, refused = items
    units = services.units_to_judge(certified)
    services.decision_record(
        item=certified,
        outcome=Outcome.CERTIFIED,
        validated_unit_ids=[u.pk for u in units],
        actor=president,
    )
    services.decision_record(
        item=partial,
        outcome=Outcome.PARTIALLY_VALIDATED,
        validated_unit_ids=[services.units_to_judge(partial)[0].pk],
        motivation="Le second bloc reste à démontrer.",
        actor=president,
    )
    services.decision_record(
        item=refused,
        outcome=Outcome.NOT_VALIDATED,
        validated_unit_ids=[],
        motivation="Aucun bloc maîtrisé.",
        actor=president,
    )
    services.session_close(session=session, actor=president)
    session.refresh_from_db()
    return session, members, items
