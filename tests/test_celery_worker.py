"""A real Celery worker, fed through the configured broker, runs the periodic archiving.

Selected by `make test-postgres` (and .ci/run) with CELERY_BROKER_URL pointing at Redis; the
default run deselects the `celery_worker` marker, and selecting it without a broker fails.
"""

import datetime

import pytest
from django.utils import timezone

from certifications import services
from certifications.models import CpnefDecision, Cqp, CqpEvent, CqpStatus
from certifications.tasks import archive_expired_cqps_task
from tests import factories
from tests.celery_worker import WAIT_SECONDS, wait_until, worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

__all__ = ["worker"]  # the fixture, from tests/celery_worker.py


@pytest.fixture
def expired_cqp(staff, cpnef, branch):
    """An approved CQP, through the services, whose registration ended ten days ago."""
    cqp = factories.cqp_with_referentiel(branch=branch, code="NI", title="Négociateur immobilier")
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(
        cqp=cqp,
        outcome=CpnefDecision.Outcome.APPROVE,
        meeting_date=timezone.localdate(),
        actor=cpnef,
    )
    ended = timezone.localdate() - datetime.timedelta(days=10)
    Cqp.objects.filter(pk=cqp.pk).update(registration_end_date=ended)
    cqp.refresh_from_db()
    assert cqp.status == CqpStatus.APPROVED
    return cqp


def test_it_archives_an_expired_cqp_through_the_broker(worker, expired_cqp):
    result = archive_expired_cqps_task.delay()

    def archived():
        return Cqp.objects.filter(pk=expired_cqp.pk, status=CqpStatus.ARCHIVED).exists()

    assert wait_until(archived), f"the CQP was not archived within {WAIT_SECONDS} s"
    assert worker.wait_for(result.id) == [1]
    event = CqpEvent.objects.get(cqp=expired_cqp, action="expire")
    assert event.actor is None
    assert event.from_status == CqpStatus.APPROVED
    assert event.to_status == CqpStatus.ARCHIVED


def test_it_archives_once_when_the_task_runs_twice(worker, expired_cqp):
    first = archive_expired_cqps_task.delay()
    second = archive_expired_cqps_task.delay()

    counts = worker.wait_for(first.id, second.id)

    assert sorted(counts) == [0, 1]
    assert CqpEvent.objects.filter(cqp=expired_cqp, action="expire").count() == 1
    assert Cqp.objects.get(pk=expired_cqp.pk).status == CqpStatus.ARCHIVED
