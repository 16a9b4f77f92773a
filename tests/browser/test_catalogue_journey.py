"""The catalogue's main journey in a real browser, through the UI only.

Branch staff import référentiels from a France Compétences export, edit and publish a version,
submit the CQP to the CPNEF; a CPNEF member approves it; an anonymous visitor finds it in the
public catalogue. Only the users, their memberships and the branch are made with the ORM.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from certifications.models import BranchMembership
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
EXPORT = (
    Path(__file__).resolve().parents[2] / "certifications/data/rncp/export_fiches_RNCP_sample.xml"
)
VETO_NUMBER = "RNCP40344"
OTHER_NUMBER = "RNCP36612"
VETO_BLOCS = [f"{VETO_NUMBER}BC0{n}" for n in range(1, 5)]
ADDED_COMPETENCE = "Accueillir les propriétaires d'animaux en situation d'urgence"


@pytest.fixture
def browser_context_args(browser_context_args):
    """The branch's people browse in French, the product's default language."""
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def vet_branch(db):
    return factories.BranchFactory(
        name="Cabinets et cliniques vétérinaires", slug="veterinaires", code="VETO"
    )


def _member(branch, role, email):
    user = factories.UserFactory(email=email, is_staff=True)
    BranchMembership.objects.create(user=user, branch=branch, role=role)
    return user


@pytest.fixture
def vet_staff(vet_branch):
    return _member(vet_branch, BranchMembership.BranchRole.STAFF, "staff@veto.example.org")


@pytest.fixture
def vet_cpnef(vet_branch):
    return _member(vet_branch, BranchMembership.BranchRole.CPNEF, "cpnef@veto.example.org")


def log_in(page, base_url, email):
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()


def submit_admin_form(page):
    """Click the main submit button of an admin page (not the logout button of the header)."""
    page.locator("#content-main form input[type=submit].default").click()


def import_export(page, base_url, *, dry_run):
    """From the CQP changelist, upload the sample export; return the report table."""
    page.locator("a[href$='/admin/certifications/cqp/import/']").click()
    expect(page).to_have_url(f"{base_url}/admin/certifications/cqp/import/")
    page.locator("input[name=file]").set_input_files(EXPORT)
    page.locator("input[name=dry_run]").set_checked(dry_run)
    submit_admin_form(page)
    report = page.locator("table.cqp-report")
    expect(report).to_be_visible()
    for number in (VETO_NUMBER, OTHER_NUMBER):
        expect(report.locator("tbody tr", has_text=number)).to_have_count(1)
    return report


def staff_imports_the_export(watch, base_url):
    page = watch.page
    import_export(page, base_url, dry_run=True)
    watch.screenshot("journey-01-import-dry-run")
    expect(page.locator("table.cqp-report a")).to_have_count(0)  # nothing to link to

    page.locator(".breadcrumbs a[href$='/admin/certifications/cqp/']").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(0)

    report = import_export(page, base_url, dry_run=False)
    watch.screenshot("journey-02-import-done")
    expect(report.locator("a", has_text=VETO_NUMBER)).to_have_count(1)

    page.locator(".breadcrumbs a[href$='/admin/certifications/cqp/']").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    watch.screenshot("journey-03-cqp-changelist")


def staff_edits_and_publishes_the_draft(watch, base_url):
    page = watch.page
    page.locator("#result_list tbody tr", has_text=VETO_NUMBER).locator("th a").click()
    expect(page.locator(".cqp-status--draft").first).to_be_visible()
    watch.screenshot("journey-04-cqp-draft")

    # The versions table links each version; the draft's link opens its editor.
    page.locator("#referentiels-group a.button[href*='/referentiel/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/certifications/referentiel/\d+/change/$"))
    codes = page.locator("input[name^='units-'][name$='-code']:not([name*='__prefix__'])")
    expect(codes).to_have_count(4)
    assert sorted(codes.nth(i).input_value() for i in range(4)) == VETO_BLOCS
    competences = page.locator(
        "textarea[name^='units-'][name$='-competences_text']:not([name*='__prefix__'])"
    )
    expect(competences).to_have_count(4)
    for i in range(4):
        assert competences.nth(i).input_value().strip(), f"unit {i} has no competence"
    watch.screenshot("journey-05-referentiel-draft")

    first = competences.first
    first.fill(first.input_value().rstrip("\n") + "\n" + ADDED_COMPETENCE)
    page.locator("#content-main input[name=_continue]").click()
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(page.locator("textarea[name='units-0-competences_text']")).to_contain_text(
        ADDED_COMPETENCE
    )

    page.locator("ul.cqp-actions a.cqp-action--publish").click()
    expect(page).to_have_url(re.compile(r"/referentiel/\d+/transition/publish/$"))
    watch.screenshot("journey-06-publish-confirmation")
    submit_admin_form(page)

    expect(page).to_have_url(re.compile(r"/admin/certifications/referentiel/\d+/change/$"))
    expect(page.locator(".field-status_display .cqp-status--published")).to_be_visible()
    # Read-only now: no field to edit, no save button, the added competence still shown.
    expect(page.locator("#content-main textarea")).to_have_count(0)
    expect(page.locator("#content-main input[name=_save]")).to_have_count(0)
    expect(page.locator("#content-main")).to_contain_text(ADDED_COMPETENCE)
    watch.screenshot("journey-07-referentiel-published")


def staff_submits_the_cqp_to_the_cpnef(watch, base_url):
    page = watch.page
    page.locator(".field-cqp a").click()  # the version page links back to its CQP
    expect(page).to_have_url(re.compile(r"/admin/certifications/cqp/\d+/change/$"))
    page.locator("ul.cqp-actions a.cqp-action--submit").click()
    expect(page).to_have_url(re.compile(r"/cqp/\d+/transition/submit/$"))
    page.locator("textarea[name=comment]").fill("Référentiel importé puis complété.")
    watch.screenshot("journey-08-submit-form")
    submit_admin_form(page)

    expect(page).to_have_url(re.compile(r"/admin/certifications/cqp/\d+/change/$"))
    expect(page.locator(".field-status_display .cqp-status--submitted")).to_be_visible()
    watch.screenshot("journey-09-cqp-submitted")
    # Logging out is a POST: the admin's header has the form.
    page.locator("#logout-form button[type=submit]").click()
    expect(page.locator("#logout-form")).to_have_count(0)


def cpnef_member_approves_the_project(watch, base_url, email):
    page = watch.page
    log_in(page, base_url, email)
    expect(page).to_have_url(f"{base_url}/catalogue/cpnef/")
    project = page.locator("table[aria-labelledby=pending] tbody tr", has_text="vétérinaire")
    expect(project).to_have_count(1)
    watch.screenshot("journey-10-cpnef-space")

    project.locator("a[href*='/decide/']").click()
    expect(page).to_have_url(re.compile(r"/admin/certifications/cqp/\d+/decide/\?next="))
    page.locator("input[name=outcome][value=approve]").check()
    page.locator("input[name=meeting_date]").fill("2026-11-20")
    page.locator("input[name=reference]").fill("CPNEF-VETO-2026-07")
    watch.screenshot("journey-11-cpnef-decision-form")
    submit_admin_form(page)

    # Back in the CPNEF space: nothing pending any more, the decision listed.
    expect(page).to_have_url(f"{base_url}/catalogue/cpnef/")
    expect(
        page.locator("table[aria-labelledby=pending] tbody tr", has_text="vétérinaire")
    ).to_have_count(0)
    page.locator("a[href*='/admin/certifications/cqp/']", has_text="vétérinaire").first.click()
    expect(page).to_have_url(re.compile(r"/admin/certifications/cqp/\d+/change/$"))
    expect(page.locator(".field-status_display .cqp-status--approved")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("CPNEF-VETO-2026-07")
    watch.screenshot("journey-12-cqp-approved")


def visitor_finds_the_cqp_in_the_catalogue(watch, base_url):
    page = watch.page
    page.goto(f"{base_url}/catalogue/")
    page.locator("input[name=q]").fill("vétérinaire")
    page.locator("input[name=q]").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=v"))
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(VETO_NUMBER)
    watch.screenshot("journey-13-catalogue-search")

    results.locator("a[href*='/catalogue/cqp/']").click()
    expect(page).to_have_url(re.compile(r"/catalogue/cqp/\d+/$"))
    expect(page.locator("h1")).to_have_text("Auxiliaire spécialisé vétérinaire")
    units = page.locator("section.unit h3")
    expect(units).to_have_count(4)
    for code in VETO_BLOCS:
        expect(units.filter(has_text=code)).to_have_count(1)
    expect(page.locator("section.unit").first).to_contain_text(ADDED_COMPETENCE)
    watch.screenshot("journey-14-public-cqp-page")


def test_a_cqp_goes_from_the_rncp_export_to_the_public_catalogue(
    watched_page, anonymous_page, live_server, vet_staff, vet_cpnef
):
    base_url = live_server.url
    page = watched_page.page

    log_in(page, base_url, vet_staff.email)
    expect(page).to_have_url(f"{base_url}/admin/")
    page.locator("tr.model-cqp a[href$='/admin/certifications/cqp/']").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(0)

    staff_imports_the_export(watched_page, base_url)
    staff_edits_and_publishes_the_draft(watched_page, base_url)
    staff_submits_the_cqp_to_the_cpnef(watched_page, base_url)
    cpnef_member_approves_the_project(watched_page, base_url, vet_cpnef.email)
    visitor_finds_the_cqp_in_the_catalogue(anonymous_page, base_url)

    watched_page.assert_clean()
    anonymous_page.assert_clean()
