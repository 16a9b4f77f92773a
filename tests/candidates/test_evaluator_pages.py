"""The evaluator's pages: list, dossier page, positioning, training plan, assessments, ready."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from candidates import services
from candidates.models import (
    AcquiredUnit,
    CarriedOverUnit,
    CriterionAssessment,
    Dossier,
    DossierEvent,
    DossierStatus,
    Pathway,
    PositioningAssessment,
    TrainingPlan,
    UnitAssessment,
)
from certifications import services as catalogue
from certifications.models import Habilitation
from cqp.models import OutgoingEmail
from tests import factories
from tests.candidates import evaluation
from tests.candidates.conftest import make_candidate
from tests.candidates.test_evaluator_space import admissible_dossier

S = DossierStatus
LIST = reverse("evaluators:dossier_list")


@pytest.fixture(autouse=True)
def english(client):
    """Pages and messages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def today():
    return timezone.localdate()


def iso(day):
    return day.isoformat()


def assigned(candidate, cqp, staff, evaluator):
    dossier = admissible_dossier(candidate, cqp, staff)
    services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    dossier.refresh_from_db()
    return dossier


def accredited(branch, email):
    user = factories.UserFactory(email=email)
    factories.AccreditationFactory(user=user, branch=branch)
    return user


def open_cqp_with_units(branch, staff, cpnef, code, *, units, competences=3, criteria=3):
    """An approved CQP whose published version 1 has `units` units."""
    cqp = factories.cqp_with_referentiel(
        branch=branch,
        code=code,
        title=f"Métier {code}",
        units=units,
        competences=competences,
        criteria=criteria,
    )
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(cqp=cqp, outcome="approve", meeting_date=today(), actor=cpnef)
    cqp.refresh_from_db()
    return cqp


def units_of(dossier):
    return list(dossier.referentiel.units.order_by("order", "id"))


def shown(response):
    """The messages the response carries (or left for the next page)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(dossier):
    """What a refused action must leave untouched."""
    dossier.refresh_from_db()
    return (
        dossier.status,
        dossier.evaluator_id,
        dossier.pathway,
        dossier.training_provider_id,
        dossier.evaluator_due_on,
        DossierEvent.objects.filter(dossier=dossier).count(),
        PositioningAssessment.objects.filter(dossier=dossier).count(),
        list(TrainingPlan.objects.filter(dossier=dossier).values_list("provider_id", "end_date")),
        list(UnitAssessment.objects.filter(dossier=dossier).values_list("unit_id", "result")),
        CriterionAssessment.objects.filter(assessment__dossier=dossier).count(),
        OutgoingEmail.objects.count(),
    )


def positioning_data(dossier, recommendation=Pathway.VAE, **overrides):
    data = {
        "assessed_on": iso(today()),
        "recommendation": recommendation,
        "justification": "Cinq ans d'expérience en agence.",
        "eligibility_valid_until": iso(today() + datetime.timedelta(days=3 * 365)),
    }
    for unit in services.units_to_acquire(dossier):
        data[f"unit_{unit.pk}_result"] = "partly"
        data[f"unit_{unit.pk}_comment"] = f"Bien engagé sur {unit.code}."
        data[f"unit_{unit.pk}_hours"] = "35" if recommendation == Pathway.TRAINING else ""
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def plan_data(dossier, provider, **overrides):
    data = {
        "provider": provider.pk,
        "start_date": iso(today()),
        "end_date": iso(today() + datetime.timedelta(weeks=12)),
        "funding": dossier.funding,
    }
    for unit in services.units_to_acquire(dossier):
        data[f"unit_{unit.pk}_covered"] = "on"
        data[f"unit_{unit.pk}_hours"] = "35"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def assessment_data(unit, result="validated", met="met", **overrides):
    data = {
        "assessed_on": iso(today()),
        "modality": "interview",
        "result": result,
        "comment": "" if result == "validated" else "Critères non atteints.",
    }
    for criterion in unit.criteria.all():
        data[f"criterion_{criterion.pk}"] = met
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def url(name, dossier, *args):
    return reverse(f"evaluators:{name}", args=[dossier.pk, *args])


@pytest.fixture
def dossier(candidate, open_cqp, staff, evaluator):
    """A dossier assigned to `evaluator`, waiting for the positioning."""
    return assigned(candidate, open_cqp, staff, evaluator)


@pytest.fixture
def colleague(branch, open_cqp):
    return accredited(branch, "colleague@example.org")


@pytest.fixture
def as_evaluator(client, evaluator):
    client.force_login(evaluator)
    return client


# --- who sees what -----------------------------------------------------------------------------


def every_url(dossier):
    unit = units_of(dossier)[0]
    return [
        url("dossier_detail", dossier),
        url("positioning", dossier),
        url("training_plan", dossier),
        url("start_evaluation", dossier),
        url("unit_assessment", dossier, unit.pk),
        url("declare_ready", dossier),
        url("conflict", dossier),
    ]


def test_it_rejects_another_evaluators_dossier_on_every_url(
    client, other_candidate, open_cqp, staff, evaluator, colleague
):
    theirs = assigned(other_candidate, open_cqp, staff, colleague)
    before = snapshot(theirs)
    client.force_login(evaluator)

    for address in every_url(theirs):
        assert client.get(address).status_code in (404, 405), address
        assert client.post(address, {"reason": "x", "comment": "x"}).status_code == 404, address

    assert snapshot(theirs) == before
    assert theirs.reference not in client.get(LIST).content.decode()


def test_a_reassigned_dossier_is_gone_for_the_former_evaluator(
    client, dossier, staff, evaluator, colleague
):
    services.dossier_reassign_evaluator(
        dossier=dossier, evaluator=colleague, actor=staff, comment="Indisponible."
    )
    client.force_login(evaluator)
    for address in every_url(dossier):
        assert client.get(address).status_code in (404, 405), address
        assert client.post(address).status_code == 404, address
    assert dossier.reference not in client.get(LIST).content.decode()

    client.force_login(colleague)
    assert client.get(url("dossier_detail", dossier)).status_code == 200


def test_the_candidate_the_staff_and_a_superuser_do_not_enter_the_evaluator_pages(
    client, dossier, candidate, staff, superuser
):
    for user in (candidate.user, staff, superuser):
        client.force_login(user)
        for address in every_url(dossier):
            assert client.get(address).status_code in (404, 405), (user, address)
            assert client.post(address).status_code == 404, (user, address)
    for user in (candidate.user, staff):
        client.force_login(user)
        assert client.get(LIST).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, dossier):
    for address in [LIST, *every_url(dossier)]:
        for response in (client.get(address), client.post(address)):
            assert response.status_code == 302, address
            assert response["Location"].startswith(reverse("login")), address


def test_an_unknown_dossier_is_404(as_evaluator):
    assert as_evaluator.get(reverse("evaluators:dossier_detail", args=[999999])).status_code == 404


def test_the_pieces_link_to_the_access_checked_download(as_evaluator, dossier):
    piece = dossier.documents.get()
    page = as_evaluator.get(url("dossier_detail", dossier))

    download = reverse("candidates:document_download", args=[dossier.pk, piece.pk])
    assert download in page.content.decode()
    assert as_evaluator.get(download).status_code == 200


# --- the dossier page ----------------------------------------------------------------------------


def test_the_dossier_page_shows_the_candidate_the_referentiel_and_the_actions(
    as_evaluator, dossier, candidate
):
    Dossier.objects.filter(pk=dossier.pk).update(
        evaluator_due_on=today() - datetime.timedelta(days=1)
    )
    candidate.employer_name = "Agence du Centre"
    candidate.employer_siret = factories.make_siret(7)
    candidate.save()

    page = as_evaluator.get(url("dossier_detail", dossier))

    html = page.content.decode()
    assert page.status_code == 200
    for text in (candidate.last_name, "Lyon", "Agence du Centre", candidate.employer_siret):
        assert text in html
    unit = units_of(dossier)[0]
    assert unit.title in html
    assert unit.criteria.first().text in html
    assert page.context["overdue"] and "overdue" in html
    assert page.context["can_position"] and page.context["can_conflict"]
    assert not page.context["can_start"] and not page.context["can_assess"]
    assert url("positioning", dossier) in html
    assert [e.action for e in page.context["events"]][-1] == "assign_evaluator"


# --- positioning ------------------------------------------------------------------------------


def post_refused(client, address, data, dossier, *expected):
    """POST, expect the form back (200) with each expected text, and nothing written."""
    before = snapshot(dossier)
    response = client.post(address, data)
    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html, text
    assert snapshot(dossier) == before
    return response


def test_the_positioning_form_offers_each_unit_with_defaults(as_evaluator, dossier):
    page = as_evaluator.get(url("positioning", dossier))

    form = page.context["form"]
    assert form["assessed_on"].value() == today()
    assert form["eligibility_valid_until"].value() > today() + datetime.timedelta(days=3 * 365 - 2)
    names = {f"unit_{u.pk}_{n}" for u in units_of(dossier) for n in ("result", "comment", "hours")}
    assert names <= set(form.fields)
    html = page.content.decode()
    assert 'type="date"' in html and "<details" in html


def test_it_refuses_a_positioning_without_justification(as_evaluator, dossier):
    data = positioning_data(dossier, justification="   ")
    post_refused(
        as_evaluator, url("positioning", dossier), data, dossier, "Justify the recommendation."
    )


def test_it_refuses_a_training_positioning_without_hours(as_evaluator, dossier):
    unit = units_of(dossier)[0]
    data = positioning_data(dossier, Pathway.TRAINING, **{f"unit_{unit.pk}_hours": ""})
    response = post_refused(
        as_evaluator,
        url("positioning", dossier),
        data,
        dossier,
        f"Estimate the training hours for {unit.code}",
    )
    # The data is kept.
    assert response.context["form"]["justification"].value() == data["justification"]


def test_it_refuses_a_vae_positioning_without_validity(as_evaluator, dossier):
    data = positioning_data(dossier, eligibility_valid_until="")
    post_refused(
        as_evaluator,
        url("positioning", dossier),
        data,
        dossier,
        "Give the end of validity of the VAE eligibility.",
    )


def test_it_refuses_a_positioning_dated_in_the_future(as_evaluator, dossier):
    data = positioning_data(dossier, assessed_on=iso(today() + datetime.timedelta(days=1)))
    post_refused(
        as_evaluator,
        url("positioning", dossier),
        data,
        dossier,
        "The assessment date cannot be in the future.",
    )


def test_it_refuses_a_required_unit_without_result(as_evaluator, dossier):
    unit = units_of(dossier)[1]
    data = positioning_data(dossier, **{f"unit_{unit.pk}_result": None})
    post_refused(
        as_evaluator, url("positioning", dossier), data, dossier, "Choose a result for this unit."
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", "trente", "Enter a whole number."),
        ("hours", "-3", "Ensure this value is greater than or equal to 0."),
        ("hours", "99999", "Ensure this value is less than or equal to 2000."),
        ("result", "excellent", "Select a valid choice."),
    ],
)
def test_it_refuses_malformed_unit_values(as_evaluator, dossier, field, value, message):
    unit = units_of(dossier)[0]
    data = positioning_data(dossier, Pathway.TRAINING, **{f"unit_{unit.pk}_{field}": value})
    post_refused(as_evaluator, url("positioning", dossier), data, dossier, message)


def test_it_ignores_fields_of_units_outside_the_dossier(as_evaluator, dossier, other_cqp):
    foreign = other_cqp.referentiels.get().units.first()
    data = {key: value for key, value in positioning_data(dossier).items() if "unit_" not in key}
    data[f"unit_{foreign.pk}_result"] = "acquired"
    post_refused(
        as_evaluator, url("positioning", dossier), data, dossier, "Choose a result for this unit."
    )


def test_it_refuses_a_bad_recommendation_and_a_bad_date(as_evaluator, dossier):
    data = positioning_data(dossier, recommendation="both", assessed_on="hier")
    post_refused(
        as_evaluator,
        url("positioning", dossier),
        data,
        dossier,
        "Select a valid choice.",
        "Enter a valid date.",
    )


def test_a_training_positioning_ignores_the_eligibility_field(as_evaluator, dossier):
    data = positioning_data(dossier, Pathway.TRAINING, eligibility_valid_until="n/a")

    response = as_evaluator.post(url("positioning", dossier), data)

    assert response.status_code == 302
    positioning = PositioningAssessment.objects.get(dossier=dossier)
    assert (positioning.recommendation, positioning.eligibility_valid_until) == ("training", None)
    assert {line.estimated_hours for line in positioning.units.all()} == {35}


def test_an_optional_unit_may_be_left_blank(client, candidate, branch, staff, cpnef):
    cqp = open_cqp_with_units(branch, staff, cpnef, "OPT", units=3)
    referentiel = cqp.referentiels.get()
    optional = referentiel.units.get(code="BC03")
    optional.is_optional = True
    optional.save()
    evaluator = accredited(branch, "eval.opt@example.org")
    dossier = assigned(candidate, cqp, staff, evaluator)
    client.force_login(evaluator)
    page = client.get(url("positioning", dossier))
    assert "Optional unit: leave it blank" in page.content.decode()

    data = positioning_data(
        dossier,
        **{f"unit_{optional.pk}_result": None, f"unit_{optional.pk}_comment": ""},
    )
    response = client.post(url("positioning", dossier), data)

    assert response.status_code == 302
    positioning = PositioningAssessment.objects.get(dossier=dossier)
    assert sorted(line.unit.code for line in positioning.units.all()) == ["BC01", "BC02"]


def test_a_second_post_of_the_positioning_is_refused_clearly(as_evaluator, dossier):
    """A double click: the first POST records, the second is sent back with the reason."""
    data = positioning_data(dossier)
    first = as_evaluator.post(url("positioning", dossier), data)
    assert first.status_code == 302

    second = as_evaluator.post(url("positioning", dossier), data)

    assert second["Location"] == url("dossier_detail", dossier)
    assert "“Record the positioning” is not possible while the status is “VAE pathway”." in shown(
        second
    )
    assert PositioningAssessment.objects.filter(dossier=dossier).count() == 1
    assert dossier.events.filter(action="choose_vae").count() == 1


def test_it_refuses_a_vae_eligibility_beyond_the_longest_validity(as_evaluator, dossier):
    longest = services.years_later(today(), services.MAX_ELIGIBILITY_YEARS)
    page = as_evaluator.get(url("positioning", dossier))
    assert f"{services.MAX_ELIGIBILITY_YEARS} at most" in page.content.decode()
    too_long = positioning_data(
        dossier, eligibility_valid_until=iso(longest + datetime.timedelta(days=1))
    )
    post_refused(
        as_evaluator,
        url("positioning", dossier),
        too_long,
        dossier,
        f"A VAE eligibility is valid for {services.MAX_ELIGIBILITY_YEARS} years at most.",
    )

    response = as_evaluator.post(
        url("positioning", dossier), positioning_data(dossier, eligibility_valid_until=iso(longest))
    )

    assert response.status_code == 302
    assert PositioningAssessment.objects.get(dossier=dossier).eligibility_valid_until == longest


def test_the_positioning_is_refused_outside_the_positioning_status(
    as_evaluator, dossier, evaluator
):
    evaluation.position(dossier, evaluator, Pathway.VAE)
    before = snapshot(dossier)

    for response in (
        as_evaluator.get(url("positioning", dossier)),
        as_evaluator.post(url("positioning", dossier), positioning_data(dossier)),
    ):
        assert response.status_code == 302
        assert response["Location"] == url("dossier_detail", dossier)
        assert any("Record the positioning" in m and "VAE pathway" in m for m in shown(response))
    assert snapshot(dossier) == before


# --- training plan -----------------------------------------------------------------------------


@pytest.fixture
def training_dossier(dossier, evaluator):
    evaluation.position(dossier, evaluator, Pathway.TRAINING)
    dossier.refresh_from_db()
    return dossier


def test_the_plan_form_offers_providers_whose_training_habilitation_has_not_ended(
    as_evaluator, training_dossier, open_cqp, other_cqp
):
    trainer = evaluation.habilitated_provider(open_cqp, name="Formations Centre")
    upcoming = factories.ProviderFactory(name="Nouvel Organisme")
    starts = today() + datetime.timedelta(days=30)
    factories.HabilitationFactory(
        provider=upcoming,
        cqp=open_cqp,
        scope=Habilitation.Scope.TRAIN_AND_EVALUATE,
        valid_from=starts,
    )
    last_day = factories.ProviderFactory(name="Dernier Jour")
    factories.HabilitationFactory(
        provider=last_day, cqp=open_cqp, scope=Habilitation.Scope.TRAIN, valid_until=today()
    )
    evaluator_only = factories.ProviderFactory(name="Jury Conseil")
    factories.HabilitationFactory(
        provider=evaluator_only, cqp=open_cqp, scope=Habilitation.Scope.EVALUATE
    )
    expired = factories.ProviderFactory(name="Ancien Organisme")
    factories.HabilitationFactory(
        provider=expired,
        cqp=open_cqp,
        scope=Habilitation.Scope.TRAIN,
        valid_from=today() - datetime.timedelta(days=400),
        valid_until=today() - datetime.timedelta(days=1),
    )
    elsewhere = evaluation.habilitated_provider(other_cqp, name="Organisme Ailleurs")

    page = as_evaluator.get(url("training_plan", training_dossier))

    form = page.context["form"]
    assert list(form.fields["provider"].queryset) == [last_day, trainer, upcoming]
    html = page.content.decode()
    with translation.override("en"):
        assert (
            f"Nouvel Organisme (habilitated from {date_format(starts, 'SHORT_DATE_FORMAT')})"
            in html
        )
    assert "now or from a later date" in html
    for unit in units_of(training_dossier):
        # From the positioning: every unit "partly", 35 hours.
        assert form[f"unit_{unit.pk}_covered"].value() is True
        assert form[f"unit_{unit.pk}_hours"].value() == 35
    assert form["funding"].value() == training_dossier.funding
    before = snapshot(training_dossier)
    response = as_evaluator.post(
        url("training_plan", training_dossier), plan_data(training_dossier, elsewhere)
    )
    assert "Choose a provider habilitated to train for this CQP." in response.content.decode()
    assert snapshot(training_dossier) == before


def test_a_plan_starting_with_an_upcoming_habilitation_is_accepted(
    as_evaluator, training_dossier, open_cqp
):
    upcoming = factories.ProviderFactory(name="Nouvel Organisme")
    starts = today() + datetime.timedelta(days=30)
    factories.HabilitationFactory(
        provider=upcoming, cqp=open_cqp, scope=Habilitation.Scope.TRAIN, valid_from=starts
    )
    address = url("training_plan", training_dossier)
    # Starting today, before the habilitation: the service refuses it, the form says why.
    post_refused(
        as_evaluator,
        address,
        plan_data(training_dossier, upcoming),
        training_dossier,
        "Nouvel Organisme holds no habilitation to train for this CQP valid over the whole",
    )

    ends = starts + datetime.timedelta(weeks=10)
    response = as_evaluator.post(
        address,
        plan_data(training_dossier, upcoming, start_date=iso(starts), end_date=iso(ends)),
    )

    assert response.status_code == 302
    plan = TrainingPlan.objects.get(dossier=training_dossier)
    assert (plan.provider, plan.start_date, plan.end_date) == (upcoming, starts, ends)


def test_it_refuses_a_plan_longer_than_the_longest_training(
    as_evaluator, training_dossier, open_cqp
):
    provider = evaluation.habilitated_provider(open_cqp)
    longest = services.years_later(today(), services.MAX_TRAINING_YEARS)
    data = plan_data(training_dossier, provider, end_date=iso(longest + datetime.timedelta(days=1)))
    post_refused(
        as_evaluator,
        url("training_plan", training_dossier),
        data,
        training_dossier,
        f"A training plan lasts {services.MAX_TRAINING_YEARS} years at most.",
    )


def test_the_covered_box_comes_before_its_label(as_evaluator, training_dossier):
    html = as_evaluator.get(url("training_plan", training_dossier)).content.decode()
    for unit in units_of(training_dossier):
        box = html.index(f'id="id_unit_{unit.pk}_covered"')
        label = html.index(f'for="id_unit_{unit.pk}_covered"')
        assert box < label


def test_it_refuses_a_provider_whose_habilitation_ends_before_the_training(
    as_evaluator, training_dossier, open_cqp
):
    provider = factories.ProviderFactory(name="Organisme Bref")
    factories.HabilitationFactory(
        provider=provider,
        cqp=open_cqp,
        scope=Habilitation.Scope.TRAIN_AND_EVALUATE,
        valid_until=today() + datetime.timedelta(days=30),
    )
    response = post_refused(
        as_evaluator,
        url("training_plan", training_dossier),
        plan_data(training_dossier, provider),
        training_dossier,
        "Organisme Bref holds no habilitation to train for this CQP valid over the whole training",
    )
    assert response.context["form"]["provider"].value() == str(provider.pk)


def test_it_refuses_a_covered_unit_without_hours_and_malformed_hours(
    as_evaluator, training_dossier, open_cqp
):
    provider = evaluation.habilitated_provider(open_cqp)
    first, second = units_of(training_dossier)
    data = plan_data(
        training_dossier,
        provider,
        **{f"unit_{first.pk}_hours": "", f"unit_{second.pk}_hours": "beaucoup"},
    )
    post_refused(
        as_evaluator,
        url("training_plan", training_dossier),
        data,
        training_dossier,
        "Give the hours of this unit, or untick it.",
        "Enter a whole number.",
    )


def test_it_refuses_a_plan_ending_before_it_starts_or_covering_nothing(
    as_evaluator, training_dossier, open_cqp
):
    provider = evaluation.habilitated_provider(open_cqp)
    address = url("training_plan", training_dossier)
    data = plan_data(training_dossier, provider, end_date=iso(today() - datetime.timedelta(days=1)))
    post_refused(
        as_evaluator, address, data, training_dossier, "The training cannot end before it starts."
    )
    nothing = {k: v for k, v in plan_data(training_dossier, provider).items() if "covered" not in k}
    post_refused(
        as_evaluator, address, nothing, training_dossier, "The training covers at least one unit."
    )


def test_a_unit_left_unticked_is_not_in_the_plan(as_evaluator, training_dossier, open_cqp):
    provider = evaluation.habilitated_provider(open_cqp)
    first, second = units_of(training_dossier)
    data = plan_data(training_dossier, provider, **{f"unit_{second.pk}_covered": None})

    response = as_evaluator.post(url("training_plan", training_dossier), data)

    assert response.status_code == 302
    plan = TrainingPlan.objects.get(dossier=training_dossier)
    assert [(line.unit_id, line.hours) for line in plan.units.all()] == [(first.pk, 35)]
    # Changing it: the form starts from the plan.
    form = as_evaluator.get(url("training_plan", training_dossier)).context["form"]
    assert form[f"unit_{second.pk}_covered"].value() is False
    assert form["provider"].value() == provider.pk


def test_the_plan_form_is_refused_on_a_vae_dossier(as_evaluator, dossier, evaluator, open_cqp):
    evaluation.position(dossier, evaluator, Pathway.VAE)
    provider = evaluation.habilitated_provider(open_cqp)
    before = snapshot(dossier)
    for response in (
        as_evaluator.get(url("training_plan", dossier)),
        as_evaluator.post(url("training_plan", dossier), plan_data(dossier, provider)),
    ):
        assert response["Location"] == url("dossier_detail", dossier)
        assert any("Record the training plan" in m for m in shown(response))
    assert snapshot(dossier) == before


# --- start, assess, ready ------------------------------------------------------------------


def test_starting_the_vae_evaluation_without_booklet_is_refused_clearly(
    as_evaluator, dossier, evaluator
):
    evaluation.position(dossier, evaluator, Pathway.VAE)
    page = as_evaluator.get(url("dossier_detail", dossier))
    assert page.context["start_missing"] == ["The candidate has not added their VAE booklet yet."]
    before = snapshot(dossier)

    response = as_evaluator.post(url("start_evaluation", dossier))

    assert response["Location"] == url("dossier_detail", dossier)
    assert shown(response) == ["The candidate has not added their VAE booklet yet."]
    assert snapshot(dossier) == before


def test_the_start_is_refused_in_positioning(as_evaluator, dossier):
    before = snapshot(dossier)
    response = as_evaluator.post(url("start_evaluation", dossier))
    assert any("Start the evaluation" in m for m in shown(response))
    assert snapshot(dossier) == before
    assert as_evaluator.get(url("start_evaluation", dossier)).status_code == 405


@pytest.fixture
def evaluating(dossier, evaluator):
    evaluation.to_evaluation(dossier, evaluator, Pathway.VAE)
    dossier.refresh_from_db()
    return dossier


def test_the_assessment_form_lists_the_criteria_and_prefills_a_change(
    as_evaluator, evaluating, evaluator
):
    unit = units_of(evaluating)[0]
    page = as_evaluator.get(url("unit_assessment", evaluating, unit.pk))
    html = page.content.decode()
    assert unit.title in html and unit.competences.first().text in html
    assert [f.name for f in page.context["form"].criterion_fields()] == [
        f"criterion_{c.pk}" for c in unit.criteria.all()
    ]

    evaluation.assess(evaluating, evaluator, unit, "not_validated", modality="case_study")
    form = as_evaluator.get(url("unit_assessment", evaluating, unit.pk)).context["form"]
    assert form["result"].value() == "not_validated"
    assert form["modality"].value() == "case_study"
    assert all(field.value() == "not_met" for field in form.criterion_fields())


def test_it_refuses_an_assessment_with_a_criterion_missing(as_evaluator, evaluating):
    unit = units_of(evaluating)[0]
    criterion = unit.criteria.first()
    data = assessment_data(unit, **{f"criterion_{criterion.pk}": None})
    post_refused(
        as_evaluator,
        url("unit_assessment", evaluating, unit.pk),
        data,
        evaluating,
        "Say whether this criterion is met.",
    )


def test_it_refuses_a_unit_not_validated_without_comment(as_evaluator, evaluating):
    unit = units_of(evaluating)[0]
    data = assessment_data(unit, "not_validated", met="not_met", comment="  ")
    post_refused(
        as_evaluator,
        url("unit_assessment", evaluating, unit.pk),
        data,
        evaluating,
        "Give the reasons why the unit is not validated.",
    )


def test_it_refuses_malformed_assessment_values(as_evaluator, evaluating):
    unit = units_of(evaluating)[0]
    criterion = unit.criteria.first()
    data = assessment_data(
        unit,
        modality="telepathy",
        assessed_on="31/31/2020",
        result="maybe",
        **{f"criterion_{criterion.pk}": "perhaps"},
    )
    response = post_refused(
        as_evaluator,
        url("unit_assessment", evaluating, unit.pk),
        data,
        evaluating,
        "Select a valid choice.",
        "Enter a valid date.",
    )
    assert set(response.context["form"].errors) == {
        "modality",
        "assessed_on",
        "result",
        f"criterion_{criterion.pk}",
    }


def test_it_refuses_an_assessment_dated_in_the_future(as_evaluator, evaluating):
    unit = units_of(evaluating)[0]
    data = assessment_data(unit, assessed_on=iso(today() + datetime.timedelta(days=3)))
    post_refused(
        as_evaluator,
        url("unit_assessment", evaluating, unit.pk),
        data,
        evaluating,
        "The assessment date cannot be in the future.",
    )


def test_a_unit_of_another_version_is_404(as_evaluator, evaluating, other_cqp):
    foreign = other_cqp.referentiels.get().units.first()
    address = url("unit_assessment", evaluating, foreign.pk)
    before = snapshot(evaluating)
    assert as_evaluator.get(address).status_code == 404
    assert as_evaluator.post(address, assessment_data(foreign)).status_code == 404
    assert snapshot(evaluating) == before


def test_ready_with_a_unit_missing_names_the_unit(as_evaluator, evaluating, evaluator):
    first, second = units_of(evaluating)
    evaluation.assess(evaluating, evaluator, first)
    page = as_evaluator.get(url("dossier_detail", evaluating))
    assert page.context["missing_units"] == [second]
    assert "become read-only" in page.content.decode()
    before = snapshot(evaluating)

    response = as_evaluator.post(url("declare_ready", evaluating), {"comment": ""})

    assert response["Location"] == url("dossier_detail", evaluating)
    assert shown(response) == [f"Assess every required unit first; missing: {second.code}."]
    assert snapshot(evaluating) == before


def test_the_assessments_are_read_only_once_ready(as_evaluator, evaluating, evaluator):
    evaluation.assess_all(evaluating, evaluator)
    services.dossier_declare_ready(dossier=evaluating, actor=evaluator)
    unit = units_of(evaluating)[0]
    before = snapshot(evaluating)
    address = url("unit_assessment", evaluating, unit.pk)

    for response in (
        as_evaluator.get(address),
        as_evaluator.post(address, assessment_data(unit, "not_validated", met="not_met")),
    ):
        assert response["Location"] == url("dossier_detail", evaluating)
        assert any("Assess a unit" in m and "Ready for the jury" in m for m in shown(response))
    assert snapshot(evaluating) == before
    page = as_evaluator.get(url("dossier_detail", evaluating))
    assert not page.context["can_assess"] and not page.context["can_conflict"]
    assert address not in page.content.decode()
    assert "Validated" in page.content.decode()


# --- carried-over units --------------------------------------------------------------------------


@pytest.fixture
def with_carried_unit(candidate, open_cqp, staff, evaluator):
    """A dossier opened once BC01 was acquired: BC01 is carried over."""
    first = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    services.dossier_withdraw(dossier=first, actor=candidate.user)
    bc01 = first.referentiel.units.get(code="BC01")
    AcquiredUnit.objects.create(candidate=candidate, unit=bc01, dossier=first, acquired_on=today())
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    assert dossier.carried_over.get().unit == bc01
    return dossier


def test_a_carried_unit_is_never_positioned_nor_assessed(
    as_evaluator, with_carried_unit, evaluator
):
    dossier = with_carried_unit
    bc01, bc02 = units_of(dossier)
    page = as_evaluator.get(url("positioning", dossier))
    assert f"unit_{bc01.pk}_result" not in page.context["form"].fields
    assert f"unit_{bc02.pk}_result" in page.context["form"].fields

    evaluation.to_evaluation(dossier, evaluator, Pathway.VAE)
    before = snapshot(dossier)
    address = url("unit_assessment", dossier, bc01.pk)
    for response in (as_evaluator.get(address), as_evaluator.post(address, assessment_data(bc01))):
        assert response["Location"] == url("dossier_detail", dossier)
        assert "BC01 is already acquired: it is not assessed again." in shown(response)
    assert snapshot(dossier) == before

    page = as_evaluator.get(url("dossier_detail", dossier))
    html = page.content.decode()
    assert "Already acquired — not assessed" in html
    assert address not in html
    assert url("unit_assessment", dossier, bc02.pk) in html


# --- conflict of interest ----------------------------------------------------------------------


def test_a_conflict_needs_a_reason(as_evaluator, dossier):
    page = as_evaluator.get(url("conflict", dossier))
    assert "disappears from your list" in page.content.decode()
    post_refused(
        as_evaluator,
        url("conflict", dossier),
        {"reason": "  "},
        dossier,
        "Say what the conflict of interest is.",
    )


def test_declaring_a_conflict_hands_the_dossier_back(
    as_evaluator, dossier, staff, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_evaluator.post(url("conflict", dossier), {"reason": "Même employeur."})

    assert response["Location"] == LIST
    assert dossier.reference in shown(response)[0]
    dossier.refresh_from_db()
    assert (dossier.status, dossier.evaluator) == (S.POSITIONING, None)
    assert dossier.events.last().action == "declare_conflict"
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert as_evaluator.get(url("dossier_detail", dossier)).status_code == 404
    assert dossier.reference not in as_evaluator.get(LIST).content.decode()


def test_no_conflict_once_ready(as_evaluator, evaluating, evaluator):
    evaluation.assess_all(evaluating, evaluator)
    services.dossier_declare_ready(dossier=evaluating, actor=evaluator)
    before = snapshot(evaluating)
    for response in (
        as_evaluator.get(url("conflict", evaluating)),
        as_evaluator.post(url("conflict", evaluating), {"reason": "Même employeur."}),
    ):
        assert response["Location"] == url("dossier_detail", evaluating)
    assert snapshot(evaluating) == before


# --- the happy paths, through the pages ---------------------------------------------------------


def step(client, capture, address, data=None, *, expect_status=None, dossier=None):
    with capture(execute=True):
        response = client.post(address, data or {})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url("dossier_detail", dossier)
    levels = [m.level_tag for m in get_messages(response.wsgi_request)]
    assert levels == ["success"], shown(response)
    dossier.refresh_from_db()
    if expect_status:
        assert dossier.status == expect_status
    return response


def emails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def assess_everything_and_declare_ready(client, capture, dossier):
    for unit in services.units_to_acquire(dossier):
        page = client.get(url("unit_assessment", dossier, unit.pk))
        assert page.status_code == 200
        step(
            client,
            capture,
            url("unit_assessment", dossier, unit.pk),
            assessment_data(unit),
            expect_status=S.EVALUATION,
            dossier=dossier,
        )
    detail = client.get(url("dossier_detail", dossier))
    assert detail.context["missing_units"] == []
    step(
        client,
        capture,
        url("declare_ready", dossier),
        {"comment": "Dossier complet."},
        expect_status=S.READY_FOR_JURY,
        dossier=dossier,
    )


def test_an_evaluator_takes_a_dossier_through_the_vae_pathway(
    as_evaluator, dossier, candidate, staff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()

    step(
        as_evaluator,
        capture,
        url("positioning", dossier),
        positioning_data(dossier),
        expect_status=S.VAE,
        dossier=dossier,
    )
    assert dossier.pathway == Pathway.VAE and dossier.vae_requested_on == today()
    detail = as_evaluator.get(url("dossier_detail", dossier))
    assert detail.context["positioning"].recommendation == Pathway.VAE
    assert "Cinq ans d&#x27;expérience en agence." in detail.content.decode()

    evaluation.add_booklet(dossier)
    detail = as_evaluator.get(url("dossier_detail", dossier))
    assert detail.context["can_start"] and detail.context["start_missing"] == []
    step(
        as_evaluator,
        capture,
        url("start_evaluation", dossier),
        expect_status=S.EVALUATION,
        dossier=dossier,
    )
    assess_everything_and_declare_ready(as_evaluator, capture, dossier)

    actions = list(dossier.events.values_list("action", flat=True))
    assert actions[-6:] == [
        "choose_vae",
        "add_piece",
        "start_evaluation",
        "assess_unit",
        "assess_unit",
        "declare_ready",
    ]
    assert UnitAssessment.objects.filter(dossier=dossier, result="validated").count() == 2
    to_candidate = emails_to(candidate.user.email)
    assert len(to_candidate) == 3  # VAE chosen, evaluation started, ready for the jury
    assert all(dossier.reference in m.subject for m in to_candidate)
    assert len(emails_to(staff.email)) == 1
    page = as_evaluator.get(url("dossier_detail", dossier))
    assert "Ready for the jury" in page.content.decode()


def test_an_evaluator_takes_a_dossier_through_the_training_pathway(
    as_evaluator, dossier, candidate, staff, open_cqp, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    provider = evaluation.habilitated_provider(open_cqp, name="Formations Centre")
    mail.outbox.clear()

    step(
        as_evaluator,
        capture,
        url("positioning", dossier),
        positioning_data(dossier, Pathway.TRAINING, eligibility_valid_until=""),
        expect_status=S.TRAINING,
        dossier=dossier,
    )
    detail = as_evaluator.get(url("dossier_detail", dossier))
    assert detail.context["start_missing"] == ["Record the training plan first."]
    assert url("training_plan", dossier) in detail.content.decode()

    step(
        as_evaluator,
        capture,
        url("training_plan", dossier),
        plan_data(dossier, provider),
        expect_status=S.TRAINING,
        dossier=dossier,
    )
    assert dossier.training_provider == provider
    assert dossier.evaluator_due_on == today() + datetime.timedelta(weeks=12)
    detail = as_evaluator.get(url("dossier_detail", dossier))
    assert detail.context["training_plan"].total_hours == 70
    assert "Formations Centre" in detail.content.decode()

    step(
        as_evaluator,
        capture,
        url("start_evaluation", dossier),
        expect_status=S.EVALUATION,
        dossier=dossier,
    )
    assess_everything_and_declare_ready(as_evaluator, capture, dossier)

    actions = list(dossier.events.values_list("action", flat=True))
    assert actions[-6:] == [
        "choose_training",
        "plan_training",
        "start_evaluation",
        "assess_unit",
        "assess_unit",
        "declare_ready",
    ]
    # Training chosen, plan recorded, evaluation started, ready for the jury.
    assert len(emails_to(candidate.user.email)) == 4
    assert len(emails_to(staff.email)) == 1


# --- the list: filters, counts, next step, pagination -----------------------------------------


def make_dossier(evaluator, cqp, status, *, due=None, index=0, **fields):
    """A dossier written straight in a status (the list only reads)."""
    return Dossier.objects.create(
        candidate=make_candidate(f"list{index}-{status}@example.org"),
        cqp=cqp,
        referentiel=cqp.referentiels.order_by("-version").first(),
        reference=f"T-{status[:6]}-{index:04d}",
        funding="cpf",
        status=status,
        evaluator=evaluator,
        evaluator_due_on=due,
        **fields,
    )


@pytest.fixture
def listed(evaluator, open_cqp, branch, staff, cpnef, colleague):
    second_cqp = open_cqp_with_units(branch, staff, cpnef, "GL", units=2)
    return {
        "late": make_dossier(
            evaluator, open_cqp, S.POSITIONING, due=today() - datetime.timedelta(days=2), index=1
        ),
        "soon": make_dossier(
            evaluator, open_cqp, S.VAE, due=today() + datetime.timedelta(days=3), index=2
        ),
        "later": make_dossier(
            evaluator, second_cqp, S.TRAINING, due=today() + datetime.timedelta(days=20), index=3
        ),
        "undated": make_dossier(evaluator, second_cqp, S.EVALUATION, index=4),
        "closed": make_dossier(evaluator, open_cqp, S.CERTIFIED, index=5),
        "theirs": make_dossier(colleague, open_cqp, S.POSITIONING, index=6),
        "second_cqp": second_cqp,
    }


def listed_refs(response):
    return {d.reference for d in response.context["dossiers"]}


def test_the_list_shows_open_dossiers_with_counts_and_next_steps(as_evaluator, listed):
    page = as_evaluator.get(LIST)

    assert page.status_code == 200
    assert listed_refs(page) == {listed[k].reference for k in ("late", "soon", "later", "undated")}
    counts = {row["label"]: row["count"] for row in page.context["status_counts"]}
    assert counts == {
        "Every open dossier": 4,
        "Positioning": 1,
        "VAE pathway": 1,
        "Training pathway": 1,
        "Evaluation": 1,
        "Closed": 1,
    }
    html = page.content.decode()
    assert f"{LIST}?status=vae" in html
    steps = {d.reference: d.next_step for d in page.context["dossiers"]}
    assert steps == {
        listed["late"].reference: "Record the positioning",
        listed["soon"].reference: "Waiting for the VAE booklet",
        listed["later"].reference: "Record the training plan",
        listed["undated"].reference: "Assess the units (0 of 2 done)",
    }
    # By due date, the dossier without one last.
    assert [d.reference for d in page.context["dossiers"]] == [
        listed[k].reference for k in ("late", "soon", "later", "undated")
    ]
    overdue = [d.reference for d in page.context["dossiers"] if d.overdue]
    assert overdue == [listed["late"].reference]
    assert f'href="{url("dossier_detail", listed["late"])}"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "vae"}, ["soon"]),
        ({"status": "closed"}, ["closed"]),
        ({"due": "overdue"}, ["late"]),
        ({"due": "week"}, ["soon"]),
        ({"due": "month"}, ["soon", "later"]),
        ({"due": "none"}, ["undated"]),
        ({"status": "training", "due": "month"}, ["later"]),
    ],
)
def test_the_list_filters(as_evaluator, listed, query, expected):
    page = as_evaluator.get(LIST, query)
    assert listed_refs(page) == {listed[k].reference for k in expected}
    assert page.context["filtered"]


def test_the_list_filters_on_a_cqp_of_the_evaluator_only(as_evaluator, listed, other_cqp):
    page = as_evaluator.get(LIST, {"cqp": listed["second_cqp"].pk})
    assert listed_refs(page) == {listed["later"].reference, listed["undated"].reference}

    refused = as_evaluator.get(LIST, {"cqp": other_cqp.pk})
    assert refused.status_code == 200
    assert "cqp" in refused.context["filter_form"].errors
    assert len(listed_refs(refused)) == 4


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nonsense"},
        {"status": "draft"},
        {"due": "yesterday"},
        {"cqp": "abc"},
        {"cqp": "999999"},
        {"status": "vae", "due": "soonish"},
    ],
)
def test_unknown_filter_values_are_reported_and_ignored(as_evaluator, listed, query):
    page = as_evaluator.get(LIST, query)

    assert page.status_code == 200
    assert page.context["filter_form"].errors
    html = page.content.decode()
    assert "Some filters were not understood" in html
    assert "Select a valid choice." in html
    assert len(listed_refs(page)) == 4
    assert not page.context["filtered"]


def test_the_list_shows_25_dossiers_a_page(as_evaluator, evaluator, open_cqp):
    for index in range(30):
        make_dossier(evaluator, open_cqp, S.POSITIONING, index=index)

    first = as_evaluator.get(LIST)
    second = as_evaluator.get(LIST, {"page": 2, "status": "positioning"})

    assert len(first.context["dossiers"]) == 25
    assert len(second.context["dossiers"]) == 5
    assert "status=positioning&amp;page=1" in second.content.decode()


# --- query bounds ------------------------------------------------------------------------------


# List: session, user, accreditation, the CQP filter (checked, then listed), counts per status,
# paginator's count, the page's dossiers, their progress (computed for the page only),
# navigation (memberships, profile, jury seat).
LIST_QUERIES = 12
# Dossier page: session, user, dossier, pieces, units with competences and criteria, carried
# over, positioning and plan with their lines (read twice: by the units' selector and for the
# summary), assessments with criteria, units missing an assessment, history, navigation.
DETAIL_QUERIES = 27


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_keeps_its_query_count(
    as_evaluator, evaluator, open_cqp, django_assert_max_num_queries, count
):
    statuses = [S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION, S.READY_FOR_JURY]
    for index in range(count):
        make_dossier(
            evaluator,
            open_cqp,
            statuses[index % len(statuses)],
            due=today() + datetime.timedelta(days=index),
            index=index,
        )
    with django_assert_max_num_queries(LIST_QUERIES):
        page = as_evaluator.get(LIST, {"due": "month", "cqp": open_cqp.pk})
    assert page.status_code == 200


@pytest.mark.parametrize("units", [2, 12])
def test_the_dossier_page_keeps_its_query_count(
    client, candidate, branch, staff, cpnef, django_assert_max_num_queries, units
):
    cqp = open_cqp_with_units(branch, staff, cpnef, f"Q{units}", units=units)
    evaluator = accredited(branch, "eval.q@example.org")
    dossier = assigned(candidate, cqp, staff, evaluator)
    evaluation.to_evaluation(dossier, evaluator, Pathway.TRAINING)
    evaluation.assess_all(dossier, evaluator)
    client.force_login(evaluator)

    with django_assert_max_num_queries(DETAIL_QUERIES):
        page = client.get(url("dossier_detail", dossier))

    assert page.status_code == 200
    assert len(page.context["units"]) == units
    assert all(unit.assessment for unit in page.context["units"])
    assert page.content.decode().count('class="criterion-met"') == units * 3


# Assessment page: session, user, dossier, accreditation (and whether it lists CQPs), the unit
# with its competences and criteria, carried over, the one assessment with its criteria, its
# evaluator's conflict, navigation (memberships, candidate profile, accreditation).
ASSESSMENT_QUERIES = 16  # with the jury seat (navigation)


@pytest.mark.parametrize("units", [2, 12])
def test_the_assessment_page_keeps_its_query_count(
    client, candidate, branch, staff, cpnef, django_assert_max_num_queries, units
):
    cqp = open_cqp_with_units(branch, staff, cpnef, f"A{units}", units=units)
    evaluator = accredited(branch, "eval.a@example.org")
    dossier = assigned(candidate, cqp, staff, evaluator)
    evaluation.to_evaluation(dossier, evaluator, Pathway.VAE)
    evaluation.assess_all(dossier, evaluator)
    unit = units_of(dossier)[-1]
    client.force_login(evaluator)

    with django_assert_max_num_queries(ASSESSMENT_QUERIES):
        page = client.get(url("unit_assessment", dossier, unit.pk))

    assert page.status_code == 200
    assert page.context["assessment"].unit_id == unit.pk


# --- a lapsed accreditation ----------------------------------------------------------------------

LAPSED = (
    "Your accreditation for this CQP is no longer valid: you can read the dossier but not act; "
    "the branch will assign another evaluator."
)


def lapse(evaluator):
    evaluator.evaluator_accreditations.update(valid_until=today() - datetime.timedelta(days=1))


def test_with_a_lapsed_accreditation_the_dossier_page_reads_but_offers_no_action(
    as_evaluator, evaluating, evaluator
):
    evaluation.assess(evaluating, evaluator, units_of(evaluating)[0])
    lapse(evaluator)

    page = as_evaluator.get(url("dossier_detail", evaluating))

    assert page.status_code == 200
    html = page.content.decode()
    assert LAPSED in html
    for flag in ("can_position", "can_plan", "can_start", "can_assess", "can_ready"):
        assert not page.context[flag], flag
    assert not page.context["can_conflict"] and page.context["ready_form"] is None
    for unit in units_of(evaluating):
        assert url("unit_assessment", evaluating, unit.pk) not in html
    assert url("declare_ready", evaluating) not in html
    assert url("conflict", evaluating) not in html
    assert "Validated" in html  # the work done stays readable
    assert evaluating.reference in as_evaluator.get(LIST).content.decode()


def test_with_a_valid_accreditation_the_notice_is_not_shown(as_evaluator, evaluating):
    page = as_evaluator.get(url("dossier_detail", evaluating))
    assert page.context["accredited"] and LAPSED not in page.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "positioning",
        "training_plan",
        "start_evaluation",
        "unit_assessment",
        "declare_ready",
        "conflict",
    ],
)
def test_with_a_lapsed_accreditation_every_action_sends_back_to_the_dossier(
    as_evaluator, evaluating, evaluator, name
):
    evaluation.assess_all(evaluating, evaluator)  # "ready" would otherwise be accepted
    lapse(evaluator)
    unit = units_of(evaluating)[0]
    address = url(name, evaluating, *([unit.pk] if name == "unit_assessment" else []))
    data = {**assessment_data(unit, "not_validated", met="not_met"), "reason": "Même employeur."}
    before = snapshot(evaluating)

    responses = [as_evaluator.post(address, data)]
    if name not in ("start_evaluation", "declare_ready"):
        responses.append(as_evaluator.get(address))

    for response in responses:
        assert response.status_code == 302
        assert response["Location"] == url("dossier_detail", evaluating)
        assert LAPSED in shown(response)
    assert snapshot(evaluating) == before


# --- what stays within the branch --------------------------------------------------------------

REASON = "Le candidat est mon beau-frere."
NOTE = "Note pour la branche : dossier solide, a presenter en priorite."


def test_the_next_evaluator_does_not_read_why_the_former_one_stepped_aside(
    client, dossier, evaluator, colleague, staff
):
    client.force_login(evaluator)
    client.post(url("conflict", dossier), {"reason": REASON})
    assert dossier.events.get(action="declare_conflict").comment == REASON  # on record
    services.dossier_reassign_evaluator(
        dossier=dossier, evaluator=colleague, actor=staff, comment="Conflit d'intérêts."
    )
    client.force_login(colleague)

    detail = client.get(url("dossier_detail", dossier))
    assert "The evaluator stepped aside (conflict of interest)" in detail.content.decode()
    stepped_aside = [e for e in detail.context["events"] if e.action == "declare_conflict"]
    assert [e.comment for e in stepped_aside] == [""]
    for address in (LIST, url("dossier_detail", dossier), url("positioning", dossier)):
        page = client.get(address)
        assert page.status_code == 200, address
        assert REASON not in page.content.decode(), address
    assert REASON not in client.get(url("conflict", dossier)).content.decode()


def test_the_note_to_the_branch_reaches_its_staff_only(
    as_evaluator, evaluating, evaluator, candidate, staff, django_capture_on_commit_callbacks
):
    evaluation.assess_all(evaluating, evaluator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_evaluator.post(url("declare_ready", evaluating), {"comment": NOTE})

    assert response["Location"] == url("dossier_detail", evaluating)
    evaluating.refresh_from_db()
    assert evaluating.status == S.READY_FOR_JURY
    (to_staff,) = [m for m in mail.outbox if staff.email in m.to]
    assert NOTE in to_staff.body
    to_candidate = emails_to(candidate.user.email)
    assert to_candidate and not any(NOTE in m.body or NOTE in m.subject for m in to_candidate)
    page = as_evaluator.get(url("dossier_detail", evaluating))
    assert "Declared ready for the jury" in page.content.decode()
    assert NOTE not in page.content.decode()
    assert evaluating.events.get(action="declare_ready").comment == NOTE  # on record


# --- assessments made by an evaluator in conflict ---------------------------------------------

AGAIN = "To be assessed again (evaluator in conflict)"


def test_the_next_evaluator_assesses_again_the_units_assessed_before_a_conflict(
    client, evaluating, evaluator, colleague, staff
):
    evaluation.assess_all(evaluating, evaluator)
    services.dossier_declare_conflict(dossier=evaluating, reason=REASON, actor=evaluator)
    services.dossier_reassign_evaluator(
        dossier=evaluating, evaluator=colleague, actor=staff, comment="Conflit d'intérêts."
    )
    first, second = units_of(evaluating)
    client.force_login(colleague)

    (row,) = client.get(LIST).context["dossiers"]
    assert row.next_step == "Assess the units (0 of 2 done)"
    page = client.get(url("dossier_detail", evaluating))
    html = page.content.decode()
    assert html.count(AGAIN) == 4  # each unit: in the units to assess, and in the summary
    assert f"Assess {first.code}" in html and f"Assess {second.code}" in html
    assert "Change the assessment of" not in html
    assert page.context["missing_units"] == [first, second]

    before = snapshot(evaluating)
    refused = client.post(url("declare_ready", evaluating), {"comment": ""})
    assert shown(refused) == [
        f"Assess every required unit first; missing: {first.code}, {second.code}."
    ]
    assert snapshot(evaluating) == before

    # The form starts afresh, saying why.
    form_page = client.get(url("unit_assessment", evaluating, first.pk))
    assert "that assessment no longer counts" in form_page.content.decode()
    form = form_page.context["form"]
    assert all(field.value() is None for field in form.criterion_fields())
    assert form["result"].value() is None and form["modality"].value() is None
    client.post(url("unit_assessment", evaluating, first.pk), assessment_data(first))

    (row,) = client.get(LIST).context["dossiers"]
    assert row.next_step == "Assess the units (1 of 2 done)"
    html = client.get(url("dossier_detail", evaluating)).content.decode()
    assert html.count(AGAIN) == 2
    assert f"Change the assessment of {first.code}" in html

    client.post(url("unit_assessment", evaluating, second.pk), assessment_data(second))
    (row,) = client.get(LIST).context["dossiers"]
    assert row.next_step == "Declare ready for the jury"
    accepted = client.post(url("declare_ready", evaluating), {"comment": ""})
    assert accepted["Location"] == url("dossier_detail", evaluating)
    evaluating.refresh_from_db()
    assert evaluating.status == S.READY_FOR_JURY


def test_staff_see_in_the_admin_which_assessments_are_to_be_made_again(
    client, evaluating, evaluator, staff
):
    evaluation.assess_all(evaluating, evaluator)
    services.dossier_declare_conflict(dossier=evaluating, reason=REASON, actor=evaluator)
    client.force_login(staff)

    page = client.get(reverse("admin:candidates_dossier_change", args=[evaluating.pk]))

    assert page.status_code == 200
    assert page.content.decode().count(AGAIN) == 2


# --- the list's count of units done --------------------------------------------------------------


def assessed_directly(dossier, unit, evaluator):
    return UnitAssessment.objects.create(
        dossier=dossier,
        unit=unit,
        evaluator=evaluator,
        assessed_on=today(),
        modality="interview",
        result="validated",
    )


def test_the_list_counts_the_required_units_only(as_evaluator, evaluator, branch, staff, cpnef):
    cqp = open_cqp_with_units(branch, staff, cpnef, "OPTL", units=3)
    bc01, bc02, bc03 = cqp.referentiels.get().units.order_by("order")
    bc03.is_optional = True
    bc03.save()
    halfway = make_dossier(evaluator, cqp, S.EVALUATION, index=1)
    assessed_directly(halfway, bc03, evaluator)  # an optional unit: not in the count
    assessed_directly(halfway, bc01, evaluator)
    required_done = make_dossier(evaluator, cqp, S.EVALUATION, index=2)
    assessed_directly(required_done, bc01, evaluator)
    assessed_directly(required_done, bc02, evaluator)
    holding = make_dossier(evaluator, cqp, S.EVALUATION, index=3)
    acquired = AcquiredUnit.objects.create(
        candidate=holding.candidate, unit=bc01, dossier=required_done, acquired_on=today()
    )
    CarriedOverUnit.objects.create(dossier=holding, unit=bc01, acquired=acquired)
    assessed_directly(holding, bc02, evaluator)

    page = as_evaluator.get(LIST)

    steps = {d.reference: d.next_step for d in page.context["dossiers"]}
    assert steps == {
        halfway.reference: "Assess the units (1 of 2 done)",
        required_done.reference: "Declare ready for the jury",  # BC03 left unassessed
        holding.reference: "Declare ready for the jury",  # BC01 held already
    }


# --- due dates, accessibility ------------------------------------------------------------------


def row_of(html, reference):
    start = html.index(reference)
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def test_the_due_date_shows_only_while_the_evaluator_is_at_work(as_evaluator, evaluator, open_cqp):
    past = today() - datetime.timedelta(days=5)
    working = make_dossier(evaluator, open_cqp, S.EVALUATION, due=past, index=1)
    with_jury = make_dossier(evaluator, open_cqp, S.READY_FOR_JURY, due=past, index=2)
    with translation.override("en"):
        shown_date = date_format(past, "SHORT_DATE_FORMAT")

    page = as_evaluator.get(LIST)

    html = page.content.decode()
    assert shown_date in row_of(html, working.reference)
    assert "overdue" in row_of(html, working.reference)
    assert shown_date not in row_of(html, with_jury.reference)
    assert "overdue" not in row_of(html, with_jury.reference)
    detail = as_evaluator.get(url("dossier_detail", with_jury))
    assert not detail.context["at_work"] and not detail.context["overdue"]
    assert shown_date not in detail.content.decode()
    detail = as_evaluator.get(url("dossier_detail", working))
    assert detail.context["overdue"] and shown_date in detail.content.decode()


def test_references_and_criteria_results_stay_on_one_line(as_evaluator, evaluating, evaluator):
    evaluation.assess(evaluating, evaluator, units_of(evaluating)[0], "not_validated")
    listed = as_evaluator.get(LIST).content.decode()
    assert f'class="mono nowrap" href="{url("dossier_detail", evaluating)}"' in listed
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert re.search(r"\.nowrap \{ white-space: nowrap; \}", css)
    assert re.search(r"\.criterion-not-met \{[^}]*white-space: nowrap", css)
    assert "row-reverse" not in css


def heading_levels(html):
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]


def test_the_evaluator_pages_never_skip_a_heading_level(as_evaluator, dossier, evaluator, open_cqp):
    pages = [url("positioning", dossier), url("conflict", dossier), url("dossier_detail", dossier)]
    for address in pages:
        levels = heading_levels(as_evaluator.get(address).content.decode())
        assert levels and levels[0] == 1, address
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, (address, levels)
    assert "<details" in as_evaluator.get(url("positioning", dossier)).content.decode()

    evaluation.to_evaluation(dossier, evaluator, Pathway.TRAINING)
    evaluation.assess_all(dossier, evaluator)
    unit = units_of(dossier)[0]
    for address in (url("dossier_detail", dossier), url("unit_assessment", dossier, unit.pk)):
        levels = heading_levels(as_evaluator.get(address).content.decode())
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, (address, levels)
