"""axe-core on the main pages of each role, filled with the demo data (`seed_demo`).

One test walks every page, each role in its own browser, and fails listing every violation of
every page at once (seeding the demo costs seconds: once, not once per page). The admin pages
are Django's own around this project's templates: violations in Django's markup that this
project does not control are listed in DJANGO_ADMIN_KNOWN with their reason; every other one
fails.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from candidates.models import Dossier, DossierStatus
from certifications.demo import DEMO_PASSWORD
from certifications.models import Cqp
from juries.demo import JURORS
from juries.demo_documents import REVOKED_EMAIL
from juries.models import Certificate, DocumentStatus, JurySession, SessionStatus
from tests.browser.accessibility import Known, axe_violations, duplicate_ids, report
from tests.browser.conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = "@demo.cqp.fr"
# Violations in Django's own admin markup (Django 5.2's templates, which this project does not
# override), matched on the rule, the element and its exact HTML. Anything in our templates
# under templates/admin/, in static/admin-cqp/admin.css or in the labels our ModelAdmins give
# fails like any other page (the breadcrumbs' links and two inline columns were fixed so).
DJANGO_ADMIN_KNOWN = (
    Known(
        "empty-table-header",
        r"\.original$",
        r'<th class="original"></th>',
        "edit_inline/tabular.html leaves the header of the rows' title column empty; the "
        "column holds each row's name, so the table still reads row by row.",
    ),
    Known(
        "empty-table-header",
        r"th:nth-child\(\d+\)$",
        r"<th></th>",
        'edit_inline/tabular.html always renders the "Delete?" column\'s header, empty when '
        "the inline cannot delete (our read-only inlines): an empty column, no content lost.",
    ),
    Known(
        "label-title-only",
        r"^#searchbar$",
        r"<input [^>]*id=\"searchbar\"[^>]*>",
        'admin/search_form.html labels the search box with an image whose alt is "Search": '
        "the box has a name, but no visible text label; fixing it means overriding Django's "
        "search form on every changelist.",
    ),
)


@pytest.fixture
def browser_context_args(browser_context_args):
    """The demo in French, the product's default language."""
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


@pytest.fixture
def role_page(browser, browser_context_args, live_server):
    """A browser logged in as the demo account `email` (or anonymous for None)."""
    contexts = []

    def make(email=None):
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if email:
            page.goto(f"{live_server.url}/accounts/login/")
            page.locator("input[name=username]").fill(email)
            page.locator("input[name=password]").fill(DEMO_PASSWORD)
            page.locator("main button[type=submit]").click()
            expect(page.locator("input[name=password]")).to_have_count(0)
        return PageWatch(page, live_server.url.rstrip("/"))

    yield make
    for context in contexts:
        context.close()


class Audit:
    """Visits pages and keeps each one's violations under a readable name."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.found = {}

    def visit(self, watch, name, path, known=()):
        response = watch.page.goto(self.base_url + path)
        assert response.status == 200, f"{name}: {path} answered {response.status}"
        self.check(watch, name, known)

    def check(self, watch, name, known=()):
        expect(watch.page.locator("h1").first).to_be_visible()
        self.found[name] = axe_violations(watch.page, known) + duplicate_ids(watch.page, known)


def dossier_of(email) -> Dossier:
    return Dossier.objects.select_related("referentiel").get(candidate__user__email=email)


def test_the_main_pages_of_every_role_pass_axe(demo, role_page, live_server):
    audit = Audit(live_server.url)
    ni = Cqp.objects.get(branch__slug="immobilier", code="NI")
    valid = Certificate.objects.filter(status=DocumentStatus.READY).first()
    revoked = Certificate.objects.get(dossier__candidate__user__email=REVOKED_EMAIL)
    convened = JurySession.objects.get(status=SessionStatus.CONVENED)
    closed = JurySession.objects.get(status=SessionStatus.CLOSED)

    # Anyone.
    visitor = role_page()
    audit.visit(visitor, "home", "/")
    audit.visit(visitor, "catalogue", "/catalogue/")
    audit.visit(visitor, "CQP page", f"/catalogue/cqp/{ni.pk}/")
    audit.visit(visitor, "verification form", "/verify/")
    audit.visit(visitor, "verification: valid", f"/verify/{valid.public_code}/")
    audit.visit(visitor, "verification: revoked", f"/verify/{revoked.public_code}/")
    audit.visit(visitor, "login", "/accounts/login/")
    audit.visit(visitor, "register", "/candidat/register/")

    # A candidate partially validated (attestation, acquired units), one with a draft.
    partial = dossier_of(f"candidat.jury-partiel{DEMO}")
    candidate = role_page(partial.candidate.user.email)
    audit.visit(candidate, "candidate: dossiers", "/candidat/")
    audit.visit(candidate, "candidate: dossier decided", f"/candidat/dossiers/{partial.pk}/")
    audit.visit(candidate, "candidate: acquired units", "/candidat/units/")
    audit.visit(candidate, "candidate: profile", "/candidat/profile/")
    draft = dossier_of(f"candidat.brouillon{DEMO}")
    drafting = role_page(draft.candidate.user.email)
    audit.visit(drafting, "candidate: draft dossier", f"/candidat/dossiers/{draft.pk}/")
    audit.visit(drafting, "candidate: open a dossier", "/candidat/dossiers/new/")

    # The evaluator: the list, a dossier in evaluation and a unit to assess, a positioning.
    in_evaluation = dossier_of(f"candidat.evaluation{DEMO}")
    assert in_evaluation.status == DossierStatus.EVALUATION
    assessed = in_evaluation.unit_assessments.values("unit_id")
    unit = in_evaluation.referentiel.units.exclude(pk__in=assessed).first()
    to_position = dossier_of(f"candidat.positionnement{DEMO}")
    evaluator = role_page(f"evaluateur{DEMO}")
    audit.visit(evaluator, "evaluator: dossiers", "/evaluateur/")
    audit.visit(evaluator, "evaluator: dossier", f"/evaluateur/dossiers/{in_evaluation.pk}/")
    audit.visit(
        evaluator,
        "evaluator: unit assessment",
        f"/evaluateur/dossiers/{in_evaluation.pk}/units/{unit.pk}/",
    )
    audit.visit(
        evaluator, "evaluator: positioning", f"/evaluateur/dossiers/{to_position.pk}/positioning/"
    )

    # The jury's president: sessions, the convened one, a dossier to study; then, the
    # deliberation opened through its form, the vote and decision forms.
    president = role_page(JURORS[0].email)
    item = convened.agenda.order_by("order", "id").first()
    audit.visit(president, "jury: sessions", "/jury/")
    audit.visit(president, "jury: convened session", f"/jury/sessions/{convened.pk}/")
    item_path = f"/jury/sessions/{convened.pk}/dossiers/{item.pk}/"
    audit.visit(president, "jury: dossier to study", item_path)
    page = president.page
    page.goto(f"{live_server.url}/jury/sessions/{convened.pk}/")
    opening = page.locator("main form[action$='/open/']")
    for box in opening.locator("input[name=present]").all():
        box.check()
    opening.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_count(1)
    audit.check(president, "jury: deliberating session")
    audit.visit(president, "jury: vote and decision", item_path)
    closed_item = closed.agenda.order_by("order", "id").first()
    audit.visit(
        president, "jury: decided dossier", f"/jury/sessions/{closed.pk}/dossiers/{closed_item.pk}/"
    )

    # Branch staff and the CPNEF, in the admin and the CPNEF's space.
    ready = dossier_of(f"candidat.jury{DEMO}")
    staff = role_page(f"staff.immo{DEMO}")
    known = DJANGO_ADMIN_KNOWN
    audit.visit(staff, "admin: index", "/admin/", known)
    audit.visit(staff, "admin: dossiers", "/admin/candidates/dossier/", known)
    audit.visit(staff, "admin: dossier", f"/admin/candidates/dossier/{ready.pk}/change/", known)
    audit.visit(staff, "admin: CQP", f"/admin/certifications/cqp/{ni.pk}/change/", known)
    for session in (convened, closed):  # the first one deliberating by now
        session.refresh_from_db()
        path = f"/admin/juries/jurysession/{session.pk}/change/"
        audit.visit(staff, f"admin: {session.status} session", path, known)
    cpnef = role_page(f"cpnef.immo{DEMO}")
    audit.visit(cpnef, "CPNEF: projects", "/catalogue/cpnef/")
    audit.visit(cpnef, "CPNEF: admin index", "/admin/", known)
    audit.visit(cpnef, "CPNEF: CQP", f"/admin/certifications/cqp/{ni.pk}/change/", known)

    assert not any(audit.found.values()), "axe-core found violations:\n" + report(audit.found)


def test_the_checker_finds_a_violation_and_leaves_only_the_known_ones(page):
    """The helpers themselves: a page with an image without alt text fails, unless declared."""
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>Test</title></head><body><main>'
        '<h1>Test</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    found = axe_violations(page)
    assert [(v.rule, v.target) for v in found] == [("image-alt", "img")]
    assert "image-alt (critical)" in report({"test page": found})
    known = Known("image-alt", r"^img$", r"<img [^>]*>", "a test")
    assert axe_violations(page, known=(known,)) == []


def test_the_checker_finds_a_label_pointing_at_a_duplicated_id(page):
    """Two forms on one page with the same field ids: the second box's label names the first."""
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>Test</title></head><body><main>'
        '<h1>Test</h1><form><div id="id_unit_1">Vote</div></form>'
        '<form><input type="checkbox" id="id_unit_1"><label for="id_unit_1">BC01</label></form>'
        "</main></body></html>"
    )
    found = duplicate_ids(page)
    assert [(v.rule, v.target) for v in found] == [("duplicate-id", "#id_unit_1")]
    assert page.evaluate("() => document.querySelector('input').labels.length") == 0
