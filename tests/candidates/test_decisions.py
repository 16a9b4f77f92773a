"""The jury's final decision: which units it validates, what is kept for good, what is erased."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone, translation

from candidates import services
from candidates.models import AcquiredUnit, DossierDocument, DossierStatus
from certifications import services as catalogue
from cqp.errors import DomainError
from tests.candidates.conftest import pdf
from tests.candidates.test_dossier_lifecycle import (
    bring_to,
    make_cast,
    make_open_cqp,
    open_with_pieces,
    snapshot,
)

S = DossierStatus
Kind = DossierDocument.Kind
REASON = "Le bloc 2 reste à démontrer."


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def optional_cqp(branch, staff, cpnef):
    """Three units: BC01 and BC02 required, BC03 optional."""
    return make_open_cqp(branch, staff, cpnef, "OPT", units=3, optional=("BC03",))


@pytest.fixture
def cast(candidate, staff, evaluator, branch, optional_cqp):
    return make_cast(candidate, staff, evaluator, branch, optional_cqp)


@pytest.fixture
def in_jury(cast):
    return bring_to(S.IN_JURY, cast)


def today():
    return timezone.localdate()


def units(dossier, *codes):
    return list(dossier.referentiel.units.filter(code__in=codes))


def decide(dossier, outcome, validated, comment="", decided_on=None):
    return services.dossier_record_decision(
        dossier=dossier,
        outcome=outcome,
        validated_units=validated,
        decided_on=decided_on or today(),
        actor=None,
        comment=comment,
    )


def held(candidate):
    return {a.unit.code: (a.dossier_id, a.acquired_on) for a in candidate.acquired_units.all()}


# --- which units each outcome validates -------------------------------------------------------


def test_certification_needs_every_required_unit_and_not_the_optional_ones(in_jury, cast):
    decide(in_jury, S.CERTIFIED, units(in_jury, "BC01", "BC02"))

    in_jury.refresh_from_db()
    assert in_jury.status == S.CERTIFIED
    assert held(cast.candidate) == {"BC01": (in_jury.pk, today()), "BC02": (in_jury.pk, today())}


def test_certification_may_validate_the_optional_units_too(in_jury, cast):
    decide(in_jury, S.CERTIFIED, units(in_jury, "BC01", "BC02", "BC03"))

    assert set(held(cast.candidate)) == {"BC01", "BC02", "BC03"}


@pytest.mark.parametrize("codes", [("BC01",), ("BC01", "BC03"), ()])
def test_it_refuses_a_certification_missing_a_required_unit(codes, in_jury, cast):
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="every required unit"):
        decide(in_jury, S.CERTIFIED, units(in_jury, *codes))

    assert snapshot(in_jury) == before


@pytest.mark.parametrize("codes", [("BC01",), ("BC03",), ("BC02", "BC03")])
def test_a_partial_validation_validates_some_units(codes, in_jury, cast):
    decide(in_jury, S.PARTIALLY_VALIDATED, units(in_jury, *codes), comment=REASON)

    in_jury.refresh_from_db()
    assert in_jury.status == S.PARTIALLY_VALIDATED
    assert set(held(cast.candidate)) == set(codes)
    assert in_jury.events.get(action="validate_partially").comment == REASON


@pytest.mark.parametrize("codes", [(), ("BC01", "BC02"), ("BC01", "BC02", "BC03")])
def test_it_refuses_a_partial_validation_of_nothing_or_of_every_required_unit(codes, in_jury, cast):
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="some units, not all"):
        decide(in_jury, S.PARTIALLY_VALIDATED, units(in_jury, *codes), comment=REASON)

    assert snapshot(in_jury) == before


def test_a_refusal_validates_no_unit(in_jury, cast):
    decide(in_jury, S.NOT_VALIDATED, [], comment=REASON)

    in_jury.refresh_from_db()
    assert in_jury.status == S.NOT_VALIDATED
    assert not AcquiredUnit.objects.exists()


def test_it_refuses_a_refusal_that_validates_units(in_jury, cast):
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="no unit"):
        decide(in_jury, S.NOT_VALIDATED, units(in_jury, "BC01"), comment=REASON)

    assert snapshot(in_jury) == before


@pytest.mark.parametrize(
    ("outcome", "codes"), [(S.PARTIALLY_VALIDATED, ("BC01",)), (S.NOT_VALIDATED, ())]
)
@pytest.mark.parametrize("comment", ["", " \n "])
def test_a_partial_validation_or_a_refusal_must_be_reasoned(outcome, codes, comment, in_jury, cast):
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="reasoned"):
        decide(in_jury, outcome, units(in_jury, *codes), comment=comment)

    assert snapshot(in_jury) == before


def test_a_certification_needs_no_motivation(in_jury, cast):
    decide(in_jury, S.CERTIFIED, units(in_jury, "BC01", "BC02"), comment="")

    in_jury.refresh_from_db()
    assert in_jury.status == S.CERTIFIED


@pytest.mark.parametrize("outcome", ["suspended", S.WITHDRAWN, S.IN_JURY, ""])
def test_it_refuses_an_unknown_outcome(outcome, in_jury, cast):
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="Unknown decision"):
        decide(in_jury, outcome, [], comment=REASON)

    assert snapshot(in_jury) == before


def test_it_refuses_units_of_another_cqp(in_jury, cast, open_cqp):
    foreign = list(open_cqp.current_referentiel().units.all())
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="dossier's version"):
        decide(in_jury, S.PARTIALLY_VALIDATED, foreign[:1], comment=REASON)

    assert snapshot(in_jury) == before


def test_it_refuses_units_of_another_version_of_the_same_cqp(in_jury, cast):
    v1 = in_jury.referentiel
    v2 = catalogue.referentiel_new_version(referentiel=v1, actor=cast.staff)
    before = snapshot(in_jury)

    with pytest.raises(DomainError, match="dossier's version"):
        decide(in_jury, S.CERTIFIED, list(v2.units.all()))

    assert snapshot(in_jury) == before


def test_it_refuses_to_validate_a_unit_already_carried_over(cast):
    first = bring_to(S.IN_JURY, cast)
    decide(first, S.PARTIALLY_VALIDATED, units(first, "BC01"), comment=REASON)
    again = bring_to(S.IN_JURY, cast)
    assert list(again.carried_over.values_list("unit__code", flat=True)) == ["BC01"]
    before = snapshot(again)

    with pytest.raises(DomainError, match="still to acquire"):
        decide(again, S.PARTIALLY_VALIDATED, units(again, "BC01", "BC03"), comment=REASON)

    assert snapshot(again) == before
    # With BC01 carried over, BC02 alone completes the required units.
    decide(again, S.CERTIFIED, units(again, "BC02"))
    again.refresh_from_db()
    assert again.status == S.CERTIFIED


# --- acquired units are kept for good ---------------------------------------------------------


def test_an_acquired_unit_is_never_duplicated_and_keeps_its_first_date(cast):
    first = bring_to(S.IN_JURY, cast)
    first_day = today() - datetime.timedelta(days=200)
    decide(first, S.PARTIALLY_VALIDATED, units(first, "BC01"), REASON, decided_on=first_day)
    again = bring_to(S.IN_JURY, cast)
    # As if BC01 had been granted after this dossier opened: nothing carried, assessed again.
    again.carried_over.all().delete()

    decide(again, S.CERTIFIED, units(again, "BC01", "BC02"))

    again.refresh_from_db()
    assert again.status == S.CERTIFIED
    assert AcquiredUnit.objects.filter(candidate=cast.candidate).count() == 2
    assert held(cast.candidate) == {
        "BC01": (first.pk, first_day),
        "BC02": (again.pk, today()),
    }


def test_the_acquired_units_carry_the_decision_date(in_jury, cast):
    day = today() - datetime.timedelta(days=3)

    decide(in_jury, S.PARTIALLY_VALIDATED, units(in_jury, "BC02"), REASON, decided_on=day)

    assert held(cast.candidate) == {"BC02": (in_jury.pk, day)}


# --- data minimisation ------------------------------------------------------------------------


DECISIONS = [
    (S.CERTIFIED, ("BC01", "BC02"), ""),
    (S.PARTIALLY_VALIDATED, ("BC01",), REASON),
    (S.NOT_VALIDATED, (), REASON),
]


@pytest.mark.parametrize(("outcome", "codes", "comment"), DECISIONS)
def test_the_identity_piece_is_erased_once_the_decision_is_recorded(
    outcome, codes, comment, cast, django_capture_on_commit_callbacks
):
    dossier = bring_to(S.IN_JURY, cast, dossier=_with_a_cv(cast))
    identity = dossier.documents.get(kind=Kind.IDENTITY)
    identity_path = Path(identity.file.path)
    kept = {d.pk: Path(d.file.path) for d in dossier.documents.exclude(kind=Kind.IDENTITY)}
    assert len(kept) == 2  # the VAE booklet and the CV

    with django_capture_on_commit_callbacks(execute=True):
        decide(dossier, outcome, units(dossier, *codes), comment=comment)
        assert identity_path.is_file()  # deleted from storage only once committed

    assert not identity_path.exists()
    assert not dossier.documents.filter(kind=Kind.IDENTITY).exists()
    assert set(dossier.documents.values_list("pk", flat=True)) == set(kept)
    assert all(path.is_file() for path in kept.values())
    erased = dossier.events.get(action="erase_identity")
    assert erased.actor is None
    assert (erased.from_status, erased.to_status) == (outcome, outcome)
    assert "identity" in erased.comment.lower()
    assert list(dossier.events.values_list("action", flat=True))[-2:] == [
        services.DECISION_ACTIONS[outcome],
        "erase_identity",
    ]


def _with_a_cv(cast):
    dossier = open_with_pieces(cast)
    services.document_upload(dossier=dossier, kind=Kind.CV, upload=pdf("cv.pdf"), actor=cast.user)
    return dossier


def test_a_refused_decision_erases_nothing(in_jury, cast):
    identity = in_jury.documents.get(kind=Kind.IDENTITY)

    with pytest.raises(DomainError):
        decide(in_jury, S.NOT_VALIDATED, [], comment="")

    assert Path(identity.file.path).is_file()
    assert in_jury.documents.filter(kind=Kind.IDENTITY).exists()
    assert not in_jury.events.filter(action="erase_identity").exists()
