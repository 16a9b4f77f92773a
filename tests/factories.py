"""Factories for the catalogue and accounts (factory-boy)."""

import datetime

import factory
from django.utils import timezone

from certifications.models import (
    Branch,
    BranchMembership,
    Competence,
    CompetenceUnit,
    Cqp,
    EvaluationCriterion,
    EvaluatorAccreditation,
    Habilitation,
    Referentiel,
    TrainingProvider,
)
from cqp.models import User
from cqp.validators import luhn_is_valid


def make_siret(n: int) -> str:
    """A SIRET with a valid Luhn key, distinct for each `n`."""
    base = f"{900000000000 + n:013d}"
    for key in range(10):
        candidate = f"{base}{key}"
        if luhn_is_valid(candidate):
            return candidate
    raise AssertionError("unreachable: one Luhn key always fits")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"Branche {n}")
    slug = factory.Sequence(lambda n: f"branche-{n}")
    code = factory.Sequence(lambda n: f"BR{n:03d}")
    cpnef_name = factory.LazyAttribute(lambda b: f"CPNEF de la {b.name}")
    signatory_name = "Claire Martin"
    signatory_title = "Présidente de la CPNEF"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BranchMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    branch = factory.SubFactory(BranchFactory)
    role = BranchMembership.BranchRole.STAFF


class CqpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cqp

    branch = factory.SubFactory(BranchFactory)
    code = factory.Sequence(lambda n: f"CQP{n}")
    title = factory.Sequence(lambda n: f"CQP métier {n}")
    level = "4"


class ReferentielFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referentiel

    cqp = factory.SubFactory(CqpFactory)
    version = factory.Sequence(lambda n: n + 1)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetenceUnit

    referentiel = factory.SubFactory(ReferentielFactory)
    code = factory.Sequence(lambda n: f"BC{n:02d}")
    title = factory.Sequence(lambda n: f"Bloc {n}")
    order = factory.Sequence(lambda n: n)


class CompetenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competence

    unit = factory.SubFactory(UnitFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Compétence {n}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationCriterion

    unit = factory.SubFactory(UnitFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Critère {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProvider

    name = factory.Sequence(lambda n: f"Organisme {n}")
    siret = factory.Sequence(make_siret)


class HabilitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Habilitation

    provider = factory.SubFactory(ProviderFactory)
    cqp = factory.SubFactory(CqpFactory)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class AccreditationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluatorAccreditation

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(BranchFactory)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


def cqp_with_referentiel(*, units: int = 2, competences: int = 2, criteria: int = 1, **cqp_kwargs):
    """A CQP with a draft version 1 holding `units` units, each with competences and criteria."""
    cqp = CqpFactory(**cqp_kwargs)
    referentiel = ReferentielFactory(cqp=cqp, version=1)
    for index in range(1, units + 1):
        unit = UnitFactory(referentiel=referentiel, code=f"BC{index:02d}", order=index)
        for c in range(1, competences + 1):
            CompetenceFactory(unit=unit, order=c)
        for c in range(1, criteria + 1):
            CriterionFactory(unit=unit, order=c)
    return cqp
