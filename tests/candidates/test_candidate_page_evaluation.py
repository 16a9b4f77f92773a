"""What the candidate sees of the evaluator's work on their dossier page, and what they do not."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext

from candidates import services
from candidates.models import DossierStatus, Pathway, PositioningResult, UnitAssessmentResult
from tests.candidates.conftest import make_candidate
from tests.candidates.evaluation import (
    add_booklet,
    assess,
    habilitated_provider,
    plan_training,
    position,
)
from tests.candidates.test_admin_evaluation import (
    accredited,
    assigned,
    evaluated_with_conflict,
    open_cqp_with_units,
)

S = DossierStatus


def short(page, day):
    """`day` as the page prints it (in the visitor's language)."""
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        return date_format(day, "SHORT_DATE_FORMAT")


def view(client, dossier, user=None):
    client.force_login(user or dossier.candidate.user)
    page = client.get(dossier.get_absolute_url())
    assert page.status_code == 200
    return page


def position_with_comments(dossier, evaluator, recommendation):
    """A positioning whose unit lines carry the evaluator's internal comments."""
    today = timezone.localdate()
    training = recommendation == Pathway.TRAINING
    units = [
        services.UnitPositioning(
            unit_id=unit.pk,
            result=PositioningResult.NOT_YET if training else PositioningResult.ACQUIRED,
            comment=f"Note interne sur {unit.code}",
            estimated_hours=42 if training else None,
        )
        for unit in services.units_to_acquire(dossier)
    ]
    return services.positioning_record(
        dossier=dossier,
        assessed_on=today,
        recommendation=recommendation,
        justification="Votre expérience couvre une partie du référentiel.",
        units=units,
        eligibility_valid_until=None if training else today + datetime.timedelta(days=365),
        actor=evaluator,
    )


def test_the_candidate_sees_the_positioning_results_and_justification_not_the_comments(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    positioning = position_with_comments(dossier, evaluator, Pathway.TRAINING)

    page = view(client, dossier)

    html = page.content.decode()
    assert page.context["positioning"] == positioning
    assert "Votre expérience couvre une partie du référentiel." in html
    assert short(page, positioning.assessed_on) in html
    lines = list(page.context["positioning"].units.all())
    assert len(lines) == 2 and all(line.estimated_hours == 42 for line in lines)
    assert html.count("<td>42</td>") == 2  # the estimated hours of each unit
    assert "Note interne" not in html


def test_the_candidate_sees_the_training_plan_with_provider_contact_and_dates(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    position(dossier, evaluator, Pathway.TRAINING)
    provider = habilitated_provider(
        open_cqp, name="Formapro Immobilier", email="contact@formapro.example.org", phone="0102"
    )
    plan = plan_training(dossier, evaluator, provider, weeks=10)

    page = view(client, dossier)

    html = page.content.decode()
    assert page.context["plan"] == plan and page.context["plan"].total_hours == 70
    assert "Formapro Immobilier" in html and "contact@formapro.example.org" in html
    assert short(page, plan.start_date) in html and short(page, plan.end_date) in html
    for unit in services.units_to_acquire(dossier):
        assert unit.code in html
    assert page.context["awaiting_evaluator"] is False


def test_the_candidate_never_sees_the_evaluators_due_date(
    client, candidate, open_cqp, staff, evaluator
):
    due_on = timezone.localdate() + datetime.timedelta(days=47)
    dossier = assigned(candidate, open_cqp, staff, evaluator, due_on=due_on)
    page = view(client, dossier)
    assert short(page, due_on) not in page.content.decode()
    assert due_on.isoformat() not in page.content.decode()


def test_the_candidate_sees_the_vae_eligibility_and_the_booklet_reminder(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    positioning = position(dossier, evaluator, Pathway.VAE)

    page = view(client, dossier)

    html = page.content.decode()
    assert short(page, positioning.assessed_on) in html
    assert short(page, positioning.eligibility_valid_until) in html
    assert page.context["has_booklet"] is False
    assert "notice--warning" in html  # the reminder to add the booklet
    assert page.context["plan"] is None

    add_booklet(dossier)
    page = view(client, dossier)
    assert page.context["has_booklet"] is True
    assert "notice--warning" not in page.content.decode()


def test_an_expired_vae_eligibility_is_flagged_to_the_candidate(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    positioning = position(dossier, evaluator, Pathway.VAE)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    type(positioning).objects.filter(pk=positioning.pk).update(
        assessed_on=yesterday - datetime.timedelta(days=10), eligibility_valid_until=yesterday
    )
    page = view(client, dossier)
    assert page.context["eligibility_expired"] is True


def test_the_candidate_sees_which_units_are_assessed_but_not_the_results(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    position(dossier, evaluator, Pathway.TRAINING)
    plan_training(dossier, evaluator)
    services.dossier_start_evaluation(dossier=dossier, actor=evaluator)
    first, second = services.units_to_acquire(dossier)
    assess(
        dossier,
        evaluator,
        first,
        UnitAssessmentResult.NOT_VALIDATED,
        comment="Gestion des litiges insuffisante.",
    )

    page = view(client, dossier)

    html = page.content.decode()
    assert page.context["show_assessed"] is True
    assessed = {unit.code: unit.assessed for unit in page.context["units"]}
    assert assessed == {first.code: True, second.code: False}
    assert "Gestion des litiges insuffisante." not in html
    assert "badge--warning" not in html and "not_validated" not in html
    assert "evaluation" not in page.context and "assessments" not in page.context


def test_units_assessed_by_an_evaluator_in_conflict_read_as_pending_again(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = evaluated_with_conflict(candidate, open_cqp, staff, evaluator)

    page = view(client, dossier)

    assert page.context["show_assessed"] is True
    assert not any(unit.assessed for unit in page.context["units"])


def test_after_a_conflict_the_candidate_is_told_another_evaluator_comes_not_why(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    services.dossier_declare_conflict(
        dossier=dossier, reason="La candidate est ma belle-sœur.", actor=evaluator
    )

    page = view(client, dossier)

    html = page.content.decode()
    assert page.context["awaiting_evaluator"] is True
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        told = gettext(
            "Your evaluator stepped aside. The branch is assigning you another evaluator."
        )
    assert escape(told) in html
    assert "belle-sœur" not in html
    conflict = next(e for e in page.context["events"] if e.action == "declare_conflict")
    assert conflict.comment == ""
    assert page.context["dossier"].evaluator is None


def test_branch_staff_read_the_conflicts_reason_on_the_same_page(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    services.dossier_declare_conflict(dossier=dossier, reason="Même employeur.", actor=evaluator)
    page = view(client, dossier, staff)
    assert "Même employeur." in page.content.decode()


REASON = "Même employeur que la candidate."
NOTE = "Dossier solide, à présenter en priorité."


def ready_after_a_conflict(candidate, cqp, staff, evaluator, colleague):
    """`evaluator` steps aside (REASON), `colleague` takes over and hands over (NOTE)."""
    dossier = assigned(candidate, cqp, staff, evaluator)
    services.dossier_declare_conflict(dossier=dossier, reason=REASON, actor=evaluator)
    services.dossier_reassign_evaluator(
        dossier=dossier, evaluator=colleague, actor=staff, comment="Conflit d'intérêts."
    )
    position(dossier, colleague, Pathway.VAE)
    add_booklet(dossier)
    services.dossier_start_evaluation(dossier=dossier, actor=colleague)
    for unit in services.units_to_acquire(dossier):
        assess(dossier, colleague, unit)
    services.dossier_declare_ready(dossier=dossier, actor=colleague, comment=NOTE)
    dossier.refresh_from_db()
    assert dossier.status == S.READY_FOR_JURY
    return dossier


def test_neither_the_candidate_nor_the_evaluator_read_the_comments_kept_for_the_branch(
    client, candidate, open_cqp, staff, evaluator, branch
):
    colleague = accredited(branch, "colleague@example.org")
    dossier = ready_after_a_conflict(candidate, open_cqp, staff, evaluator, colleague)

    for reader in (candidate.user, colleague):  # the evaluator now in charge reads it too
        page = view(client, dossier, reader)
        html = page.content.decode()
        assert REASON not in html and NOTE not in html, reader
        private = [
            e for e in page.context["events"] if e.action in ("declare_conflict", "declare_ready")
        ]
        assert [e.comment for e in private] == ["", ""]


@pytest.mark.parametrize("reader", ["staff", "cpnef"])
def test_branch_members_read_the_conflicts_reason_and_the_note_to_the_branch(
    client, candidate, open_cqp, staff, evaluator, branch, cpnef, reader
):
    colleague = accredited(branch, "colleague@example.org")
    dossier = ready_after_a_conflict(candidate, open_cqp, staff, evaluator, colleague)

    page = view(client, dossier, {"staff": staff, "cpnef": cpnef}[reader])

    html = page.content.decode()
    assert REASON in html and NOTE in html


def test_another_branchs_staff_do_not_see_the_dossier(
    client, candidate, open_cqp, staff, evaluator, branch, other_staff
):
    colleague = accredited(branch, "colleague@example.org")
    dossier = ready_after_a_conflict(candidate, open_cqp, staff, evaluator, colleague)
    client.force_login(other_staff)
    assert client.get(dossier.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("units", [2, 10])
@pytest.mark.parametrize("viewer", ["candidate", "staff"])
def test_the_dossier_page_query_count_does_not_grow_with_units(
    client, request, staff, cpnef, branch, units, viewer, django_assert_max_num_queries
):
    cqp = open_cqp_with_units(branch, staff, cpnef, units)
    evaluator = accredited(branch, "evaluator@example.org")
    dossier = evaluated_with_conflict(make_candidate("c@example.org"), cqp, staff, evaluator)
    client.force_login(dossier.candidate.user if viewer == "candidate" else staff)

    with django_assert_max_num_queries(19):  # 18 + the jury seat (navigation)
        page = client.get(dossier.get_absolute_url())

    assert page.status_code == 200
    assert len(page.context["positioning"].units.all()) == units
    assert len(page.context["plan"].units.all()) == units
    # Made by the evaluator who then declared a conflict: they are to be assessed again.
    assert sum(unit.assessed for unit in page.context["units"]) == 0


def next_step(page):
    """The "what to do next" section of the page."""
    html = page.content.decode()
    return html[html.index('id="next-step"') : html.index("</section>", html.index("next-step"))]


def test_on_the_training_pathway_the_next_step_names_the_provider_and_dates(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    position(dossier, evaluator, Pathway.TRAINING)
    before_plan = next_step(view(client, dossier))
    provider = habilitated_provider(open_cqp, name="Formapro Immobilier")
    plan = plan_training(dossier, evaluator, provider)

    page = view(client, dossier)

    assert "Formapro Immobilier" not in before_plan
    section = next_step(page)
    assert "Formapro Immobilier" in section
    assert short(page, plan.start_date) in section and short(page, plan.end_date) in section


def test_on_the_vae_pathway_the_next_step_changes_once_the_booklet_is_added(
    client, candidate, open_cqp, staff, evaluator
):
    dossier = assigned(candidate, open_cqp, staff, evaluator)
    position(dossier, evaluator, Pathway.VAE)
    before = next_step(view(client, dossier))
    add_booklet(dossier)
    after = next_step(view(client, dossier))
    assert before != after


@pytest.mark.parametrize("status", [S.PARTIALLY_VALIDATED, S.NOT_VALIDATED])
def test_after_the_jury_the_candidate_is_offered_a_new_dossier(
    status, client, candidate, staff, evaluator, branch, open_cqp
):
    from tests.candidates.test_dossier_lifecycle import bring_to, make_cast

    dossier = bring_to(status, make_cast(candidate, staff, evaluator, branch, open_cqp))

    page = view(client, dossier)

    assert f'/candidat/dossiers/new/?cqp={open_cqp.pk}"' in page.content.decode()
