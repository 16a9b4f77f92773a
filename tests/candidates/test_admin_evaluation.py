"""The evaluator's work as branch staff see it in the admin: read-only sections, due dates,
conflicts of interest, the follow-up filter; scoped to the staff's branch."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext

from candidates import services
from candidates.models import Dossier, DossierStatus, Pathway, UnitAssessmentResult
from certifications import services as catalogue
from tests import factories
from tests.candidates.conftest import make_candidate
from tests.candidates.evaluation import (
    assess,
    habilitated_provider,
    plan_training,
    position,
    to_evaluation,
)
from tests.candidates.test_evaluator_space import admissible_dossier

S = DossierStatus
CHANGELIST = reverse("admin:candidates_dossier_changelist")


def change_url(dossier):
    return reverse("admin:candidates_dossier_change", args=[dossier.pk])


def action_url(dossier, action):
    return reverse("admin:candidates_dossier_action", args=[dossier.pk, action])


def in_language_of(response, message):
    """`message` translated as the page was (the admin speaks the visitor's language)."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return gettext(message)


def open_cqp_with_units(branch, staff, cpnef, units, criteria=2):
    """A CQP of `branch` approved, its version 1 of `units` units published."""
    cqp = factories.cqp_with_referentiel(
        branch=branch, units=units, criteria=criteria, code=f"U{units}", title=f"CQP {units} blocs"
    )
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    return cqp


def accredited(branch, email):
    user = factories.UserFactory(email=email)
    factories.AccreditationFactory(user=user, branch=branch)
    return user


def assigned(candidate, cqp, staff, evaluator, **kwargs):
    dossier = admissible_dossier(candidate, cqp, staff)
    return services.dossier_assign_evaluator(
        dossier=dossier, evaluator=evaluator, actor=staff, **kwargs
    )


def evaluated_with_conflict(candidate, cqp, staff, evaluator, provider=None):
    """Training plan, every unit assessed (the first not validated), then a conflict."""
    dossier = assigned(candidate, cqp, staff, evaluator)
    position(dossier, evaluator, Pathway.TRAINING, justification="Peu d'expérience en gestion.")
    plan_training(dossier, evaluator, provider)
    services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
    units = list(services.units_to_acquire(dossier))
    assess(dossier, evaluator, units[0], UnitAssessmentResult.NOT_VALIDATED)
    for unit in units[1:]:
        assess(dossier, evaluator, unit, comment="Très bonne mise en situation.")
    services.dossier_declare_conflict(
        dossier=dossier, reason="Même employeur que la candidate.", actor=evaluator
    )
    dossier.refresh_from_db()
    return dossier


# --- the read-only sections ---------------------------------------------------------------------


def test_staff_see_the_positioning_plan_assessments_and_conflict_read_only(
    client, staff, candidate, open_cqp, evaluator
):
    provider = habilitated_provider(open_cqp, name="Formapro Immobilier")
    dossier = evaluated_with_conflict(candidate, open_cqp, staff, evaluator, provider)
    habilitation = dossier.training_plan.habilitation
    habilitation.reference = "HAB-2024-017"
    habilitation.save(update_fields=["reference"])
    client.force_login(staff)

    page = client.get(change_url(dossier))

    assert page.status_code == 200
    html = page.content.decode()
    evaluation = page.context["evaluation"]
    assert evaluation.positioning.justification == "Peu d'expérience en gestion."
    assert "Peu d&#x27;expérience en gestion." in html
    assert "Formapro Immobilier" in html and "HAB-2024-017" in html
    assert evaluation.plan.total_hours == 70  # two units of 35 hours
    first, second = evaluation.assessments
    assert first.result == UnitAssessmentResult.NOT_VALIDATED
    assert [met for _criterion, met in first.criteria_results] == [False]
    assert [met for _criterion, met in second.criteria_results] == [True]
    assert "cqp-criterion--not-met" in html and "cqp-criterion--met" in html
    for criterion, _met in first.criteria_results + second.criteria_results:
        assert criterion.text in html
    assert "Critères non atteints." in html and "Très bonne mise en situation." in html
    assert "Même employeur que la candidate." in html
    assert evaluator.get_full_name() in html
    # Read-only: no field of the evaluator's work is offered, nor a save button.
    for name in ("result", "justification", "comment", "met", "hours", "_save"):
        assert f'name="{name}' not in html


def test_a_dossier_awaiting_an_evaluator_says_so_on_its_page_with_the_way_out(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    services.dossier_declare_conflict(dossier=dossier, reason="Ma cousine.", actor=evaluator)
    client.force_login(staff)

    page = client.get(change_url(dossier))

    assert page.context["awaiting_evaluator"] is True
    assert "cqp-notice--alert" in page.content.decode()
    assert page.context["reassign_url"] == action_url(dossier, "reassign_evaluator")


def test_a_dossier_with_its_evaluator_shows_no_warning(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    client.force_login(staff)
    page = client.get(change_url(dossier))
    assert page.context["awaiting_evaluator"] is False
    assert "cqp-notice--alert" not in page.content.decode()
    assert not page.context["evaluation"]  # nothing recorded yet: no empty sections


def test_the_vae_eligibility_and_due_date_are_in_the_dossier_fields(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    positioning = position(dossier, evaluator, Pathway.VAE)
    client.force_login(staff)
    page = client.get(change_url(dossier))
    html = page.content.decode()
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        since = date_format(positioning.assessed_on, "SHORT_DATE_FORMAT")
        until = date_format(positioning.eligibility_valid_until, "SHORT_DATE_FORMAT")
    assert 'class="form-row field-eligibility' in html
    assert since in html and until in html
    assert 'class="form-row field-evaluator_due_on' in html


def test_staff_of_another_branch_see_nothing_of_the_evaluation(
    client, other_staff, staff, candidate, open_cqp, evaluator
):
    dossier = evaluated_with_conflict(candidate, open_cqp, staff, evaluator)
    client.force_login(other_staff)

    page = client.get(change_url(dossier), follow=True)

    assert page.redirect_chain == [(reverse("admin:index"), 302)]  # the admin's "not found"
    assert "Même employeur" not in page.content.decode()
    assert "evaluation" not in page.context
    assert client.get(action_url(dossier, "reassign_evaluator")).status_code == 404
    changelist = client.get(CHANGELIST)
    assert list(changelist.context["cl"].result_list) == []


def test_a_cpnef_member_reads_the_evaluation_without_any_action(
    client, cpnef, staff, candidate, open_cqp, evaluator, branch
):
    dossier = evaluated_with_conflict(candidate, open_cqp, staff, evaluator)
    second = accredited(branch, "second@example.org")
    client.force_login(cpnef)

    page = client.get(change_url(dossier))

    assert page.status_code == 200
    assert len(page.context["evaluation"].assessments) == 2
    assert page.context["dossier_actions"] == [] and page.context["reassign_url"] is None
    response = client.post(
        action_url(dossier, "reassign_evaluator"),
        {"evaluator": second.pk, "comment": "x", "due_on": ""},
    )
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.evaluator is None


def test_a_superuser_reads_the_evaluation_of_any_branch(
    client, superuser, staff, candidate, open_cqp, evaluator
):
    dossier = evaluated_with_conflict(candidate, open_cqp, staff, evaluator)
    client.force_login(superuser)
    page = client.get(change_url(dossier))
    assert page.status_code == 200
    assert [c.reason for c in page.context["evaluation"].conflicts] == [
        "Même employeur que la candidate."
    ]


@pytest.mark.parametrize("units", [2, 10])
def test_the_dossier_page_query_count_does_not_grow_with_units(
    client, staff, cpnef, branch, units, django_assert_max_num_queries
):
    cqp = open_cqp_with_units(branch, staff, cpnef, units)
    evaluator = accredited(branch, "evaluator@example.org")
    dossier = evaluated_with_conflict(make_candidate("c@example.org"), cqp, staff, evaluator)
    client.force_login(staff)
    client.get(change_url(dossier))  # warm the session and content types

    with django_assert_max_num_queries(25):
        page = client.get(change_url(dossier))

    evaluation = page.context["evaluation"]
    assert len(evaluation.assessments) == units
    assert all(len(a.criteria_results) == 2 for a in evaluation.assessments)
    assert len(evaluation.plan.units.all()) == units


# --- due dates through the assign and reassign pages --------------------------------------------


def test_assigning_offers_the_default_due_date_and_records_the_one_chosen(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    client.force_login(staff)
    url = action_url(dossier, "assign_evaluator")

    page = client.get(url)
    field = page.context["form"].fields["due_on"]
    assert field.initial == timezone.localdate() + services.POSITIONING_DELAY
    assert 'type="date"' in page.content.decode()

    due_on = timezone.localdate() + datetime.timedelta(days=45)
    response = client.post(
        url, {"evaluator": evaluator.pk, "due_on": due_on.isoformat(), "comment": ""}
    )

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.evaluator, dossier.evaluator_due_on) == (evaluator, due_on)


def test_assigning_without_a_due_date_takes_the_default_delay(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    client.force_login(staff)
    response = client.post(
        action_url(dossier, "assign_evaluator"),
        {"evaluator": evaluator.pk, "due_on": "", "comment": ""},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.evaluator_due_on == timezone.localdate() + services.POSITIONING_DELAY


def test_a_due_date_in_the_past_is_refused_with_the_services_message(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    client.force_login(staff)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = client.post(
        action_url(dossier, "assign_evaluator"),
        {"evaluator": evaluator.pk, "due_on": yesterday.isoformat(), "comment": ""},
    )

    assert response.status_code == 200
    expected = in_language_of(response, "The evaluator's due date cannot be in the past.")
    assert response.context["form"].non_field_errors() == [expected]
    dossier.refresh_from_db()
    assert dossier.status == S.ADMISSIBLE and dossier.evaluator is None
    assert not dossier.events.filter(action="assign_evaluator").exists()


def test_a_malformed_due_date_is_a_field_error(client, staff, candidate, open_cqp, evaluator):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    client.force_login(staff)
    response = client.post(
        action_url(dossier, "assign_evaluator"),
        {"evaluator": evaluator.pk, "due_on": "31/02/2099x", "comment": ""},
    )
    assert response.status_code == 200 and "due_on" in response.context["form"].errors
    dossier.refresh_from_db()
    assert dossier.evaluator is None


def test_reassigning_keeps_the_due_date_when_blank_and_replaces_it_when_given(
    client, staff, candidate, open_cqp, evaluator, branch
):
    first_due = timezone.localdate() + datetime.timedelta(days=20)
    dossier = assigned(candidate, open_cqp, staff, evaluator, due_on=first_due)
    second = accredited(branch, "second@example.org")
    third = accredited(branch, "third@example.org")
    client.force_login(staff)
    url = action_url(dossier, "reassign_evaluator")
    assert client.get(url).context["form"].fields["due_on"].initial is None

    kept = client.post(url, {"evaluator": second.pk, "due_on": "", "comment": "Indisponible"})
    assert kept.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.evaluator, dossier.evaluator_due_on) == (second, first_due)

    new_due = timezone.localdate() + datetime.timedelta(days=60)
    replaced = client.post(
        url, {"evaluator": third.pk, "due_on": new_due.isoformat(), "comment": "Arrêt maladie"}
    )
    assert replaced.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.evaluator, dossier.evaluator_due_on) == (third, new_due)


def test_reassigning_with_a_past_due_date_is_refused_and_changes_nothing(
    client, staff, candidate, open_cqp, evaluator, branch
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    due_on = dossier.evaluator_due_on
    second = accredited(branch, "second@example.org")
    client.force_login(staff)
    response = client.post(
        action_url(dossier, "reassign_evaluator"),
        {
            "evaluator": second.pk,
            "due_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
            "comment": "Indisponible",
        },
    )
    assert response.status_code == 200
    expected = in_language_of(response, "The evaluator's due date cannot be in the past.")
    assert expected in response.context["form"].non_field_errors()
    dossier.refresh_from_db()
    assert (dossier.evaluator, dossier.evaluator_due_on) == (evaluator, due_on)


# --- conflicts of interest ----------------------------------------------------------------------


def test_an_evaluator_who_declared_a_conflict_is_neither_offered_nor_accepted(
    client, staff, candidate, open_cqp, evaluator, branch
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    services.dossier_declare_conflict(dossier=dossier, reason="Mon voisin.", actor=evaluator)
    second = accredited(branch, "second@example.org")
    client.force_login(staff)
    url = action_url(dossier, "reassign_evaluator")

    page = client.get(url)
    assert list(page.context["form"].fields["evaluator"].queryset) == [second]

    forged = client.post(url, {"evaluator": evaluator.pk, "due_on": "", "comment": "Retour"})
    assert forged.status_code == 200 and "evaluator" in forged.context["form"].errors
    dossier.refresh_from_db()
    assert dossier.evaluator is None


def test_after_a_conflict_the_reassignment_comes_prefilled_and_staff_may_send_it(
    client, staff, candidate, open_cqp, evaluator, branch
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    services.dossier_declare_conflict(dossier=dossier, reason="Mon voisin.", actor=evaluator)
    second = accredited(branch, "second@example.org")
    client.force_login(staff)
    url = action_url(dossier, "reassign_evaluator")

    page = client.get(url)
    comment = page.context["form"]["comment"].value()
    assert comment == in_language_of(
        page, "Conflict of interest declared by the previous evaluator."
    )
    assert page.context["awaiting_evaluator"] is True
    response = client.post(url, {"evaluator": second.pk, "due_on": "", "comment": comment})

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.evaluator == second and dossier.status == S.POSITIONING
    assert dossier.events.order_by("-id").first().comment == comment


def test_the_reassignment_of_a_working_evaluator_is_not_prefilled(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    client.force_login(staff)
    page = client.get(action_url(dossier, "reassign_evaluator"))
    assert not page.context["form"]["comment"].value()


# --- the changelist -----------------------------------------------------------------------------


@pytest.fixture
def follow_up_dossiers(staff, open_cqp, evaluator):
    """One dossier per follow-up state, and one ready for the jury with a past due date."""
    today = timezone.localdate()
    names = ["awaiting", "overdue", "week", "later", "ready"]
    dossiers = {
        name: assigned(make_candidate(f"{name}@example.org"), open_cqp, staff, evaluator)
        for name in names
    }
    services.dossier_declare_conflict(
        dossier=dossiers["awaiting"], reason="Conflit.", actor=evaluator
    )
    due = {
        "overdue": today - datetime.timedelta(days=2),
        "week": today + datetime.timedelta(days=6),
        "later": today + datetime.timedelta(days=40),
        "ready": today - datetime.timedelta(days=5),
    }
    for name, day in due.items():
        Dossier.objects.filter(pk=dossiers[name].pk).update(evaluator_due_on=day)
    Dossier.objects.filter(pk=dossiers["ready"].pk).update(status=S.READY_FOR_JURY)
    for dossier in dossiers.values():
        dossier.refresh_from_db()
    return dossiers


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("awaiting", {"awaiting"}), ("overdue", {"overdue"}), ("week", {"week"})],
)
def test_the_follow_up_filter_finds_dossiers_awaiting_or_late(
    client, staff, follow_up_dossiers, choice, expected
):
    client.force_login(staff)
    response = client.get(CHANGELIST, {"follow_up": choice})
    found = {d.pk for d in response.context["cl"].result_list}
    assert found == {follow_up_dossiers[name].pk for name in expected}


def test_the_changelist_shows_the_due_date_and_who_awaits_an_evaluator(
    client, staff, follow_up_dossiers
):
    client.force_login(staff)
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert "column-due_on_display" in html and "column-evaluator_display" in html
    later = follow_up_dossiers["later"]
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert date_format(later.evaluator_due_on, "SHORT_DATE_FORMAT") in html
        assert escape(gettext("Awaiting an evaluator")) in html
    assert html.count('class="cqp-warning"') == 2  # awaiting, and the overdue due date


def test_the_export_follows_the_follow_up_filter_with_the_due_date(
    client, staff, follow_up_dossiers
):
    client.force_login(staff)
    response = client.get(reverse("admin:candidates_dossier_export"), {"follow_up": "week"})
    content = b"".join(response.streaming_content).decode("utf-8")
    week = follow_up_dossiers["week"]
    lines = content.strip().splitlines()
    assert len(lines) == 2 and week.reference in lines[1]
    assert week.evaluator_due_on.isoformat() in lines[1]


def test_the_changelist_query_count_stays_bounded_with_the_follow_up_filter(
    client, staff, follow_up_dossiers, django_assert_max_num_queries
):
    client.force_login(staff)
    client.get(CHANGELIST)
    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST, {"follow_up": "overdue"})
    assert response.status_code == 200


def test_a_vae_dossier_shows_its_booklet_among_the_pieces(
    client, staff, candidate, open_cqp, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    to_evaluation(dossier, evaluator, Pathway.VAE)
    client.force_login(staff)
    page = client.get(change_url(dossier))
    assert page.context["evaluation"].positioning.eligibility_valid_until is not None
    assert page.context["evaluation"].plan is None
    assert "livret-2.pdf" in page.content.decode()
