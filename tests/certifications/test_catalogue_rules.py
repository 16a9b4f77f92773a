"""Catalogue rules: creating and changing CQPs, branch memberships, database constraints."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from certifications import services
from certifications.models import (
    BranchMembership,
    Cqp,
    CqpEvent,
    CqpStatus,
    Referentiel,
    ReferentielStatus,
)
from certifications.permissions import is_branch_staff, is_cpnef_member
from cqp.errors import ActionNotPermitted, DomainError
from tests import factories

STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF


def cqp_state(cqp):
    cqp.refresh_from_db()
    return (cqp.code, cqp.title, cqp.registry_number, cqp.status, cqp.events.count())


# --- cqp_create -------------------------------------------------------------------------------


def test_it_creates_a_draft_cqp_with_an_empty_first_version(branch, staff):
    cqp = services.cqp_create(
        branch=branch,
        code="NI",
        title="Négociateur immobilier",
        actor=staff,
        comment="Projet 2026",
        level="4",
        registry_number="RNCP34567",
    )

    cqp.refresh_from_db()
    assert (cqp.branch, cqp.code, cqp.status) == (branch, "NI", CqpStatus.DRAFT)
    assert (cqp.level, cqp.registry_number) == ("4", "RNCP34567")
    event = CqpEvent.objects.get(cqp=cqp)
    assert (event.action, event.from_status, event.to_status) == ("create", "", CqpStatus.DRAFT)
    assert (event.actor, event.comment) == (staff, "Projet 2026")
    version = cqp.referentiels.get()
    assert (version.version, version.status) == (1, ReferentielStatus.DRAFT)
    assert not version.units.exists()
    assert version.events.get().action == "create"


def test_it_refuses_a_code_the_branch_already_uses(cqp, branch, staff):
    with pytest.raises(DomainError):
        services.cqp_create(branch=branch, code=cqp.code, title="Doublon", actor=staff)

    assert Cqp.objects.count() == 1


def test_it_accepts_a_code_another_branch_uses(cqp, other_branch, other_staff):
    created = services.cqp_create(
        branch=other_branch, code=cqp.code, title="Homonyme", actor=other_staff
    )

    assert created.branch == other_branch


def test_it_refuses_a_registry_number_another_cqp_holds(other_cqp, branch, staff, other_staff):
    services.cqp_update(cqp=other_cqp, actor=other_staff, registry_number="RNCP34567")

    with pytest.raises(DomainError):
        services.cqp_create(
            branch=branch, code="NEW", title="Nouveau", actor=staff, registry_number="RNCP34567"
        )

    assert not Cqp.objects.filter(code="NEW").exists()


def test_it_refuses_to_create_for_another_branchs_staff(branch, other_staff, cpnef):
    for intruder in (other_staff, cpnef):
        with pytest.raises(ActionNotPermitted):
            services.cqp_create(branch=branch, code="NEW", title="Nouveau", actor=intruder)

    assert not Cqp.objects.exists()


def test_it_refuses_unknown_fields_at_creation(branch, staff):
    with pytest.raises(TypeError):
        services.cqp_create(branch=branch, code="NEW", title="N", actor=staff, status="approved")

    assert not Cqp.objects.exists()


# --- cqp_update -------------------------------------------------------------------------------


def test_it_updates_descriptive_fields(cqp, staff):
    end = datetime.date(2030, 12, 31)

    services.cqp_update(
        cqp=cqp, actor=staff, title="Négociateur", registration_end_date=end, rome_codes="C1504"
    )

    cqp.refresh_from_db()
    assert (cqp.title, cqp.registration_end_date, cqp.rome_codes) == ("Négociateur", end, "C1504")


@pytest.mark.parametrize("field", ["status", "branch", "branch_id", "status_changed_at"])
def test_it_refuses_to_update_fields_outside_the_description(field, cqp, staff, other_branch):
    value = {"status": CqpStatus.APPROVED, "branch": other_branch}.get(field, other_branch.pk)
    before = cqp_state(cqp)

    with pytest.raises(TypeError):
        services.cqp_update(cqp=cqp, actor=staff, **{field: value})

    assert cqp_state(cqp) == before
    assert cqp.branch_id != other_branch.pk


def test_it_refuses_to_update_to_a_number_another_cqp_holds(cqp, other_cqp, staff, other_staff):
    services.cqp_update(cqp=other_cqp, actor=other_staff, registry_number="RS5678")
    before = cqp_state(cqp)

    with pytest.raises(DomainError):
        services.cqp_update(cqp=cqp, actor=staff, registry_number="RS5678")

    assert cqp_state(cqp) == before


def test_it_keeps_a_cqps_own_number_on_update(cqp, staff):
    services.cqp_update(cqp=cqp, actor=staff, registry_number="RS5678")

    services.cqp_update(cqp=cqp, actor=staff, registry_number="RS5678", title="Autre titre")

    cqp.refresh_from_db()
    assert (cqp.registry_number, cqp.title) == ("RS5678", "Autre titre")


def test_it_refuses_to_update_to_a_code_the_branch_already_uses(cqp, branch, staff):
    sibling = factories.cqp_with_referentiel(branch=branch, code="AI")
    before = cqp_state(sibling)

    with pytest.raises(DomainError):
        services.cqp_update(cqp=sibling, actor=staff, code=cqp.code)

    assert cqp_state(sibling) == before


@pytest.mark.parametrize("who", ["other_staff", "cpnef", "plain_user"])
def test_it_refuses_updates_to_anyone_but_the_branch_staff(request, who, cqp):
    before = cqp_state(cqp)

    with pytest.raises(ActionNotPermitted):
        services.cqp_update(cqp=cqp, actor=request.getfixturevalue(who), title="Piraté")

    assert cqp_state(cqp) == before


def test_a_superuser_may_update_any_cqp(cqp, superuser):
    services.cqp_update(cqp=cqp, actor=superuser, title="Revu")

    cqp.refresh_from_db()
    assert cqp.title == "Revu"


# --- memberships ------------------------------------------------------------------------------


def test_granting_a_role_gives_admin_access_and_the_role(branch, plain_user, superuser):
    assert not is_branch_staff(plain_user, branch.pk)  # caches the (empty) memberships

    membership = services.membership_grant(
        user=plain_user, branch=branch, role=STAFF, actor=superuser
    )

    assert (membership.user, membership.branch, membership.role) == (plain_user, branch, STAFF)
    plain_user.refresh_from_db()
    assert plain_user.is_staff
    assert is_branch_staff(plain_user, branch.pk)
    assert not is_cpnef_member(plain_user, branch.pk)


def test_granting_the_same_role_twice_keeps_one_membership(branch, plain_user):
    first = services.membership_grant(user=plain_user, branch=branch, role=CPNEF)
    second = services.membership_grant(user=plain_user, branch=branch, role=CPNEF)

    assert first == second
    assert BranchMembership.objects.filter(user=plain_user).count() == 1


@pytest.mark.parametrize("who", ["staff", "cpnef", "plain_user"])
def test_only_an_administrator_may_grant_a_role(request, who, branch, plain_user):
    with pytest.raises(ActionNotPermitted):
        services.membership_grant(
            user=plain_user, branch=branch, role=STAFF, actor=request.getfixturevalue(who)
        )

    plain_user.refresh_from_db()
    assert not plain_user.is_staff
    assert not BranchMembership.objects.filter(user=plain_user).exists()


def test_revoking_the_last_membership_removes_admin_access(branch, plain_user, superuser):
    membership = services.membership_grant(user=plain_user, branch=branch, role=STAFF)

    services.membership_revoke(membership=membership, actor=superuser)

    plain_user.refresh_from_db()
    assert not plain_user.is_staff
    assert not BranchMembership.objects.filter(user=plain_user).exists()
    assert not is_branch_staff(membership.user, branch.pk)


def test_revoking_one_of_two_memberships_keeps_admin_access(branch, other_branch, plain_user):
    kept = services.membership_grant(user=plain_user, branch=other_branch, role=CPNEF)
    revoked = services.membership_grant(user=plain_user, branch=branch, role=STAFF)

    services.membership_revoke(membership=revoked)

    plain_user.refresh_from_db()
    assert plain_user.is_staff
    assert list(BranchMembership.objects.filter(user=plain_user)) == [kept]


def test_revoking_a_superusers_last_membership_keeps_their_admin_access(branch, superuser):
    membership = services.membership_grant(user=superuser, branch=branch, role=CPNEF)

    services.membership_revoke(membership=membership)

    superuser.refresh_from_db()
    assert superuser.is_staff


@pytest.mark.parametrize("who", ["staff", "second_staff", "cpnef"])
def test_only_an_administrator_may_revoke_a_role(request, who, cpnef):
    membership = BranchMembership.objects.get(user=cpnef)

    with pytest.raises(ActionNotPermitted):
        services.membership_revoke(membership=membership, actor=request.getfixturevalue(who))

    assert BranchMembership.objects.filter(pk=membership.pk).exists()
    cpnef.refresh_from_db()
    assert cpnef.is_staff


# --- database constraints ---------------------------------------------------------------------
# These force rows with the ORM on purpose: the constraints must hold even if a service is
# bypassed.


def test_the_database_refuses_a_second_published_version(cqp, staff):
    services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)

    with pytest.raises(IntegrityError), transaction.atomic():
        Referentiel.objects.create(cqp=cqp, version=2, status=ReferentielStatus.PUBLISHED)

    assert cqp.referentiels.count() == 1


def test_the_database_refuses_a_second_draft(cqp):
    with pytest.raises(IntegrityError), transaction.atomic():
        Referentiel.objects.create(cqp=cqp, version=2, status=ReferentielStatus.DRAFT)

    assert cqp.referentiels.count() == 1


def test_the_database_accepts_several_retired_versions(cqp):
    for version in (2, 3):
        Referentiel.objects.create(cqp=cqp, version=version, status=ReferentielStatus.RETIRED)

    assert cqp.referentiels.count() == 3


def test_the_database_refuses_a_duplicate_registry_number(branch):
    factories.CqpFactory(branch=branch, registry_number="RNCP34567")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CqpFactory(branch=branch, registry_number="RNCP34567")

    assert Cqp.objects.count() == 1


def test_the_database_accepts_several_cqps_without_a_number(branch):
    factories.CqpFactory(branch=branch, registry_number="")
    factories.CqpFactory(branch=branch, registry_number="")

    assert Cqp.objects.filter(registry_number="").count() == 2


def test_the_database_refuses_a_duplicate_code_in_a_branch(branch, other_branch):
    factories.CqpFactory(branch=branch, code="NI")
    factories.CqpFactory(branch=other_branch, code="NI")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CqpFactory(branch=branch, code="NI")

    assert Cqp.objects.filter(code="NI").count() == 2
