"""R335-7's yearly VAE limits and the carry-over of acquired units to a new dossier."""

import random
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.utils import timezone, translation

from candidates import services
from candidates.models import (
    AcquiredUnit,
    CarriedOverUnit,
    Dossier,
    DossierStatus,
    Pathway,
    PositioningAssessment,
)
from certifications import services as catalogue
from certifications.models import UnitEquivalence
from cqp.errors import DomainError
from tests.candidates import evaluation
from tests.candidates.test_dossier_lifecycle import (
    bring_to,
    make_cast,
    make_open_cqp,
    perform,
    snapshot,
)

S = DossierStatus


@pytest.fixture(autouse=True)
def messages_in_english():
    """Refusals are matched on their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def cast(candidate, staff, evaluator, branch, open_cqp):
    return make_cast(candidate, staff, evaluator, branch, open_cqp)


def today():
    return timezone.localdate()


def choose_vae(dossier, cast):
    """The evaluator records a positioning recommending the VAE (the eligibility request)."""
    return evaluation.position(dossier, cast.evaluator, Pathway.VAE)


# --- R335-7: one request per CQP and year, three certifications a year --------------------------


def test_choosing_the_vae_records_the_request_date(cast):
    dossier = bring_to(S.VAE, cast)

    assert (dossier.pathway, dossier.vae_requested_on) == (Pathway.VAE, today())


def test_it_refuses_a_second_vae_request_for_the_same_cqp_in_the_same_year(cast):
    first = bring_to(S.VAE, cast)
    perform("withdraw", first, cast)
    again = bring_to(S.POSITIONING, cast)
    before = snapshot(again)

    with pytest.raises(DomainError, match="one VAE eligibility request per CQP") as refused:
        choose_vae(again, cast)

    assert "R335-7" in str(refused.value)
    assert snapshot(again) == before
    again.refresh_from_db()
    assert again.vae_requested_on is None
    # The training pathway stays open to them.
    perform("choose_training", again, cast)
    again.refresh_from_db()
    assert again.status == S.TRAINING


def test_it_allows_a_new_vae_request_for_the_same_cqp_the_next_calendar_year(cast):
    first = bring_to(S.VAE, cast)
    perform("withdraw", first, cast)
    # The limit counts by the request's date: move the first request to last year rather
    # than the clock.
    last_year = today().replace(year=today().year - 1)
    type(first).objects.filter(pk=first.pk).update(vae_requested_on=last_year)
    again = bring_to(S.POSITIONING, cast)

    choose_vae(again, cast)

    again.refresh_from_db()
    assert (again.status, again.vae_requested_on) == (S.VAE, today())


def test_a_training_pathway_does_not_count_as_a_vae_request(cast):
    first = bring_to(S.TRAINING, cast)
    perform("withdraw", first, cast)
    again = bring_to(S.POSITIONING, cast)

    choose_vae(again, cast)

    again.refresh_from_db()
    assert again.status == S.VAE


@pytest.fixture
def three_other_cqps(branch, staff, cpnef):
    return [make_open_cqp(branch, staff, cpnef, code) for code in ("AGI", "GLI", "SYN")]


def test_it_refuses_a_vae_request_for_a_fourth_certification_in_the_year(cast, three_other_cqps):
    for cqp in three_other_cqps:
        bring_to(S.VAE, cast, cqp=cqp)
    fourth = bring_to(S.POSITIONING, cast)
    before = snapshot(fourth)

    with pytest.raises(DomainError, match="At most three") as refused:
        choose_vae(fourth, cast)

    assert "R335-7" in str(refused.value)
    assert snapshot(fourth) == before


def test_it_allows_a_third_certification_and_a_fourth_by_training(cast, three_other_cqps):
    for cqp in three_other_cqps[:2]:
        bring_to(S.VAE, cast, cqp=cqp)
    third = bring_to(S.POSITIONING, cast)
    choose_vae(third, cast)
    fourth = bring_to(S.POSITIONING, cast, cqp=three_other_cqps[2])

    perform("choose_training", fourth, cast)

    third.refresh_from_db()
    fourth.refresh_from_db()
    assert (third.status, fourth.status) == (S.VAE, S.TRAINING)


def test_training_pathways_never_count_towards_the_three_certifications(cast, three_other_cqps):
    for cqp in three_other_cqps:
        bring_to(S.TRAINING, cast, cqp=cqp)
    fourth = bring_to(S.POSITIONING, cast)

    choose_vae(fourth, cast)

    fourth.refresh_from_db()
    assert fourth.status == S.VAE


def test_last_years_requests_do_not_count_towards_this_years_three(cast, three_other_cqps):
    dossiers = [bring_to(S.VAE, cast, cqp=cqp) for cqp in three_other_cqps]
    # The limit counts by the request's date: move one request to last year.
    last_year = today().replace(year=today().year - 1)
    type(dossiers[0]).objects.filter(pk=dossiers[0].pk).update(vae_requested_on=last_year)
    fourth = bring_to(S.POSITIONING, cast)

    choose_vae(fourth, cast)

    fourth.refresh_from_db()
    assert fourth.status == S.VAE


def test_another_candidates_requests_do_not_count(cast, other_candidate):
    mine = bring_to(S.VAE, cast)
    perform("withdraw", mine, cast)
    theirs = services.dossier_open(
        candidate=other_candidate, cqp=cast.cqp, funding="cpf", actor=other_candidate.user
    )

    assert services.vae_quota_problem(other_candidate, cast.cqp, today(), exclude=theirs) == ""
    assert services.vae_quota_problem(cast.candidate, cast.cqp, today()) != ""


def race(*calls):
    """Run `calls` in threads released at once; each one's outcome: "done" or its DomainError.

    PostgreSQL makes the second writer wait for the first's locks. SQLite has no row locks: it
    refuses a writer while another transaction holds the tables ("database is locked"); the
    call is then simply tried again, as a person would, until it goes through or is refused.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            with translation.override("en"):
                barrier.wait(timeout=30)
                for _attempt in range(200):
                    try:
                        call()
                    except OperationalError:
                        time.sleep(random.uniform(0.005, 0.03))
                        continue
                    except DomainError as error:
                        outcomes[index] = error
                    else:
                        outcomes[index] = "done"
                    break
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_vae_positionings_at_once_for_the_same_candidate_are_counted_one_after_the_other(
    cast, three_other_cqps
):
    for cqp in three_other_cqps[:2]:
        bring_to(S.VAE, cast, cqp=cqp)
    third = bring_to(S.POSITIONING, cast)
    fourth = bring_to(S.POSITIONING, cast, cqp=three_other_cqps[2])

    outcomes = race(lambda: choose_vae(third, cast), lambda: choose_vae(fourth, cast))

    assert outcomes.count("done") == 1, outcomes
    (refused,) = [o for o in outcomes if o != "done"]
    assert isinstance(refused, DomainError) and "At most three" in str(refused)
    this_year = Dossier.objects.filter(
        candidate=cast.candidate, pathway=Pathway.VAE, vae_requested_on__year=today().year
    )
    assert this_year.count() == 3
    loser = fourth if outcomes[0] == "done" else third
    loser.refresh_from_db()
    assert (loser.status, loser.pathway, loser.vae_requested_on) == (S.POSITIONING, "", None)
    assert not PositioningAssessment.objects.filter(dossier=loser).exists()


# --- carry-over of acquired units -------------------------------------------------------------


def partially_validated(cast, units_codes=("BC01",), *, cqp=None):
    """A dossier on the CQP's current version with these units validated by the jury."""
    dossier = bring_to(S.IN_JURY, cast, cqp=cqp)
    services.dossier_record_decision(
        dossier=dossier,
        outcome=S.PARTIALLY_VALIDATED,
        validated_units=dossier.referentiel.units.filter(code__in=units_codes),
        decided_on=today(),
        actor=None,
        comment="Bloc 2 à retravailler.",
    )
    dossier.refresh_from_db()
    return dossier


def open_again(cast, *, cqp=None):
    return services.dossier_open(
        candidate=cast.candidate, cqp=cqp or cast.cqp, funding="cpf", actor=cast.user
    )


def carried_codes(dossier):
    return sorted(dossier.carried_over.values_list("unit__code", flat=True))


def test_a_new_dossier_on_the_same_version_carries_the_acquired_units(cast):
    first = partially_validated(cast)
    acquired = AcquiredUnit.objects.get(candidate=cast.candidate)

    again = open_again(cast)

    assert again.referentiel == first.referentiel
    carried = again.carried_over.get()
    assert (carried.unit, carried.acquired) == (acquired.unit, acquired)
    assert (acquired.dossier, acquired.acquired_on) == (first, today())
    assert "BC01" in again.events.get(action="open").comment
    assert "BC02" not in again.events.get(action="open").comment


def test_nothing_is_carried_when_nothing_was_acquired(cast):
    first = bring_to(S.NOT_VALIDATED, cast)

    again = open_again(cast)

    assert again.previous == first
    assert not again.carried_over.exists()
    assert again.events.get(action="open").comment == ""


def new_version(cast, previous, *, retitle="BC02"):
    """Copy `previous` (with its equivalences), change one unit's title, publish the copy."""
    draft = catalogue.referentiel_new_version(referentiel=previous, actor=cast.staff)
    unit = draft.units.get(code=retitle)
    catalogue.unit_save(
        referentiel=draft,
        actor=cast.staff,
        unit=unit,
        code=unit.code,
        title=f"{unit.title} (révisé)",
        order=unit.order,
    )
    return draft


def publish(cast, draft):
    catalogue.referentiel_publish(referentiel=draft, actor=cast.staff)
    draft.refresh_from_db()
    return draft


def test_a_new_dossier_on_a_new_version_carries_the_equivalent_unit(cast):
    first = partially_validated(cast)
    v2 = publish(cast, new_version(cast, first.referentiel))

    again = open_again(cast)

    assert again.referentiel == v2
    carried = again.carried_over.get()
    assert carried.unit == v2.units.get(code="BC01")
    assert carried.acquired.unit == first.referentiel.units.get(code="BC01")
    assert "BC01" in again.events.get(action="open").comment


def test_a_unit_changed_without_equivalence_is_not_carried(cast):
    first = partially_validated(cast)
    draft = new_version(cast, first.referentiel, retitle="BC01")
    # The branch judged the revised BC01 different: it withdraws the equivalence the copy made.
    UnitEquivalence.objects.filter(to_unit__referentiel=draft, to_unit__code="BC01").delete()
    publish(cast, draft)

    again = open_again(cast)

    assert not again.carried_over.exists()
    assert again.events.get(action="open").comment == ""


def test_equivalences_are_followed_along_a_chain_of_versions(cast):
    first = partially_validated(cast)
    v2 = publish(cast, new_version(cast, first.referentiel))
    v3 = publish(cast, new_version(cast, v2))

    again = open_again(cast)

    assert again.referentiel == v3
    assert carried_codes(again) == ["BC01"]
    assert again.carried_over.get().unit.referentiel == v3


def test_a_unit_added_in_a_new_version_is_not_carried(cast):
    first = partially_validated(cast)
    draft = new_version(cast, first.referentiel)
    added = catalogue.unit_save(referentiel=draft, actor=cast.staff, code="BC03", title="Neuf")
    catalogue.unit_set_contents(unit=added, competences=["Savoir"], criteria=[], actor=cast.staff)
    publish(cast, draft)

    again = open_again(cast)

    assert carried_codes(again) == ["BC01"]


def test_carried_units_of_every_earlier_decision_add_up(cast, branch, cpnef):
    cqp = make_open_cqp(branch, cast.staff, cpnef, "TRI", units=3)
    first = partially_validated(cast, ("BC01",), cqp=cqp)
    second = bring_to(S.IN_JURY, cast, cqp=cqp)
    assert carried_codes(second) == ["BC01"]
    services.dossier_record_decision(
        dossier=second,
        outcome=S.PARTIALLY_VALIDATED,
        validated_units=second.referentiel.units.filter(code="BC02"),
        decided_on=today(),
        actor=None,
        comment="BC03 à venir.",
    )

    third = open_again(cast, cqp=cqp)

    assert carried_codes(third) == ["BC01", "BC02"]
    by_code = {c.unit.code: c.acquired.dossier for c in third.carried_over.all()}
    assert by_code == {"BC01": first, "BC02": second}


def test_a_carried_unit_is_never_assessed_again(cast):
    first = partially_validated(cast)
    again = bring_to(S.IN_JURY, cast)
    bc01 = again.referentiel.units.get(code="BC01")
    before = snapshot(again)

    with pytest.raises(DomainError):
        services.dossier_record_decision(
            dossier=again,
            outcome=S.CERTIFIED,
            validated_units=again.referentiel.units.all(),
            decided_on=today(),
            actor=None,
        )

    assert snapshot(again) == before
    # Certified with the remaining unit only: BC01 is held from the first decision.
    services.dossier_record_decision(
        dossier=again,
        outcome=S.CERTIFIED,
        validated_units=again.referentiel.units.exclude(pk=bc01.pk),
        decided_on=today(),
        actor=None,
    )
    again.refresh_from_db()
    assert again.status == S.CERTIFIED
    held = {a.unit.code: a.dossier for a in AcquiredUnit.objects.filter(candidate=cast.candidate)}
    assert held == {"BC01": first, "BC02": again}


def test_carried_units_belong_to_the_dossier_only(cast, other_candidate):
    partially_validated(cast)

    theirs = services.dossier_open(
        candidate=other_candidate, cqp=cast.cqp, funding="cpf", actor=other_candidate.user
    )

    assert not theirs.carried_over.exists()
    assert CarriedOverUnit.objects.count() == 0
