"""The whole journey in a real browser, each role handing over to the next through the pages.

Branch staff import a référentiel from the France Compétences sample export, add its criteria,
publish it and submit the CQP; a CPNEF member approves it; staff accredit an evaluator. A visitor
registers, confirms their address from the e-mail, opens a dossier, adds their identity piece and
submits; staff declare it incomplete, the candidate adds the missing CV, staff admit it and assign
the evaluator, who orients the candidate to the VAE and assesses each unit (two validated, two
not). Staff convene a jury, its two members vote, the president records a partial validation and
closes: the candidate downloads the attestation, reads the acquired units and opens a new dossier
that carries them. That one follows a training with a provider staff habilitate, goes to a
second jury and ends certified: the candidate downloads the certificate, a visitor opens the
address its QR code holds (valid), staff revoke it and the page, reloaded, says so.

Only the branch and the starting accounts (staff, CPNEF member, evaluator, the two jurors) are
made with the ORM; every later write goes through a page. The database is read to find ids and
to check that the pages told the truth.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from candidates.lifecycles import step_label
from candidates.models import AcquiredUnit, Dossier, DossierStatus, Pathway
from certifications.models import BranchMembership, Cqp, TrainingProvider
from juries.documents.pdf import qr_data_uri
from juries.documents.rendering import certificate_context
from juries.models import Certificate, DocumentStatus, JuryMember, JurySession, SessionStatus
from tests import factories
from tests.browser.conftest import PageWatch
from tests.browser.test_catalogue_journey import log_in, submit_admin_form
from tests.browser.test_dossier_journey import (
    assert_timeline_is_complete,
    candidate_adds_a_piece,
    candidate_sends_the_dossier,
    expect_status,
    in_french,
    mails_to,
    staff_opens_the_dossier,
    staff_takes_action,
    write_pdf,
)
from tests.browser.test_evaluator_journey import (
    candidate_adds_the_vae_booklet,
    evaluator_assesses_the_unit,
    evaluator_declares_ready,
    evaluator_opens_from_the_list,
    evaluator_records_the_positioning,
    evaluator_starts_the_evaluation,
    evaluator_url,
    fr,
    staff_assigns_the_evaluator,
    submit_the_evaluation_form,
)
from tests.browser.test_jury_journey import (
    admin_session_url,
    candidate_downloads_the_document,
    candidate_reads_acquired_units,
    expect_admin_success,
    expect_decision_recorded,
    expect_session_status,
    expect_tally,
    expect_units,
    member_votes,
    open_the_item,
    president_closes,
    president_decides,
    printed_address,
    session_url,
    staff_convene,
    staff_revoke,
    staff_seat,
    visitor_finds_it_revoked,
    visitor_finds_it_valid,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role
EXPORT = (
    Path(__file__).resolve().parents[2] / "certifications/data/rncp/export_fiches_RNCP_sample.xml"
)
NUMBER = "RNCP40344"
TITLE = "Auxiliaire spécialisé vétérinaire"
CODES = [f"{NUMBER}BC0{n}" for n in range(1, 5)]
CANDIDATE_EMAIL = "lea.dumas@example.org"
CANDIDATE_PASSWORD = "Lune-rousse-sur-Brocéliande"
EVALUATOR_EMAIL = "marc.evaluateur@example.org"
MISSING = "Il manque votre CV, daté et signé."
VAE_JUSTIFICATION = "Six ans d'accueil en clinique : l'expérience couvre BC01 et BC02."
TRAINING_JUSTIFICATION = "BC03 et BC04 restent à acquérir : une formation courte suffit."
PARTIAL_MOTIVATION = "BC03 et BC04 : les mises en situation ne montrent pas la maîtrise attendue."
REVOCATION_REASON = "Erreur matérielle : le livret examiné était celui d'une homonyme."
PROVIDER = ("AGRICAMPUS LAVAL", "19530081900016")  # a real partner of RNCP40344, Luhn-valid
PLACE = "Maison des vétérinaires, 10 place Léon Blum, 75011 Paris"
# The jury: e-mail, first name, last name, college, role (paritaire: one of each college).
JURY = [
    ("claire.martin@example.org", "Claire", "Martin", College.EMPLOYER, Role.PRESIDENT),
    ("paul.bernard@example.org", "Paul", "Bernard", College.EMPLOYEE, Role.MEMBER),
]
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
def people(db):
    """The branch and its starting accounts; nothing else exists."""
    branch = factories.BranchFactory(
        name="Cabinets et cliniques vétérinaires", slug="veterinaires", code="VETO"
    )

    def member(email, role):
        user = factories.UserFactory(email=email, is_staff=True)
        BranchMembership.objects.create(user=user, branch=branch, role=role)
        return user

    staff = member("staff@veto.example.org", BranchMembership.BranchRole.STAFF)
    cpnef = member("cpnef@veto.example.org", BranchMembership.BranchRole.CPNEF)
    evaluator = factories.UserFactory(
        email=EVALUATOR_EMAIL, first_name="Marc", last_name="Évaluateur"
    )
    jurors = [
        factories.UserFactory(email=email, first_name=first, last_name=last)
        for email, first, last, _college, _role in JURY
    ]
    return branch, staff, cpnef, evaluator, jurors


def reload(obj):
    obj.refresh_from_db()
    return obj


# --- the catalogue: staff and the CPNEF ---------------------------------------------------------


def staff_import_and_publish(watch, base_url) -> Cqp:
    """Import the sample export, give each unit its criterion, publish, submit to the CPNEF."""
    page = watch.page
    page.locator("tr.model-cqp a[href$='/admin/certifications/cqp/']").first.click()
    page.locator("a[href$='/admin/certifications/cqp/import/']").click()
    page.locator("input[name=file]").set_input_files(EXPORT)
    page.locator("input[name=dry_run]").set_checked(False)
    submit_admin_form(page)
    report = page.locator("table.cqp-report")
    expect(report.locator("tbody tr", has_text=NUMBER)).to_contain_text(TITLE)
    watch.screenshot("full-journey-02-staff-import")
    report.locator("a", has_text=NUMBER).click()
    expect(page).to_have_url(re.compile(r"/admin/certifications/cqp/\d+/change/$"))
    cqp = Cqp.objects.get(registry_number=NUMBER)

    # The fiches carry no evaluation criteria: staff write one per unit before publishing.
    page.locator("#referentiels-group a.button[href*='/referentiel/']").first.click()
    codes = page.locator("input[name^='units-'][name$='-code']:not([name*='__prefix__'])")
    expect(codes).to_have_count(len(CODES))
    assert [codes.nth(i).input_value() for i in range(len(CODES))] == CODES
    for i, code in enumerate(CODES):
        page.locator(f"textarea[name='units-{i}-criteria_text']").fill(f"Critère de {code}")
    page.locator("#content-main input[name=_continue]").click()
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    page.locator("ul.cqp-actions a.cqp-action--publish").click()
    expect(page).to_have_url(re.compile(r"/referentiel/\d+/transition/publish/$"))
    submit_admin_form(page)
    expect(page.locator(".field-status_display .cqp-status--published")).to_be_visible()
    watch.screenshot("full-journey-03-staff-referentiel-published")

    page.locator(".field-cqp a").click()
    page.locator("ul.cqp-actions a.cqp-action--submit").click()
    page.locator("textarea[name=comment]").fill("Référentiel importé, critères ajoutés.")
    submit_admin_form(page)
    expect(page.locator(".field-status_display .cqp-status--submitted")).to_be_visible()
    return cqp


def cpnef_approves(watch, base_url, cpnef):
    page = watch.page
    log_in(page, base_url, cpnef.email)
    expect(page).to_have_url(f"{base_url}/catalogue/cpnef/")
    project = page.locator("table[aria-labelledby=pending] tbody tr", has_text=TITLE)
    expect(project).to_have_count(1)
    watch.screenshot("full-journey-04-cpnef-projects")
    project.locator("a[href*='/decide/']").click()
    page.locator("input[name=outcome][value=approve]").check()
    page.locator("input[name=meeting_date]").fill(timezone.localdate().isoformat())
    page.locator("input[name=reference]").fill("CPNEF-VETO-2026-07")
    submit_admin_form(page)
    expect(page).to_have_url(f"{base_url}/catalogue/cpnef/")
    expect(page.locator("table[aria-labelledby=pending] tbody tr", has_text=TITLE)).to_have_count(0)
    expect(page.locator("table[aria-labelledby=decisions] tbody tr", has_text=TITLE)).to_have_count(
        1
    )


def staff_accredit_the_evaluator(watch, base_url, branch):
    """The evaluator's accreditation for every CQP of the branch, from today."""
    page = watch.page
    page.goto(f"{base_url}/admin/")
    page.locator("a[href$='/admin/certifications/evaluatoraccreditation/']").first.click()
    page.locator(".object-tools a.addlink").click()
    page.locator("input[name=evaluator_email]").fill(EVALUATOR_EMAIL)
    page.locator("select[name=branch]").select_option(str(branch.pk))
    page.locator("input[name=valid_from]").fill(timezone.localdate().isoformat())
    page.locator("input[name=reference]").fill("ACC-VETO-2026-01")
    submit_admin_form(page)
    expect(page).to_have_url(f"{base_url}/admin/certifications/evaluatoraccreditation/")
    expect_admin_success(page)
    expect(page.locator("#result_list tbody tr", has_text=EVALUATOR_EMAIL)).to_have_count(1)


def staff_habilitate_a_provider(watch, base_url, cqp) -> TrainingProvider:
    """A training provider of the branch, habilitated to train for the CQP from today."""
    page = watch.page
    page.goto(f"{base_url}/admin/")
    page.locator("a[href$='/admin/certifications/trainingprovider/']").first.click()
    page.locator(".object-tools a.addlink").click()
    name, siret = PROVIDER
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=siret]").fill(siret)
    page.locator("#habilitations-group .add-row a").click()
    page.locator("select[name='habilitations-0-cqp']").select_option(str(cqp.pk))
    page.locator("select[name='habilitations-0-scope']").select_option("train")
    page.locator("input[name='habilitations-0-valid_from']").fill(timezone.localdate().isoformat())
    submit_admin_form(page)
    expect(page).to_have_url(f"{base_url}/admin/certifications/trainingprovider/")
    expect_admin_success(page)
    expect(page.locator("#result_list tbody tr", has_text=name)).to_contain_text("1")
    return TrainingProvider.objects.get(siret=siret)


# --- the candidate ------------------------------------------------------------------------------


def visitor_registers_and_confirms(watch, base_url):
    page = watch.page
    page.goto(f"{base_url}/")
    page.locator("main a[href$='/candidat/register/']").click()
    page.locator("input[name=first_name]").fill("Léa")
    page.locator("input[name=last_name]").fill("Dumas")
    page.locator("input[name=email]").fill(CANDIDATE_EMAIL)
    page.locator("input[name=password1]").fill(CANDIDATE_PASSWORD)
    page.locator("input[name=password2]").fill(CANDIDATE_PASSWORD)
    page.locator("input[name=consent]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/candidat/register/sent/")

    # The link the e-mail gives, as the candidate would click it.
    sent = mails_to(CANDIDATE_EMAIL)
    assert len(sent) == 1
    link = re.search(r"https?://\S+?(/candidat/confirm/[^/\s]+/[^/\s]+/)", sent[0].body)
    assert link, sent[0].body
    page.goto(base_url + link.group(1))
    page.locator("input[name=password]").fill(CANDIDATE_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/candidat/")
    expect(page.locator(".message--success")).to_have_count(1)
    expect(page.locator(".user-menu__name")).to_contain_text("Léa Dumas")

    page.goto(f"{base_url}/candidat/profile/")
    page.locator("input[name=birth_date]").fill("1994-03-08")
    page.locator("input[name=birth_place]").fill("Laval")
    page.locator("select[name=situation]").select_option("job_seeker")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_count(1)


def candidate_opens_a_dossier(watch, base_url, cqp) -> Dossier:
    """From the catalogue's search to a draft dossier on the CQP."""
    page = watch.page
    page.goto(f"{base_url}/catalogue/")
    page.locator("input[name=q]").fill("vétérinaire")
    page.locator("input[name=q]").press("Enter")
    page.locator("#results tbody tr", has_text=NUMBER).locator("a[href*='/catalogue/cqp/']").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    page.locator("main a[href*='/candidat/dossiers/new/']").click()
    expect(page.locator("select[name=cqp]")).to_have_value(str(cqp.pk))
    page.locator("select[name=funding]").select_option("cpf")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(DOSSIER_URL)
    dossier = Dossier.objects.get(pk=int(DOSSIER_URL.search(page.url).group(1)))
    expect_status(page, S.DRAFT)
    return dossier


def candidate_goes_to_the_dossier(watch, base_url, dossier, status):
    """From the candidate's space (their main page), the dossier's page."""
    page = watch.page
    page.goto(f"{base_url}/candidat/")
    row = page.locator("main table tbody tr", has_text=dossier.reference)
    expect(row.locator(".badge")).to_have_text(in_french(status.label))
    row.locator(f"a[href$='/candidat/dossiers/{dossier.pk}/']").click()
    expect(page).to_have_url(f"{base_url}/candidat/dossiers/{dossier.pk}/")
    expect_status(page, status)
    return page


def candidate_reads_every_unit(watch, base_url, held):
    """The acquired units page: `held` maps each dossier to the units its decision granted."""
    page = watch.page
    page.goto(f"{base_url}/candidat/")
    page.locator("main a[href$='/candidat/units/']").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(sum(len(units) for units in held.values()))
    for dossier, units in held.items():
        for unit in units:
            expect(rows.filter(has_text=unit.code)).to_contain_text(dossier.reference)


def qr_address(base_url, certificate) -> str:
    """The address the certificate's QR code holds: its page on this server, once the QR code
    the document is made with is checked to encode exactly that (same symbol, module by module;
    a phone would read the same). The PDF prints the code in its display form beside it."""
    address = f"{base_url}/verify/{certificate.public_code}/"
    assert certificate_context(certificate)["qr"] == qr_data_uri(address)
    return address


# --- the jury -----------------------------------------------------------------------------------


def staff_convene_a_jury(watch, base_url, branch, cqp, jurors, dossier) -> JurySession:
    """Plan a session in three weeks, seat the jury, put the ready dossier on it, convene."""
    page = watch.page
    page.goto(f"{base_url}/admin/")
    page.locator("a[href$='/admin/juries/jurysession/']").first.click()
    page.locator(".object-tools a.addlink[href$='/admin/juries/jurysession/add/']").click()
    page.locator(f"input[name=cqps][value='{cqp.pk}']").check()
    starts_at = timezone.localtime() + datetime.timedelta(days=21)
    page.locator("input[name=starts_at]").fill(starts_at.strftime("%Y-%m-%dT14:00"))
    page.locator("input[name=place]").fill(PLACE)
    submit_admin_form(page)
    expect(page).to_have_url(re.compile(r"/admin/juries/jurysession/\d+/change/$"))
    session = JurySession.objects.filter(branch=branch).latest("pk")
    for user, (_email, _first, _last, college, role) in zip(jurors, JURY, strict=True):
        staff_seat(watch, base_url, session, user, college, role)
    page.locator("#session-agenda a[href$='/agenda/add/']").click()
    page.locator(f"form[action$='/agenda/add-ready/{cqp.pk}/'] button[type=submit]").click()
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect(page.locator("#session-agenda tbody tr")).to_have_count(1)
    expect(page.locator("#session-agenda tbody tr")).to_contain_text(dossier.reference)
    staff_convene(watch, base_url, session)
    return session


def juror_opens_the_session(watch, base_url, session):
    """From the juror's space (their main page), the session's agenda."""
    page = watch.page
    page.goto(f"{base_url}/jury/")
    row = page.locator("#upcoming-title ~ .table-wrapper tbody tr")
    expect(row).to_have_count(1)
    row.locator(f"a[href$='/jury/sessions/{session.pk}/']").click()
    expect(page).to_have_url(session_url(base_url, session))
    expect(page.locator("main table.agenda tbody tr")).to_have_count(1)


def president_opens_the_deliberation(watch, base_url, session):
    """Both members present: the quorum and the two colleges are there."""
    page = watch.page
    opening = page.locator("main form[action$='/open/']")
    for member in session.members.all():
        opening.locator(f"input[name=present][value='{member.pk}']").check()
    opening.locator("button[type=submit]").click()
    expect(page).to_have_url(session_url(base_url, session))
    expect_session_status(page, SessionStatus.DELIBERATING)


def jury_deliberates(
    president_watch, member_watch, base_url, session, units, acquired, outcome, motivation=""
):
    """Both members vote `acquired` among `units` and `outcome`; the president records that
    decision and closes the session."""
    item = session.agenda.get()
    validated = {unit: unit in acquired for unit in units}
    juror_opens_the_session(president_watch, base_url, session)
    president_opens_the_deliberation(president_watch, base_url, session)
    for watch in (president_watch, member_watch):
        member_votes(watch, base_url, item, validated, outcome)
    page = open_the_item(president_watch, base_url, item)
    expect_tally(
        page,
        units,
        [
            (2, 0, fr("Validate")) if ok else (0, 2, fr("Do not validate"))
            for ok in validated.values()
        ],
    )
    president_decides(president_watch, base_url, item, outcome, validated, motivation)
    expect_decision_recorded(page, base_url, item)
    page.goto(session_url(base_url, session))
    president_closes(page, base_url, session)


# --- the journey --------------------------------------------------------------------------------


def test_a_cqp_goes_from_the_rncp_export_to_a_revoked_certificate(
    watched_page, new_page, live_server, settings, tmp_path, people
):
    base_url = live_server.url
    settings.SITE_URL = base_url  # the address the documents print and their QR codes hold
    branch, staff, cpnef, evaluator, jurors = people
    today = timezone.localdate()

    # 1. Staff import the référentiel, publish it and submit the CQP; the CPNEF approves it.
    staff_watch = watched_page
    admin = staff_watch.page
    log_in(admin, base_url, staff.email)
    expect(admin).to_have_url(f"{base_url}/admin/")
    staff_watch.screenshot("full-journey-01-staff-admin")
    cqp = staff_import_and_publish(staff_watch, base_url)
    cpnef_watch = new_page()
    cpnef_approves(cpnef_watch, base_url, cpnef)
    assert reload(cqp).is_open_to_candidates()
    units = list(cqp.referentiels.get().units.order_by("order"))
    bc01, bc02, bc03, bc04 = units
    staff_accredit_the_evaluator(staff_watch, base_url, branch)

    # 2. A visitor registers, confirms their address, opens a dossier and submits it.
    lea_watch = new_page()
    lea = lea_watch.page
    visitor_registers_and_confirms(lea_watch, base_url)
    first = candidate_opens_a_dossier(lea_watch, base_url, cqp)
    candidate_adds_a_piece(lea_watch, write_pdf(tmp_path, "carte-identite.pdf"), "identity")
    candidate_sends_the_dossier(lea_watch, S.SUBMITTED)
    lea_watch.screenshot("full-journey-05-candidate-dossier-submitted")

    # 3. Staff declare it incomplete; Léa reads why, adds her CV and sends it again.
    staff_opens_the_dossier(staff_watch, base_url, first)
    staff_takes_action(staff_watch, "declare_incomplete", comment=MISSING)
    staff_watch.screenshot("full-journey-06-staff-dossier-incomplete")
    candidate_goes_to_the_dossier(lea_watch, base_url, first, S.INCOMPLETE)
    expect(lea.locator("#next-step ~ .notice--warning")).to_contain_text(MISSING)
    candidate_adds_a_piece(lea_watch, write_pdf(tmp_path, "cv-lea-dumas.pdf"), "cv")
    candidate_sends_the_dossier(lea_watch, S.SUBMITTED)

    # 4. Staff admit it and assign the evaluator.
    admin.reload()
    staff_takes_action(staff_watch, "declare_complete")
    staff_takes_action(staff_watch, "declare_admissible")
    staff_assigns_the_evaluator(
        staff_watch, base_url, first, evaluator, today + datetime.timedelta(days=30)
    )

    # 5. The evaluator orients Léa to the VAE; she adds her booklet; BC01 and BC02 are
    # validated, BC03 and BC04 not; the dossier is ready for the jury.
    marc_watch = new_page()
    marc = marc_watch.page
    log_in(marc, base_url, evaluator.email)
    expect(marc).to_have_url(f"{base_url}/evaluateur/")
    expect(marc.locator("main table tbody tr", has_text=first.reference)).to_have_count(1)
    marc_watch.screenshot("full-journey-07-evaluator-dossiers")
    evaluator_opens_from_the_list(marc_watch, base_url, first)
    evaluator_records_the_positioning(
        marc_watch,
        base_url,
        first,
        {
            bc01: ("acquired", "Accueil et prise de rendez-vous tenus seule.", None),
            bc02: ("acquired", "", None),
            bc03: ("partly", "À vérifier sur les soins courants.", None),
            bc04: ("partly", "", None),
        },
        Pathway.VAE,
        VAE_JUSTIFICATION,
    )
    submit_the_evaluation_form(marc)
    expect_status(marc, S.VAE)
    candidate_goes_to_the_dossier(lea_watch, base_url, first, S.VAE)
    candidate_adds_the_vae_booklet(lea_watch, write_pdf(tmp_path, "livret-vae.pdf"))
    marc.goto(evaluator_url(base_url, first))
    evaluator_starts_the_evaluation(marc_watch, base_url, first)
    for unit, ok in ((bc01, True), (bc02, True), (bc03, False), (bc04, False)):
        evaluator_assesses_the_unit(
            marc_watch,
            base_url,
            first,
            unit,
            met=[ok],
            result="validated" if ok else "not_validated",
            modality="interview",
            comment="" if ok else "Gestes techniques non maîtrisés.",
        )
        if unit == bc03:
            marc_watch.screenshot("full-journey-08-evaluator-dossier-in-evaluation")
    evaluator_declares_ready(marc_watch, base_url, first)

    # 6. Staff convene a jury; both members vote; the president validates BC01 and BC02 only,
    # with the reason, and closes.
    first_session = staff_convene_a_jury(staff_watch, base_url, branch, cqp, jurors, first)
    staff_watch.screenshot("full-journey-09-staff-jury-session-convened")
    claire_watch, paul_watch = new_page(), new_page()
    log_in(claire_watch.page, base_url, jurors[0].email)
    expect(claire_watch.page).to_have_url(f"{base_url}/jury/")
    claire_watch.screenshot("full-journey-10-jury-sessions")
    log_in(paul_watch.page, base_url, jurors[1].email)
    expect(paul_watch.page).to_have_url(f"{base_url}/jury/")
    jury_deliberates(
        claire_watch,
        paul_watch,
        base_url,
        first_session,
        units,
        [bc01, bc02],
        "partially_validated",
        PARTIAL_MOTIVATION,
    )
    claire_watch.screenshot("full-journey-11-president-session-closed")

    # 7. Léa reads the result, downloads the attestation and sees BC01 and BC02 acquired.
    candidate_goes_to_the_dossier(lea_watch, base_url, first, S.PARTIALLY_VALIDATED)
    expect_units(lea, units, acquired=[bc01, bc02])
    expect(lea.locator("ol.timeline")).to_contain_text(PARTIAL_MOTIVATION)
    attestation = Certificate.objects.get(dossier=first)
    assert attestation.kind == Certificate.Kind.PARTIAL_ATTESTATION
    lea_watch.screenshot("full-journey-12-candidate-attestation")
    candidate_downloads_the_document(lea_watch, attestation, first, CODES)
    candidate_reads_acquired_units(lea_watch, base_url, first, [bc01, bc02])
    lea_watch.screenshot("full-journey-13-candidate-acquired-units")

    # 8. She opens a new dossier: BC01 and BC02 come with it; she adds her identity piece
    # again (the first one was deleted with the final decision) and submits.
    lea.goto(f"{base_url}/candidat/")
    lea.locator("main a[href$='/candidat/dossiers/new/']").click()
    lea.locator("select[name=cqp]").select_option(str(cqp.pk))
    lea.locator("select[name=funding]").select_option("cpf")
    lea.locator("main form button[type=submit]").click()
    expect(lea).to_have_url(DOSSIER_URL)
    second = Dossier.objects.get(pk=int(DOSSIER_URL.search(lea.url).group(1)))
    assert second.previous == first
    expect_units(lea, units, acquired=[bc01, bc02])
    candidate_adds_a_piece(lea_watch, write_pdf(tmp_path, "carte-identite-2.pdf"), "identity")
    candidate_sends_the_dossier(lea_watch, S.SUBMITTED)
    lea_watch.screenshot("full-journey-14-candidate-second-dossier")

    # 9. Staff habilitate a training provider, admit the dossier and assign the evaluator. A
    # second VAE request on the CQP this year is refused (R335-7): the evaluator plans a
    # training for BC03 and BC04 instead, assesses them and declares the dossier ready.
    provider = staff_habilitate_a_provider(staff_watch, base_url, cqp)
    staff_opens_the_dossier(staff_watch, base_url, second)
    staff_takes_action(staff_watch, "declare_complete")
    staff_takes_action(staff_watch, "declare_admissible")
    staff_assigns_the_evaluator(
        staff_watch, base_url, second, evaluator, today + datetime.timedelta(days=30)
    )
    evaluator_opens_from_the_list(marc_watch, base_url, second)
    expect(marc.locator("main")).to_contain_text(CODES[0])  # carried over, shown as acquired
    positioning = {bc03: ("not_yet", "", 35), bc04: ("partly", "", 21)}
    evaluator_records_the_positioning(
        marc_watch, base_url, second, positioning, Pathway.VAE, VAE_JUSTIFICATION
    )
    submit_the_evaluation_form(marc)
    expect(marc.locator("main .form-errors")).to_contain_text(
        fr("Only one VAE eligibility request per CQP and calendar year is allowed (R335-7).")
    )
    marc.goto(evaluator_url(base_url, second))
    evaluator_records_the_positioning(
        marc_watch,
        base_url,
        second,
        positioning,
        Pathway.TRAINING,
        TRAINING_JUSTIFICATION,
    )
    expect(marc.locator(f"fieldset#unit-{bc01.pk}")).to_have_count(0)  # not assessed again
    submit_the_evaluation_form(marc)
    expect_status(marc, S.TRAINING)
    marc.locator(f"main a[href$='/evaluateur/dossiers/{second.pk}/training-plan/']").click()
    marc.locator("select[name=provider]").select_option(str(provider.pk))
    marc.locator("input[name=start_date]").fill(today.isoformat())
    marc.locator("input[name=end_date]").fill((today + datetime.timedelta(weeks=8)).isoformat())
    submit_the_evaluation_form(marc)
    expect(marc.locator("dl.meta").first).to_contain_text(provider.name)
    evaluator_starts_the_evaluation(marc_watch, base_url, second)
    for unit in (bc03, bc04):
        evaluator_assesses_the_unit(
            marc_watch, base_url, second, unit, [True], "validated", "observation", ""
        )
    evaluator_declares_ready(marc_watch, base_url, second)

    # 10. A second jury certifies Léa.
    second_session = staff_convene_a_jury(staff_watch, base_url, branch, cqp, jurors, second)
    remaining = [bc03, bc04]  # the units the second dossier is judged on
    jury_deliberates(
        claire_watch, paul_watch, base_url, second_session, remaining, remaining, "certified"
    )
    claire_watch.screenshot("full-journey-15-president-second-session-closed")

    # 11. Léa downloads her certificate: every unit, the two sessions' together.
    candidate_goes_to_the_dossier(lea_watch, base_url, second, S.CERTIFIED)
    expect_units(lea, units, acquired=units)
    certificate = Certificate.objects.get(dossier=second)
    assert certificate.kind == Certificate.Kind.CERTIFICATE
    lea_watch.screenshot("full-journey-16-candidate-certificate")
    printed = candidate_downloads_the_document(lea_watch, certificate, second, CODES)
    assert printed_address(printed).endswith(f"/verify/{certificate.display_code}")
    candidate_reads_every_unit(lea_watch, base_url, {first: [bc01, bc02], second: [bc03, bc04]})

    # 12. Anyone opens the address under the certificate's QR code: valid. Staff revoke it,
    # and the same page, reloaded, says revoked.
    visitor_watch = new_page()
    visitor_finds_it_valid(
        visitor_watch, base_url, qr_address(base_url, certificate), certificate, second
    )
    visitor_watch.screenshot("full-journey-17-visitor-certificate-valid")
    staff_revoke(staff_watch, base_url, second_session, certificate, REVOCATION_REASON)
    visitor_finds_it_revoked(visitor_watch, certificate, REVOCATION_REASON)
    visitor_watch.screenshot("full-journey-18-visitor-certificate-revoked")

    # What the pages showed is what the database holds.
    assert reload(certificate).status == DocumentStatus.REVOKED
    assert sorted(
        AcquiredUnit.objects.filter(candidate=first.candidate).values_list("unit", "dossier")
    ) == sorted(
        [(bc01.pk, first.pk), (bc02.pk, first.pk), (bc03.pk, second.pk), (bc04.pk, second.pk)]
    )
    assert (reload(first).status, reload(second).status) == (S.PARTIALLY_VALIDATED, S.CERTIFIED)
    lea.goto(f"{base_url}/candidat/")
    expect(lea.locator("main table tbody tr")).to_have_count(2)  # both dossiers, both decided
    lea_watch.screenshot("full-journey-19-candidate-dossiers")
    candidate_goes_to_the_dossier(lea_watch, base_url, second, S.CERTIFIED)
    assert_timeline_is_complete(lea, second)
    # Léa heard of each step that concerned her, the missing piece and the decisions included.
    subjects = [m.subject for m in mails_to(CANDIDATE_EMAIL)]
    for dossier, step in (
        (first, "declare_incomplete"),
        (first, "validate_partially"),
        (second, "certify"),
    ):
        assert (
            fr("Your dossier %(reference)s: %(step)s")
            % {"reference": dossier.reference, "step": in_french(step_label(step))}
            in subjects
        ), subjects
    for watch in (
        staff_watch,
        cpnef_watch,
        lea_watch,
        marc_watch,
        claire_watch,
        paul_watch,
        visitor_watch,
    ):
        watch.assert_clean()
