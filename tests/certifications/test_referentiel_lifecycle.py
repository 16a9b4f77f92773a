"""Référentiel versions through the services: publish, retire, new version, unit editing."""

import pytest

from certifications import services
from certifications.lifecycles import REFERENTIEL_LIFECYCLE
from certifications.models import (
    CompetenceUnit,
    CqpStatus,
    Referentiel,
    ReferentielStatus,
    UnitEquivalence,
)
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed

R = ReferentielStatus


def snapshot(referentiel):
    """Status and events of every version of the référentiel's CQP."""
    return sorted(
        (r.pk, r.status, r.published_at, r.events.count())
        for r in Referentiel.objects.filter(cqp_id=referentiel.cqp_id)
    )


def contents(referentiel):
    """The units of a version as plain data, in their order."""
    return [
        (
            unit.code,
            unit.title,
            unit.order,
            unit.is_optional,
            unit.evaluation_modalities,
            [(c.order, c.text) for c in unit.competences.all()],
            [(c.order, c.text) for c in unit.criteria.all()],
        )
        for unit in referentiel.units.prefetch_related("competences", "criteria")
    ]


@pytest.fixture
def draft(cqp):
    """Version 1 of `cqp`, a draft of two units with competences and criteria."""
    return cqp.referentiels.get()


@pytest.fixture
def published(draft, staff):
    services.referentiel_publish(referentiel=draft, actor=staff)
    return draft


@pytest.fixture
def retired(published, staff):
    services.referentiel_retire(referentiel=published, actor=staff)
    return published


@pytest.fixture
def version(request):
    """The version of `cqp` in the status named by the test's parameter."""
    names = {R.DRAFT: "draft", R.PUBLISHED: "published", R.RETIRED: "retired"}
    return request.getfixturevalue(names[request.param])


def perform(action, referentiel, actor):
    service = {
        "publish": services.referentiel_publish,
        "retire": services.referentiel_retire,
    }[action]
    return service(referentiel=referentiel, actor=actor)


# --- publish and retire -----------------------------------------------------------------------


def test_every_transition_of_the_table_is_covered_here():
    assert {t.action for t in REFERENTIEL_LIFECYCLE.transitions} == {"publish", "retire"}


def test_it_publishes_a_draft(draft, staff):
    assert draft.published_at is None

    services.referentiel_publish(referentiel=draft, actor=staff, comment="Validé en CPNEF.")

    draft.refresh_from_db()
    assert draft.status == R.PUBLISHED
    assert draft.published_at is not None
    event = draft.events.last()
    assert (event.action, event.from_status, event.to_status) == ("publish", R.DRAFT, R.PUBLISHED)
    assert event.actor == staff
    assert event.comment == "Validé en CPNEF."


def test_publishing_a_new_version_retires_the_previous_one(published, staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)

    services.referentiel_publish(referentiel=new, actor=staff)

    published.refresh_from_db()
    new.refresh_from_db()
    assert published.status == R.RETIRED
    assert new.status == R.PUBLISHED
    retire = published.events.last()
    assert (retire.action, retire.from_status, retire.to_status) == (
        "retire",
        R.PUBLISHED,
        R.RETIRED,
    )
    assert retire.actor == staff
    assert str(new.version) in retire.comment
    assert published.cqp.current_referentiel() == new


def test_it_retires_a_published_version(published, staff):
    services.referentiel_retire(referentiel=published, actor=staff, comment="Obsolète.")

    published.refresh_from_db()
    assert published.status == R.RETIRED
    event = published.events.last()
    assert (event.action, event.from_status, event.to_status, event.comment) == (
        "retire",
        R.PUBLISHED,
        R.RETIRED,
        "Obsolète.",
    )


@pytest.mark.parametrize(
    ("action", "version"),
    [
        (t.action, status)
        for t in REFERENTIEL_LIFECYCLE.transitions
        for status in R.values
        if status not in t.sources
    ],
    indirect=["version"],
)
def test_it_refuses_each_transition_from_every_other_status(action, version, staff):
    before = snapshot(version)

    with pytest.raises(TransitionNotAllowed):
        perform(action, version, staff)

    assert snapshot(version) == before


def test_republishing_a_retired_version_leaves_the_published_one_in_place(published, staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)
    services.referentiel_publish(referentiel=new, actor=staff)
    before = snapshot(new)

    with pytest.raises(TransitionNotAllowed):
        services.referentiel_publish(referentiel=published, actor=staff)

    assert snapshot(new) == before
    new.refresh_from_db()
    assert new.status == R.PUBLISHED


def test_a_refused_publication_does_not_retire_the_current_version(published, staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)
    services.unit_save(referentiel=new, actor=staff, code="BC09", title="Sans compétence")
    before = snapshot(new)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=new, actor=staff)

    assert snapshot(new) == before
    published.refresh_from_db()
    assert published.status == R.PUBLISHED


@pytest.mark.parametrize("who", ["other_staff", "cpnef", "plain_user"])
@pytest.mark.parametrize("action", ["publish", "retire"])
def test_it_refuses_publishing_and_retiring_to_anyone_but_the_branch_staff(
    request, who, action, draft, staff
):
    if action == "retire":
        services.referentiel_publish(referentiel=draft, actor=staff)
    before = snapshot(draft)

    with pytest.raises(ActionNotPermitted):
        perform(action, draft, request.getfixturevalue(who))

    assert snapshot(draft) == before


# --- what may be published --------------------------------------------------------------------


def test_it_refuses_to_publish_a_version_without_units(branch, staff):
    cqp = services.cqp_create(branch=branch, code="NEW", title="Nouveau", actor=staff)
    draft = cqp.referentiels.get()
    before = snapshot(draft)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)

    assert snapshot(draft) == before


def test_it_refuses_to_publish_a_unit_without_competences(draft, staff):
    services.unit_save(referentiel=draft, actor=staff, code="BC03", title="Sans compétence")
    before = snapshot(draft)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)

    assert snapshot(draft) == before


def test_it_refuses_to_publish_an_uncoded_bloc_of_an_rncp_cqp(cqp, draft, staff):
    services.cqp_update(cqp=cqp, actor=staff, registry_number="RNCP34567")
    unit = services.unit_save(referentiel=draft, actor=staff, code="", title="Bloc sans code")
    services.unit_set_contents(unit=unit, competences=["Accueillir"], criteria=[], actor=staff)
    before = snapshot(draft)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)

    assert snapshot(draft) == before


def test_it_publishes_an_uncoded_unit_of_a_cqp_outside_the_rncp(draft, staff):
    unit = services.unit_save(referentiel=draft, actor=staff, code="", title="Unité sans code")
    services.unit_set_contents(unit=unit, competences=["Accueillir"], criteria=[], actor=staff)

    services.referentiel_publish(referentiel=draft, actor=staff)

    draft.refresh_from_db()
    assert draft.status == R.PUBLISHED


def test_it_refuses_to_publish_for_an_archived_cqp(cqp, draft, staff):
    services.cqp_archive(cqp=cqp, actor=staff)
    before = snapshot(draft)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)

    assert snapshot(draft) == before


def test_it_refuses_to_publish_for_a_rejected_cqp(cqp, draft, staff, cpnef):
    services.cqp_submit(cqp=cqp, actor=staff)
    services.cpnef_decision_record(
        cqp=cqp,
        outcome="reject",
        meeting_date=cqp.created_at.date(),
        actor=cpnef,
        comment="Hors champ.",
    )
    cqp.refresh_from_db()
    assert cqp.status == CqpStatus.REJECTED
    before = snapshot(draft)

    with pytest.raises(DomainError):
        services.referentiel_publish(referentiel=draft, actor=staff)

    assert snapshot(draft) == before


# --- new versions -----------------------------------------------------------------------------


def test_a_new_version_copies_the_published_one_into_a_draft(published, staff):
    unit = published.units.first()
    # Precondition no service reaches on a published version: an optional unit with modalities.
    CompetenceUnit.objects.filter(pk=unit.pk).update(
        is_optional=True, evaluation_modalities="Mise en situation."
    )

    new = services.referentiel_new_version(referentiel=published, actor=staff)

    new.refresh_from_db()
    assert new.status == R.DRAFT
    assert new.version == published.version + 1
    assert new.based_on == published
    assert new.cqp_id == published.cqp_id
    assert contents(new) == contents(published)
    assert len(contents(new)) == 2
    published.refresh_from_db()
    assert published.status == R.PUBLISHED
    assert new.events.get().action == "create"


def test_a_new_version_declares_each_copied_unit_equivalent_to_its_original(published, staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)

    pairs = set(UnitEquivalence.objects.values_list("from_unit__code", "to_unit__code"))
    assert pairs == {("BC01", "BC01"), ("BC02", "BC02")}
    for equivalence in UnitEquivalence.objects.all():
        assert equivalence.from_unit.referentiel == published
        assert equivalence.to_unit.referentiel == new
        assert equivalence.declared_by == staff


def test_a_new_version_can_start_from_a_retired_version(retired, staff):
    new = services.referentiel_new_version(referentiel=retired, actor=staff)

    assert new.based_on == retired
    assert new.version == retired.version + 1
    assert contents(new) == contents(retired)


def test_it_refuses_a_new_version_of_a_draft(draft, staff):
    with pytest.raises(DomainError):
        services.referentiel_new_version(referentiel=draft, actor=staff)

    assert Referentiel.objects.filter(cqp_id=draft.cqp_id).count() == 1


def test_it_refuses_a_new_version_while_a_draft_exists(published, staff):
    services.referentiel_new_version(referentiel=published, actor=staff)

    with pytest.raises(DomainError):
        services.referentiel_new_version(referentiel=published, actor=staff)

    assert Referentiel.objects.filter(cqp_id=published.cqp_id).count() == 2
    assert UnitEquivalence.objects.count() == 2


def test_it_refuses_a_new_version_to_another_branchs_staff(published, other_staff):
    with pytest.raises(ActionNotPermitted):
        services.referentiel_new_version(referentiel=published, actor=other_staff)

    assert Referentiel.objects.filter(cqp_id=published.cqp_id).count() == 1


def test_it_creates_an_empty_draft_after_the_last_version(cqp, published, staff):
    new = services.referentiel_create_draft(cqp=cqp, actor=staff, source="Accord du 3 mars")

    assert (new.version, new.status, new.source) == (2, R.DRAFT, "Accord du 3 mars")
    assert not new.units.exists()
    assert new.events.get().actor == staff


def test_it_refuses_an_empty_draft_while_a_draft_exists(cqp, draft, staff):
    with pytest.raises(DomainError):
        services.referentiel_create_draft(cqp=cqp, actor=staff)

    assert list(cqp.referentiels.all()) == [draft]


# --- editing units ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [R.PUBLISHED, R.RETIRED], indirect=True)
def test_it_refuses_to_change_the_units_of_a_frozen_version(version, staff):
    unit = version.units.first()
    before = contents(version)

    with pytest.raises(DomainError):
        services.unit_save(referentiel=version, actor=staff, code="BC09", title="Nouveau")
    with pytest.raises(DomainError):
        services.unit_save(
            referentiel=version, actor=staff, code=unit.code, title="Renommé", unit=unit
        )
    with pytest.raises(DomainError):
        services.unit_set_contents(unit=unit, competences=["Autre"], criteria=[], actor=staff)
    with pytest.raises(DomainError):
        services.unit_delete(unit=unit, actor=staff)

    assert contents(version) == before


def test_it_refuses_to_change_a_unit_held_before_its_version_was_published(draft, staff):
    unit = CompetenceUnit.objects.select_related("referentiel").filter(referentiel=draft).first()
    services.referentiel_publish(referentiel=draft, actor=staff)
    before = contents(draft)

    # `unit.referentiel` still says "draft": the service must look at the database.
    with pytest.raises(DomainError):
        services.unit_set_contents(unit=unit, competences=["Autre"], criteria=[], actor=staff)
    with pytest.raises(DomainError):
        services.unit_delete(unit=unit, actor=staff)

    assert contents(draft) == before


def test_it_adds_a_unit_to_a_draft(draft, staff):
    unit = services.unit_save(
        referentiel=draft,
        actor=staff,
        code="BC03",
        title="Gérer un portefeuille",
        order=3,
        is_optional=True,
        evaluation_modalities="Étude de cas.",
    )

    unit.refresh_from_db()
    assert (unit.referentiel, unit.code, unit.title, unit.order) == (
        draft,
        "BC03",
        "Gérer un portefeuille",
        3,
    )
    assert unit.is_optional
    assert unit.evaluation_modalities == "Étude de cas."
    assert [u.code for u in draft.units.all()] == ["BC01", "BC02", "BC03"]


def test_it_changes_a_unit_of_a_draft(draft, staff):
    unit = draft.units.get(code="BC01")

    services.unit_save(referentiel=draft, actor=staff, code="BC01", title="Renommé", unit=unit)

    unit.refresh_from_db()
    assert unit.title == "Renommé"
    assert draft.units.count() == 2


def test_it_sets_competences_and_criteria_in_order_without_blank_lines(draft, staff):
    unit = draft.units.get(code="BC01")

    services.unit_set_contents(
        unit=unit,
        competences=["  Prospecter  ", "", "Estimer un bien", "   ", "Négocier"],
        criteria=["Le prix est justifié", "\t", "Le mandat est signé"],
        actor=staff,
    )

    assert [(c.order, c.text) for c in unit.competences.all()] == [
        (1, "Prospecter"),
        (2, "Estimer un bien"),
        (3, "Négocier"),
    ]
    assert [(c.order, c.text) for c in unit.criteria.all()] == [
        (1, "Le prix est justifié"),
        (2, "Le mandat est signé"),
    ]


def test_it_deletes_a_unit_of_a_draft(draft, staff):
    services.unit_delete(unit=draft.units.get(code="BC01"), actor=staff)

    assert [u.code for u in draft.units.all()] == ["BC02"]


def test_it_refuses_a_unit_code_already_used_in_the_version(draft, staff):
    before = contents(draft)

    with pytest.raises(DomainError):
        services.unit_save(referentiel=draft, actor=staff, code="BC01", title="Doublon")
    with pytest.raises(DomainError):
        services.unit_save(
            referentiel=draft,
            actor=staff,
            code="BC01",
            title="Doublon",
            unit=draft.units.get(code="BC02"),
        )

    assert contents(draft) == before


def test_it_refuses_unit_edits_to_another_branchs_staff(draft, other_staff):
    unit = draft.units.first()
    before = contents(draft)

    with pytest.raises(ActionNotPermitted):
        services.unit_save(referentiel=draft, actor=other_staff, code="BC09", title="Intrus")
    with pytest.raises(ActionNotPermitted):
        services.unit_set_contents(unit=unit, competences=["x"], criteria=[], actor=other_staff)
    with pytest.raises(ActionNotPermitted):
        services.unit_delete(unit=unit, actor=other_staff)

    assert contents(draft) == before


# --- equivalences -----------------------------------------------------------------------------


def test_it_declares_an_equivalence_between_units_of_two_versions(published, staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)
    old_bc01 = published.units.get(code="BC01")
    new_bc02 = new.units.get(code="BC02")

    equivalence = services.unit_equivalence_declare(
        from_unit=old_bc01, to_unit=new_bc02, actor=staff
    )
    again = services.unit_equivalence_declare(from_unit=old_bc01, to_unit=new_bc02, actor=staff)

    assert again == equivalence
    assert (equivalence.from_unit, equivalence.to_unit, equivalence.declared_by) == (
        old_bc01,
        new_bc02,
        staff,
    )


def test_it_refuses_an_equivalence_inside_one_version(draft, staff):
    bc01, bc02 = draft.units.all()

    with pytest.raises(DomainError):
        services.unit_equivalence_declare(from_unit=bc01, to_unit=bc02, actor=staff)

    assert not UnitEquivalence.objects.exists()


def test_it_refuses_an_equivalence_with_another_branchs_unit(draft, other_cqp, staff, superuser):
    foreign = other_cqp.referentiels.get().units.first()
    own = draft.units.first()

    with pytest.raises(DomainError):
        services.unit_equivalence_declare(from_unit=foreign, to_unit=own, actor=staff)
    with pytest.raises(DomainError):
        services.unit_equivalence_declare(from_unit=foreign, to_unit=own, actor=superuser)

    assert not UnitEquivalence.objects.exists()


def test_it_refuses_an_equivalence_to_another_branchs_staff(published, staff, other_staff):
    new = services.referentiel_new_version(referentiel=published, actor=staff)
    UnitEquivalence.objects.all().delete()  # start from no equivalence at all

    with pytest.raises(ActionNotPermitted):
        services.unit_equivalence_declare(
            from_unit=published.units.first(), to_unit=new.units.first(), actor=other_staff
        )

    assert not UnitEquivalence.objects.exists()
