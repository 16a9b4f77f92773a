"""The one function that moves every lifecycle: lock, check, guard, save, write the event."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certifications import services
from certifications.lifecycles import CQP_LIFECYCLE, REFERENTIEL_LIFECYCLE
from certifications.models import Cqp, CqpEvent, CqpStatus, ReferentielStatus
from cqp.errors import DomainError, TransitionNotAllowed
from cqp.lifecycle import apply_transition

S = CqpStatus


def state(cqp):
    cqp.refresh_from_db()
    return (cqp.status, cqp.status_changed_at, cqp.description, cqp.events.count())


def test_it_moves_the_object_and_writes_one_event(cqp, staff):
    returned = apply_transition(CQP_LIFECYCLE, cqp, "archive", actor=staff, comment="Doublon.")

    assert returned.status == S.ARCHIVED
    assert cqp.status == S.ARCHIVED  # the caller's instance is refreshed
    assert Cqp.objects.get(pk=cqp.pk).status == S.ARCHIVED
    event = CqpEvent.objects.get(cqp=cqp)
    assert (event.action, event.from_status, event.to_status) == ("archive", S.DRAFT, S.ARCHIVED)
    assert (event.actor, event.comment) == (staff, "Doublon.")


def test_it_stamps_the_time_of_the_status_change(cqp, staff):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Cqp.objects.filter(pk=cqp.pk).update(status_changed_at=long_ago)
    started = timezone.now()

    apply_transition(CQP_LIFECYCLE, cqp, "archive", actor=staff)

    assert cqp.status_changed_at >= started


def test_it_locks_the_row_it_moves(cqp, staff):
    table = Cqp._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        apply_transition(CQP_LIFECYCLE, cqp, "archive", actor=staff)

    sql = [q["sql"] for q in queries.captured_queries]
    reads = [i for i, q in enumerate(sql) if q.startswith("SELECT") and f'FROM "{table}"' in q]
    update = next(i for i, q in enumerate(sql) if q.startswith(f'UPDATE "{table}"'))
    assert reads and reads[0] < update, "the row is read afresh before it is changed"
    if connection.vendor == "postgresql":
        assert sql[reads[0]].endswith("FOR UPDATE")
    else:
        # SQLite has no row locks (it locks the whole database on write); the weaker guarantee
        # is that the row is re-read inside the transaction that changes it.
        assert not connection.features.has_select_for_update
        assert "FOR UPDATE" not in sql[reads[0]]


def test_it_checks_the_status_of_the_database_row_not_of_the_callers_instance(cqp, staff):
    stale = Cqp.objects.get(pk=cqp.pk)
    services.cqp_archive(cqp=cqp, actor=staff)
    assert stale.status == S.DRAFT  # the stale copy still allows "submit"
    before = state(cqp)

    with pytest.raises(TransitionNotAllowed):
        apply_transition(CQP_LIFECYCLE, stale, "submit", actor=staff)

    assert state(cqp) == before


def test_the_guard_receives_the_locked_row(cqp, staff):
    stale = Cqp.objects.get(pk=cqp.pk)
    Cqp.objects.filter(pk=cqp.pk).update(description="Changed meanwhile")
    seen = []

    def guard(locked):
        seen.append((locked, locked.status, locked.description))

    apply_transition(CQP_LIFECYCLE, stale, "archive", actor=staff, guard=guard)

    [(locked, status, description)] = seen
    assert locked is not stale
    assert description == "Changed meanwhile"
    assert status == S.DRAFT  # the guard runs before the status moves


def test_a_guard_error_leaves_nothing_written(cqp, staff):
    before = state(cqp)

    def refuse(locked):
        raise DomainError("refused")

    with pytest.raises(DomainError, match="refused"):
        apply_transition(
            CQP_LIFECYCLE,
            cqp,
            "archive",
            actor=staff,
            guard=refuse,
            changes={"description": "must not be saved"},
        )

    assert state(cqp) == before


def test_it_saves_the_changes_with_the_new_status(cqp, staff):
    referentiel = cqp.referentiels.get()
    published_at = timezone.now() - datetime.timedelta(hours=1)

    apply_transition(
        REFERENTIEL_LIFECYCLE,
        referentiel,
        "publish",
        actor=staff,
        changes={"published_at": published_at},
    )

    referentiel.refresh_from_db()
    assert referentiel.status == ReferentielStatus.PUBLISHED
    assert referentiel.published_at == published_at
    assert referentiel.events.get().action == "publish"


def test_a_failing_save_rolls_the_whole_transition_back(cqp, staff):
    before = state(cqp)

    with pytest.raises(ValueError):
        apply_transition(CQP_LIFECYCLE, cqp, "archive", actor=staff, changes={"no_such_field": 1})

    assert state(cqp) == before


def test_the_refusal_names_the_action_and_the_current_status(cqp, staff):
    with pytest.raises(TransitionNotAllowed) as refused:
        apply_transition(CQP_LIFECYCLE, cqp, "approve", actor=staff)

    message = str(refused.value)
    assert str(CQP_LIFECYCLE.get("approve").label) in message
    assert str(S.DRAFT.label) in message


def test_the_table_answers_what_is_possible_from_a_status():
    assert CQP_LIFECYCLE.can(S.DRAFT, "submit")
    assert not CQP_LIFECYCLE.can(S.APPROVED, "submit")
    assert {t.action for t in CQP_LIFECYCLE.actions_from(S.SUSPENDED)} == {
        "reinstate",
        "archive",
        "expire",
    }
    assert CQP_LIFECYCLE.targets_from(S.SUBMITTED) == {
        S.CHANGES_REQUESTED,
        S.APPROVED,
        S.REJECTED,
    }
    assert CQP_LIFECYCLE.actions_from(S.ARCHIVED) == []
    assert CQP_LIFECYCLE.status_label(S.APPROVED) == str(S.APPROVED.label)
    assert CQP_LIFECYCLE.status_label("unknown") == "unknown"
