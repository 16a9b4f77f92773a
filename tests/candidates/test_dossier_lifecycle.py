"""The dossier's lifecycle, driven through the services: every transition allowed and refused.

The helpers here (`Cast`, `bring_to`, `prepare`, `perform`, `snapshot`, `make_open_cqp`,
`reopened_holding`) are shared by the other service-level tests of the candidates app. The
evaluator's steps go through `tests/candidates/evaluation.py`.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from candidates import services
from candidates.lifecycles import DOSSIER_LIFECYCLE
from candidates.models import (
    AcquiredUnit,
    Candidate,
    ConflictOfInterest,
    CriterionAssessment,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Pathway,
    PositioningAssessment,
    PositioningUnit,
    TrainingPlan,
    TrainingPlanUnit,
    UnitAssessment,
)
from candidates.notifications import CANDIDATE_ACTIONS
from certifications import services as catalogue
from certifications.models import Cqp
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from cqp.lifecycle import apply_transition
from cqp.models import OutgoingEmail
from tests import factories
from tests.candidates import evaluation
from tests.candidates.conftest import pdf

S = DossierStatus
Kind = DossierDocument.Kind
COMMENT = "Vu avec le candidat."
# The piece every path uploads next to the identity: the VAE booklet is the one kind accepted
# in every status where pieces change (the VAE pathway accepts nothing else).
PIECE = Kind.VAE_BOOKLET

CANDIDATE_ONLY = ("submit", "resubmit", "withdraw", "add_piece", "replace_piece", "delete_piece")
STAFF_ONLY = (
    "declare_complete",
    "declare_incomplete",
    "declare_admissible",
    "declare_inadmissible",
    "assign_evaluator",
    "reassign_evaluator",
    "archive",
    "correct_to_certified",
    "correct_to_partially_validated",
    "correct_to_not_validated",
)
CORRECTIONS = {
    "correct_to_certified": S.CERTIFIED,
    "correct_to_partially_validated": S.PARTIALLY_VALIDATED,
    "correct_to_not_validated": S.NOT_VALIDATED,
}
EVALUATOR_ONLY = (
    "choose_vae",
    "choose_training",
    "plan_training",
    "start_evaluation",
    "assess_unit",
    "declare_ready",
    "declare_conflict",
)
# Taken by the juries app (which checks its own rights) or by the system.
JURY_OR_SYSTEM = (
    "put_on_agenda",
    "remove_from_agenda",
    "certify",
    "validate_partially",
    "not_validate",
    "erase_identity",
)
DECISIONS = {"certify": S.CERTIFIED, "validate_partially": S.PARTIALLY_VALIDATED}
DECISIONS["not_validate"] = S.NOT_VALIDATED

# Steps whose e-mail goes to the branch's staff.
STAFF_TOLD = ("submit", "resubmit", "declare_ready", "declare_conflict")

_TO_POSITIONING = ["submit", "declare_complete", "declare_admissible", "assign_evaluator"]
_TO_EVALUATION = [*_TO_POSITIONING, "choose_training", "plan_training", "start_evaluation"]
# Before "declare_ready", `prepare` assesses every required unit (one "assess_unit" each).
_TO_JURY = [*_TO_EVALUATION, "declare_ready"]
# How to reach each status through the services, from a draft holding its identity piece and
# a VAE booklet (so that the VAE pathway may start its evaluation).
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.INCOMPLETE: ["submit", "declare_incomplete"],
    S.ADMISSIBLE: ["submit", "declare_complete", "declare_admissible"],
    S.INADMISSIBLE: ["submit", "declare_inadmissible"],
    S.POSITIONING: _TO_POSITIONING,
    S.VAE: [*_TO_POSITIONING, "choose_vae"],
    S.TRAINING: [*_TO_POSITIONING, "choose_training"],
    S.EVALUATION: _TO_EVALUATION,
    S.READY_FOR_JURY: _TO_JURY,
    S.IN_JURY: [*_TO_JURY, "put_on_agenda"],
    S.CERTIFIED: [*_TO_JURY, "put_on_agenda", "certify"],
    S.PARTIALLY_VALIDATED: [*_TO_JURY, "put_on_agenda", "validate_partially"],
    S.NOT_VALIDATED: [*_TO_JURY, "put_on_agenda", "not_validate"],
    S.WITHDRAWN: ["withdraw"],
    S.ARCHIVED: ["archive"],
}

ALLOWED = [(t.action, s) for t in DOSSIER_LIFECYCLE.transitions for s in sorted(t.sources)]
REFUSED = [
    (t.action, s) for t in DOSSIER_LIFECYCLE.transitions for s in S.values if s not in t.sources
]


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@dataclass
class Cast:
    """Who takes part in a dossier's path."""

    candidate: Candidate
    staff: object
    evaluator: object
    second_evaluator: object
    cqp: Cqp
    providers: dict = field(default_factory=dict)

    @property
    def user(self):
        return self.candidate.user

    def provider_for(self, cqp):
        """One provider habilitated to train for `cqp`, made once per CQP."""
        if cqp.pk not in self.providers:
            self.providers[cqp.pk] = evaluation.habilitated_provider(cqp)
        return self.providers[cqp.pk]


def make_evaluator(branch, email):
    user = factories.UserFactory(email=email)
    factories.AccreditationFactory(user=user, branch=branch)
    return user


def make_open_cqp(branch, staff, cpnef, code, *, units=2, optional=(), criteria=1):
    """A CQP approved by the CPNEF with its version 1 published (`optional`: unit codes).

    Each unit holds `criteria` evaluation criteria.
    """
    cqp = factories.cqp_with_referentiel(
        branch=branch, code=code, title=f"Métier {code}", units=units, criteria=criteria
    )
    referentiel = cqp.referentiels.get()
    for unit in referentiel.units.filter(code__in=optional):
        catalogue.unit_save(
            referentiel=referentiel,
            actor=staff,
            unit=unit,
            code=unit.code,
            title=unit.title,
            order=unit.order,
            is_optional=True,
        )
    catalogue.referentiel_publish(referentiel=referentiel, actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    return cqp


def make_cast(candidate, staff, evaluator, branch, cqp):
    return Cast(
        candidate=candidate,
        staff=staff,
        evaluator=evaluator,
        second_evaluator=make_evaluator(branch, "evaluator2@example.org"),
        cqp=cqp,
    )


@pytest.fixture
def cast(candidate, staff, evaluator, branch, open_cqp):
    return make_cast(candidate, staff, evaluator, branch, open_cqp)


def units_to_acquire(dossier):
    carried = dossier.carried_over.values("unit")
    return list(dossier.referentiel.units.exclude(pk__in=carried).order_by("order"))


def unit_to_assess(dossier):
    """The first unit still to acquire not assessed yet, else the first one (a change)."""
    units = units_to_acquire(dossier)
    assessed = set(dossier.unit_assessments.values_list("unit_id", flat=True))
    return next((unit for unit in units if unit.pk not in assessed), units[0])


def prepare(action, dossier, cast):
    """What `action` needs beyond the status, done the way its people would do it."""
    dossier.refresh_from_db()
    if action == "declare_admissible" and dossier.completeness_checked_at is None:
        perform("declare_complete", dossier, cast)
    if (
        action == "start_evaluation"
        and dossier.status == S.TRAINING
        and not TrainingPlan.objects.filter(dossier=dossier).exists()
    ):
        perform("plan_training", dossier, cast, actor=dossier.evaluator)
    if action == "declare_ready" and dossier.status == S.EVALUATION:
        for unit in services.units_missing_assessment(dossier):
            evaluation.assess(dossier, dossier.evaluator, unit)


def perform(action, dossier, cast, *, actor=None, comment=COMMENT):
    """Run the service behind `action`, by the role that normally takes it (or `actor`)."""
    if action in CANDIDATE_ONLY:
        actor = actor or cast.user
        if action == "add_piece":
            return services.document_upload(
                dossier=dossier, kind=PIECE, upload=pdf("livret.pdf"), actor=actor
            )
        if action in ("replace_piece", "delete_piece"):
            piece = dossier.documents.get(kind=PIECE)
            if action == "delete_piece":
                return services.document_delete(document=piece, actor=actor)
            return services.document_replace(
                document=piece, upload=pdf("livret-v2.pdf"), actor=actor
            )
        service = {
            "submit": services.dossier_submit,
            "resubmit": services.dossier_resubmit,
            "withdraw": services.dossier_withdraw,
        }[action]
        return service(dossier=dossier, actor=actor, comment=comment)
    if action in CORRECTIONS:
        units = units_to_acquire(dossier)
        validated = {
            "correct_to_certified": units,
            "correct_to_partially_validated": units[:1],
            "correct_to_not_validated": [],
        }
        return services.dossier_correct_decision(
            dossier=dossier,
            outcome=CORRECTIONS[action],
            validated_units=validated[action],
            decided_on=timezone.localdate(),
            actor=actor or cast.staff,
            comment=comment,
        )
    if action in STAFF_ONLY:
        actor = actor or cast.staff
        if action == "assign_evaluator":
            return services.dossier_assign_evaluator(
                dossier=dossier, evaluator=cast.evaluator, actor=actor, comment=comment
            )
        if action == "reassign_evaluator":
            return services.dossier_reassign_evaluator(
                dossier=dossier, evaluator=cast.second_evaluator, actor=actor, comment=comment
            )
        service = {
            "declare_complete": services.dossier_declare_complete,
            "declare_incomplete": services.dossier_declare_incomplete,
            "declare_admissible": services.dossier_declare_admissible,
            "declare_inadmissible": services.dossier_declare_inadmissible,
            "archive": services.dossier_archive,
        }[action]
        return service(dossier=dossier, actor=actor, comment=comment)
    if action in EVALUATOR_ONLY:
        actor = actor or cast.evaluator
        if action in ("choose_vae", "choose_training"):
            pathway = Pathway.VAE if action == "choose_vae" else Pathway.TRAINING
            return evaluation.position(dossier, actor, pathway, justification=comment)
        if action == "plan_training":
            return evaluation.plan_training(dossier, actor, cast.provider_for(dossier.cqp))
        if action == "assess_unit":
            return evaluation.assess(dossier, actor, unit_to_assess(dossier), comment=comment)
        if action == "declare_conflict":
            return services.dossier_declare_conflict(dossier=dossier, reason=comment, actor=actor)
        service = {
            "start_evaluation": services.dossier_start_evaluation,
            "declare_ready": services.dossier_declare_ready,
        }[action]
        return service(dossier=dossier, actor=actor, comment=comment)
    actor = actor or cast.staff  # the juries app passes its own actor
    if action in DECISIONS:
        units = units_to_acquire(dossier)
        validated = {"certify": units, "validate_partially": units[:1], "not_validate": []}
        return services.dossier_record_decision(
            dossier=dossier,
            outcome=DECISIONS[action],
            validated_units=validated[action],
            decided_on=timezone.localdate(),
            actor=actor,
            comment=comment,
        )
    if action == "erase_identity":  # only ever taken by the system, inside the decision
        return apply_transition(DOSSIER_LIFECYCLE, dossier, action, actor=None, comment=comment)
    service = {
        "put_on_agenda": services.dossier_put_on_agenda,
        "remove_from_agenda": services.dossier_remove_from_agenda,
    }[action]
    return service(dossier=dossier, actor=actor, comment=comment)


def open_with_pieces(cast, *, cqp=None):
    """A draft holding its identity piece and a VAE booklet, as the candidate prepares it."""
    dossier = services.dossier_open(
        candidate=cast.candidate, cqp=cqp or cast.cqp, funding="cpf", actor=cast.user
    )
    for kind in (Kind.IDENTITY, PIECE):
        services.document_upload(dossier=dossier, kind=kind, upload=pdf(), actor=cast.user)
    return dossier


def bring_to(status, cast, *, cqp=None, dossier=None):
    """A dossier brought to `status` along the real path, every step through its service."""
    dossier = dossier or open_with_pieces(cast, cqp=cqp)
    for action in PATHS[status]:
        prepare(action, dossier, cast)
        perform(action, dossier, cast)
    dossier.refresh_from_db()
    assert dossier.status == status
    return dossier


def reopened_holding(cast, status, codes=("BC01",), *, cqp=None):
    """A second dossier brought to `status`, `codes` held from a first partial validation."""
    first = bring_to(S.IN_JURY, cast, cqp=cqp)
    services.dossier_record_decision(
        dossier=first,
        outcome=S.PARTIALLY_VALIDATED,
        validated_units=first.referentiel.units.filter(code__in=codes),
        decided_on=timezone.localdate(),
        actor=None,
        comment="Le reste à retravailler.",
    )
    again = bring_to(status, cast, cqp=cqp)
    assert sorted(again.carried_over.values_list("unit__code", flat=True)) == sorted(codes)
    return again


def snapshot(dossier):
    """What a refused action must leave untouched: the dossier, its records, the e-mails."""
    dossier.refresh_from_db()
    return (
        dossier.status,
        dossier.evaluator_id,
        dossier.pathway,
        dossier.vae_requested_on,
        dossier.evaluator_due_on,
        dossier.training_provider_id,
        DossierEvent.objects.filter(dossier=dossier).count(),
        dossier.documents.count(),
        AcquiredUnit.objects.filter(candidate=dossier.candidate).count(),
        OutgoingEmail.objects.count(),
        list(
            PositioningAssessment.objects.filter(dossier=dossier).values_list(
                "pk", "evaluator_id", "recommendation", "assessed_on", "eligibility_valid_until"
            )
        ),
        list(
            PositioningUnit.objects.filter(positioning__dossier=dossier)
            .order_by("unit_id")
            .values_list("unit_id", "result", "estimated_hours")
        ),
        list(
            TrainingPlan.objects.filter(dossier=dossier).values_list(
                "pk", "provider_id", "habilitation_id", "start_date", "end_date", "funding"
            )
        ),
        list(
            TrainingPlanUnit.objects.filter(plan__dossier=dossier)
            .order_by("unit_id")
            .values_list("unit_id", "hours")
        ),
        list(
            UnitAssessment.objects.filter(dossier=dossier)
            .order_by("unit_id")
            .values_list(
                "pk", "unit_id", "evaluator_id", "assessed_on", "modality", "result", "comment"
            )
        ),
        list(
            CriterionAssessment.objects.filter(assessment__dossier=dossier)
            .order_by("criterion_id")
            .values_list("criterion_id", "met")
        ),
        list(
            ConflictOfInterest.objects.filter(dossier=dossier)
            .order_by("pk")
            .values_list("person_id", "reason")
        ),
    )


def first_source(action):
    sources = DOSSIER_LIFECYCLE.get(action).sources
    return next(s for s in S.values if s in sources)


# --- the table itself -------------------------------------------------------------------------


def test_every_action_and_status_of_the_table_is_covered_here():
    actions = {t.action for t in DOSSIER_LIFECYCLE.transitions}
    assert actions == set(CANDIDATE_ONLY + STAFF_ONLY + EVALUATOR_ONLY + JURY_OR_SYSTEM)
    assert set(PATHS) == set(S.values)


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_it_allows_each_transition_from_each_of_its_sources(
    action, source, cast, django_capture_on_commit_callbacks
):
    dossier = bring_to(source, cast)
    prepare(action, dossier, cast)
    events_before = list(dossier.events.values_list("pk", flat=True))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = perform(action, dossier, cast)

    dossier.refresh_from_db()
    target = DOSSIER_LIFECYCLE.get(action).target or source
    assert dossier.status == target
    new_events = list(dossier.events.exclude(pk__in=events_before))
    if action in DECISIONS:  # the identity piece is erased in the same step, by the system
        assert [e.action for e in new_events] == [action, "erase_identity"]
        assert new_events[1].actor is None
    else:
        assert len(new_events) == 1
    event = new_events[0]
    expected_actor = {
        **dict.fromkeys(CANDIDATE_ONLY, cast.user),
        **dict.fromkeys(STAFF_ONLY, cast.staff),
        **dict.fromkeys(EVALUATOR_ONLY, cast.evaluator),
        **dict.fromkeys(JURY_OR_SYSTEM, cast.staff),
        "erase_identity": None,
    }[action]
    assert (event.action, event.from_status, event.to_status) == (action, source, target)
    assert event.actor == expected_actor
    if action in ("add_piece", "replace_piece", "delete_piece"):
        assert event.comment.startswith(str(Kind(PIECE).label))  # the piece is named
    elif action == "plan_training":  # the plan is summed up: provider, dates, hours
        assert event.comment.startswith(done.provider.name)
    elif action == "assess_unit":  # the unit is named
        assert event.comment.startswith(f"{done.unit.code} — {done.unit.title}")
    else:
        assert event.comment == COMMENT
    to_candidate = [m for m in mail.outbox if m.to == [cast.user.email]]
    to_staff = [m for m in mail.outbox if cast.staff.email in m.to]
    new_evaluator = {
        "assign_evaluator": cast.evaluator,
        "reassign_evaluator": cast.second_evaluator,
    }.get(action)
    to_evaluator = [m for m in mail.outbox if new_evaluator and m.to == [new_evaluator.email]]
    assert len(to_candidate) == (1 if action in CANDIDATE_ACTIONS else 0)
    assert len(to_staff) == (1 if action in STAFF_TOLD else 0)
    assert len(to_evaluator) == (1 if new_evaluator else 0)
    assert len(mail.outbox) == len(to_candidate) + len(to_staff) + len(to_evaluator)


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_it_refuses_each_transition_from_every_other_status(action, status, cast):
    dossier = bring_to(status, cast)
    if action in EVALUATOR_ONLY and dossier.evaluator_id is None:
        # Give the dossier its evaluator directly, so that the refusal tested is the status's,
        # not the actor's (no service assigns one before the positioning).
        Dossier.objects.filter(pk=dossier.pk).update(evaluator=cast.evaluator)
    if action in ("replace_piece", "delete_piece") and not dossier.documents.filter(kind=PIECE):
        pytest.fail("every path keeps the VAE booklet")
    before = snapshot(dossier)

    with pytest.raises(TransitionNotAllowed):
        perform(action, dossier, cast)

    assert snapshot(dossier) == before


# --- who may act ------------------------------------------------------------------------------


@pytest.fixture
def intruders(other_candidate, staff, other_staff, cpnef, other_cpnef, superuser):
    return {
        "other_candidate": other_candidate.user,
        "staff": staff,
        "other_staff": other_staff,
        "cpnef": cpnef,
        "other_cpnef": other_cpnef,
        "superuser": superuser,
    }


@pytest.mark.parametrize("action", CANDIDATE_ONLY)
@pytest.mark.parametrize("who", ["other_candidate", "staff", "superuser", "evaluator"])
def test_it_refuses_the_candidates_actions_to_anyone_else(action, who, cast, intruders):
    dossier = bring_to(first_source(action), cast)
    intruder = cast.evaluator if who == "evaluator" else intruders[who]
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        perform(action, dossier, cast, actor=intruder)

    assert snapshot(dossier) == before


@pytest.mark.parametrize("action", STAFF_ONLY)
@pytest.mark.parametrize("who", ["candidate", "other_staff", "cpnef", "other_cpnef", "evaluator"])
def test_it_refuses_staff_actions_to_anyone_but_the_branch_staff(action, who, cast, intruders):
    dossier = bring_to(first_source(action), cast)
    prepare(action, dossier, cast)
    intruder = {"candidate": cast.user, "evaluator": cast.evaluator}.get(who) or intruders[who]
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        perform(action, dossier, cast, actor=intruder)

    assert snapshot(dossier) == before


@pytest.mark.parametrize("action", STAFF_ONLY)
def test_it_lets_a_superuser_take_staff_actions(action, cast, superuser):
    dossier = bring_to(first_source(action), cast)
    prepare(action, dossier, cast)

    perform(action, dossier, cast, actor=superuser)

    assert dossier.events.last().actor == superuser


@pytest.mark.parametrize("action", EVALUATOR_ONLY)
@pytest.mark.parametrize("who", ["second_evaluator", "staff", "candidate", "superuser"])
def test_it_refuses_evaluator_actions_to_anyone_but_the_dossiers_evaluator(
    action, who, cast, superuser
):
    dossier = bring_to(first_source(action), cast)
    prepare(action, dossier, cast)  # so that only the actor is wrong
    intruder = {
        "second_evaluator": cast.second_evaluator,
        "staff": cast.staff,
        "candidate": cast.user,
        "superuser": superuser,
    }[who]
    before = snapshot(dossier)

    with pytest.raises(ActionNotPermitted):
        perform(action, dossier, cast, actor=intruder)

    assert snapshot(dossier) == before


def test_the_new_evaluator_acts_after_a_reassignment_and_the_former_one_no_longer(cast):
    dossier = bring_to(S.POSITIONING, cast)
    perform("reassign_evaluator", dossier, cast, comment="Conflit d'intérêts.")

    with pytest.raises(ActionNotPermitted):
        perform("choose_training", dossier, cast, actor=cast.evaluator)
    perform("choose_training", dossier, cast, actor=cast.second_evaluator)

    dossier.refresh_from_db()
    assert (dossier.status, dossier.evaluator) == (S.TRAINING, cast.second_evaluator)


# --- comments, completeness, submission -------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "declare_incomplete",
        "declare_inadmissible",
        "reassign_evaluator",
        "archive",
        "choose_vae",  # the positioning's justification
        "choose_training",
        "declare_conflict",  # the conflict's reason
    ],
)
@pytest.mark.parametrize("comment", ["", "  \n "])
def test_it_requires_a_comment_for_refusals_reassignments_and_archiving(action, comment, cast):
    dossier = bring_to(first_source(action), cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError):
        perform(action, dossier, cast, comment=comment)

    assert snapshot(dossier) == before


@pytest.mark.parametrize(
    "action",
    [
        "submit",
        "withdraw",
        "declare_complete",
        "declare_admissible",
        "start_evaluation",
        "assess_unit",  # a validated unit whose criteria are all met
        "declare_ready",
    ],
)
def test_it_accepts_other_steps_without_a_comment(action, cast):
    dossier = bring_to(first_source(action), cast)
    prepare(action, dossier, cast)

    perform(action, dossier, cast, comment="")

    assert dossier.events.last().action == action


def test_it_refuses_admissibility_before_the_dossier_is_declared_complete(cast):
    dossier = bring_to(S.SUBMITTED, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError) as refused:
        perform("declare_admissible", dossier, cast)

    assert not isinstance(refused.value, TransitionNotAllowed)
    assert snapshot(dossier) == before


def test_it_asks_for_completeness_again_after_the_dossier_came_back_incomplete(cast):
    dossier = bring_to(S.SUBMITTED, cast)
    perform("declare_complete", dossier, cast)
    perform("declare_incomplete", dossier, cast)
    perform("resubmit", dossier, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError):
        perform("declare_admissible", dossier, cast)

    assert snapshot(dossier) == before
    perform("declare_complete", dossier, cast)
    perform("declare_admissible", dossier, cast)
    dossier.refresh_from_db()
    assert dossier.status == S.ADMISSIBLE


def test_declaring_complete_records_when(cast):
    dossier = bring_to(S.SUBMITTED, cast)
    assert dossier.completeness_checked_at is None

    perform("declare_complete", dossier, cast)

    dossier.refresh_from_db()
    assert dossier.completeness_checked_at is not None
    assert dossier.status == S.SUBMITTED


def test_it_refuses_to_submit_without_an_identity_piece(cast):
    dossier = services.dossier_open(
        candidate=cast.candidate, cqp=cast.cqp, funding="cpf", actor=cast.user
    )
    services.document_upload(dossier=dossier, kind=Kind.CV, upload=pdf(), actor=cast.user)
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="identity document"):
        perform("submit", dossier, cast)

    assert snapshot(dossier) == before


@pytest.mark.parametrize("missing", ["birth_date", "birth_place"])
def test_it_refuses_to_submit_with_an_incomplete_identity(missing, cast):
    dossier = open_with_pieces(cast)
    Candidate.objects.filter(pk=cast.candidate.pk).update(
        **{missing: None if missing == "birth_date" else ""}
    )
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="identity"):
        perform("submit", dossier, cast)

    assert snapshot(dossier) == before


def test_it_refuses_to_resubmit_once_the_identity_piece_was_deleted(cast):
    dossier = bring_to(S.INCOMPLETE, cast)
    identity = dossier.documents.get(kind=Kind.IDENTITY)
    services.document_delete(document=identity, actor=cast.user)
    before = snapshot(dossier)

    with pytest.raises(DomainError):
        perform("resubmit", dossier, cast)

    assert snapshot(dossier) == before


def test_submitting_records_the_first_submission_date(cast):
    dossier = bring_to(S.SUBMITTED, cast)

    assert dossier.submitted_at is not None


# --- the evaluator's assignment ---------------------------------------------------------------


@pytest.fixture
def admissible(cast):
    return bring_to(S.ADMISSIBLE, cast)


def assign(dossier, cast, evaluator):
    return services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=cast.staff)


def test_it_refuses_an_evaluator_without_accreditation(admissible, cast):
    stranger = factories.UserFactory(email="stranger@example.org")
    before = snapshot(admissible)

    with pytest.raises(DomainError, match="accreditation"):
        assign(admissible, cast, stranger)

    assert snapshot(admissible) == before


def test_it_refuses_an_evaluator_whose_accreditation_has_expired(admissible, cast, branch):
    today = timezone.localdate()
    expired = factories.UserFactory(email="expired@example.org")
    factories.AccreditationFactory(
        user=expired,
        branch=branch,
        valid_from=today - datetime.timedelta(days=400),
        valid_until=today - datetime.timedelta(days=1),
    )
    before = snapshot(admissible)

    with pytest.raises(DomainError, match="accreditation"):
        assign(admissible, cast, expired)

    assert snapshot(admissible) == before


def test_it_refuses_an_evaluator_accredited_for_other_cqps_only(admissible, cast, branch):
    sibling = factories.cqp_with_referentiel(branch=branch, code="GL", title="Gestionnaire")
    limited = factories.UserFactory(email="limited@example.org")
    accreditation = factories.AccreditationFactory(user=limited, branch=branch)
    accreditation.cqps.set([sibling])
    before = snapshot(admissible)

    with pytest.raises(DomainError, match="accreditation"):
        assign(admissible, cast, limited)

    assert snapshot(admissible) == before
    accreditation.cqps.add(cast.cqp)
    assign(admissible, cast, limited)
    admissible.refresh_from_db()
    assert admissible.evaluator == limited


def test_it_refuses_an_evaluator_accredited_by_another_branch(admissible, cast, other_branch):
    foreign = factories.UserFactory(email="foreign@example.org")
    factories.AccreditationFactory(user=foreign, branch=other_branch)
    before = snapshot(admissible)

    with pytest.raises(DomainError):
        assign(admissible, cast, foreign)

    assert snapshot(admissible) == before


def test_it_refuses_that_the_candidate_evaluates_their_own_dossier(admissible, cast, branch):
    factories.AccreditationFactory(user=cast.user, branch=branch)
    before = snapshot(admissible)

    with pytest.raises(DomainError, match="own dossier"):
        assign(admissible, cast, cast.user)

    assert snapshot(admissible) == before


def test_it_refuses_a_deactivated_evaluator(admissible, cast):
    cast.evaluator.is_active = False
    cast.evaluator.save(update_fields=["is_active"])
    before = snapshot(admissible)

    with pytest.raises(DomainError):
        assign(admissible, cast, cast.evaluator)

    assert snapshot(admissible) == before


def test_it_refuses_to_reassign_the_evaluator_already_assigned(cast):
    dossier = bring_to(S.POSITIONING, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError):
        services.dossier_reassign_evaluator(
            dossier=dossier, evaluator=cast.evaluator, actor=cast.staff, comment=COMMENT
        )

    assert snapshot(dossier) == before


def test_assigning_records_the_evaluator_and_names_them(admissible, cast):
    assign(admissible, cast, cast.evaluator)

    admissible.refresh_from_db()
    assert (admissible.status, admissible.evaluator) == (S.POSITIONING, cast.evaluator)
    assert str(cast.evaluator) in admissible.events.last().comment


def test_assigning_gives_the_evaluator_thirty_days_for_the_positioning(admissible, cast):
    assign(admissible, cast, cast.evaluator)

    admissible.refresh_from_db()
    assert admissible.evaluator_due_on == timezone.localdate() + datetime.timedelta(days=30)


def test_assigning_takes_the_due_date_given_by_staff(admissible, cast):
    due_on = timezone.localdate() + datetime.timedelta(days=10)

    services.dossier_assign_evaluator(
        dossier=admissible, evaluator=cast.evaluator, actor=cast.staff, due_on=due_on
    )

    admissible.refresh_from_db()
    assert admissible.evaluator_due_on == due_on


def test_it_refuses_a_due_date_in_the_past(admissible, cast):
    before = snapshot(admissible)

    with pytest.raises(DomainError, match="past"):
        services.dossier_assign_evaluator(
            dossier=admissible,
            evaluator=cast.evaluator,
            actor=cast.staff,
            due_on=timezone.localdate() - datetime.timedelta(days=1),
        )

    assert snapshot(admissible) == before


def test_reassigning_keeps_the_due_date_unless_a_new_one_is_given(cast):
    dossier = bring_to(S.POSITIONING, cast)
    first_due_on = dossier.evaluator_due_on

    perform("reassign_evaluator", dossier, cast)

    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == first_due_on
    due_on = timezone.localdate() + datetime.timedelta(days=5)
    services.dossier_reassign_evaluator(
        dossier=dossier, evaluator=cast.evaluator, actor=cast.staff, comment=COMMENT, due_on=due_on
    )
    dossier.refresh_from_db()
    assert (dossier.evaluator, dossier.evaluator_due_on) == (cast.evaluator, due_on)


def test_it_refuses_an_unknown_pathway(cast):
    dossier = bring_to(S.POSITIONING, cast)
    before = snapshot(dossier)

    with pytest.raises(DomainError, match="Recommend"):
        services.positioning_record(
            dossier=dossier,
            assessed_on=timezone.localdate(),
            recommendation="apprenticeship",
            justification=COMMENT,
            units=[],
            actor=cast.evaluator,
        )

    assert snapshot(dossier) == before


# --- opening ----------------------------------------------------------------------------------


def open_for(candidate, cqp, actor=None):
    return services.dossier_open(
        candidate=candidate, cqp=cqp, funding="cpf", actor=actor or candidate.user
    )


def test_opening_pins_the_published_version_and_writes_the_first_event(candidate, open_cqp):
    dossier = open_for(candidate, open_cqp)

    assert dossier.referentiel == open_cqp.current_referentiel()
    assert dossier.status == S.DRAFT and dossier.previous is None
    assert dossier.reference == f"{timezone.localdate():%Y}-{dossier.pk:06d}"
    event = dossier.events.get()
    assert (event.action, event.from_status, event.to_status) == ("open", "", S.DRAFT)
    assert event.actor == candidate.user
    assert not dossier.carried_over.exists()


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "no_published_version", "suspended", "archived", "ended"]
)
def test_it_opens_no_dossier_on_a_cqp_closed_to_candidates(state, candidate, cqp, staff, cpnef):
    referentiel = cqp.referentiels.get()
    if state != "no_published_version":
        catalogue.referentiel_publish(referentiel=referentiel, actor=staff)
    if state != "draft":
        catalogue.cqp_submit(cqp=cqp, actor=staff)
    if state not in ("draft", "submitted"):
        catalogue.cpnef_decision_record(
            cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
        )
    if state == "suspended":
        catalogue.cqp_suspend(cqp=cqp, actor=staff, comment="Refonte.")
    if state == "archived":
        catalogue.cqp_archive(cqp=cqp, actor=staff, comment="Fin.")
    if state == "ended":
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        catalogue.cqp_update(cqp=cqp, actor=staff, registration_end_date=yesterday)

    with pytest.raises(DomainError, match="not open to candidates"):
        open_for(candidate, cqp)

    assert not Dossier.objects.exists()
    assert not DossierEvent.objects.exists()


@pytest.mark.parametrize("who", ["other_candidate", "staff", "superuser"])
def test_only_the_candidate_opens_their_dossier(request, who, candidate, open_cqp):
    intruder = request.getfixturevalue(who)
    intruder = getattr(intruder, "user", intruder)

    with pytest.raises(ActionNotPermitted):
        open_for(candidate, open_cqp, actor=intruder)

    assert not Dossier.objects.exists()


def test_it_refuses_a_second_open_dossier_on_the_same_cqp(cast):
    first = bring_to(S.POSITIONING, cast)

    with pytest.raises(DomainError, match="already have a dossier"):
        open_for(cast.candidate, cast.cqp)

    assert list(Dossier.objects.all()) == [first]


def test_the_database_refuses_a_second_open_dossier_even_when_forced(candidate, open_cqp):
    first = open_for(candidate, open_cqp)

    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.create(
            candidate=candidate,
            cqp=open_cqp,
            referentiel=first.referentiel,
            funding="cpf",
            reference="FORCED",
        )

    assert Dossier.objects.count() == 1


def test_another_candidate_opens_their_own_dossier_on_the_same_cqp(cast, other_candidate):
    open_for(cast.candidate, cast.cqp)

    other = open_for(other_candidate, cast.cqp)

    assert other.previous is None
    assert Dossier.objects.open().filter(cqp=cast.cqp).count() == 2


@pytest.mark.parametrize(
    "closed", [S.WITHDRAWN, S.ARCHIVED, S.INADMISSIBLE, S.NOT_VALIDATED, S.PARTIALLY_VALIDATED]
)
def test_a_new_dossier_opens_once_the_previous_one_is_closed(closed, cast):
    first = bring_to(closed, cast)

    again = open_for(cast.candidate, cast.cqp)

    assert again.status == S.DRAFT
    assert again.previous == first
    assert again.referentiel == first.referentiel


def test_a_new_attempt_points_to_the_latest_closed_dossier(cast):
    first = bring_to(S.WITHDRAWN, cast)
    second = bring_to(S.ARCHIVED, cast)

    third = open_for(cast.candidate, cast.cqp)

    assert second.previous == first
    assert third.previous == second
