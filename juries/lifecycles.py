"""The jury session's transition table."""

from django.utils.translation import gettext_lazy as _

from cqp.lifecycle import Lifecycle, Transition

from .models import (
    Certificate,
    CertificateEvent,
    DocumentStatus,
    JurySession,
    JurySessionEvent,
    SessionStatus,
)

S = SessionStatus

SESSION_LIFECYCLE = Lifecycle(
    model=JurySession,
    event_model=JurySessionEvent,
    subject_field="session",
    transitions=[
        Transition("convene", frozenset({S.PLANNED}), S.CONVENED, _("Convene the jury")),
        Transition(
            "open_deliberation",
            frozenset({S.CONVENED}),
            S.DELIBERATING,
            _("Open the deliberation"),
        ),
        Transition("close", frozenset({S.DELIBERATING}), S.CLOSED, _("Close the session")),
        Transition(
            "cancel", frozenset({S.PLANNED, S.CONVENED}), S.CANCELLED, _("Cancel the session")
        ),
        # Changes that keep the status, on record.
        Transition(
            "record_decision",
            frozenset({S.DELIBERATING}),
            None,
            _("Record a decision"),
        ),
        Transition(
            "declare_conflict",
            frozenset({S.CONVENED, S.DELIBERATING}),
            None,
            _("Declare a conflict of interest"),
        ),
        Transition(
            "change_members", frozenset({S.PLANNED, S.CONVENED}), None, _("Change the members")
        ),
        Transition(
            "change_agenda", frozenset({S.PLANNED, S.CONVENED}), None, _("Change the agenda")
        ),
    ],
)


D = DocumentStatus

# A certificate's PDF is produced by a task (actor: none); staff produce it again or revoke it.
CERTIFICATE_LIFECYCLE = Lifecycle(
    model=Certificate,
    event_model=CertificateEvent,
    subject_field="certificate",
    transitions=[
        Transition("produce", frozenset({D.PENDING, D.FAILED}), D.READY, _("Produce the PDF")),
        Transition("fail", frozenset({D.PENDING, D.FAILED}), D.FAILED, _("Record a failure")),
        Transition(
            "regenerate", frozenset({D.READY, D.FAILED}), D.PENDING, _("Produce the PDF again")
        ),
        Transition("revoke", frozenset({D.PENDING, D.READY, D.FAILED}), D.REVOKED, _("Revoke")),
    ],
)
