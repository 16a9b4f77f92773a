"""The CQP lifecycle, driven through the services: every transition allowed and refused."""

import datetime
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certifications import services
from certifications.lifecycles import CQP_CPNEF_ACTIONS, CQP_LIFECYCLE, CQP_STAFF_ACTIONS
from certifications.models import BranchMembership, CpnefDecision, Cqp, CqpEvent, CqpStatus
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from cqp.lifecycle import apply_transition
from tests import factories

S = CqpStatus
OUTCOME_OF = {action: outcome for outcome, action in services.OUTCOME_ACTIONS.items()}
COMMENT = "Vu en séance."

# How to reach each status through the services, from a fresh draft with a full référentiel.
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.CHANGES_REQUESTED: ["submit", "request_changes"],
    S.RESUBMITTED: ["submit", "request_changes", "resubmit"],
    S.APPROVED: ["submit", "approve"],
    S.REJECTED: ["submit", "reject"],
    S.SUSPENDED: ["submit", "approve", "suspend"],
    S.ARCHIVED: ["archive"],
}

# Every transition of the table except "expire", which only the periodic sweep performs.
NAMED_ACTIONS = CQP_STAFF_ACTIONS + CQP_CPNEF_ACTIONS
ALLOWED = [(t.action, s) for t in CQP_LIFECYCLE.transitions for s in sorted(t.sources)]
REFUSED = [
    (t.action, s)
    for t in CQP_LIFECYCLE.transitions
    for s in S.values
    if s not in t.sources and t.action != "expire"
]
EXPIRE_REFUSED = [s for s in S.values if s not in CQP_LIFECYCLE.get("expire").sources]


def today():
    return timezone.localdate()


def perform(action, cqp, *, staff, cpnef, comment=COMMENT):
    """Run the service behind `action`, as the role that normally takes it."""
    if action in CQP_CPNEF_ACTIONS:
        return services.cpnef_decision_record(
            cqp=cqp,
            outcome=OUTCOME_OF[action],
            meeting_date=today(),
            actor=cpnef,
            comment=comment,
        )
    service = {
        "submit": services.cqp_submit,
        "resubmit": services.cqp_resubmit,
        "suspend": services.cqp_suspend,
        "reinstate": services.cqp_reinstate,
        "archive": services.cqp_archive,
    }[action]
    return service(cqp=cqp, actor=staff, comment=comment)


def bring_to(status, cqp, *, staff, cpnef):
    for action in PATHS[status]:
        perform(action, cqp, staff=staff, cpnef=cpnef)
    cqp.refresh_from_db()
    assert cqp.status == status
    return cqp


def snapshot(cqp):
    """What a refused action must leave untouched."""
    cqp.refresh_from_db()
    return (
        cqp.status,
        CqpEvent.objects.filter(cqp=cqp).count(),
        CpnefDecision.objects.filter(cqp=cqp).count(),
    )


def first_source(action):
    transition = CQP_LIFECYCLE.get(action)
    return next(s for s in S.values if s in transition.sources)


@pytest.fixture
def dual(staff, branch):
    """A branch staff member who also sits on the CPNEF."""
    services.membership_grant(user=staff, branch=branch, role=BranchMembership.BranchRole.CPNEF)
    return staff


# --- the table itself -------------------------------------------------------------------------


def test_every_transition_of_the_table_is_covered_here():
    assert {t.action for t in CQP_LIFECYCLE.transitions} == set(NAMED_ACTIONS) | {"expire"}
    assert set(PATHS) == set(S.values)


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_it_allows_each_transition_from_each_of_its_sources(action, source, cqp, staff, cpnef):
    if action == "expire":
        services.cqp_update(
            cqp=cqp, actor=staff, registration_end_date=today() - datetime.timedelta(days=1)
        )
    bring_to(source, cqp, staff=staff, cpnef=cpnef)
    events_before = CqpEvent.objects.filter(cqp=cqp).count()
    decisions_before = CpnefDecision.objects.filter(cqp=cqp).count()

    if action == "expire":
        assert services.cqps_archive_expired() == 1
        actor, comment = None, None
    else:
        perform(action, cqp, staff=staff, cpnef=cpnef)
        actor = cpnef if action in CQP_CPNEF_ACTIONS else staff
        comment = COMMENT

    cqp.refresh_from_db()
    target = CQP_LIFECYCLE.get(action).target
    assert cqp.status == target
    assert CqpEvent.objects.filter(cqp=cqp).count() == events_before + 1
    event = CqpEvent.objects.filter(cqp=cqp).last()
    assert (event.action, event.from_status, event.to_status) == (action, source, target)
    assert event.actor == actor
    if comment is not None:
        assert event.comment == comment
    expected_decisions = decisions_before + (1 if action in CQP_CPNEF_ACTIONS else 0)
    assert CpnefDecision.objects.filter(cqp=cqp).count() == expected_decisions


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_it_refuses_each_transition_from_every_other_status(action, status, cqp, staff, cpnef):
    bring_to(status, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(TransitionNotAllowed):
        perform(action, cqp, staff=staff, cpnef=cpnef)

    assert snapshot(cqp) == before


@pytest.mark.parametrize("status", EXPIRE_REFUSED)
def test_it_never_expires_a_cqp_from_another_status(status, cqp, staff, cpnef):
    services.cqp_update(
        cqp=cqp, actor=staff, registration_end_date=today() - datetime.timedelta(days=1)
    )
    bring_to(status, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    assert services.cqps_archive_expired() == 0
    with pytest.raises(TransitionNotAllowed):
        apply_transition(CQP_LIFECYCLE, cqp, "expire", actor=None)

    assert snapshot(cqp) == before


# --- submitting needs a référentiel -----------------------------------------------------------


def test_it_refuses_to_submit_an_empty_referentiel(branch, staff):
    cqp = services.cqp_create(branch=branch, code="NEW", title="Nouveau", actor=staff)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_submit(cqp=cqp, actor=staff)

    assert snapshot(cqp) == before


def test_it_refuses_to_submit_a_unit_without_competences(cqp, staff):
    services.unit_save(referentiel=cqp.referentiels.get(), actor=staff, code="BC09", title="Vide")
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_submit(cqp=cqp, actor=staff)

    assert snapshot(cqp) == before


def test_it_refuses_to_resubmit_a_unit_without_competences(cqp, staff, cpnef):
    bring_to(S.CHANGES_REQUESTED, cqp, staff=staff, cpnef=cpnef)
    services.unit_save(referentiel=cqp.referentiels.get(), actor=staff, code="BC09", title="Vide")
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_resubmit(cqp=cqp, actor=staff)

    assert snapshot(cqp) == before


def test_it_refuses_to_resubmit_once_every_unit_was_deleted(cqp, staff, cpnef):
    bring_to(S.CHANGES_REQUESTED, cqp, staff=staff, cpnef=cpnef)
    for unit in cqp.referentiels.get().units.all():
        services.unit_delete(unit=unit, actor=staff)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_resubmit(cqp=cqp, actor=staff)

    assert snapshot(cqp) == before


# --- who may act ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", CQP_STAFF_ACTIONS)
@pytest.mark.parametrize("who", ["other_staff", "cpnef", "other_cpnef", "plain_user"])
def test_it_refuses_staff_actions_to_anyone_but_the_branch_staff(
    request, action, who, cqp, staff, cpnef
):
    bring_to(first_source(action), cqp, staff=staff, cpnef=cpnef)
    intruder = request.getfixturevalue(who)
    before = snapshot(cqp)

    with pytest.raises(ActionNotPermitted):
        perform(action, cqp, staff=intruder, cpnef=cpnef)

    assert snapshot(cqp) == before


@pytest.mark.parametrize("action", CQP_STAFF_ACTIONS)
def test_it_lets_a_superuser_take_staff_actions(action, cqp, staff, cpnef, superuser):
    bring_to(first_source(action), cqp, staff=staff, cpnef=cpnef)

    perform(action, cqp, staff=superuser, cpnef=cpnef)

    cqp.refresh_from_db()
    assert cqp.status == CQP_LIFECYCLE.get(action).target
    assert CqpEvent.objects.filter(cqp=cqp).last().actor == superuser


@pytest.mark.parametrize("action", CQP_CPNEF_ACTIONS)
@pytest.mark.parametrize("who", ["staff", "other_cpnef", "other_staff", "superuser", "plain_user"])
def test_it_refuses_decisions_to_anyone_but_a_cpnef_member_of_the_branch(
    request, action, who, cqp, staff, cpnef
):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    intruder = request.getfixturevalue(who)
    before = snapshot(cqp)

    with pytest.raises(ActionNotPermitted):
        perform(action, cqp, staff=staff, cpnef=intruder)

    assert snapshot(cqp) == before


def test_it_refuses_a_decision_without_an_actor(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(ActionNotPermitted):
        perform("approve", cqp, staff=staff, cpnef=None)

    assert snapshot(cqp) == before


def test_it_refuses_that_the_submitter_approves_their_own_project(dual, cqp, cpnef):
    services.cqp_submit(cqp=cqp, actor=dual)
    before = snapshot(cqp)

    with pytest.raises(ActionNotPermitted):
        perform("approve", cqp, staff=dual, cpnef=dual)

    assert snapshot(cqp) == before
    perform("approve", cqp, staff=dual, cpnef=cpnef)
    cqp.refresh_from_db()
    assert cqp.status == S.APPROVED


def test_it_refuses_that_whoever_resubmitted_approves(dual, second_staff, cqp, cpnef):
    services.cqp_submit(cqp=cqp, actor=second_staff)
    perform("request_changes", cqp, staff=second_staff, cpnef=cpnef)
    services.cqp_resubmit(cqp=cqp, actor=dual)
    before = snapshot(cqp)

    with pytest.raises(ActionNotPermitted):
        perform("approve", cqp, staff=dual, cpnef=dual)

    assert snapshot(cqp) == before


def test_a_member_who_once_submitted_the_project_never_approves_it(dual, second_staff, cqp, cpnef):
    services.cqp_submit(cqp=cqp, actor=dual)
    perform("request_changes", cqp, staff=dual, cpnef=cpnef)
    services.cqp_resubmit(cqp=cqp, actor=second_staff)

    with pytest.raises(ActionNotPermitted):
        perform("approve", cqp, staff=second_staff, cpnef=dual)
    perform("approve", cqp, staff=second_staff, cpnef=cpnef)  # another member may

    cqp.refresh_from_db()
    assert cqp.status == S.APPROVED


# --- the decision itself ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["reject", "request_changes"])
@pytest.mark.parametrize("comment", ["", "   \n "])
def test_it_requires_a_comment_to_reject_or_request_changes(action, comment, cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        perform(action, cqp, staff=staff, cpnef=cpnef, comment=comment)

    assert snapshot(cqp) == before


def test_it_approves_without_a_comment(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)

    perform("approve", cqp, staff=staff, cpnef=cpnef, comment="")

    cqp.refresh_from_db()
    assert cqp.status == S.APPROVED


def test_it_refuses_a_meeting_date_in_the_future(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cpnef_decision_record(
            cqp=cqp,
            outcome=CpnefDecision.Outcome.APPROVE,
            meeting_date=today() + datetime.timedelta(days=1),
            actor=cpnef,
        )

    assert snapshot(cqp) == before


def test_it_refuses_an_unknown_outcome(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cpnef_decision_record(
            cqp=cqp, outcome="suspend", meeting_date=today(), actor=cpnef, comment="x"
        )

    assert snapshot(cqp) == before


def test_it_records_the_decision_with_its_details(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    meeting = today() - datetime.timedelta(days=3)

    decision = services.cpnef_decision_record(
        cqp=cqp,
        outcome=CpnefDecision.Outcome.REJECT,
        meeting_date=meeting,
        reference="CPNEF-2026-04",
        comment="Trop proche d'un CQP existant.",
        actor=cpnef,
    )

    decision.refresh_from_db()
    assert decision.cqp == cqp
    assert decision.outcome == CpnefDecision.Outcome.REJECT
    assert decision.meeting_date == meeting
    assert decision.reference == "CPNEF-2026-04"
    assert decision.comment == "Trop proche d'un CQP existant."
    assert decision.decided_by == cpnef
    assert not decision.minutes


def test_it_saves_the_minutes_file_when_given(cqp, staff, cpnef):
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)
    minutes = SimpleUploadedFile("pv-cpnef.pdf", b"%PDF-1.4 minutes", "application/pdf")

    decision = services.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=today(), actor=cpnef, minutes=minutes
    )

    decision.refresh_from_db()
    assert decision.minutes.name.startswith("cpnef/minutes/")
    assert default_storage.exists(decision.minutes.name)
    with decision.minutes.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 minutes"


def test_it_writes_no_decision_nor_file_when_the_approval_guard_refuses(cqp, branch, staff):
    # A staff member who also sits on the CPNEF submits: the guard refuses their approval.
    BranchMembership.objects.create(
        user=staff, branch=branch, role=BranchMembership.BranchRole.CPNEF
    )
    services.cqp_submit(cqp=cqp, actor=staff)
    cpnef = staff
    stem = f"pv-{uuid.uuid4().hex}"
    minutes = SimpleUploadedFile(f"{stem}.pdf", b"%PDF-1.4", "application/pdf")
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cpnef_decision_record(
            cqp=cqp, outcome="approve", meeting_date=today(), actor=cpnef, minutes=minutes
        )

    assert snapshot(cqp) == before
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"{stem}*"))


def test_it_writes_no_file_when_the_transition_is_refused(cqp, staff, cpnef):
    stem = f"pv-{uuid.uuid4().hex}"
    minutes = SimpleUploadedFile(f"{stem}.pdf", b"%PDF-1.4", "application/pdf")

    with pytest.raises(TransitionNotAllowed):
        services.cpnef_decision_record(
            cqp=cqp, outcome="approve", meeting_date=today(), actor=cpnef, minutes=minutes
        )

    assert not CpnefDecision.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"{stem}*"))


# --- suspension and reinstatement -------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_requires_a_reason_to_suspend(reason, cqp, staff, cpnef):
    bring_to(S.APPROVED, cqp, staff=staff, cpnef=cpnef)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_suspend(cqp=cqp, actor=staff, comment=reason)

    assert snapshot(cqp) == before


def test_it_refuses_to_reinstate_once_the_registration_has_ended(cqp, staff, cpnef):
    bring_to(S.SUSPENDED, cqp, staff=staff, cpnef=cpnef)
    yesterday = today() - datetime.timedelta(days=1)
    services.cqp_update(cqp=cqp, actor=staff, registration_end_date=yesterday)
    before = snapshot(cqp)

    with pytest.raises(DomainError):
        services.cqp_reinstate(cqp=cqp, actor=staff)

    assert snapshot(cqp) == before


def test_it_reinstates_while_the_registration_runs(cqp, staff, cpnef):
    services.cqp_update(cqp=cqp, actor=staff, registration_end_date=today())
    bring_to(S.SUSPENDED, cqp, staff=staff, cpnef=cpnef)

    services.cqp_reinstate(cqp=cqp, actor=staff)

    cqp.refresh_from_db()
    assert cqp.status == S.APPROVED


# --- expiry -----------------------------------------------------------------------------------


@pytest.fixture
def make_cqp(branch, staff, cpnef):
    """A CQP of `branch` brought to `status` with this registration end date."""

    def make(code, status, end_date):
        cqp = factories.cqp_with_referentiel(branch=branch, code=code)
        services.cqp_update(cqp=cqp, actor=staff, registration_end_date=end_date)
        return bring_to(status, cqp, staff=staff, cpnef=cpnef)

    return make


def test_it_archives_expired_cqps_as_the_system(make_cqp):
    yesterday = today() - datetime.timedelta(days=1)
    approved = make_cqp("A", S.APPROVED, yesterday)
    suspended = make_cqp("B", S.SUSPENDED, yesterday - datetime.timedelta(days=300))

    assert services.cqps_archive_expired() == 2

    for cqp, source in ((approved, S.APPROVED), (suspended, S.SUSPENDED)):
        cqp.refresh_from_db()
        assert cqp.status == S.ARCHIVED
        event = cqp.events.last()
        assert (event.action, event.from_status, event.to_status) == (
            "expire",
            source,
            S.ARCHIVED,
        )
        assert event.actor is None
        assert cqp.registration_end_date.strftime("%d/%m/%Y") in event.comment


def test_it_leaves_running_or_unexpirable_cqps_alone(make_cqp):
    yesterday = today() - datetime.timedelta(days=1)
    untouched = [
        make_cqp("T", S.APPROVED, today()),
        make_cqp("N", S.APPROVED, None),
        make_cqp("F", S.SUSPENDED, today() + datetime.timedelta(days=30)),
        make_cqp("D", S.DRAFT, yesterday),
        make_cqp("S", S.SUBMITTED, yesterday),
        make_cqp("C", S.CHANGES_REQUESTED, yesterday),
        make_cqp("R", S.REJECTED, yesterday),
    ]
    before = [snapshot(cqp) for cqp in untouched]

    assert services.cqps_archive_expired() == 0

    assert [snapshot(cqp) for cqp in untouched] == before


def test_archiving_expired_cqps_twice_changes_nothing_the_second_time(make_cqp):
    expired = make_cqp("A", S.APPROVED, today() - datetime.timedelta(days=1))
    assert services.cqps_archive_expired() == 1
    before = snapshot(expired)

    assert services.cqps_archive_expired() == 0

    assert snapshot(expired) == before


def test_it_expires_on_the_given_day(make_cqp):
    ends_today = make_cqp("A", S.APPROVED, today())

    assert services.cqps_archive_expired(today=today() + datetime.timedelta(days=1)) == 1

    ends_today.refresh_from_db()
    assert ends_today.status == S.ARCHIVED


# --- open to candidates -----------------------------------------------------------------------


@pytest.fixture
def open_cqp(cqp, staff, cpnef):
    """Approved, with its version 1 published and no registration end date."""
    bring_to(S.APPROVED, cqp, staff=staff, cpnef=cpnef)
    services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    return cqp


def is_listed(cqp, **kwargs):
    return Cqp.objects.open_to_candidates(**kwargs).filter(pk=cqp.pk).exists()


def test_an_approved_cqp_with_a_published_version_is_open(open_cqp):
    assert open_cqp.is_open_to_candidates()
    assert list(Cqp.objects.open_to_candidates()) == [open_cqp]


def test_it_is_open_until_the_end_of_the_registration_day(open_cqp, staff):
    services.cqp_update(cqp=open_cqp, actor=staff, registration_end_date=today())

    assert open_cqp.is_open_to_candidates()
    assert is_listed(open_cqp)
    tomorrow = today() + datetime.timedelta(days=1)
    assert not open_cqp.is_open_to_candidates(on=tomorrow)
    assert not is_listed(open_cqp, on=tomorrow)


def test_it_is_closed_once_the_registration_has_ended(open_cqp, staff):
    services.cqp_update(
        cqp=open_cqp, actor=staff, registration_end_date=today() - datetime.timedelta(days=1)
    )

    assert not open_cqp.is_open_to_candidates()
    assert not is_listed(open_cqp)


def test_it_is_closed_without_a_published_version(cqp, staff, cpnef):
    bring_to(S.APPROVED, cqp, staff=staff, cpnef=cpnef)

    assert not cqp.is_open_to_candidates()
    assert not is_listed(cqp)


def test_it_is_closed_when_suspended(open_cqp, staff):
    services.cqp_suspend(cqp=open_cqp, actor=staff, comment="Refonte en cours.")

    assert not open_cqp.is_open_to_candidates()
    assert not is_listed(open_cqp)


def test_it_is_closed_while_the_project_awaits_the_cpnef(cqp, staff, cpnef):
    services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    bring_to(S.SUBMITTED, cqp, staff=staff, cpnef=cpnef)

    assert not cqp.is_open_to_candidates()
    assert not is_listed(cqp)


def test_it_lists_an_open_cqp_once_whatever_its_number_of_versions(open_cqp, staff):
    draft = services.referentiel_new_version(referentiel=open_cqp.referentiels.get(), actor=staff)
    services.referentiel_publish(referentiel=draft, actor=staff)

    assert list(Cqp.objects.open_to_candidates()) == [open_cqp]
