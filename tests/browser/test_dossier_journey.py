"""A candidate's dossier in a real browser, from registration to the assigned evaluator.

A visitor registers and confirms their address from the e-mail, completes their profile, opens a
dossier on an open CQP, adds their identity piece and submits; branch staff declare it
incomplete in the admin; the candidate adds the missing CV and sends it again; staff declare it
complete, admissible and assign an accredited evaluator, who reads the dossier. Only the branch,
its people, the open CQP and the evaluator's accreditation are made with the ORM or services.
"""

import re
import time

import pytest
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from candidates.lifecycles import step_label
from candidates.models import Candidate, Dossier, DossierStatus
from certifications import services as catalogue
from tests import factories
from tests.browser.conftest import PageWatch
from tests.browser.test_catalogue_journey import log_in, submit_admin_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = DossierStatus
CANDIDATE_EMAIL = "lea.dumas@example.org"
CANDIDATE_PASSWORD = "Lune-rousse-sur-Brocéliande"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MISSING = "Il manque votre CV, daté et signé."
DOSSIER_URL = re.compile(r"/candidat/dossiers/(\d+)/$")


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
def open_cqp(cqp, staff, cpnef):
    """The branch's CQP, approved by its CPNEF with its version 1 published."""
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    assert cqp.is_open_to_candidates()
    return cqp


@pytest.fixture
def evaluator(branch, open_cqp):
    user = factories.UserFactory(
        email="evaluateur@example.org", first_name="Marc", last_name="Évaluateur"
    )
    factories.AccreditationFactory(user=user, branch=branch)
    return user


@pytest.fixture
def other_candidate(db):
    user = factories.UserFactory(email="autre.candidat@example.org")
    candidate = Candidate(user=user, first_name=user.first_name, last_name=user.last_name)
    candidate.refresh_search_text()
    candidate.save()
    return candidate


def in_french(label) -> str:
    with translation.override("fr"):
        return str(label)


def mails_to(email: str, *, at_least: int = 1, wait: float = 3.0) -> list:
    """The messages sent to `email`; the live server sends them from its own thread."""
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in mail.outbox if email in m.to]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def write_pdf(tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(PDF)
    return path


def expect_status(page, status):
    expect(page.locator("dl.meta .badge").first).to_have_text(in_french(status.label))


# --- the candidate ------------------------------------------------------------------------------


def visitor_registers_and_confirms(watch, base_url):
    page = watch.page
    page.goto(f"{base_url}/")
    page.locator("main a[href$='/candidat/register/']").click()
    expect(page).to_have_url(f"{base_url}/candidat/register/")
    page.locator("input[name=first_name]").fill("Léa")
    page.locator("input[name=last_name]").fill("Dumas")
    page.locator("input[name=email]").fill(CANDIDATE_EMAIL)
    page.locator("input[name=password1]").fill(CANDIDATE_PASSWORD)
    page.locator("input[name=password2]").fill(CANDIDATE_PASSWORD)
    page.locator("input[name=consent]").check()
    watch.screenshot("dossier-journey-01-register")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/candidat/register/sent/")
    watch.screenshot("dossier-journey-02-check-your-mailbox")

    sent = mails_to(CANDIDATE_EMAIL)
    assert len(sent) == 1
    link = re.search(r"https?://\S+?(/candidat/confirm/[^/\s]+/[^/\s]+/)", sent[0].body)
    assert link, sent[0].body
    page.goto(base_url + link.group(1))
    page.locator("input[name=password]").fill(CANDIDATE_PASSWORD)
    watch.screenshot("dossier-journey-03-confirm-address")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/candidat/")
    expect(page.locator(".message--success")).to_have_count(1)
    expect(page.locator(".user-menu__name")).to_contain_text("Léa Dumas")
    watch.screenshot("dossier-journey-04-candidate-space")


def candidate_completes_the_profile(watch, base_url):
    page = watch.page
    page.goto(f"{base_url}/candidat/profile/")
    expect(page.locator("input[name=first_name]")).to_have_value("Léa")
    page.locator("input[name=birth_date]").fill("1994-03-08")
    page.locator("input[name=birth_place]").fill("Rennes")
    page.locator("select[name=situation]").select_option(Candidate.Situation.JOB_SEEKER.value)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/candidat/profile/")
    expect(page.locator(".message--success")).to_have_count(1)
    expect(page.locator("input[name=birth_place]")).to_have_value("Rennes")
    watch.screenshot("dossier-journey-05-profile")


def candidate_opens_a_dossier(watch, base_url, cqp) -> Dossier:
    page = watch.page
    page.goto(f"{base_url}/catalogue/cqp/{cqp.pk}/")
    page.locator("main a[href*='/candidat/dossiers/new/']").click()
    expect(page).to_have_url(f"{base_url}/candidat/dossiers/new/?cqp={cqp.pk}")
    expect(page.locator("select[name=cqp]")).to_have_value(str(cqp.pk))
    page.locator("select[name=funding]").select_option("cpf")
    watch.screenshot("dossier-journey-06-open-dossier")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(DOSSIER_URL)
    dossier = Dossier.objects.get(pk=int(DOSSIER_URL.search(page.url).group(1)))
    expect(page.locator("h1")).to_contain_text(dossier.reference)
    expect_status(page, S.DRAFT)
    return dossier


def candidate_adds_a_piece(watch, path, kind):
    page = watch.page
    form = page.locator("main form[action$='/pieces/']")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=file]").set_input_files(path)
    form.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_contain_text(path.name)
    expect(page.locator("#pieces ~ .table-wrapper tbody tr", has_text=path.name)).to_have_count(1)


def candidate_sends_the_dossier(watch, status):
    page = watch.page
    page.locator("main form[action$='/submit/'] button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_count(1)
    expect_status(page, status)
    expect(page.locator("main form[action$='/submit/']")).to_have_count(0)
    expect(page.locator("main form[action$='/pieces/']")).to_have_count(0)  # locked


def assert_timeline_is_complete(page, dossier):
    events = list(dossier.events.order_by("created_at", "id"))
    items = page.locator("ol.timeline > li")
    expect(items).to_have_count(len(events))
    for index, event in enumerate(events):
        expect(items.nth(index)).to_contain_text(in_french(step_label(event.action)))
    return [event.action for event in events]


# --- the branch's staff -------------------------------------------------------------------------


def staff_opens_the_dossier(watch, base_url, dossier):
    page = watch.page
    page.goto(f"{base_url}/admin/")
    page.locator("a[href$='/admin/candidates/dossier/']").first.click()
    expect(page).to_have_url(f"{base_url}/admin/candidates/dossier/")
    row = page.locator("#result_list tbody tr", has_text=dossier.reference)
    expect(row).to_have_count(1)
    row.locator("a[href*='/change/']").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/candidates/dossier/{dossier.pk}/change/$"))


def staff_takes_action(watch, action, *, comment="", evaluator=None, screenshot=None):
    page = watch.page
    page.locator(f"ul.cqp-actions a.cqp-action--{action}").click()
    expect(page).to_have_url(re.compile(rf"/action/{action}/$"))
    if comment:
        page.locator("textarea[name=comment]").fill(comment)
    if evaluator is not None:
        page.locator("select[name=evaluator]").select_option(str(evaluator.pk))
    if screenshot:
        watch.screenshot(screenshot)
    submit_admin_form(page)
    expect(page).to_have_url(re.compile(r"/admin/candidates/dossier/\d+/change/$"))
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)


# --- the journey --------------------------------------------------------------------------------


def test_a_candidate_registers_and_their_dossier_reaches_an_evaluator(
    watched_page, new_page, live_server, tmp_path, staff, open_cqp, evaluator, other_candidate
):
    base_url = live_server.url
    candidate_watch = watched_page
    page = candidate_watch.page

    # 1–2. Registration, profile, a dossier with its identity piece, submitted.
    visitor_registers_and_confirms(candidate_watch, base_url)
    candidate_completes_the_profile(candidate_watch, base_url)
    dossier = candidate_opens_a_dossier(candidate_watch, base_url, open_cqp)
    candidate_adds_a_piece(candidate_watch, write_pdf(tmp_path, "carte-identite.pdf"), "identity")
    candidate_watch.screenshot("dossier-journey-07-draft-with-identity")
    candidate_sends_the_dossier(candidate_watch, S.SUBMITTED)
    assert_timeline_is_complete(page, dossier)
    candidate_watch.screenshot("dossier-journey-08-submitted")

    # 3. Staff find it incomplete; the candidate reads why, adds the CV and sends it again.
    staff_watch = new_page()
    log_in(staff_watch.page, base_url, staff.email)
    expect(staff_watch.page).to_have_url(f"{base_url}/admin/")
    staff_opens_the_dossier(staff_watch, base_url, dossier)
    expect(staff_watch.page.locator(".field-status_display .cqp-status--submitted")).to_be_visible()
    staff_watch.screenshot("dossier-journey-09-admin-dossier-submitted")
    staff_takes_action(
        staff_watch,
        "declare_incomplete",
        comment=MISSING,
        screenshot="dossier-journey-10-admin-declare-incomplete",
    )
    expect(
        staff_watch.page.locator(".field-status_display .cqp-status--incomplete")
    ).to_be_visible()

    page.reload()
    expect_status(page, S.INCOMPLETE)
    expect(page.locator("#next-step ~ .notice--warning")).to_contain_text(MISSING)
    candidate_watch.screenshot("dossier-journey-11-incomplete")
    candidate_adds_a_piece(candidate_watch, write_pdf(tmp_path, "cv-lea-dumas.pdf"), "cv")
    candidate_sends_the_dossier(candidate_watch, S.SUBMITTED)

    # 4. Complete, admissible, an evaluator assigned.
    staff_watch.page.reload()
    expect(staff_watch.page.locator(".field-status_display .cqp-status--submitted")).to_be_visible()
    staff_takes_action(staff_watch, "declare_complete")
    staff_takes_action(staff_watch, "declare_admissible")
    staff_takes_action(
        staff_watch,
        "assign_evaluator",
        evaluator=evaluator,
        screenshot="dossier-journey-12-admin-assign-evaluator",
    )
    admin = staff_watch.page
    expect(admin.locator(".field-status_display .cqp-status--positioning")).to_be_visible()
    expect(admin.locator(".field-evaluator")).to_contain_text("Marc Évaluateur")
    staff_watch.screenshot("dossier-journey-13-admin-positioning")

    dossier.refresh_from_db()
    assert (dossier.status, dossier.evaluator) == (S.POSITIONING, evaluator)
    page.reload()
    expect_status(page, S.POSITIONING)
    actions = assert_timeline_is_complete(page, dossier)
    assert [a for a in actions if a not in ("add_piece",)] == [
        "open",
        "submit",
        "declare_incomplete",
        "resubmit",
        "declare_complete",
        "declare_admissible",
        "assign_evaluator",
    ]
    expect(page.locator("ol.timeline")).to_contain_text(MISSING)
    expect(page.locator("ol.timeline")).to_contain_text("Marc Évaluateur")
    candidate_watch.screenshot("dossier-journey-14-candidate-positioning")

    # One e-mail per step the candidate hears about, each naming the dossier; staff told twice.
    steps = mails_to(CANDIDATE_EMAIL, at_least=6)[1:]  # after the address confirmation
    assert len(steps) == 5, [m.subject for m in steps]
    for message in steps:
        assert dossier.reference in message.subject
        assert f"/candidat/dossiers/{dossier.pk}/" in message.body
    assert MISSING in steps[1].body
    # (The setup's CQP approval wrote to staff too: only the dossier's messages count.)
    to_staff = [m for m in mails_to(staff.email, at_least=3) if dossier.reference in m.subject]
    assert len(to_staff) == 2, [m.subject for m in to_staff]

    # 5. The evaluator reads the dossier; another candidate does not find it.
    evaluator_watch = new_page()
    log_in(evaluator_watch.page, base_url, evaluator.email)
    expect(evaluator_watch.page).not_to_have_url(re.compile(r"/accounts/login/"))
    response = evaluator_watch.page.goto(f"{base_url}/candidat/dossiers/{dossier.pk}/")
    assert response.status == 200
    read = evaluator_watch.page
    expect(read.locator("h1")).to_contain_text(dossier.reference)
    expect(read.locator("dl.meta")).to_contain_text(str(dossier.candidate))
    expect_status(read, S.POSITIONING)
    expect(read.locator("main form")).to_have_count(0)  # nothing to act on
    expect(read.locator("#next-step")).to_have_count(0)
    evaluator_watch.screenshot("dossier-journey-15-evaluator-reads")

    stranger = new_page()
    log_in(stranger.page, base_url, other_candidate.user.email)
    expect(stranger.page).to_have_url(f"{base_url}/candidat/")
    response = stranger.page.goto(f"{base_url}/candidat/dossiers/{dossier.pk}/")
    assert response.status == 404
    expect(stranger.page.locator("main")).not_to_contain_text(dossier.reference)
    stranger.screenshot("dossier-journey-16-other-candidate-404")
    # Chromium logs the 404 response itself as a console error; nothing else may appear.
    assert all("404" in error for error in stranger.console_errors), stranger.console_errors
    assert stranger.foreign_requests == []

    for watch in (candidate_watch, staff_watch, evaluator_watch):
        watch.assert_clean()
