"""Queueing Celery tasks after a commit without letting a broker outage hurt the request.

Work is recorded in the database before it is queued (an outbox e-mail, a pending
document), so a message that cannot be sent is only late: the periodic sweeps queue it
again. Once the broker has refused a message, the process stops trying for a short pause,
so that closing a session with forty dossiers does not wait forty connection timeouts.
"""

import logging
import time

logger = logging.getLogger(__name__)

BROKER_PAUSE_SECONDS = 30
_broker_down_until = 0.0


def send_task(task, *args, what: str = "") -> bool:
    """`task.delay(*args)`; False when it was not queued (the sweep will)."""
    global _broker_down_until
    from .celery import app  # tasks run in this process when eager (no broker, or tests)

    eager = app.conf.task_always_eager
    if not eager and time.monotonic() < _broker_down_until:
        logger.warning("%s left for the sweep: the broker was unreachable.", what or task.name)
        return False
    try:
        task.delay(*args)
    except Exception:
        if eager:  # the task itself failed, in this process: it recorded why
            logger.warning("%s failed: left for the sweep or staff.", what or task.name)
        else:
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.exception("%s not queued: the broker is unreachable.", what or task.name)
        return False
    return True


def reset() -> None:
    """Forget a past outage (tests)."""
    global _broker_down_until
    _broker_down_until = 0.0
