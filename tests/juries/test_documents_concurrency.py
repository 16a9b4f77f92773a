"""Concurrency of the documents: sessions of a branch closing at once share its numbering;
two runs of a document's task (a retry, the sweep, a redelivered message) produce it once.

Threads released together by a barrier (`test_concurrency.race`), each on its own connection.
On PostgreSQL the counter's and the document's row locks make them wait for each other; on
SQLite (IMMEDIATE transactions) a close refused with "database is locked" tries again.
"""

from unittest import mock

import pytest
from django.db import connection

from juries import services
from juries.models import (
    Certificate,
    CertificateCounter,
    CertificateEvent,
    DocumentStatus,
    JuryMinutes,
    SessionStatus,
)
from juries.services import production
from tests.juries.documents import close_three
from tests.juries.test_concurrency import DONE, race
from tests.juries.test_documents import later, media, messages_in_english, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["media", "messages_in_english"]  # autouse fixtures of the documents' tests

D = DocumentStatus
ON_SQLITE = (
    "SQLite's test database (in memory, shared cache) refuses a second writer at once (table "
    "locked) instead of making it wait: the production fails and records a failure, which "
    "says nothing of the row lock under test. Run on PostgreSQL: make test-postgres."
)


def ready_to_close(branch, cqp, staff, evaluator, prefix):
    """`close_three` up to its close: the three decisions recorded, the session deliberating."""
    with mock.patch.object(services, "session_close"):
        session, members, _items = close_three(branch, cqp, staff, evaluator, prefix=prefix)
    assert session.status == SessionStatus.DELIBERATING
    return session, members[0].user


def close(session, president):
    return lambda: services.session_close(session=session, actor=president)


def produce_left_pending() -> int:
    """What the sweep does once their tasks are due: produce every pending document."""
    return len([production.queue(d) for d in production.documents_left_pending(now=later())])


def sequences(session) -> list[int]:
    return sorted(
        Certificate.objects.filter(decision__item__session=session).values_list(
            "sequence", flat=True
        )
    )


def test_sessions_of_a_branch_closing_at_once_take_distinct_consecutive_numbers(
    branch, open_cqp, staff, evaluator
):
    taken = 0
    for round_ in range(2):  # the year's counter is created by the race, then exists
        first = ready_to_close(branch, open_cqp, staff, evaluator, prefix=f"a{round_}-")
        second = ready_to_close(branch, open_cqp, staff, evaluator, prefix=f"b{round_}-")

        # The PDFs are left to the sweep: this race is about the numbers.
        with mock.patch.object(production, "queue"):
            outcomes = race(close(*first), close(*second))

        assert outcomes == [DONE, DONE], outcomes
        # Each session's documents take a block of numbers: the counter stays locked until
        # its close commits.
        blocks = sorted([sequences(first[0]), sequences(second[0])])
        assert blocks == [[taken + 1, taken + 2], [taken + 3, taken + 4]], blocks
        taken += 4
    assert CertificateCounter.objects.get().last == taken == 8
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) == 8
    assert produce_left_pending() == 8 + 4  # certificates and attestations, and the minutes
    for document in [*Certificate.objects.all(), *JuryMinutes.objects.all()]:
        assert document.status == D.READY, document
        assert stored_files(document) == [document.file_name]
    assert CertificateEvent.objects.filter(action="produce").count() == 8


@pytest.mark.skipif(connection.vendor == "sqlite", reason=ON_SQLITE)
def test_two_runs_producing_the_same_documents_at_once_produce_them_once(
    branch, open_cqp, staff, evaluator
):
    with mock.patch.object(production, "queue"):  # closed, their tasks not queued yet
        session, _members, _items = close_three(branch, open_cqp, staff, evaluator)
    certificate = Certificate.objects.filter(decision__item__session=session).first()
    minutes = JuryMinutes.objects.get(session=session)
    results = {"certificate": [], "minutes": []}

    def run(kind, produce, pk):
        return lambda: results[kind].append(produce(pk))

    outcomes = race(
        run("certificate", production.certificate_produce, certificate.pk),
        run("certificate", production.certificate_produce, certificate.pk),
        run("minutes", production.minutes_produce, minutes.pk),
        run("minutes", production.minutes_produce, minutes.pk),
    )

    assert outcomes == [DONE] * 4, outcomes
    assert sorted(results["certificate"]) == sorted(results["minutes"]) == [False, True]
    certificate.refresh_from_db()
    minutes.refresh_from_db()
    for document in (certificate, minutes):
        assert document.status == D.READY and document.attempts == 1
        assert stored_files(document) == [document.file_name]
    assert list(certificate.events.values_list("action", flat=True)) == ["produce"]


@pytest.mark.skipif(connection.vendor == "sqlite", reason=ON_SQLITE)
def test_a_revocation_racing_the_production_leaves_the_certificate_revoked(
    branch, open_cqp, staff, evaluator
):
    with mock.patch.object(production, "queue"):
        session, _members, _items = close_three(branch, open_cqp, staff, evaluator)
    certificate = Certificate.objects.filter(decision__item__session=session).first()

    outcomes = race(
        lambda: production.certificate_produce(certificate.pk),
        lambda: services.certificate_revoke(certificate=certificate, reason="Fraude.", actor=staff),
    )

    assert outcomes == [DONE, DONE], outcomes
    certificate.refresh_from_db()
    assert certificate.status == D.REVOKED and certificate.revoked_reason == "Fraude."
    actions = list(certificate.events.values_list("action", flat=True))
    # Produced then revoked (the file stays, the verification page says revoked), or revoked
    # first and never produced.
    assert actions in (["produce", "revoke"], ["revoke"]), actions
    assert stored_files(certificate) == ([certificate.file_name] if "produce" in actions else [])
