"""E-mails of the CQP lifecycle: CPNEF members hear of projects, staff of decisions."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from certifications import services
from certifications.models import BranchMembership
from cqp.errors import DomainError
from cqp.models import OutgoingEmail
from tests import factories


@pytest.fixture
def inactive_cpnef(branch):
    user = factories.UserFactory(email="former@immo.example.org", is_active=False)
    BranchMembership.objects.create(user=user, branch=branch, role="cpnef_member")
    return user


def test_submitting_tells_the_cpnef_members_of_the_branch_only(
    cqp, staff, cpnef, second_cpnef, other_cpnef, inactive_cpnef, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.cqp_submit(cqp=cqp, actor=staff, comment="Version finale du référentiel.")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([cpnef.email, second_cpnef.email])
    assert cqp.title in message.subject
    assert f"/admin/certifications/cqp/{cqp.pk}/decide/" in message.body
    assert "Version finale du référentiel." in message.body


def test_a_refused_submission_sends_nothing(
    branch, staff, cpnef, django_capture_on_commit_callbacks
):
    empty = factories.CqpFactory(branch=branch)  # no référentiel content: refused
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.cqp_submit(cqp=empty, actor=staff)
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()


def test_the_decision_is_told_to_the_branch_staff(
    cqp, staff, second_staff, cpnef, other_staff, django_capture_on_commit_callbacks
):
    services.cqp_submit(cqp=cqp, actor=staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cpnef_decision_record(
            cqp=cqp,
            outcome="request_changes",
            meeting_date=timezone.localdate(),
            reference="CPNEF-2026-07",
            comment="Préciser les modalités d'évaluation du bloc 2.",
            actor=cpnef,
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([staff.email, second_staff.email])
    assert "CPNEF-2026-07" in message.body
    assert "Préciser les modalités" in message.body


def test_resubmitting_says_so(cqp, staff, cpnef, django_capture_on_commit_callbacks):
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(
        cqp=cqp,
        outcome="request_changes",
        meeting_date=timezone.localdate(),
        comment="À revoir.",
        actor=cpnef,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cqp_resubmit(cqp=cqp, actor=staff)
    first_submission = OutgoingEmail.objects.order_by("id").first()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject != first_submission.subject


def test_an_expired_cqp_is_told_to_the_staff(cqp, staff, cpnef, django_capture_on_commit_callbacks):
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    type(cqp).objects.filter(pk=cqp.pk).update(
        registration_end_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cqps_archive_expired() == 1
    assert [m.to for m in mail.outbox] == [[staff.email]]
