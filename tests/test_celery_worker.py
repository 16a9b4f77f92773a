"""A real Celery worker, fed through the configured broker, runs the periodic archiving.

Selected by `make test-postgres` (and .ci/run) with CELERY_BROKER_URL pointing at Redis; the
default run deselects the `celery_worker` marker, and selecting it without a broker fails.
"""

import datetime
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections
from django.utils import timezone

from certifications import services
from certifications.models import CpnefDecision, Cqp, CqpEvent, CqpStatus
from certifications.tasks import archive_expired_cqps_task
from cqp.celery import app as celery_app
from tests import factories

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20


class FinishedTasks:
    """Collects the return value of each task the worker finished, by task id."""

    def __init__(self):
        self.results: dict[str, object] = {}
        self.eager: set[str] = set()
        self._changed = threading.Condition()

    def on_postrun(self, task_id=None, task=None, retval=None, **kwargs):
        # Runs in the worker thread: give its database connection back before the test's
        # teardown flushes the tables.
        connections.close_all()
        with self._changed:
            self.results[task_id] = retval
            if getattr(task.request, "is_eager", False):
                self.eager.add(task_id)
            self._changed.notify_all()

    def wait_for(self, *task_ids: str) -> list:
        with self._changed:
            done = self._changed.wait_for(
                lambda: all(t in self.results for t in task_ids), timeout=WAIT_SECONDS
            )
        assert done, f"the worker did not finish {task_ids} within {WAIT_SECONDS} s"
        assert not self.eager.intersection(task_ids), "tasks ran eagerly, not in the worker"
        return [self.results[t] for t in task_ids]


@pytest.fixture
def worker():
    """An in-process worker on the real broker, with eager mode off for the test."""
    if not settings.CELERY_BROKER_URL:
        pytest.fail(
            "celery_worker tests need a broker: set CELERY_BROKER_URL "
            "(e.g. redis://127.0.0.1:6379/15) or run `make test-postgres`."
        )
    conf = celery_app.conf
    saved = {
        "task_always_eager": conf.task_always_eager,
        "worker_hijack_root_logger": conf.worker_hijack_root_logger,
    }
    conf.task_always_eager = False
    conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    finished = FinishedTasks()
    task_postrun.connect(finished.on_postrun, weak=False)
    try:
        celery_app.control.purge()  # messages left by an interrupted earlier run
        # No result backend is configured: skip the ping round trip that would need one.
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
            yield finished
    finally:
        task_postrun.disconnect(finished.on_postrun)
        for name, value in saved.items():
            setattr(conf, name, value)


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


def wait_until(predicate) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


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
