"""The e-mail outbox: queued with the event, sent once, swept when the broker was down."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cqp import mail as outbox
from cqp.models import OutgoingEmail
from cqp.tasks import send_pending_emails_task


def queue(**overrides):
    kwargs = {
        "to": ["B@example.org", "a@example.org", "a@example.org", ""],
        "template": "emails/certifications/cqp_expired",
        "context": {"cqp": mock.Mock(title="CQP X", registration_end_date=None), "path": "/x/"},
    }
    kwargs.update(overrides)
    return outbox.queue_email(**kwargs)


@pytest.mark.django_db
def test_it_sends_the_email_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
        assert mail.outbox == []  # nothing leaves before the commit
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.org", "b@example.org"]
    assert mail.outbox[0].subject == email.subject


@pytest.mark.django_db
def test_nothing_is_queued_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                queue()
                raise RuntimeError("the service failed after queuing")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_without_recipients_is_not_queued():
    assert queue(to=["", None]) is None
    assert not OutgoingEmail.objects.exists()


@pytest.mark.django_db
def test_sending_twice_sends_once():
    email = queue()
    assert outbox.send_email(email.pk) is True
    assert outbox.send_email(email.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_broker_outage_leaves_the_email_pending_and_the_sweep_sends_it(
    django_capture_on_commit_callbacks,
):
    broker_down = mock.patch("cqp.tasks.send_email_task.delay", side_effect=ConnectionError)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        email = queue()  # must not raise: the request that queued it succeeds
    email.refresh_from_db()
    assert email.sent_at is None and mail.outbox == []

    # Too recent for the sweep (it may still be in flight)...
    assert send_pending_emails_task() == 0
    # ...and picked up once it has waited long enough.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert send_pending_emails_task() == 1
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_smtp_failure_is_recorded_and_retried_later():
    email = queue()
    smtp_down = mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("smtp down"))
    with smtp_down, pytest.raises(OSError):
        outbox.send_email(email.pk)
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1
    assert "smtp down" in email.last_error
    assert outbox.send_email(email.pk) is True
    email.refresh_from_db()
    assert email.attempts == 2 and email.last_error == ""


@pytest.mark.django_db
def test_the_sweep_keeps_trying_for_two_days_whatever_the_attempts_then_gives_up():
    email = queue()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=47), attempts=500
    )
    assert outbox.pending_email_ids() == [email.pk]
    OutgoingEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - outbox.GIVE_UP_AFTER - datetime.timedelta(minutes=1)
    )
    assert outbox.pending_email_ids() == []


@pytest.mark.django_db
def test_only_superusers_see_the_outbox_in_the_admin(client, superuser, staff):
    queue()
    client.force_login(staff)
    assert client.get("/admin/cqp/outgoingemail/").status_code == 403
    client.force_login(superuser)
    response = client.get("/admin/cqp/outgoingemail/")
    assert response.status_code == 200
    assert "a@example.org" in response.content.decode()


@pytest.fixture
def not_eager():
    """Tasks go to a broker (as in production), not run in this process."""
    from cqp.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = saved


def test_after_one_refusal_the_broker_is_left_alone_for_a_pause(not_eager):
    """Closing a session with many dossiers while the broker is down waits one connection
    timeout, not one per message: the rest are left for the sweeps at once."""
    from unittest import mock

    from cqp import queueing

    task = mock.Mock(name="task")
    task.delay.side_effect = ConnectionError("refused")

    assert queueing.send_task(task, 1) is False
    assert queueing.send_task(task, 2) is False
    assert queueing.send_task(task, 3) is False
    assert task.delay.call_count == 1  # the later ones did not try

    queueing.reset()  # a sweep running in a worker: the broker is back
    task.delay.side_effect = None
    assert queueing.send_task(task, 4) is True
    task.delay.assert_called_with(4)


def test_in_eager_mode_a_failing_task_never_pauses_the_queueing():
    from unittest import mock

    from cqp import queueing
    from cqp.celery import app

    assert app.conf.task_always_eager  # the tests' default
    task = mock.Mock(name="task")
    task.delay.side_effect = [RuntimeError("render failed"), None]

    assert queueing.send_task(task, 1) is False
    assert queueing.send_task(task, 2) is True
