"""Every write about jury sessions, split by stage: `sessions` (planning, members, agenda,
convocation, cancellation), `deliberation` (presence, votes, decisions, closing) and
`corrections` (of closed decisions, by branch staff), `documents` (certificates, attestations
and minutes: issuing, revoking, producing again) and `production` (their PDFs, for the tasks).
"""

from .corrections import decision_correct
from .deliberation import (
    DOSSIER_OUTCOMES,
    Tally,
    UnitTally,
    close_problems,
    conflicted_user_ids,
    decision_record,
    member_declare_conflict,
    quorum_problems,
    rules_for,
    seat_of,
    session_close,
    session_open_deliberation,
    tally,
    units_to_judge,
    vote_cast,
)
from .documents import (
    certificate_issue,
    certificate_regenerate,
    certificate_revoke,
    minutes_produce_again,
    minutes_regenerate,
    session_documents_issue,
)
from .sessions import (
    agenda_add,
    agenda_add_ready,
    agenda_remove,
    composition_problems,
    convene_problems,
    member_add,
    member_remove,
    session_cancel,
    session_convene,
    session_create,
)

__all__ = [
    "DOSSIER_OUTCOMES",
    "Tally",
    "UnitTally",
    "agenda_add",
    "agenda_add_ready",
    "agenda_remove",
    "certificate_issue",
    "certificate_regenerate",
    "certificate_revoke",
    "close_problems",
    "composition_problems",
    "conflicted_user_ids",
    "convene_problems",
    "decision_correct",
    "decision_record",
    "member_add",
    "member_declare_conflict",
    "member_remove",
    "minutes_produce_again",
    "minutes_regenerate",
    "quorum_problems",
    "rules_for",
    "seat_of",
    "session_cancel",
    "session_close",
    "session_convene",
    "session_create",
    "session_documents_issue",
    "session_open_deliberation",
    "tally",
    "units_to_judge",
    "vote_cast",
]
