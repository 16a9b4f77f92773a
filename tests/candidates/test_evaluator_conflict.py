"""An evaluator steps aside on a conflict of interest; staff assign another one, who goes on."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from candidates import selectors, services
from candidates.models import ConflictOfInterest, Dossier, DossierStatus, Pathway
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from tests.candidates import evaluation
from tests.candidates.test_dossier_lifecycle import bring_to, make_cast, perform, snapshot
from tests.candidates.test_evaluator_space import admissible_dossier

S = DossierStatus
REASON = "Le candidat travaille dans l'agence de mon conjoint."


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def cast(candidate, staff, evaluator, branch, open_cqp):
    return make_cast(candidate, staff, evaluator, branch, open_cqp)


def declare(dossier, actor, reason=REASON):
    return services.dossier_declare_conflict(dossier=dossier, reason=reason, actor=actor)


def reassign(dossier, cast, evaluator):
    return services.dossier_reassign_evaluator(
        dossier=dossier, evaluator=evaluator, actor=cast.staff, comment="Conflit d'intérêts."
    )


@pytest.mark.parametrize("status", [S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION])
def test_the_evaluator_steps_aside_and_staff_are_told_why(
    status, cast, second_staff, other_staff, django_capture_on_commit_callbacks
):
    dossier = bring_to(status, cast)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        conflict = declare(dossier, cast.evaluator, reason=f"  {REASON}\n")

    dossier.refresh_from_db()
    assert (dossier.status, dossier.evaluator) == (status, None)  # back to staff, same status
    stored = ConflictOfInterest.objects.get(dossier=dossier)
    assert stored == conflict
    assert (stored.person, stored.role, stored.reason) == (
        cast.evaluator,
        ConflictOfInterest.Role.EVALUATOR,
        REASON,
    )
    event = dossier.events.last()
    assert (event.action, event.from_status, event.to_status) == (
        "declare_conflict",
        status,
        status,
    )
    assert (event.actor, event.comment) == (cast.evaluator, REASON)
    (told,) = mail.outbox  # to the branch's staff only: not the candidate
    assert sorted(told.to) == sorted([cast.staff.email, second_staff.email])
    assert other_staff.email not in told.to
    assert dossier.reference in told.subject
    assert REASON in told.body
    assert f"/admin/candidates/dossier/{dossier.pk}/" in told.body


def test_the_candidate_sees_the_step_but_not_the_reason(cast):
    dossier = bring_to(S.POSITIONING, cast)
    declare(dossier, cast.evaluator)

    for_candidate = selectors.dossier_timeline(dossier)
    for_staff = selectors.dossier_timeline(dossier, hide_private=False)

    assert (for_candidate[-1].action, for_candidate[-1].comment) == ("declare_conflict", "")
    assert not any(REASON in event.comment for event in for_candidate)
    assert (for_staff[-1].action, for_staff[-1].comment) == ("declare_conflict", REASON)
    assert dossier.events.get(action="declare_conflict").comment == REASON  # kept on record


@pytest.mark.parametrize("reason", ["", "   \n", None])
def test_a_conflict_needs_its_reason(reason, cast):
    dossier = bring_to(S.POSITIONING, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="conflict of interest is"):
        declare(dossier, cast.evaluator, reason=reason)

    assert snapshot(dossier) == before


@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate"])
def test_only_the_dossiers_evaluator_declares_their_conflict(who, cast):
    dossier = bring_to(S.POSITIONING, cast)
    intruder = {"second_evaluator": cast.second_evaluator, "staff": cast.staff}.get(who, cast.user)
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        declare(dossier, intruder)

    assert snapshot(dossier) == before


@pytest.mark.parametrize("status", [S.READY_FOR_JURY, S.IN_JURY, S.CERTIFIED])
def test_it_refuses_a_conflict_once_the_evaluation_is_handed_over(status, cast):
    dossier = bring_to(status, cast)
    before = snapshot(dossier)

    with pytest.raises(TransitionNotAllowed):
        declare(dossier, cast.evaluator)

    assert snapshot(dossier) == before


def test_the_former_evaluator_can_no_longer_act_nor_declare_again(cast):
    dossier = bring_to(S.POSITIONING, cast)
    declare(dossier, cast.evaluator)
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        perform("choose_training", dossier, cast, actor=cast.evaluator)
    with pytest.raises(ActionNotPermitted):
        declare(dossier, cast.evaluator)

    assert snapshot(dossier) == before


def test_staff_cannot_give_the_dossier_back_to_the_evaluator_in_conflict(cast):
    dossier = bring_to(S.VAE, cast)
    declare(dossier, cast.evaluator)
    before = snapshot(dossier)

    with pytest.raises(DomainError) as refused:
        reassign(dossier, cast, cast.evaluator)

    assert str(refused.value) == (
        f"{cast.evaluator} declared a conflict of interest on this dossier."
    )
    assert snapshot(dossier) == before


def test_another_evaluator_takes_over_and_goes_on_with_the_positioning_kept(
    cast, django_capture_on_commit_callbacks
):
    dossier = bring_to(S.VAE, cast)  # positioned by the first evaluator, booklet added
    positioning = dossier.positioning
    declare(dossier, cast.evaluator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reassign(dossier, cast, cast.second_evaluator)

    dossier.refresh_from_db()
    assert (dossier.status, dossier.evaluator) == (S.VAE, cast.second_evaluator)
    assert [m.to for m in mail.outbox if m.to == [cast.second_evaluator.email]]
    services.dossier_start_evaluation(dossier=dossier, actor=cast.second_evaluator)
    evaluation.assess_all(dossier, cast.second_evaluator)
    services.dossier_declare_ready(dossier=dossier, actor=cast.second_evaluator)
    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY
    kept = dossier.positioning
    assert (kept.pk, kept.evaluator, kept.recommendation) == (
        positioning.pk,
        cast.evaluator,  # who made it stays on record
        Pathway.VAE,
    )
    assert set(dossier.unit_assessments.values_list("evaluator", flat=True)) == {
        cast.second_evaluator.pk
    }


def test_the_second_evaluator_may_step_aside_too(cast):
    dossier = bring_to(S.POSITIONING, cast)
    declare(dossier, cast.evaluator)
    reassign(dossier, cast, cast.second_evaluator)

    declare(dossier, cast.second_evaluator, reason="Ancien collègue du candidat.")

    dossier.refresh_from_db()
    assert dossier.evaluator is None
    people = set(
        ConflictOfInterest.objects.filter(dossier=dossier).values_list("person", flat=True)
    )
    assert people == {cast.evaluator.pk, cast.second_evaluator.pk}
    with pytest.raises(DomainError):
        reassign(dossier, cast, cast.second_evaluator)


def test_a_conflict_on_one_dossier_does_not_bar_the_evaluator_from_others(cast, other_candidate):
    mine = bring_to(S.POSITIONING, cast)
    declare(mine, cast.evaluator)
    theirs = admissible_dossier(other_candidate, cast.cqp, cast.staff)

    services.dossier_assign_evaluator(dossier=theirs, evaluator=cast.evaluator, actor=cast.staff)

    theirs.refresh_from_db()
    assert (theirs.status, theirs.evaluator) == (S.POSITIONING, cast.evaluator)


# --- the next evaluator's due date ---------------------------------------------------------------


def days(n):
    return datetime.timedelta(days=n)


def with_due_date(dossier, due_on):
    Dossier.objects.filter(pk=dossier.pk).update(evaluator_due_on=due_on)
    dossier.refresh_from_db()


@pytest.mark.parametrize("due_in", [-40, -1, None])
def test_the_next_evaluator_never_inherits_a_due_date_already_past(due_in, cast):
    dossier = bring_to(S.VAE, cast)
    declare(dossier, cast.evaluator)
    today = timezone.localdate()
    with_due_date(dossier, None if due_in is None else today + days(due_in))

    reassign(dossier, cast, cast.second_evaluator)

    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == today + services.POSITIONING_DELAY


@pytest.mark.parametrize("due_in", [0, 5, 400])
def test_the_next_evaluator_keeps_a_due_date_still_to_come(due_in, cast):
    dossier = bring_to(S.TRAINING, cast)
    declare(dossier, cast.evaluator)
    due_on = timezone.localdate() + days(due_in)
    with_due_date(dossier, due_on)

    reassign(dossier, cast, cast.second_evaluator)

    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == due_on


def test_a_due_date_given_with_the_reassignment_replaces_the_former_one(cast):
    dossier = bring_to(S.POSITIONING, cast)
    declare(dossier, cast.evaluator)
    with_due_date(dossier, timezone.localdate() - days(3))
    chosen = timezone.localdate() + days(12)

    services.dossier_reassign_evaluator(
        dossier=dossier,
        evaluator=cast.second_evaluator,
        actor=cast.staff,
        comment="Conflit d'intérêts.",
        due_on=chosen,
    )

    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == chosen
