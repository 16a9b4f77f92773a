"""The external evaluator's work in a real browser, from the positioning to "ready for the jury".

Branch staff assign an accredited evaluator, with a due date, to two admissible dossiers. The
evaluator finds them in their list and records the positioning: the VAE for one candidate, a
training for the other. The first candidate reads their eligibility and adds the VAE booklet; the
evaluator starts the evaluation, assesses each unit criterion by criterion (the jury is refused
while a unit has no assessment) and declares the dossier ready for the jury. For the second, the
evaluator records the training plan, which the candidate reads on their page, then assesses the
units and declares it ready. E-mails and the candidates' timelines follow every step. Another
journey: the evaluator declares a conflict of interest and the dossier goes back to the staff.

Only the branch, its people, the open CQP, the accreditation, the provider's habilitation and the
admissible dossiers are made with the ORM or the services; everything after goes through pages.
"""

import datetime
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import expect

from candidates import services
from candidates.evaluator_forms import VAE_ELIGIBILITY_YEARS, years_later
from candidates.lifecycles import step_label
from candidates.models import (
    Dossier,
    DossierDocument,
    DossierStatus,
    Pathway,
    PositioningResult,
    UnitAssessmentResult,
)
from certifications import services as catalogue
from tests import factories
from tests.browser.conftest import PageWatch
from tests.browser.test_catalogue_journey import log_in, submit_admin_form
from tests.browser.test_dossier_journey import (
    assert_timeline_is_complete,
    expect_status,
    in_french,
    mails_to,
    write_pdf,
)
from tests.candidates.conftest import make_candidate, pdf
from tests.candidates.evaluation import habilitated_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = DossierStatus
EVALUATOR_EMAIL = "marc.evaluateur@example.org"
VAE_JUSTIFICATION = "Huit ans de transactions en agence : l'expérience couvre le référentiel."
TRAINING_JUSTIFICATION = "Débute dans le métier : une formation est nécessaire pour BC02."
CONFLICT_REASON = "La candidate travaille dans la même agence que moi."


def fr(message: str) -> str:
    """`message` (an English source string) as the French pages show it."""
    with translation.override("fr"):
        return gettext(message)


def fr_date(day: datetime.date) -> str:
    with translation.override("fr"):
        return date_format(day, "SHORT_DATE_FORMAT")


@pytest.fixture
def browser_context_args(browser_context_args):
    """Everyone browses in French, the product's default language."""
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def new_page(browser, browser_context_args, live_server):
    """Another person's browser: a fresh context (no cookies) per call, closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return PageWatch(page, live_server.url.rstrip("/"))

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def cqp(branch):
    """The branch's draft CQP: two units, each with two competences and two criteria."""
    return factories.cqp_with_referentiel(
        branch=branch, code="NI", title="Négociateur immobilier", criteria=2
    )


@pytest.fixture
def open_cqp(cqp, staff, cpnef):
    """The CQP approved by its CPNEF with its version 1 published."""
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    assert cqp.is_open_to_candidates()
    return cqp


@pytest.fixture
def units(open_cqp):
    units = list(open_cqp.referentiels.get().units.order_by("order"))
    assert [unit.code for unit in units] == ["BC01", "BC02"]
    assert all(unit.criteria.count() == 2 for unit in units)
    return units


@pytest.fixture
def evaluator(branch, open_cqp):
    user = factories.UserFactory(email=EVALUATOR_EMAIL, first_name="Marc", last_name="Évaluateur")
    factories.AccreditationFactory(user=user, branch=branch)
    return user


@pytest.fixture
def provider(open_cqp):
    """A provider habilitated to train for the CQP since last month, with no end date."""
    return habilitated_provider(open_cqp, name="Formapro Immobilier")


def admissible_dossier(cqp, staff, email, first_name, last_name) -> Dossier:
    """A candidate's dossier, submitted with its identity piece, complete and admissible."""
    candidate = make_candidate(email, first_name=first_name, last_name=last_name)
    user = candidate.user
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    dossier = services.dossier_open(candidate=candidate, cqp=cqp, funding="cpf", actor=user)
    services.document_upload(
        dossier=dossier, kind="identity", upload=pdf("carte-identite.pdf"), actor=user
    )
    services.dossier_submit(dossier=dossier, actor=user)
    services.dossier_declare_complete(dossier=dossier, actor=staff)
    return services.dossier_declare_admissible(dossier=dossier, actor=staff)


def reload(dossier) -> Dossier:
    dossier.refresh_from_db()
    return dossier


# --- the branch's staff -------------------------------------------------------------------------


def staff_assigns_the_evaluator(watch, base_url, dossier, evaluator, due_on, screenshot=None):
    """From the dossier's admin page, the "assign an evaluator" action with a due date."""
    page = watch.page
    page.goto(f"{base_url}/admin/candidates/dossier/{dossier.pk}/change/")
    expect(page.locator(".field-status_display .cqp-status--admissible")).to_be_visible()
    page.locator("ul.cqp-actions a.cqp-action--assign_evaluator").click()
    expect(page).to_have_url(re.compile(rf"/dossier/{dossier.pk}/action/assign_evaluator/$"))
    page.locator("select[name=evaluator]").select_option(str(evaluator.pk))
    due = page.locator("input[name=due_on]")
    expect(due).to_have_value((timezone.localdate() + services.POSITIONING_DELAY).isoformat())
    due.fill(due_on.isoformat())
    if screenshot:
        watch.screenshot(screenshot)
    submit_admin_form(page)
    expect(page).to_have_url(re.compile(rf"/admin/candidates/dossier/{dossier.pk}/change/$"))
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(page.locator(".field-status_display .cqp-status--positioning")).to_be_visible()
    expect(page.locator(".field-evaluator")).to_contain_text("Marc Évaluateur")
    assert (reload(dossier).evaluator, dossier.evaluator_due_on) == (evaluator, due_on)


# --- the evaluator ------------------------------------------------------------------------------


def evaluator_url(base_url, dossier, rest=""):
    return f"{base_url}/evaluateur/dossiers/{dossier.pk}/{rest}"


def list_row(page, dossier):
    return page.locator("main table tbody tr", has_text=dossier.reference)


def evaluator_opens_from_the_list(watch, base_url, dossier):
    page = watch.page
    page.goto(f"{base_url}/evaluateur/")
    row = list_row(page, dossier)
    expect(row).to_have_count(1)
    row.locator(f"a[href$='/evaluateur/dossiers/{dossier.pk}/']").click()
    expect(page).to_have_url(evaluator_url(base_url, dossier))
    expect(page.locator("h1")).to_contain_text(dossier.reference)


def evaluator_records_the_positioning(watch, base_url, dossier, results, pathway, justification):
    """`results` maps each unit to (result, comment, estimated hours or None)."""
    page = watch.page
    page.locator(f"main a[href$='/evaluateur/dossiers/{dossier.pk}/positioning/']").click()
    expect(page).to_have_url(evaluator_url(base_url, dossier, "positioning/"))
    today = timezone.localdate()
    expect(page.locator("input[name=assessed_on]")).to_have_value(today.isoformat())
    for unit, (result, comment, hours) in results.items():
        fieldset = page.locator(f"fieldset#unit-{unit.pk}")
        expect(fieldset.locator(":scope > legend")).to_contain_text(f"{unit.code} — {unit.title}")
        fieldset.locator(f"input[name=unit_{unit.pk}_result][value={result}]").check()
        fieldset.locator(f"textarea[name=unit_{unit.pk}_comment]").fill(comment)
        if hours is not None:
            fieldset.locator(f"input[name=unit_{unit.pk}_hours]").fill(str(hours))
    page.locator(f"input[name=recommendation][value={pathway}]").check()
    page.locator("textarea[name=justification]").fill(justification)
    # The eligibility's end is offered three years on; a training ignores it.
    expect(page.locator("input[name=eligibility_valid_until]")).to_have_value(
        years_later(today, VAE_ELIGIBILITY_YEARS).isoformat()
    )
    return page


def submit_the_evaluation_form(page):
    page.locator("main form.form--evaluation button[type=submit]").click()


def evaluator_starts_the_evaluation(watch, base_url, dossier):
    page = watch.page
    page.locator(
        f"main form[action$='/evaluateur/dossiers/{dossier.pk}/start-evaluation/']"
    ).locator("button[type=submit]").click()
    # The same address before and after: the message tells the new page from the old one.
    expect(page.locator(".message--success")).to_have_text(
        fr("The evaluation has started: assess each unit.")
    )
    expect(page).to_have_url(evaluator_url(base_url, dossier))
    expect_status(page, S.EVALUATION)
    assert reload(dossier).status == S.EVALUATION


def evaluator_assesses_the_unit(watch, base_url, dossier, unit, met, result, modality, comment):
    """`met` lists, criterion by criterion in the unit's order, whether it is met."""
    page = watch.page
    href = f"a[href$='/evaluateur/dossiers/{dossier.pk}/units/{unit.pk}/']"
    link = page.locator(f"main {href}")
    expect(link).to_contain_text(unit.code)
    link.click()
    expect(page).to_have_url(evaluator_url(base_url, dossier, f"units/{unit.pk}/"))
    expect(page.locator("h1")).to_contain_text(unit.code)
    criteria = list(unit.criteria.order_by("order", "id"))
    assert len(criteria) == len(met)
    fields = page.locator(".criterion-field")
    expect(fields).to_have_count(len(criteria))
    for index, (criterion, is_met) in enumerate(zip(criteria, met, strict=True)):
        expect(fields.nth(index)).to_contain_text(criterion.text)  # each labelled by its text
        value = "met" if is_met else "not_met"
        fields.nth(index).locator(f"input[name=criterion_{criterion.pk}][value={value}]").check()
    expect(page.locator("input[name=assessed_on]")).to_have_value(timezone.localdate().isoformat())
    page.locator("select[name=modality]").select_option(modality)
    page.locator(f"input[name=result][value={result}]").check()
    page.locator("textarea[name=comment]").fill(comment)
    submit_the_evaluation_form(page)
    expect(page).to_have_url(evaluator_url(base_url, dossier))
    expect(page.locator(".message--success")).to_contain_text(unit.code)
    # The unit's link now changes its assessment, and shows the result.
    item = page.locator(".unit-links li", has=page.locator(href))
    expect(item.locator(".badge")).to_have_text(in_french(UnitAssessmentResult(result).label))


def evaluator_declares_ready(watch, base_url, dossier, comment="", refused_for=None):
    """Declare ready; if `refused_for` (a unit code), expect the refusal naming that unit."""
    page = watch.page
    form = page.locator(f"main form[action$='/evaluateur/dossiers/{dossier.pk}/ready/']")
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    form.locator("button[type=submit]").click()
    # The same address before and after: the message tells the new page from the old one.
    if refused_for:
        expect(page.locator(".message--error")).to_contain_text(refused_for)
        expect_status(page, S.EVALUATION)
    else:
        expect(page.locator(".message--success")).to_have_text(
            fr("The dossier is ready for the jury; the branch's staff are told by e-mail.")
        )
        expect_status(page, S.READY_FOR_JURY)
    expect(page).to_have_url(evaluator_url(base_url, dossier))


def expect_read_only_for_the_evaluator(watch, base_url, dossier, unit):
    """Once ready for the jury: no form, no link to assess, an assessment page sends back."""
    page = watch.page
    expect_status(page, S.READY_FOR_JURY)
    expect(page.locator(".evaluator-actions form")).to_have_count(0)
    expect(page.locator(".evaluator-actions a[href*='/units/']")).to_have_count(0)
    page.goto(evaluator_url(base_url, dossier, f"units/{unit.pk}/"))
    expect(page).to_have_url(evaluator_url(base_url, dossier))
    expect(page.locator(".message--error")).to_have_count(1)


# --- the candidate ------------------------------------------------------------------------------


def candidate_opens_the_dossier(watch, base_url, dossier):
    page = watch.page
    page.goto(f"{base_url}/candidat/dossiers/{dossier.pk}/")
    expect(page.locator("h1")).to_contain_text(dossier.reference)
    return page


def candidate_adds_the_vae_booklet(watch, path):
    page = watch.page
    form = page.locator("main form[action$='/pieces/']")
    form.locator("select[name=kind]").select_option(DossierDocument.Kind.VAE_BOOKLET.value)
    form.locator("input[name=file]").set_input_files(path)
    form.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_contain_text(path.name)
    row = page.locator("#pieces ~ .table-wrapper tbody tr", has_text=path.name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(in_french(DossierDocument.Kind.VAE_BOOKLET.label))


def step_mails(email, dossier, at_least=1):
    """The e-mails to `email` about `dossier` (the live server sends them from its thread)."""
    return [m for m in mails_to(email, at_least=at_least) if dossier.reference in m.subject]


def assert_candidate_heard_of(dossier, actions):
    email = dossier.candidate.user.email
    sent = step_mails(email, dossier, at_least=len(actions))
    assert len(sent) == len(actions), [m.subject for m in sent]
    for message, action in zip(sent, actions, strict=True):
        assert in_french(step_label(action)) in message.subject, (action, message.subject)
        assert f"/candidat/dossiers/{dossier.pk}/" in message.body
    return dict(zip(actions, sent, strict=True))


# --- the journeys -------------------------------------------------------------------------------


def test_an_evaluator_takes_two_dossiers_through_the_vae_and_the_training_to_the_jury(
    watched_page, new_page, live_server, tmp_path, staff, open_cqp, units, evaluator, provider
):
    base_url = live_server.url
    bc01, bc02 = units
    today = timezone.localdate()
    vae = admissible_dossier(open_cqp, staff, "lea.dumas@example.org", "Léa", "Dumas")
    training = admissible_dossier(open_cqp, staff, "hugo.martin@example.org", "Hugo", "Martin")

    # 1. Staff assign the evaluator to both dossiers, each with its due date.
    staff_watch = watched_page
    log_in(staff_watch.page, base_url, staff.email)
    expect(staff_watch.page).to_have_url(f"{base_url}/admin/")
    vae_due, training_due = today + datetime.timedelta(days=20), today + datetime.timedelta(days=45)
    staff_assigns_the_evaluator(
        staff_watch,
        base_url,
        vae,
        evaluator,
        vae_due,
        screenshot="evaluator-journey-01-admin-assign-with-due-date",
    )
    staff_assigns_the_evaluator(staff_watch, base_url, training, evaluator, training_due)

    # 2. The evaluator logs in and lands on their list: both dossiers, due dates, next step.
    evaluator_watch = new_page()
    page = evaluator_watch.page
    log_in(page, base_url, evaluator.email)
    expect(page).to_have_url(f"{base_url}/evaluateur/")
    expect(page.locator("main table tbody tr")).to_have_count(2)
    for dossier, due in ((vae, vae_due), (training, training_due)):
        row = list_row(page, dossier)
        expect(row).to_contain_text(str(dossier.candidate))
        expect(row).to_contain_text(open_cqp.code)
        expect(row).to_contain_text(in_french(S.POSITIONING.label))
        expect(row).to_contain_text(fr_date(due))
        expect(row).to_contain_text(fr("Record the positioning"))
    expect(page.locator(".status-counts a").first).to_contain_text("2")
    evaluator_watch.screenshot("evaluator-journey-02-evaluator-list")

    # 3. VAE: the positioning, every unit partly or fully acquired, eligible for three years.
    evaluator_opens_from_the_list(evaluator_watch, base_url, vae)
    expect_status(page, S.POSITIONING)
    expect(page.locator("dl.meta").first).to_contain_text(fr_date(vae_due))
    evaluator_watch.screenshot("evaluator-journey-03-evaluator-dossier-positioning")
    evaluator_records_the_positioning(
        evaluator_watch,
        base_url,
        vae,
        {
            bc01: ("acquired", "Mandats de vente tenus seule depuis 2017.", None),
            bc02: ("partly", "Peu de gestion locative : à vérifier à l'évaluation.", None),
        },
        Pathway.VAE,
        VAE_JUSTIFICATION,
    )
    evaluator_watch.screenshot("evaluator-journey-04-positioning-form")
    submit_the_evaluation_form(page)
    expect(page).to_have_url(evaluator_url(base_url, vae))
    expect(page.locator(".message--success")).to_have_count(1)
    expect_status(page, S.VAE)
    valid_until = years_later(today, VAE_ELIGIBILITY_YEARS)
    assert (reload(vae).status, vae.pathway) == (S.VAE, Pathway.VAE)
    assert vae.positioning.eligibility_valid_until == valid_until
    assert {line.unit_id: line.result for line in vae.positioning.units.all()} == {
        bc01.pk: "acquired",
        bc02.pk: "partly",
    }
    # Without the booklet, the evaluation cannot start: the page says why, the service refuses.
    start = page.locator(".evaluator-actions")
    expect(start.locator(".notice--warning")).to_contain_text(
        fr("The candidate has not added their VAE booklet yet.")
    )
    start.locator("form[action$='/start-evaluation/'] button[type=submit]").click()
    expect(page.locator(".message--error")).to_contain_text(
        fr("The candidate has not added their VAE booklet yet.")
    )
    expect_status(page, S.VAE)

    # The list filtered on the VAE pathway shows that dossier only, with its next step.
    page.goto(f"{base_url}/evaluateur/")
    page.locator("form.filters select[name=status]").select_option(S.VAE.value)
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/evaluateur/\?(.*&)?status=vae(&|$)"))
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(list_row(page, vae)).to_contain_text(fr("Waiting for the VAE booklet"))

    # 4. The candidate reads the positioning and the eligibility, and adds the VAE booklet.
    lea_watch = new_page()
    log_in(lea_watch.page, base_url, vae.candidate.user.email)
    expect(lea_watch.page).to_have_url(f"{base_url}/candidat/")
    lea = candidate_opens_the_dossier(lea_watch, base_url, vae)
    expect_status(lea, S.VAE)
    positioning = lea.locator("section[aria-labelledby=positioning]")
    expect(positioning).to_contain_text(VAE_JUSTIFICATION)
    expect(positioning.locator("p.notice").first).to_contain_text(fr_date(valid_until))
    expect(positioning.locator("tbody tr", has_text="BC01")).to_contain_text(
        in_french(PositioningResult.ACQUIRED.label)
    )
    lea_watch.screenshot("evaluator-journey-05-candidate-vae-eligibility")
    candidate_adds_the_vae_booklet(lea_watch, write_pdf(tmp_path, "livret-vae-lea-dumas.pdf"))
    lea_watch.screenshot("evaluator-journey-06-candidate-vae-booklet")

    # 5. The evaluator sees the booklet, starts the evaluation and assesses BC01.
    page.goto(evaluator_url(base_url, vae))
    expect(page.locator("#pieces-title ~ .table-wrapper")).to_contain_text(
        "livret-vae-lea-dumas.pdf"
    )
    evaluator_starts_the_evaluation(evaluator_watch, base_url, vae)
    evaluator_assesses_the_unit(
        evaluator_watch,
        base_url,
        vae,
        bc01,
        met=[True, True],
        result="validated",
        modality="portfolio",
        comment="",
    )

    # 6. "Ready for the jury" is refused while BC02 has no assessment, naming it.
    expect(page.locator(".evaluator-actions .notice--warning")).to_contain_text("BC02")
    evaluator_watch.screenshot("evaluator-journey-07-evaluator-one-unit-missing")
    evaluator_declares_ready(evaluator_watch, base_url, vae, refused_for="BC02")
    expect(page.locator(".message--error")).not_to_contain_text("BC01")
    assert reload(vae).status == S.EVALUATION

    # 7. BC02: one criterion not met, validated all the same with the reason; then ready.
    evaluator_assesses_the_unit(
        evaluator_watch,
        base_url,
        vae,
        bc02,
        met=[True, False],
        result="validated",
        modality="interview",
        comment="Le second critère est couvert par l'entretien sur les baux commerciaux.",
    )
    expect(page.locator(".evaluator-actions .notice--warning")).to_have_count(0)
    evaluator_declares_ready(
        evaluator_watch, base_url, vae, comment="Dossier complet, livret très documenté."
    )
    assert reload(vae).status == S.READY_FOR_JURY
    assessments = {a.unit_id: a for a in vae.unit_assessments.prefetch_related("criteria")}
    assert sorted(assessments) == sorted([bc01.pk, bc02.pk])
    assert [c.met for c in assessments[bc02.pk].criteria.order_by("criterion__order")] == [
        True,
        False,
    ]
    expect_read_only_for_the_evaluator(evaluator_watch, base_url, vae, bc02)
    evaluator_watch.screenshot("evaluator-journey-08-evaluator-dossier-ready")

    # 8. Training: the positioning with hours per unit.
    evaluator_opens_from_the_list(evaluator_watch, base_url, training)
    evaluator_records_the_positioning(
        evaluator_watch,
        base_url,
        training,
        {
            bc01: ("partly", "Quelques visites accompagnées.", 35),
            bc02: ("not_yet", "", 70),
        },
        Pathway.TRAINING,
        TRAINING_JUSTIFICATION,
    )
    submit_the_evaluation_form(page)
    expect(page).to_have_url(evaluator_url(base_url, training))
    expect(page.locator(".message--success")).to_have_count(1)
    expect_status(page, S.TRAINING)
    assert (reload(training).status, training.pathway) == (S.TRAINING, Pathway.TRAINING)
    assert training.positioning.eligibility_valid_until is None
    assert {line.unit_id: line.estimated_hours for line in training.positioning.units.all()} == {
        bc01.pk: 35,
        bc02.pk: 70,
    }

    # 9. The training plan: the habilitated provider, dates, the units and hours proposed.
    page.locator(f"main a[href$='/evaluateur/dossiers/{training.pk}/training-plan/']").click()
    expect(page).to_have_url(evaluator_url(base_url, training, "training-plan/"))
    page.locator("select[name=provider]").select_option(str(provider.pk))
    starts, ends = today + datetime.timedelta(days=14), today + datetime.timedelta(days=134)
    page.locator("input[name=start_date]").fill(starts.isoformat())
    page.locator("input[name=end_date]").fill(ends.isoformat())
    expect(page.locator("select[name=funding]")).to_have_value("cpf")  # the dossier's
    for unit, hours in ((bc01, "35"), (bc02, "70")):
        expect(page.locator(f"input[name=unit_{unit.pk}_covered]")).to_be_checked()
        expect(page.locator(f"input[name=unit_{unit.pk}_hours]")).to_have_value(hours)
    page.locator(f"input[name=unit_{bc02.pk}_hours]").fill("84")
    evaluator_watch.screenshot("evaluator-journey-09-training-plan-form")
    submit_the_evaluation_form(page)
    expect(page).to_have_url(evaluator_url(base_url, training))
    expect(page.locator(".message--success")).to_have_count(1)
    expect_status(page, S.TRAINING)
    expect(page.locator("dl.meta").first).to_contain_text(provider.name)
    expect(
        page.locator(f".evaluator-actions a[href$='/dossiers/{training.pk}/training-plan/']")
    ).to_have_text(fr("Change the training plan"))
    plan = reload(training).training_plan
    assert (plan.provider, plan.start_date, plan.end_date) == (provider, starts, ends)
    assert {line.unit_id: line.hours for line in plan.units.all()} == {bc01.pk: 35, bc02.pk: 84}

    # 10. The candidate sees the provider and the dates of the training.
    hugo_watch = new_page()
    log_in(hugo_watch.page, base_url, training.candidate.user.email)
    expect(hugo_watch.page).to_have_url(f"{base_url}/candidat/")
    hugo = candidate_opens_the_dossier(hugo_watch, base_url, training)
    expect_status(hugo, S.TRAINING)
    expect(hugo.locator("section[aria-labelledby=positioning]")).to_contain_text(
        TRAINING_JUSTIFICATION
    )
    plan_section = hugo.locator("section[aria-labelledby=training-plan]")
    expect(plan_section).to_contain_text(provider.name)
    expect(plan_section).to_contain_text(fr_date(starts))
    expect(plan_section).to_contain_text(fr_date(ends))
    expect(plan_section.locator("tbody tr", has_text="BC02")).to_contain_text("84")
    expect(hugo.locator("#next-step ~ p").first).to_contain_text(provider.name)
    hugo_watch.screenshot("evaluator-journey-10-candidate-training-plan")

    # 11. The evaluator starts the evaluation, assesses both units and declares it ready.
    evaluator_starts_the_evaluation(evaluator_watch, base_url, training)
    evaluator_assesses_the_unit(
        evaluator_watch,
        base_url,
        training,
        bc01,
        met=[True, True],
        result="validated",
        modality="observation",
        comment="",
    )
    evaluator_assesses_the_unit(
        evaluator_watch,
        base_url,
        training,
        bc02,
        met=[False, False],
        result="not_validated",
        modality="case_study",
        comment="Les calculs de charges locatives ne sont pas maîtrisés.",
    )
    evaluator_declares_ready(evaluator_watch, base_url, training)
    assert reload(training).status == S.READY_FOR_JURY
    expect_read_only_for_the_evaluator(evaluator_watch, base_url, training, bc01)

    # Both dossiers are with the jury: the list says there is nothing left to do.
    page.goto(f"{base_url}/evaluateur/")
    for dossier in (vae, training):
        row = list_row(page, dossier)
        expect(row).to_contain_text(in_french(S.READY_FOR_JURY.label))
        expect(row).to_contain_text(fr("Nothing: the dossier is with the jury"))
    evaluator_watch.screenshot("evaluator-journey-11-evaluator-list-ready")

    # 12. The timelines: every step, in order, on each candidate's page.
    for watch, dossier, taken, plan_step in (
        (lea_watch, vae, "choose_vae", []),
        (hugo_watch, training, "choose_training", ["plan_training"]),
    ):
        candidate_page = watch.page
        candidate_page.reload()
        expect_status(candidate_page, S.READY_FOR_JURY)
        actions = assert_timeline_is_complete(candidate_page, dossier)
        assert [a for a in actions if a not in ("add_piece", "assess_unit")] == [
            "open",
            "submit",
            "declare_complete",
            "declare_admissible",
            "assign_evaluator",
            taken,
            *plan_step,
            "start_evaluation",
            "declare_ready",
        ]
        assert actions.count("assess_unit") == 2
    expect(lea_watch.page.locator("ol.timeline")).to_contain_text(VAE_JUSTIFICATION)
    expect(hugo_watch.page.locator("ol.timeline")).to_contain_text(provider.name)
    lea_watch.screenshot("evaluator-journey-12-candidate-vae-ready")
    hugo_watch.screenshot("evaluator-journey-13-candidate-training-ready")

    # 13. E-mails: the candidate hears of each step, staff of the dossiers ready for the jury.
    vae_mails = assert_candidate_heard_of(
        vae,
        [
            "submit",
            "declare_admissible",
            "assign_evaluator",
            "choose_vae",
            "start_evaluation",
            "declare_ready",
        ],
    )
    assert VAE_JUSTIFICATION in vae_mails["choose_vae"].body
    training_mails = assert_candidate_heard_of(
        training,
        [
            "submit",
            "declare_admissible",
            "assign_evaluator",
            "choose_training",
            "plan_training",
            "start_evaluation",
            "declare_ready",
        ],
    )
    assert provider.name in training_mails["plan_training"].body
    for dossier in (vae, training):
        ready = fr("Dossier %(reference)s ready for the jury") % {"reference": dossier.reference}
        to_staff = [m for m in mails_to(staff.email, at_least=4) if m.subject == ready]
        assert len(to_staff) == 1, [m.subject for m in mails_to(staff.email)]
        assert f"/admin/candidates/dossier/{dossier.pk}/change/" in to_staff[0].body
        to_evaluator = step_mails(evaluator.email, dossier, at_least=2)
        assert len(to_evaluator) == 1, [m.subject for m in to_evaluator]
        assert f"/evaluateur/dossiers/{dossier.pk}/" in to_evaluator[0].body

    for watch in (staff_watch, evaluator_watch, lea_watch, hugo_watch):
        watch.assert_clean()


def test_an_evaluator_declares_a_conflict_of_interest_and_the_dossier_returns_to_staff(
    watched_page, new_page, live_server, staff, open_cqp, evaluator
):
    base_url = live_server.url
    dossier = admissible_dossier(open_cqp, staff, "nina.roux@example.org", "Nina", "Roux")
    staff_watch = watched_page
    log_in(staff_watch.page, base_url, staff.email)
    expect(staff_watch.page).to_have_url(f"{base_url}/admin/")
    staff_assigns_the_evaluator(
        staff_watch, base_url, dossier, evaluator, timezone.localdate() + datetime.timedelta(days=7)
    )

    # The evaluator opens the dossier and steps aside, saying why.
    evaluator_watch = new_page()
    page = evaluator_watch.page
    log_in(page, base_url, evaluator.email)
    evaluator_opens_from_the_list(evaluator_watch, base_url, dossier)
    page.locator(f".evaluator-actions a[href$='/dossiers/{dossier.pk}/conflict/']").click()
    expect(page).to_have_url(evaluator_url(base_url, dossier, "conflict/"))
    expect(page.locator("h1")).to_contain_text(dossier.reference)
    page.locator("textarea[name=reason]").fill(CONFLICT_REASON)
    evaluator_watch.screenshot("evaluator-journey-14-conflict-of-interest")
    page.locator("main form button[type=submit]").click()

    # It leaves their list, and their hands.
    expect(page).to_have_url(f"{base_url}/evaluateur/")
    expect(page.locator(".message--success")).to_contain_text(dossier.reference)
    expect(list_row(page, dossier)).to_have_count(0)
    expect(page.locator("main p.empty")).to_have_count(1)
    assert (reload(dossier).status, dossier.evaluator) == (S.POSITIONING, None)
    response = page.goto(evaluator_url(base_url, dossier))
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(dossier.reference)

    # Staff find it awaiting an evaluator, read the reason, and cannot pick the same evaluator.
    admin = staff_watch.page
    admin.goto(f"{base_url}/admin/candidates/dossier/?follow_up=awaiting")
    row = admin.locator("#result_list tbody tr", has_text=dossier.reference)
    expect(row).to_have_count(1)
    expect(row.locator(".field-evaluator_display .cqp-warning")).to_have_text(
        fr("Awaiting an evaluator")
    )
    row.locator("a[href*='/change/']").first.click()
    expect(admin).to_have_url(
        re.compile(rf"/admin/candidates/dossier/{dossier.pk}/change/(\?[^/]*)?$")
    )
    expect(admin.locator(".cqp-notice--alert")).to_contain_text(
        fr("This dossier is awaiting an evaluator.")
    )
    expect(admin.locator("#dossier-conflicts")).to_contain_text(CONFLICT_REASON)
    staff_watch.screenshot("evaluator-journey-15-admin-awaiting-an-evaluator")
    admin.locator("ul.cqp-actions a.cqp-action--reassign_evaluator").click()
    expect(admin).to_have_url(re.compile(r"/action/reassign_evaluator/$"))
    expect(admin.locator(f"select[name=evaluator] option[value='{evaluator.pk}']")).to_have_count(0)

    # The candidate sees that the evaluator stepped aside, not why.
    nina_email = dossier.candidate.user.email
    nina_watch = new_page()
    log_in(nina_watch.page, base_url, nina_email)
    nina = candidate_opens_the_dossier(nina_watch, base_url, dossier)
    expect(nina.locator("ol.timeline")).to_contain_text(in_french(step_label("declare_conflict")))
    expect(nina.locator("main")).not_to_contain_text(CONFLICT_REASON)

    to_staff = step_mails(staff.email, dossier, at_least=2)
    assert any(CONFLICT_REASON in m.body for m in to_staff), [m.subject for m in to_staff]
    assert all(CONFLICT_REASON not in m.body for m in step_mails(nina_email, dossier))

    # Chromium logs the 404 response itself as a console error; nothing else may appear.
    assert all("404" in error for error in evaluator_watch.console_errors)
    assert evaluator_watch.foreign_requests == []
    for watch in (staff_watch, nina_watch):
        watch.assert_clean()
