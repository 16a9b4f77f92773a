"""Transition tables of the CQP and référentiel lifecycles."""

from django.utils.translation import gettext_lazy as _

from cqp.lifecycle import Lifecycle, Transition

from .models import Cqp, CqpEvent, CqpStatus, Referentiel, ReferentielEvent, ReferentielStatus

S = CqpStatus
OPEN_PROJECT = frozenset({S.SUBMITTED, S.RESUBMITTED})
# An archived or rejected CQP is on record only: nothing about it changes any more.
CLOSED_PROJECT = frozenset({S.ARCHIVED, S.REJECTED})

CQP_LIFECYCLE = Lifecycle(
    model=Cqp,
    event_model=CqpEvent,
    subject_field="cqp",
    transitions=[
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, _("Submit to the CPNEF")),
        Transition("request_changes", OPEN_PROJECT, S.CHANGES_REQUESTED, _("Request changes")),
        Transition("resubmit", frozenset({S.CHANGES_REQUESTED}), S.RESUBMITTED, _("Resubmit")),
        Transition("approve", OPEN_PROJECT, S.APPROVED, _("Approve")),
        Transition("reject", OPEN_PROJECT, S.REJECTED, _("Reject")),
        Transition("suspend", frozenset({S.APPROVED}), S.SUSPENDED, _("Suspend")),
        Transition("reinstate", frozenset({S.SUSPENDED}), S.APPROVED, _("Reinstate")),
        Transition(
            "archive",
            frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.APPROVED, S.REJECTED, S.SUSPENDED}),
            S.ARCHIVED,
            _("Archive"),
        ),
        # Done by the system when the registration end date has passed.
        Transition("expire", frozenset({S.APPROVED, S.SUSPENDED}), S.ARCHIVED, _("Expire")),
    ],
)

# Actions branch staff take on a CQP (the CPNEF's go through a recorded decision).
CQP_STAFF_ACTIONS = ("submit", "resubmit", "suspend", "reinstate", "archive")
CQP_CPNEF_ACTIONS = ("approve", "reject", "request_changes")

R = ReferentielStatus
REFERENTIEL_LIFECYCLE = Lifecycle(
    model=Referentiel,
    event_model=ReferentielEvent,
    subject_field="referentiel",
    transitions=[
        Transition("publish", frozenset({R.DRAFT}), R.PUBLISHED, _("Publish")),
        Transition("retire", frozenset({R.PUBLISHED}), R.RETIRED, _("Retire")),
    ],
)
