"""A jury session in a real browser, from its planning to the candidates' results.

Branch staff plan a session in the admin, seat four members (a president and another employer
representative, an employee representative, an expert), put three ready dossiers on the agenda
(one ticked, then every ready dossier of the CQP) and convene the jury: each member gets the
details and a calendar invitation, each candidate the date. The president records who is
present (refused without the employee college) and opens the deliberation; each member votes
in their own browser, one changes a vote. The president reads the tally on each dossier,
records a certification, a partial validation (refused without its motivation) and a refusal,
cannot close while a dossier is undecided, then closes. Each candidate sees the result and
their acquired units; the partially validated one opens a new dossier that carries the unit.

Closing yields the documents (tasks run eagerly here; `test_documents_worker_journey` has a
real worker): staff find the certificate, the attestation and the minutes ready on the
session's page and download them as one ZIP; Léa and Hugo download theirs from their dossier
page; a visitor opens the verification address printed on Léa's certificate (valid) and types
Hugo's code; staff revoke Léa's certificate with a reason, and the page, reloaded, says so.

Only the branch, its people, the open CQP, the accredited evaluator, the dossiers ready for the
jury and the jury's accounts are made with the ORM or the services; everything after goes
through pages.
"""

import datetime
import re
import zipfile
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from candidates import services as candidates
from candidates.lifecycles import step_label
from candidates.models import AcquiredUnit, CarriedOverUnit, Dossier, DossierStatus
from certifications import services as catalogue
from juries.models import (
    AgendaItem,
    Certificate,
    DocumentStatus,
    JuryDecision,
    JuryMember,
    JuryMinutes,
    JurySession,
    SessionStatus,
    Vote,
)
from tests import factories
from tests.browser.conftest import PageWatch
from tests.browser.test_catalogue_journey import log_in, submit_admin_form
from tests.browser.test_dossier_journey import expect_status, in_french
from tests.browser.test_evaluator_journey import admissible_dossier, fr
from tests.candidates.evaluation import to_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = DossierStatus
College = JuryMember.College
Role = JuryMember.Role
PLACE = "Maison de l'immobilier, 12 rue de Rivoli, 75004 Paris"
CHANGED_VOTE_COMMENT = "Après relecture du livret, BC03 est acquis."
PARTIAL_MOTIVATION = "BC02 et BC03 : les mises en situation ne montrent pas la maîtrise attendue."
REFUSAL_MOTIVATION = "Aucune unité n'est démontrée : l'expérience décrite reste trop courte."
REVOCATION_REASON = "Erreur matérielle : le livret examiné était celui d'une homonyme."
# Printed under the certificate's QR code: host and page, then the code (ABCDE-FGHJK).
PRINTED_ADDRESS = re.compile(r"(\S+/verify/)\s*([2-9A-Z]{5}-[2-9A-Z]{5})")
# The jury: e-mail, first name, last name, college, role.
JURY = [
    ("claire.martin@example.org", "Claire", "Martin", College.EMPLOYER, Role.PRESIDENT),
    ("paul.bernard@example.org", "Paul", "Bernard", College.EMPLOYEE, Role.MEMBER),
    ("sophie.durand@example.org", "Sophie", "Durand", College.EMPLOYER, Role.MEMBER),
    ("yves.lefebvre@example.org", "Yves", "Lefebvre", College.EXPERT, Role.MEMBER),
]


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
    """The branch's draft CQP: three units, each with one criterion."""
    return factories.cqp_with_referentiel(
        branch=branch, code="NI", title="Négociateur immobilier", units=3, criteria=1
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
    assert [unit.code for unit in units] == ["BC01", "BC02", "BC03"]
    return units


@pytest.fixture
def evaluator(branch, open_cqp):
    user = factories.UserFactory(
        email="marc.evaluateur@example.org", first_name="Marc", last_name="Évaluateur"
    )
    factories.AccreditationFactory(user=user, branch=branch)
    return user


def ready_dossier(cqp, staff, evaluator, email, first_name, last_name) -> Dossier:
    """A dossier through admissibility, positioning and assessments (every unit validated by
    the evaluator), ready for the jury."""
    dossier = admissible_dossier(cqp, staff, email, first_name, last_name)
    candidates.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    dossier = to_ready(dossier, evaluator)
    assert dossier.status == S.READY_FOR_JURY
    return dossier


@pytest.fixture
def dossiers(open_cqp, staff, evaluator):
    """Léa's (to be certified), Hugo's (partially validated) and Nina's (not validated)."""
    return [
        ready_dossier(open_cqp, staff, evaluator, "lea.dumas@example.org", "Léa", "Dumas"),
        ready_dossier(open_cqp, staff, evaluator, "hugo.moreau@example.org", "Hugo", "Moreau"),
        ready_dossier(open_cqp, staff, evaluator, "nina.roux@example.org", "Nina", "Roux"),
    ]


@pytest.fixture
def jury(db):
    """The four accounts the staff will seat, with the factories' password."""
    return [
        (
            factories.UserFactory(email=email, first_name=first_name, last_name=last_name),
            college,
            role,
        )
        for email, first_name, last_name, college, role in JURY
    ]


def fr_step(action: str) -> str:
    with translation.override("fr"):
        return step_label(action)


def fr_when(moment: datetime.datetime, fmt="DATETIME_FORMAT") -> str:
    with translation.override("fr"):
        return date_format(timezone.localtime(moment), fmt)


def reload(obj):
    obj.refresh_from_db()
    return obj


def mails(subject: str) -> list:
    """The messages sent with this subject; the live server sends them (eagerly, after its
    transaction commits) before it answers the request that queued them."""
    return [m for m in mail.outbox if m.subject == subject]


# --- the branch's staff, in the admin -----------------------------------------------------------


def admin_session_url(base_url, session, rest="change/"):
    return f"{base_url}/admin/juries/jurysession/{session.pk}/{rest}"


def expect_admin_success(page, text=None):
    message = page.locator("ul.messagelist li.success")
    expect(message).to_have_count(1)
    if text:
        expect(message).to_contain_text(text)


def staff_plan_the_session(watch, base_url, branch, cqp, starts_at) -> JurySession:
    page = watch.page
    page.goto(f"{base_url}/admin/juries/jurysession/")
    page.locator(".object-tools a.addlink[href$='/admin/juries/jurysession/add/']").click()
    expect(page).to_have_url(f"{base_url}/admin/juries/jurysession/add/")
    expect(page.locator("select[name=branch]")).to_have_value(str(branch.pk))  # their only one
    page.locator(f"input[name=cqps][value='{cqp.pk}']").check()
    page.locator("input[name=starts_at]").fill(
        timezone.localtime(starts_at).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("input[name=place]").fill(PLACE)
    submit_admin_form(page)
    expect(page).to_have_url(re.compile(r"/admin/juries/jurysession/\d+/change/$"))
    expect_admin_success(page, fr_when(starts_at, "SHORT_DATETIME_FORMAT"))
    session = JurySession.objects.get()
    assert (session.branch, session.starts_at, session.place) == (branch, starts_at, PLACE)
    assert list(session.cqps.all()) == [cqp]
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect(page.locator(".field-status_display")).to_contain_text(
        in_french(SessionStatus.PLANNED.label)
    )
    # Nothing yet: the page says what the jury still lacks.
    problems = page.locator("#session-problems")
    expect(problems).to_contain_text(fr("The jury needs exactly one president."))
    expect(problems).to_contain_text(fr("The agenda is empty."))
    return session


def staff_seat(watch, base_url, session, user, college, role):
    """From the session's page, "Add a member" found by their e-mail address."""
    page = watch.page
    page.locator("#session-members a[href$='/members/add/']").click()
    expect(page).to_have_url(admin_session_url(base_url, session, "members/add/"))
    page.locator("input[name=email]").fill(user.email)
    page.locator(f"input[name=college][value={college}]").check()
    page.locator(f"input[name=role][value={role}]").check()
    submit_admin_form(page)
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect_admin_success(page, user.get_full_name())
    row = page.locator("#session-members tbody tr", has_text=user.email)
    expect(row).to_have_count(1)
    with translation.override("fr"):
        expect(row).to_contain_text(str(College(college).label))
        expect(row).to_contain_text(str(Role(role).label))


def staff_fill_the_agenda(watch, base_url, session, cqp, first, others):
    """One dossier ticked, then "every ready dossier" of the CQP for the others."""
    page = watch.page
    page.locator("#session-agenda a[href$='/agenda/add/']").click()
    add_url = admin_session_url(base_url, session, "agenda/add/")
    expect(page).to_have_url(add_url)
    expect(page.locator("table.cqp-report tbody tr")).to_have_count(1 + len(others))
    page.locator(f"input[name=dossiers][value='{first.pk}']").check()
    submit_admin_form(page)
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect_admin_success(page)
    agenda = page.locator("#session-agenda tbody tr")
    expect(agenda).to_have_count(1)
    expect(agenda.first).to_contain_text(first.reference)

    page.locator("#session-agenda a[href$='/agenda/add/']").click()
    expect(page).to_have_url(add_url)
    expect(page.locator("table.cqp-report tbody tr")).to_have_count(len(others))
    page.locator(f"form[action$='/agenda/add-ready/{cqp.pk}/'] button[type=submit]").click()
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect_admin_success(page)
    expect(agenda).to_have_count(1 + len(others))
    for index, dossier in enumerate([first, *others]):
        expect(agenda.nth(index)).to_contain_text(dossier.reference)
    items = list(session.agenda.order_by("order", "id"))
    assert [item.dossier_id for item in items] == [d.pk for d in (first, *others)]
    assert all(item.active for item in items)
    assert {reload(d).status for d in (first, *others)} == {S.IN_JURY}


def staff_convene(watch, base_url, session):
    page = watch.page
    expect(page.locator("#session-problems")).to_have_count(0)  # nothing missing now
    page.locator("ul.cqp-actions a.cqp-action--convene").click()
    expect(page).to_have_url(admin_session_url(base_url, session, "action/convene/"))
    expect(page.locator("#content-main .cqp-notice")).to_have_count(0)
    submit_admin_form(page)
    expect(page).to_have_url(admin_session_url(base_url, session))
    expect_admin_success(page)
    expect(page.locator(".field-status_display")).to_contain_text(
        in_french(SessionStatus.CONVENED.label)
    )
    assert reload(session).status == SessionStatus.CONVENED


# --- the jury, in its space ---------------------------------------------------------------------


def session_url(base_url, session):
    return f"{base_url}/jury/sessions/{session.pk}/"


def item_url(base_url, item, rest=""):
    return f"{base_url}/jury/sessions/{item.session_id}/dossiers/{item.pk}/{rest}"


def expect_session_status(page, status):
    expect(page.locator("dl.meta .badge").first).to_have_text(in_french(status.label))


def member_logs_in(new_page, base_url, user, session, agenda_size=3) -> PageWatch:
    """A member logs in, lands on their sessions and opens the upcoming one."""
    watch = new_page()
    page = watch.page
    log_in(page, base_url, user.email)
    expect(page).to_have_url(f"{base_url}/jury/")
    row = page.locator("#upcoming-title ~ .table-wrapper tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text(
        in_french(SessionStatus(reload(session).status).label)
    )
    row.locator(f"a[href$='/jury/sessions/{session.pk}/']").click()
    expect(page).to_have_url(session_url(base_url, session))
    expect(page.locator("main table.agenda tbody tr")).to_have_count(agenda_size)
    return watch


def open_the_item(watch, base_url, item):
    """From the session's agenda (a fresh page, without any message), the dossier's page."""
    page = watch.page
    page.goto(session_url(base_url, item.session))
    page.locator(f"main table.agenda a[href$='/dossiers/{item.pk}/']").click()
    expect(page).to_have_url(item_url(base_url, item))
    expect(page.locator("h1")).to_contain_text(item.dossier.reference)
    return page


def fill_the_vote(page, item, validated, proposal, comment=""):
    """`validated` maps each unit to True (validate), False (do not) or None (left blank)."""
    form = page.locator(f"main form[action$='/dossiers/{item.pk}/vote/']")
    for unit, validate in validated.items():
        if validate is not None:
            value = "validate" if validate else "reject"
            form.locator(f"input[name=unit_{unit.pk}][value={value}]").check()
    form.locator(f"input[name=proposal][value={proposal}]").check()
    form.locator("textarea[name=comment]").fill(comment)
    form.locator("button[type=submit]").click()


def member_votes(watch, base_url, item, validated, proposal, comment=""):
    page = open_the_item(watch, base_url, item)
    fill_the_vote(page, item, validated, proposal, comment)
    expect(page).to_have_url(item_url(base_url, item))
    expect(page.locator(".message--success")).to_contain_text(item.dossier.reference)
    form = page.locator(f"main form[action$='/dossiers/{item.pk}/vote/']")
    expect(form.locator("button[type=submit]")).to_have_text(fr("Change my vote"))
    for unit, validate in validated.items():
        value = "validate" if validate else "reject"
        expect(form.locator(f"input[name=unit_{unit.pk}][value={value}]")).to_be_checked()
    expect(form.locator(f"input[name=proposal][value={proposal}]")).to_be_checked()


def everyone(units, validate):
    return dict.fromkeys(units, validate)


def expect_tally(page, units, counts):
    """`counts` lists, unit by unit, (validate, do not validate, majority label)."""
    rows = page.locator("main table.tally tbody tr")
    expect(rows).to_have_count(len(units))
    for row_index, (unit, expected) in enumerate(zip(units, counts, strict=True)):
        row = rows.nth(row_index)
        expect(row.locator("th")).to_contain_text(unit.code)
        cells = row.locator("td")
        for cell_index, text in enumerate(expected):
            expect(cells.nth(cell_index)).to_have_text(str(text))


def president_decides(watch, base_url, item, outcome, ticked, motivation=""):
    """On the dossier's page, the decision with the units the votes ticked (checked first)."""
    page = watch.page
    form = page.locator(f"main form[action$='/dossiers/{item.pk}/decision/']")
    for unit, validated in ticked.items():
        box = form.locator(f"input[name=unit_{unit.pk}]")
        if validated:
            expect(box).to_be_checked()  # the majority of the votes cast
        else:
            expect(box).not_to_be_checked()
    form.locator(f"input[name=outcome][value={outcome}]").check()
    form.locator("textarea[name=motivation]").fill(motivation)
    form.locator("button[type=submit]").click()
    return page


def president_closes(page, base_url, session):
    """On the session's page, with every dossier decided: the decisions become final."""
    closing = page.locator("main section[aria-labelledby=close-title]")
    closing.locator("form[action$='/close/'] button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_text(
        fr("The session is closed: the decisions are final and each candidate is told by e-mail.")
    )
    expect(page).to_have_url(session_url(base_url, session))
    expect_session_status(page, SessionStatus.CLOSED)


def expect_decision_recorded(page, base_url, item):
    expect(page).to_have_url(item_url(base_url, item))
    expect(page.locator(".message--success")).to_have_text(
        fr("Decision on the dossier %s recorded.") % item.dossier.reference
    )
    expect(page.locator("main")).to_contain_text(
        fr("Decision recorded (not final until the session closes)")
    )


# --- the candidates -----------------------------------------------------------------------------


def candidate_opens_the_result(new_page, base_url, dossier, status) -> PageWatch:
    watch = new_page()
    page = watch.page
    log_in(page, base_url, dossier.candidate.user.email)
    expect(page).to_have_url(f"{base_url}/candidat/")
    row = page.locator("main table tbody tr", has_text=dossier.reference)
    expect(row.locator(".badge")).to_have_text(in_french(status.label))
    row.locator(f"a[href$='/candidat/dossiers/{dossier.pk}/']").click()
    expect(page).to_have_url(f"{base_url}/candidat/dossiers/{dossier.pk}/")
    expect_status(page, status)
    return watch


def expect_units(page, units, acquired):
    """The dossier's units: `acquired` ones read "Acquired", the others "Pending"."""
    rows = page.locator("section[aria-labelledby=units] tbody tr")
    expect(rows).to_have_count(len(units))
    for index, unit in enumerate(units):
        row = rows.nth(index)
        expect(row).to_contain_text(unit.code)
        if unit in acquired:
            expect(row.locator(".badge--success")).to_have_text(fr("Acquired"))
        else:
            expect(row.locator(".badge--muted")).to_have_text(fr("Pending"))


def candidate_reads_acquired_units(watch, base_url, dossier, acquired):
    page = watch.page
    page.goto(f"{base_url}/candidat/")
    page.locator("main a[href$='/candidat/units/']").click()
    expect(page).to_have_url(f"{base_url}/candidat/units/")
    rows = page.locator("main table tbody tr")
    if not acquired:
        expect(rows).to_have_count(0)
        expect(page.locator("main p.empty")).to_have_count(1)
        return
    expect(rows).to_have_count(len(acquired))
    for unit in acquired:
        row = rows.filter(has_text=f"{unit.code} — {unit.title}")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(dossier.reference)
        expect(row).to_contain_text(fr_when(timezone.now(), "SHORT_DATE_FORMAT"))


# --- the documents ------------------------------------------------------------------------------


def fr_plural(singular: str, plural: str, count: int) -> str:
    with translation.override("fr"):
        return translation.ngettext(singular, plural, count)


def documents_ready(ready: int, total: int, revoked: int = 0) -> str:
    """The count a closed session's "Documents" section shows."""
    text = fr_plural(
        "%(ready)s of %(counter)s document ready", "%(ready)s of %(counter)s documents ready", total
    ) % {"ready": ready, "counter": total}
    if revoked:
        text += " — " + fr_plural("%(counter)s revoked", "%(counter)s revoked", revoked) % {
            "counter": revoked
        }
    return text


def downloaded(page, link) -> bytes:
    """Click `link`; the content of the file the browser downloads."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.failure() is None
    return Path(download.path()).read_bytes()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def expect_printed(text: str, certificate, dossier, unit_codes) -> None:
    """The PDF names its holder, prints its number, the units and the verification address."""
    candidate = dossier.candidate
    assert candidate.first_name in text
    assert candidate.last_name.upper() in text  # printed in capitals
    assert certificate.number in text
    for code in unit_codes:
        assert code in text
    assert certificate.display_code in text


def staff_download_the_session_documents(
    watch, base_url, session, certificates, minutes, screenshot
):
    """The closed session's page: every document ready (the minutes too), one ZIP of them."""
    page = watch.page
    page.goto(admin_session_url(base_url, session))
    section = page.locator("#session-documents")
    expected = len(certificates) + 1
    expect(section.locator(".cqp-documents-count")).to_have_text(
        documents_ready(expected, expected)
    )
    rows = section.locator("table tbody tr")
    expect(rows).to_have_count(len(certificates))
    for row, certificate in zip(rows.all(), certificates, strict=True):
        expect(row.locator("th")).to_have_text(certificate.number)
        expect(row).to_contain_text(certificate.holder_name)
        expect(row).to_contain_text(in_french(DocumentStatus.READY.label))
    expect(section.locator(".cqp-facts")).to_contain_text(in_french(DocumentStatus.READY.label))
    expect(section.get_by_role("link", name=fr("Download the minutes"))).to_have_count(1)
    watch.screenshot(screenshot)
    content = downloaded(page, section.get_by_role("link", name=fr("Download all (ZIP)")))
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(
            [c.file_name for c in certificates] + [minutes.file_name]
        )
        for name in archive.namelist():
            assert archive.read(name).startswith(b"%PDF-"), name


def candidate_downloads_the_document(watch, certificate, dossier, unit_codes) -> str:
    """The dossier page's documents panel: the document ready, its PDF; the PDF's text."""
    page = watch.page
    panel = page.locator("#dossier-documents")
    expect(panel).not_to_have_attribute("aria-busy", "true")  # nothing left to wait for
    row = panel.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(in_french(Certificate.Kind(certificate.kind).label))
    expect(row).to_contain_text(certificate.number)
    expect(row.locator(f"a[href$='/verify/{certificate.public_code}/']")).to_have_text(
        certificate.display_code
    )
    link = row.locator(f"a[href$='/documents/certificates/{certificate.pk}.pdf']")
    text = pdf_text(downloaded(page, link))
    expect_printed(text, certificate, dossier, unit_codes)
    return text


def printed_address(text: str) -> str:
    """The verification address the PDF prints (host, page, code), with the live server's
    scheme, which the PDF leaves out."""
    found = PRINTED_ADDRESS.search(text)
    assert found, "the PDF prints no verification address"
    return "http://" + "".join(found.groups())


def visitor_finds_it_valid(watch, base_url, address, certificate, dossier):
    """The address typed as printed (no trailing slash, a dash) leads to the code's page."""
    page = watch.page
    page.goto(address)
    expect(page).to_have_url(f"{base_url}/verify/{certificate.public_code}/")
    banner = page.locator(".verification-banner--valid")
    expect(banner.locator(".verification-banner__status")).to_contain_text(fr("Valid"))
    expect(banner).to_contain_text(certificate.number)
    facts = page.locator("main dl.meta")
    candidate = dossier.candidate
    expect(facts).to_contain_text(f"{candidate.first_name} {candidate.last_name}")
    expect(facts).to_contain_text(certificate.display_code)
    expect(page.locator("meta[name=robots]")).to_have_attribute("content", "noindex, nofollow")


def visitor_types_a_code(watch, base_url, certificate, dossier, acquired, remaining):
    """From a result page, "Verify another code", typed in lower case."""
    page = watch.page
    form = page.locator("main form.verification-form")
    form.locator("input[name=code]").fill(certificate.display_code.lower())
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/verify/{certificate.public_code}/")
    expect(page.locator(".verification-banner--valid")).to_have_count(1)
    expect(page.locator("main dl.meta")).to_contain_text(dossier.candidate.last_name)
    held, still = page.locator("main table").all()
    expect(held.locator("tbody tr")).to_have_count(len(acquired))
    expect(still.locator("tbody tr")).to_have_count(len(remaining))
    for table, units in ((held, acquired), (still, remaining)):
        for unit in units:
            expect(table).to_contain_text(unit.code)


def staff_revoke(watch, base_url, session, certificate, reason):
    """From the session's documents, the certificate's page, "Revoke": a reason is required."""
    page = watch.page
    page.goto(admin_session_url(base_url, session))
    page.locator("#session-documents tbody th a", has_text=certificate.number).click()
    change_url = f"{base_url}/admin/juries/certificate/{certificate.pk}/change/"
    expect(page).to_have_url(change_url)
    page.locator("ul.cqp-actions a.cqp-action--revoke").click()
    expect(page).to_have_url(f"{base_url}/admin/juries/certificate/{certificate.pk}/revoke/")
    submit_admin_form(page)  # without a reason
    expect(page.locator(".field-reason .errorlist")).to_have_text(
        fr("Give the reason for revoking: the verification page shows it.")
    )
    assert reload(certificate).status == DocumentStatus.READY
    page.locator("textarea[name=reason]").fill(reason)
    submit_admin_form(page)
    expect(page).to_have_url(change_url)
    expect_admin_success(
        page,
        fr("%(number)s is revoked: the verification page says so.")
        % {"number": certificate.number},
    )
    expect(page.locator("ul.cqp-actions a.cqp-action--revoke")).to_have_count(0)


def visitor_finds_it_revoked(watch, certificate, reason):
    page = watch.page
    page.reload()
    banner = page.locator(".verification-banner--revoked")
    expect(banner.locator(".verification-banner__status")).to_contain_text(fr("Revoked"))
    expect(banner).to_contain_text(certificate.number)
    expect(banner).to_contain_text(reason)
    expect(page.locator(".verification-banner--valid")).to_have_count(0)


# --- the journey --------------------------------------------------------------------------------


def test_a_jury_convenes_votes_and_decides_and_the_candidates_see_their_units(
    watched_page, new_page, live_server, settings, branch, staff, open_cqp, units, dossiers, jury
):
    base_url = live_server.url
    settings.SITE_URL = base_url  # the address the documents print and their QR codes hold
    lea_dossier, hugo_dossier, nina_dossier = dossiers
    bc01, bc02, bc03 = units
    president, paul, sophie, yves = (user for user, _college, _role in jury)
    starts_at = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=21), datetime.time(14, 0)
        )
    )
    when = fr_when(starts_at)

    # 1. Staff plan the session, seat the jury, fill the agenda and convene it.
    staff_watch = watched_page
    log_in(staff_watch.page, base_url, staff.email)
    expect(staff_watch.page).to_have_url(f"{base_url}/admin/")
    session = staff_plan_the_session(staff_watch, base_url, branch, open_cqp, starts_at)
    for user, college, role in jury:
        staff_seat(staff_watch, base_url, session, user, college, role)
    expect(staff_watch.page.locator("#session-problems")).to_contain_text(
        fr("The agenda is empty.")
    )
    expect(staff_watch.page.locator("#session-problems li")).to_have_count(1)
    staff_fill_the_agenda(
        staff_watch, base_url, session, open_cqp, lea_dossier, [hugo_dossier, nina_dossier]
    )
    staff_watch.screenshot("jury-journey-01-admin-session-before-convening")
    outbox_before = len(mail.outbox)
    staff_convene(staff_watch, base_url, session)

    seats = {m.user_id: m for m in session.members.all()}
    assert {(m.user_id, m.college, m.role) for m in seats.values()} == {
        (user.pk, college, role) for user, college, role in jury
    }
    # Each member: the details and a calendar invitation; each candidate: the date.
    convocation = fr("Jury convocation — %(branch)s, %(when)s") % {
        "branch": branch.name,
        "when": when,
    }
    convocations = mails(convocation)
    assert sorted(m.to[0] for m in convocations) == sorted(user.email for user, _c, _r in jury)
    utc = starts_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    for message in convocations:
        assert PLACE in message.body
        assert len(message.attachments) == 1
        name, content, mimetype = message.attachments[0]
        assert (name, mimetype) == ("jury.ics", "text/calendar")
        unfolded = content.replace("\r\n ", "")
        assert unfolded.startswith("BEGIN:VCALENDAR\r\n")
        assert f"\r\nUID:jury-session-{session.pk}@" in unfolded
        assert f"\r\nDTSTART:{utc}\r\n" in unfolded
        assert "\r\nLOCATION:Maison de l'immobilier\\, 12 rue de Rivoli\\, 75004 Paris\r\n" in (
            unfolded
        )
    president_mail = next(m for m in convocations if m.to == [president.email])
    assert fr("Employer representative") in president_mail.body
    assert fr("President") in president_mail.body
    for dossier in dossiers:
        told = mails(
            fr("Your dossier %(reference)s: date of the jury") % {"reference": dossier.reference}
        )
        assert [m.to for m in told] == [[dossier.candidate.user.email]]
        assert when in told[0].body
        assert f"/candidat/dossiers/{dossier.pk}/" in told[0].body
    assert len(mail.outbox) - outbox_before == len(jury) + len(dossiers)

    items = {item.dossier_id: item for item in AgendaItem.objects.filter(session=session)}
    lea, hugo, nina = (items[d.pk] for d in dossiers)

    # 2. The president opens the session; without the employee representative, the deliberation
    # is refused; with every member present, it opens.
    president_watch = member_logs_in(new_page, base_url, president, session)
    page = president_watch.page
    expect_session_status(page, SessionStatus.CONVENED)
    opening = page.locator("main form[action$='/open/']")
    for user in (president, yves):
        opening.locator(f"input[name=present][value='{seats[user.pk].pk}']").check()
    opening.locator("button[type=submit]").click()
    expect(page).to_have_url(session_url(base_url, session) + "open/")
    refusal = page.locator("main .form-errors")
    expect(refusal).to_contain_text(
        fr("An employer and an employee representative must both be present.")
    )
    expect(refusal).to_contain_text(
        fr(
            "Quorum not reached: %(present)d present out of %(total)d members; more than "
            "%(percent)d%% must be present."
        )
        % {"present": 2, "total": 4, "percent": 50}
    )
    assert reload(session).status == SessionStatus.CONVENED
    for user in (paul, sophie):
        opening.locator(f"input[name=present][value='{seats[user.pk].pk}']").check()
    for user, _c, _r in jury:
        expect(opening.locator(f"input[name=present][value='{seats[user.pk].pk}']")).to_be_checked()
    opening.locator("button[type=submit]").click()
    expect(page).to_have_url(session_url(base_url, session))
    expect(page.locator(".message--success")).to_have_text(
        fr("The deliberation is open: the members present vote on each dossier.")
    )
    expect_session_status(page, SessionStatus.DELIBERATING)
    assert reload(session).status == SessionStatus.DELIBERATING
    assert set(session.members.values_list("present", flat=True)) == {True}
    expect(page.locator("main table.agenda .badge--warning")).to_have_count(3)  # "not yet"
    president_watch.screenshot("jury-journey-02-president-session-deliberating")

    # 3. The president votes first and sees who is still to vote.
    member_votes(president_watch, base_url, lea, everyone(units, True), "certified")
    still_to_vote = page.locator("main .jury-actions p", has_text=fr("Still to vote:"))
    expect(still_to_vote).to_have_count(1)
    for user in (paul, sophie, yves):
        expect(still_to_vote).to_contain_text(user.get_full_name())
    expect(still_to_vote).not_to_contain_text(president.get_full_name())
    expect_tally(page, units, [(1, 0, fr("Validate"))] * 3)
    partial = {bc01: True, bc02: False, bc03: False}
    member_votes(president_watch, base_url, hugo, partial, "partially_validated")
    member_votes(president_watch, base_url, nina, everyone(units, False), "not_validated")

    # Each other member votes in their own browser; Paul first holds BC03 back on Léa's.
    paul_watch = member_logs_in(new_page, base_url, paul, session)
    member_votes(
        paul_watch, base_url, lea, {bc01: True, bc02: True, bc03: False}, "partially_validated"
    )
    member_votes(paul_watch, base_url, hugo, partial, "partially_validated")
    member_votes(paul_watch, base_url, nina, everyone(units, False), "not_validated")
    sophie_watch = member_logs_in(new_page, base_url, sophie, session)
    for item, validated, proposal in (
        (lea, everyone(units, True), "certified"),
        (hugo, partial, "partially_validated"),
        (nina, everyone(units, False), "not_validated"),
    ):
        member_votes(sophie_watch, base_url, item, validated, proposal, "")
    yves_watch = member_logs_in(new_page, base_url, yves, session)
    member_votes(yves_watch, base_url, lea, everyone(units, True), "certified")
    member_votes(yves_watch, base_url, hugo, partial, "partially_validated")
    # A refusal that leaves the units blank is refused: each unit must be judged.
    yves_page = open_the_item(yves_watch, base_url, nina)
    fill_the_vote(yves_page, nina, everyone(units, None), "not_validated")
    expect(yves_page).to_have_url(item_url(base_url, nina, "vote/"))
    expect(yves_page.locator("main .form-errors")).to_have_count(1)
    expect(
        yves_page.locator("main .errorlist", has_text=fr("Say whether you validate this unit."))
    ).to_have_count(3)
    assert not Vote.objects.filter(item=nina, member=seats[yves.pk]).exists()
    yves_watch.screenshot("jury-journey-03-member-vote-refused")
    member_votes(yves_watch, base_url, nina, everyone(units, False), "not_validated")
    yves_watch.page.goto(session_url(base_url, session))
    expect(yves_watch.page.locator("main table.agenda .badge--success")).to_have_count(3)

    # Paul reads Léa's dossier again and changes his vote: BC03 too, certified.
    paul_page = open_the_item(paul_watch, base_url, lea)
    form = paul_page.locator(f"main form[action$='/dossiers/{lea.pk}/vote/']")
    expect(form.locator(f"input[name=unit_{bc03.pk}][value=reject]")).to_be_checked()
    expect(form.locator("input[name=proposal][value=partially_validated]")).to_be_checked()
    member_votes(
        paul_watch, base_url, lea, everyone(units, True), "certified", CHANGED_VOTE_COMMENT
    )
    paul_watch.screenshot("jury-journey-04-member-vote-changed")
    paul_vote = Vote.objects.get(item=lea, member=seats[paul.pk])
    assert (paul_vote.proposal, paul_vote.comment) == ("certified", CHANGED_VOTE_COMMENT)
    assert set(paul_vote.units.values_list("validate", flat=True)) == {True}
    assert Vote.objects.filter(item__session=session).count() == 3 * len(jury)

    # 4. The president reads the tally of each dossier and records the decisions.
    page = open_the_item(president_watch, base_url, lea)
    expect(page.locator("main")).to_contain_text(
        fr("Every member present who may vote on this dossier has voted.")
    )
    expect_tally(page, units, [(4, 0, fr("Validate"))] * 3)
    expect(page.locator("main .vote-comments")).to_contain_text(CHANGED_VOTE_COMMENT)
    president_watch.screenshot("jury-journey-05-president-tally")
    president_decides(president_watch, base_url, lea, "certified", everyone(units, True))
    expect_decision_recorded(page, base_url, lea)

    page = open_the_item(president_watch, base_url, hugo)
    expect_tally(
        page,
        units,
        [(4, 0, fr("Validate")), (0, 4, fr("Do not validate")), (0, 4, fr("Do not validate"))],
    )
    # Without its motivation, the partial validation is refused and nothing is recorded.
    president_decides(president_watch, base_url, hugo, "partially_validated", partial)
    expect(page).to_have_url(item_url(base_url, hugo, "decision/"))
    expect(page.locator("main .form-errors")).to_contain_text(
        fr("A partial validation or a refusal must be reasoned.")
    )
    assert not JuryDecision.objects.filter(item=hugo).exists()
    president_watch.screenshot("jury-journey-06-president-motivation-required")
    president_decides(
        president_watch, base_url, hugo, "partially_validated", partial, PARTIAL_MOTIVATION
    )
    expect_decision_recorded(page, base_url, hugo)

    # Closing is refused while Nina's dossier has no decision, naming it.
    page.goto(session_url(base_url, session))
    undecided = fr("Dossiers without a decision: %s.") % nina.dossier.reference
    closing = page.locator("main section[aria-labelledby=close-title]")
    expect(closing).to_contain_text(
        fr("Decisions recorded: %(decided)s of %(total)s.") % {"decided": 2, "total": 3}
    )
    expect(closing.locator(".notice--warning")).to_contain_text(undecided)
    closing.locator("form[action$='/close/'] button[type=submit]").click()
    expect(page).to_have_url(session_url(base_url, session))
    expect(page.locator(".message--error")).to_have_text(undecided)
    expect_session_status(page, SessionStatus.DELIBERATING)
    assert reload(session).status == SessionStatus.DELIBERATING
    president_watch.screenshot("jury-journey-07-president-close-refused")

    page = open_the_item(president_watch, base_url, nina)
    expect_tally(page, units, [(0, 4, fr("Do not validate"))] * 3)
    president_decides(
        president_watch, base_url, nina, "not_validated", everyone(units, False), REFUSAL_MOTIVATION
    )
    expect_decision_recorded(page, base_url, nina)

    # Every dossier decided: the president closes the session.
    page.goto(session_url(base_url, session))
    expect(closing).to_contain_text(
        fr("Decisions recorded: %(decided)s of %(total)s.") % {"decided": 3, "total": 3}
    )
    expect(closing.locator(".notice--warning")).to_have_count(0)
    president_closes(page, base_url, session)
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(
        fr("This session is closed: its decisions are final.")
    )
    agenda = page.locator("main table.agenda tbody tr")
    for item, outcome in (
        (lea, "Certified"),
        (hugo, "Partially validated"),
        (nina, "Not validated"),
    ):
        row = agenda.filter(has_text=item.dossier.reference)
        expect(row.locator("td").last).to_have_text(fr(outcome))
    president_watch.screenshot("jury-journey-08-president-session-closed")

    # A member's page: the vote is read-only now, the decision final.
    paul_page = open_the_item(paul_watch, base_url, lea)
    expect(paul_page.locator("main form")).to_have_count(0)
    expect(paul_page.locator("main")).to_contain_text(fr("The jury's decision"))
    expect(paul_page.locator("main .jury-actions")).to_contain_text(CHANGED_VOTE_COMMENT)

    # Staff find the session's documents ready: Léa's certificate, Hugo's attestation (Nina's
    # refusal yields none) and the minutes; they download them as one ZIP.
    lea_certificate = Certificate.objects.get(dossier=lea_dossier)
    hugo_attestation = Certificate.objects.get(dossier=hugo_dossier)
    assert (lea_certificate.kind, hugo_attestation.kind) == (
        Certificate.Kind.CERTIFICATE,
        Certificate.Kind.PARTIAL_ATTESTATION,
    )
    assert not Certificate.objects.filter(dossier=nina_dossier).exists()
    staff_download_the_session_documents(
        staff_watch,
        base_url,
        session,
        [lea_certificate, hugo_attestation],
        JuryMinutes.objects.get(session=session),
        screenshot="jury-journey-08a-admin-session-documents",
    )

    # 5. The candidates: Léa is certified and holds every unit.
    lea_watch = candidate_opens_the_result(new_page, base_url, lea_dossier, S.CERTIFIED)
    lea_page = lea_watch.page
    expect(lea_page.locator("#next-step ~ p").first).to_have_text(
        fr("Congratulations: the jury awarded you the CQP.")
    )
    expect_units(lea_page, units, acquired=units)
    expect(lea_page.locator("ol.timeline")).to_contain_text(fr_step("certify"))
    expect(lea_page.locator("main")).not_to_contain_text(CHANGED_VOTE_COMMENT)  # no vote shown
    lea_watch.screenshot("jury-journey-09-candidate-certified-with-certificate")
    every_code = [unit.code for unit in units]
    lea_pdf = candidate_downloads_the_document(lea_watch, lea_certificate, lea_dossier, every_code)
    candidate_reads_acquired_units(lea_watch, base_url, lea_dossier, units)

    # Hugo holds BC01 and reads why the others were not validated.
    hugo_watch = candidate_opens_the_result(new_page, base_url, hugo_dossier, S.PARTIALLY_VALIDATED)
    hugo_page = hugo_watch.page
    expect_units(hugo_page, units, acquired=[bc01])
    timeline = hugo_page.locator("ol.timeline li", has_text=fr_step("validate_partially"))
    expect(timeline).to_contain_text(PARTIAL_MOTIVATION)
    hugo_watch.screenshot("jury-journey-10-candidate-partially-validated-with-attestation")
    # The attestation prints BC01, acquired, and BC02 and BC03, still to acquire.
    candidate_downloads_the_document(hugo_watch, hugo_attestation, hugo_dossier, every_code)
    candidate_reads_acquired_units(hugo_watch, base_url, hugo_dossier, [bc01])

    # Nina reads the refusal and its motivation; she holds no unit.
    nina_watch = candidate_opens_the_result(new_page, base_url, nina_dossier, S.NOT_VALIDATED)
    nina_page = nina_watch.page
    expect_units(nina_page, units, acquired=[])
    timeline = nina_page.locator("ol.timeline li", has_text=fr_step("not_validate"))
    expect(timeline).to_contain_text(REFUSAL_MOTIVATION)
    expect(nina_page.locator("#dossier-documents")).to_have_count(0)  # a refusal yields none
    nina_watch.screenshot("jury-journey-11-candidate-not-validated")
    candidate_reads_acquired_units(nina_watch, base_url, nina_dossier, [])

    # Hugo opens a new dossier on the same CQP: BC01 comes with it, acquired.
    hugo_page.goto(f"{base_url}/candidat/")
    hugo_page.locator("main a[href$='/candidat/dossiers/new/']").click()
    expect(hugo_page).to_have_url(f"{base_url}/candidat/dossiers/new/")
    hugo_page.locator("select[name=cqp]").select_option(str(open_cqp.pk))
    hugo_page.locator("select[name=funding]").select_option("cpf")
    hugo_page.locator("main form button[type=submit]").click()
    expect(hugo_page).to_have_url(re.compile(r"/candidat/dossiers/\d+/$"))
    expect(hugo_page.locator(".message--success")).to_have_count(1)
    second = Dossier.objects.get(candidate=hugo_dossier.candidate, status=S.DRAFT)
    expect(hugo_page).to_have_url(f"{base_url}/candidat/dossiers/{second.pk}/")
    expect_status(hugo_page, S.DRAFT)
    expect_units(hugo_page, units, acquired=[bc01])
    expect(hugo_page.locator("ol.timeline")).to_contain_text(
        fr("Units already acquired, carried over: %s.") % "BC01"
    )
    hugo_watch.screenshot("jury-journey-12-candidate-new-dossier-carries-bc01")
    held = AcquiredUnit.objects.get(candidate=hugo_dossier.candidate)
    assert second.previous == hugo_dossier
    assert list(CarriedOverUnit.objects.filter(dossier=second).values_list("unit", "acquired")) == [
        (bc01.pk, held.pk)
    ]

    # 6. Anyone Léa shows her certificate to opens the address it prints, without logging in:
    # valid, in her name. They type Hugo's code too.
    visitor_watch = new_page()
    address = printed_address(lea_pdf)
    assert address.startswith(f"{base_url}/verify/")
    visitor_finds_it_valid(visitor_watch, base_url, address, lea_certificate, lea_dossier)
    visitor_watch.screenshot("jury-journey-13-verification-valid")
    visitor_types_a_code(
        visitor_watch, base_url, hugo_attestation, hugo_dossier, [bc01], [bc02, bc03]
    )
    visitor_watch.page.go_back()

    # Staff revoke Léa's certificate, with its reason: the visitor's page, reloaded, says so,
    # and so does Léa's dossier page. The session now waits for two documents, not three.
    staff_revoke(staff_watch, base_url, session, lea_certificate, REVOCATION_REASON)
    staff_watch.page.goto(admin_session_url(base_url, session))
    expect(staff_watch.page.locator("#session-documents .cqp-documents-count")).to_have_text(
        documents_ready(2, 2, revoked=1)
    )
    expect(visitor_watch.page).to_have_url(f"{base_url}/verify/{lea_certificate.public_code}/")
    visitor_finds_it_revoked(visitor_watch, lea_certificate, REVOCATION_REASON)
    visitor_watch.screenshot("jury-journey-14-verification-revoked")
    lea_page.goto(f"{base_url}/candidat/dossiers/{lea_dossier.pk}/")
    revoked = lea_page.locator("#dossier-documents .document-revoked")
    expect(revoked).to_contain_text(REVOCATION_REASON)
    expect(lea_page.locator("#dossier-documents a[href$='.pdf']")).to_have_count(0)
    lea_watch.screenshot("jury-journey-15-candidate-certificate-revoked")

    # 7. What the pages showed is what the database holds.
    assert reload(session).status == SessionStatus.CLOSED
    assert list(session.events.values_list("action", flat=True).order_by("created_at", "id")) == [
        "create",
        *["change_members"] * len(jury),
        "change_agenda",
        "change_agenda",
        "convene",
        "open_deliberation",
        "record_decision",
        "record_decision",
        "record_decision",
        "close",
    ]
    assert not AgendaItem.objects.filter(session=session, active=True).exists()
    decisions = {d.item_id: d for d in JuryDecision.objects.filter(item__session=session)}
    assert len(decisions) == 3
    assert all(d.final_at is not None and d.decided_by == president for d in decisions.values())
    for item, outcome, motivation, validated in (
        (lea, "certified", "", {bc01, bc02, bc03}),
        (hugo, "partially_validated", PARTIAL_MOTIVATION, {bc01}),
        (nina, "not_validated", REFUSAL_MOTIVATION, set()),
    ):
        decision = decisions[item.pk]
        assert (decision.outcome, decision.motivation) == (outcome, motivation)
        assert {line.unit_id: line.validated for line in decision.units.all()} == {
            unit.pk: unit in validated for unit in units
        }
    assert (reload(lea_dossier).status, reload(hugo_dossier).status) == (
        S.CERTIFIED,
        S.PARTIALLY_VALIDATED,
    )
    assert reload(nina_dossier).status == S.NOT_VALIDATED
    reload(lea_certificate)
    assert (lea_certificate.status, lea_certificate.revoked_reason) == (
        DocumentStatus.REVOKED,
        REVOCATION_REASON,
    )
    assert lea_certificate.revoked_by == staff
    assert list(lea_certificate.events.values_list("action", flat=True).order_by("pk")) == [
        "produce",
        "revoke",
    ]
    assert reload(hugo_attestation).status == DocumentStatus.READY
    today = timezone.localdate()
    assert sorted(
        AcquiredUnit.objects.values_list("candidate", "unit", "dossier", "acquired_on")
    ) == sorted(
        [(lea_dossier.candidate_id, unit.pk, lea_dossier.pk, today) for unit in units]
        + [(hugo_dossier.candidate_id, bc01.pk, hugo_dossier.pk, today)]
    )

    # Each candidate was told of the decision by e-mail, with its motivation.
    for dossier, action, motivation in (
        (lea_dossier, "certify", ""),
        (hugo_dossier, "validate_partially", PARTIAL_MOTIVATION),
        (nina_dossier, "not_validate", REFUSAL_MOTIVATION),
    ):
        subject = fr("Your dossier %(reference)s: %(step)s") % {
            "reference": dossier.reference,
            "step": fr_step(action),
        }
        told = mails(subject)
        assert [m.to for m in told] == [[dossier.candidate.user.email]]
        assert motivation in told[0].body
        assert f"/candidat/dossiers/{dossier.pk}/" in told[0].body

    for watch in (
        staff_watch,
        president_watch,
        paul_watch,
        sophie_watch,
        yves_watch,
        lea_watch,
        hugo_watch,
        nina_watch,
        visitor_watch,
    ):
        watch.assert_clean()
