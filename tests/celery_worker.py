"""A real Celery worker on the configured broker, for the tests marked `celery_worker`.

Import the `worker` fixture into a test module (`from tests.celery_worker import worker`); it
starts an in-process worker with eager mode off and yields a `FinishedTasks` that waits for
the tasks it ran. Without CELERY_BROKER_URL (Redis) the tests fail: `make test-postgres`.
"""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from cqp.celery import app as celery_app

WAIT_SECONDS = 20


class FinishedTasks:
    """Collects the return value of each task the worker finished, by task id."""

    def __init__(self):
        self.results: dict[str, object] = {}
        self.names: dict[str, str] = {}
        self.eager: set[str] = set()
        self._changed = threading.Condition()

    def on_postrun(self, task_id=None, task=None, retval=None, **kwargs):
        # Runs in the worker thread: give its database connection back before the test's
        # teardown flushes the tables.
        connections.close_all()
        with self._changed:
            self.results[task_id] = retval
            self.names[task_id] = task.name
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

    def ran(self, task) -> list:
        """The results of the runs of `task` (a task function) the worker finished so far."""
        with self._changed:
            return [self.results[t] for t, name in self.names.items() if name == task.name]

    def wait_for_runs(self, task, count: int) -> list:
        """Wait until the worker finished `count` runs of `task`; their results."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(name == task.name for name in self.names.values()) >= count,
                timeout=WAIT_SECONDS,
            )
        assert done, f"the worker did not run {task.name} {count} times within {WAIT_SECONDS} s"
        assert not self.eager, "tasks ran eagerly, not in the worker"
        return self.ran(task)


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


def wait_until(predicate) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()
