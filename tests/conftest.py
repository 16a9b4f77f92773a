"""Fixed users per role, in two branches, for every test module."""

import pytest
from django.core.cache import cache

from certifications.models import BranchMembership
from cqp import queueing
from tests import factories

STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: no rate-limit counter leaks between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def broker_not_paused():
    """No test inherits another's simulated broker outage (`cqp.queueing` pauses after one)."""
    queueing.reset()
    yield
    queueing.reset()


@pytest.fixture
def branch(db):
    return factories.BranchFactory(name="Immobilier", slug="immobilier", code="IMMO")


@pytest.fixture
def other_branch(db):
    return factories.BranchFactory(name="Commerce de détail", slug="cdna", code="CDNA")


def _member(branch, role, email):
    user = factories.UserFactory(email=email, is_staff=True)
    BranchMembership.objects.create(user=user, branch=branch, role=role)
    return user


@pytest.fixture
def staff(branch):
    return _member(branch, STAFF, "staff@immo.example.org")


@pytest.fixture
def second_staff(branch):
    return _member(branch, STAFF, "staff2@immo.example.org")


@pytest.fixture
def cpnef(branch):
    return _member(branch, CPNEF, "cpnef@immo.example.org")


@pytest.fixture
def second_cpnef(branch):
    return _member(branch, CPNEF, "cpnef2@immo.example.org")


@pytest.fixture
def other_staff(other_branch):
    return _member(other_branch, STAFF, "staff@cdna.example.org")


@pytest.fixture
def other_cpnef(other_branch):
    return _member(other_branch, CPNEF, "cpnef@cdna.example.org")


@pytest.fixture
def superuser(db):
    return factories.UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def plain_user(db):
    return factories.UserFactory(email="someone@example.org")


@pytest.fixture
def cqp(branch):
    """A draft CQP of `branch` with a draft version 1 of two units."""
    return factories.cqp_with_referentiel(branch=branch, code="NI", title="Négociateur immobilier")


@pytest.fixture
def other_cqp(other_branch):
    return factories.cqp_with_referentiel(
        branch=other_branch, code="VJJ", title="Vendeur jeux et jouets"
    )
