"""The branch staff's admin of dossiers and candidates: scope, actions, export, invitations."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate, Dossier, DossierDocument, DossierEvent, DossierStatus
from cqp.models import User
from tests import factories
from tests.candidates.conftest import make_candidate

S = DossierStatus
CHANGELIST = "admin:candidates_dossier_changelist"
FEW, MANY = 1, 30


def make_dossier(candidate, cqp, status=S.SUBMITTED, **fields):
    """A dossier already in `status` (the services' path to it is tested elsewhere)."""
    dossier = Dossier.objects.create(
        candidate=candidate,
        cqp=cqp,
        referentiel=cqp.referentiels.order_by("-version").first(),
        funding="cpf",
        status=status,
        reference=f"T-{Dossier.objects.count() + 1:06d}",
        submitted_at=timezone.now() if status != S.DRAFT else None,
        **fields,
    )
    return dossier


def action_url(dossier, action):
    return reverse("admin:candidates_dossier_action", args=[dossier.pk, action])


def change_url(dossier):
    return reverse("admin:candidates_dossier_change", args=[dossier.pk])


def candidate_emails(candidate):
    return [m for m in mail.outbox if candidate.user.email in m.to]


@pytest.fixture
def dossier(candidate, open_cqp):
    return make_dossier(candidate, open_cqp)


@pytest.fixture
def other_dossier(other_candidate, other_cqp):
    return make_dossier(other_candidate, other_cqp)


# --- scope --------------------------------------------------------------------------------------


def test_staff_see_only_their_branch_dossiers(client, staff, dossier, other_dossier):
    client.force_login(staff)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [dossier]


def test_staff_of_another_branch_cannot_open_the_dossier_page(client, other_staff, dossier):
    client.force_login(other_staff)
    response = client.get(change_url(dossier))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(action_url(dossier, "declare_complete")).status_code == 404


def test_staff_of_another_branch_cannot_act_on_the_dossier(client, other_staff, dossier):
    client.force_login(other_staff)
    response = client.post(action_url(dossier, "declare_incomplete"), {"comment": "CV"})
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_a_cpnef_member_sees_the_dossier_without_any_action(client, cpnef, dossier):
    client.force_login(cpnef)
    response = client.get(change_url(dossier))
    assert response.status_code == 200
    assert response.context["dossier_actions"] == []
    assert b'name="_save"' not in response.content
    assert client.post(action_url(dossier, "archive"), {"comment": "x"}).status_code == 403
    changelist = client.get(reverse(CHANGELIST))
    assert list(changelist.context["cl"].result_list) == [dossier]
    assert changelist.context["action_form"] is None  # no bulk actions, no export
    assert client.get(reverse("admin:candidates_dossier_export")).status_code == 403
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_a_superuser_sees_every_branch(client, superuser, dossier, other_dossier):
    client.force_login(superuser)
    response = client.get(reverse(CHANGELIST))
    assert set(response.context["cl"].result_list) == {dossier, other_dossier}


def test_nobody_adds_or_edits_a_dossier_in_the_admin(client, staff, dossier):
    client.force_login(staff)
    assert client.get(reverse("admin:candidates_dossier_add")).status_code == 403
    response = client.post(change_url(dossier), {"status": S.CERTIFIED})
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_staff_see_only_candidates_with_a_dossier_in_their_branch(
    client, staff, candidate, other_candidate, dossier, other_dossier
):
    make_candidate("no.dossier@example.org")
    client.force_login(staff)
    response = client.get(reverse("admin:candidates_candidate_changelist"))
    assert list(response.context["cl"].result_list) == [candidate]
    assert response.context["cl"].result_list[0]._dossier_count == 1
    page = client.get(reverse("admin:candidates_candidate_change", args=[other_candidate.pk]))
    assert page.status_code == 302  # not found in the staff's scope


def test_staff_cannot_change_a_candidate_profile(client, staff, candidate, dossier):
    client.force_login(staff)
    url = reverse("admin:candidates_candidate_change", args=[candidate.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"last_name": "Autre"}).status_code == 403
    candidate.refresh_from_db()
    assert candidate.last_name != "Autre"


# --- buttons and action pages -------------------------------------------------------------------


def test_the_dossier_page_offers_the_actions_of_its_status(client, staff, dossier):
    client.force_login(staff)
    response = client.get(change_url(dossier))
    offered = {button["action"] for button in response.context["dossier_actions"]}
    assert offered == {"declare_complete", "declare_incomplete", "declare_inadmissible", "archive"}
    assert action_url(dossier, "declare_complete").encode() in response.content


def test_declaring_complete_then_admissible_moves_the_dossier(
    client, staff, dossier, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(dossier, "declare_complete"), {"comment": ""})
        assert response.status_code == 302 and response.url == change_url(dossier)
        response = client.post(action_url(dossier, "declare_admissible"), {"comment": "OK"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.ADMISSIBLE and dossier.completeness_checked_at is not None
    assert list(dossier.events.values_list("action", "actor")) == [
        ("declare_complete", staff.pk),
        ("declare_admissible", staff.pk),
    ]
    assert len(candidate_emails(dossier.candidate)) == 1  # "complete" is internal to the branch


def test_declaring_incomplete_sends_the_missing_items_to_the_candidate(
    client, staff, dossier, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(dossier, "declare_incomplete"), {"comment": "Attestation employeur"}
        )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.INCOMPLETE
    event = dossier.events.get()
    assert (event.from_status, event.to_status, event.comment) == (
        S.SUBMITTED,
        S.INCOMPLETE,
        "Attestation employeur",
    )
    [email] = candidate_emails(dossier.candidate)
    assert "Attestation employeur" in email.body


def test_declaring_inadmissible_moves_the_dossier_with_its_reasons(
    client, staff, dossier, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action_url(dossier, "declare_inadmissible"), {"comment": "Hors champ"})
    dossier.refresh_from_db()
    assert dossier.status == S.INADMISSIBLE
    assert dossier.events.get().comment == "Hors champ"
    assert len(candidate_emails(dossier.candidate)) == 1


@pytest.mark.parametrize("action", ["declare_incomplete", "declare_inadmissible", "archive"])
def test_it_refuses_an_action_without_its_required_comment(client, staff, dossier, action):
    client.force_login(staff)
    response = client.post(action_url(dossier, action), {"comment": "  "})
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED and not dossier.events.exists()
    assert not mail.outbox


def test_archiving_closes_the_dossier(client, staff, dossier, django_capture_on_commit_callbacks):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action_url(dossier, "archive"), {"comment": "Sans nouvelles"})
    dossier.refresh_from_db()
    assert dossier.status == S.ARCHIVED
    assert len(candidate_emails(dossier.candidate)) == 1


def test_it_refuses_admissibility_before_the_dossier_is_declared_complete(client, staff, dossier):
    client.force_login(staff)
    response = client.post(action_url(dossier, "declare_admissible"), {"comment": ""})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_an_action_not_allowed_from_the_status_says_so_and_changes_nothing(
    client, staff, candidate, open_cqp
):
    draft = make_dossier(candidate, open_cqp, status=S.DRAFT)
    client.force_login(staff)
    page = client.get(action_url(draft, "declare_complete"))
    assert page.status_code == 200 and page.context["allowed"] is False
    assert b"errornote" in page.content
    response = client.post(action_url(draft, "declare_incomplete"), {"comment": "CV"})
    assert response.status_code == 200 and response.context["allowed"] is False
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and not draft.events.exists()
    buttons = client.get(change_url(draft)).context["dossier_actions"]
    assert [button["action"] for button in buttons] == ["archive"]


def test_an_unknown_action_is_not_found(client, staff, dossier):
    client.force_login(staff)
    assert client.get(action_url(dossier, "certify")).status_code == 404


# --- evaluators ---------------------------------------------------------------------------------


@pytest.fixture
def admissible(candidate, open_cqp):
    return make_dossier(
        candidate, open_cqp, status=S.ADMISSIBLE, completeness_checked_at=timezone.now()
    )


def test_assigning_an_accredited_evaluator_starts_the_positioning(
    client, staff, admissible, evaluator, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    page = client.get(action_url(admissible, "assign_evaluator"))
    assert list(page.context["form"].fields["evaluator"].queryset) == [evaluator]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(admissible, "assign_evaluator"), {"evaluator": evaluator.pk, "comment": ""}
        )
    assert response.status_code == 302
    admissible.refresh_from_db()
    assert admissible.status == S.POSITIONING and admissible.evaluator == evaluator
    assert admissible.events.get().action == "assign_evaluator"
    assert len(candidate_emails(admissible.candidate)) == 1


def test_evaluators_without_a_valid_accreditation_are_neither_offered_nor_accepted(
    client, staff, admissible, evaluator, branch, other_branch, open_cqp, other_cqp
):
    today = timezone.localdate()
    expired = factories.UserFactory(email="expired@example.org")
    factories.AccreditationFactory(
        user=expired,
        branch=branch,
        valid_from=today - datetime.timedelta(days=400),
        valid_until=today - datetime.timedelta(days=1),
    )
    elsewhere = factories.UserFactory(email="elsewhere@example.org")
    factories.AccreditationFactory(user=elsewhere, branch=other_branch)
    other_cqp_only = factories.UserFactory(email="othercqp@example.org")
    narrow = factories.AccreditationFactory(user=other_cqp_only, branch=branch)
    narrow.cqps.add(factories.CqpFactory(branch=branch))
    this_cqp_only = factories.UserFactory(email="thiscqp@example.org")
    factories.AccreditationFactory(user=this_cqp_only, branch=branch).cqps.add(open_cqp)
    client.force_login(staff)

    page = client.get(action_url(admissible, "assign_evaluator"))
    offered = set(page.context["form"].fields["evaluator"].queryset)
    assert offered == {evaluator, this_cqp_only}

    for forged in (expired, elsewhere, other_cqp_only):
        response = client.post(
            action_url(admissible, "assign_evaluator"), {"evaluator": forged.pk, "comment": ""}
        )
        assert response.status_code == 200
        assert "evaluator" in response.context["form"].errors
    admissible.refresh_from_db()
    assert admissible.status == S.ADMISSIBLE and admissible.evaluator is None


def test_the_page_says_when_no_evaluator_is_accredited(client, staff, admissible):
    client.force_login(staff)
    page = client.get(action_url(admissible, "assign_evaluator"))
    assert page.context["no_evaluator"] is True


def test_reassigning_needs_a_reason_and_another_accredited_evaluator(
    client, staff, candidate, open_cqp, evaluator, branch, django_capture_on_commit_callbacks
):
    positioning = make_dossier(candidate, open_cqp, status=S.POSITIONING, evaluator=evaluator)
    second = factories.UserFactory(email="second.evaluator@example.org")
    factories.AccreditationFactory(user=second, branch=branch)
    client.force_login(staff)
    url = action_url(positioning, "reassign_evaluator")
    page = client.get(url)
    assert list(page.context["form"].fields["evaluator"].queryset) == [second]
    refused = client.post(url, {"evaluator": second.pk, "comment": ""})
    assert "comment" in refused.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"evaluator": second.pk, "comment": "Conflit d'intérêts"})
    assert done.status_code == 302
    positioning.refresh_from_db()
    assert positioning.evaluator == second and positioning.status == S.POSITIONING
    assert positioning.events.get().comment == "Conflit d'intérêts"


# --- bulk actions -------------------------------------------------------------------------------


def test_bulk_actions_go_through_the_service_dossier_by_dossier(
    client, staff, candidate, other_candidate, open_cqp
):
    first = make_dossier(candidate, open_cqp)
    draft = make_dossier(other_candidate, open_cqp, status=S.DRAFT)
    client.force_login(staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "declare_complete_selected", "_selected_action": [first.pk, draft.pk]},
        follow=True,
    )
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.completeness_checked_at is not None and draft.status == S.DRAFT
    texts = [str(m) for m in response.context["messages"]]
    assert any(draft.reference in text for text in texts)  # the refusal names its dossier
    client.post(
        reverse(CHANGELIST),
        {"action": "declare_admissible_selected", "_selected_action": [first.pk]},
    )
    first.refresh_from_db()
    assert first.status == S.ADMISSIBLE


# --- CSV export ---------------------------------------------------------------------------------


def read_csv(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_the_csv_export_has_one_row_per_dossier_with_formulas_neutralised(
    client, staff, candidate, open_cqp, other_dossier, evaluator
):
    hostile = make_candidate("hostile@example.org", last_name="=HYPERLINK(1)", first_name="+33")
    due_on = timezone.localdate() + datetime.timedelta(days=10)
    first = make_dossier(candidate, open_cqp, evaluator=evaluator, evaluator_due_on=due_on)
    second = make_dossier(hostile, open_cqp, pathway="vae")
    client.force_login(staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "export_csv", "_selected_action": [first.pk, second.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows[0]) == 13 and len(rows) == 3
    by_reference = {row[0]: row for row in rows[1:]}
    assert by_reference[first.reference][1:5] == [
        candidate.last_name,
        candidate.first_name,
        candidate.user.email,
        open_cqp.code,
    ]
    assert by_reference[first.reference][9] == evaluator.get_full_name()
    assert by_reference[first.reference][10] == due_on.isoformat()
    assert by_reference[second.reference][10] == ""
    assert by_reference[second.reference][1:3] == ["'=HYPERLINK(1)", "'+33"]
    assert by_reference[second.reference][8] != ""  # the pathway's label


def test_the_export_button_follows_the_changelist_filters_and_scope(
    client, staff, candidate, other_candidate, open_cqp, other_dossier
):
    submitted = make_dossier(candidate, open_cqp)
    make_dossier(other_candidate, open_cqp, status=S.DRAFT)
    client.force_login(staff)
    response = client.get(
        reverse("admin:candidates_dossier_export"), {"status__exact": "submitted"}
    )
    assert [row[0] for row in read_csv(response)[1:]] == [submitted.reference]


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [FEW, MANY])
@pytest.mark.parametrize("search", ["", "example"])
def test_the_dossier_changelist_query_count_is_bounded(
    client, staff, open_cqp, evaluator, rows, search, django_assert_max_num_queries
):
    for n in range(rows):
        candidate = make_candidate(f"c{n}@example.org")
        make_dossier(candidate, open_cqp, evaluator=evaluator)
    client.force_login(staff)
    client.get(reverse(CHANGELIST))  # warm the session and content types
    with django_assert_max_num_queries(10):
        response = client.get(reverse(CHANGELIST), {"q": search} if search else {})
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_csv_export_query_count_is_bounded(
    client, staff, open_cqp, evaluator, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_dossier(make_candidate(f"c{n}@example.org"), open_cqp, evaluator=evaluator)
    client.force_login(staff)
    with django_assert_max_num_queries(9):  # the export's audit entry included
        response = client.get(reverse("admin:candidates_dossier_export"))
        rows_read = read_csv(response)
    assert len(rows_read) == rows + 1


@pytest.mark.parametrize("rows", [FEW, MANY])
def test_the_candidate_changelist_query_count_is_bounded(
    client, staff, open_cqp, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_dossier(make_candidate(f"c{n}@example.org"), open_cqp)
    client.force_login(staff)
    client.get(reverse("admin:candidates_candidate_changelist"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:candidates_candidate_changelist"))
    assert response.context["cl"].result_count == rows


def test_the_dossier_page_shows_its_pieces_with_a_download_link(client, staff, dossier, candidate):
    document = DossierDocument.objects.create(
        dossier=dossier,
        kind=DossierDocument.Kind.IDENTITY,
        file="dossiers/x/piece.pdf",
        original_name="identite.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=candidate.user,
    )
    DossierEvent.objects.create(dossier=dossier, action="open", to_status=S.DRAFT)
    client.force_login(staff)
    response = client.get(change_url(dossier))
    assert "cqp-status--submitted" in response.content.decode()
    url = reverse("candidates:document_download", args=[dossier.pk, document.pk])
    assert url.encode() in response.content
    assert b"identite.pdf" in response.content


# --- invitations --------------------------------------------------------------------------------


def test_staff_invite_a_candidate_who_receives_the_e_mail(
    client, staff, branch, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    url = reverse("admin:candidates_candidate_invite")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "email": "Invited@Example.org",
                "first_name": "Inès",
                "last_name": "Durand",
                "branch": branch.pk,
            },
        )
    assert response.status_code == 302
    candidate = Candidate.objects.get(user__email="invited@example.org")
    assert (candidate.first_name, candidate.last_name) == ("Inès", "Durand")
    assert not candidate.user.has_usable_password()
    [email] = [m for m in mail.outbox if "invited@example.org" in m.to]
    assert "/candidat/invitation/" in email.body


def test_staff_cannot_invite_into_a_branch_not_theirs(
    client, other_staff, branch, django_capture_on_commit_callbacks
):
    client.force_login(other_staff)
    url = reverse("admin:candidates_candidate_invite")
    page = client.get(url)
    assert branch not in page.context["form"].fields["branch"].queryset
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"email": "x@example.org", "first_name": "X", "last_name": "Y", "branch": branch.pk},
        )
    assert response.status_code == 200 and "branch" in response.context["form"].errors
    assert not User.objects.filter(email="x@example.org").exists()
    assert not mail.outbox


def test_inviting_an_existing_candidate_is_refused_with_a_message(client, staff, branch, candidate):
    client.force_login(staff)
    response = client.post(
        reverse("admin:candidates_candidate_invite"),
        {"email": candidate.user.email, "first_name": "A", "last_name": "B", "branch": branch.pk},
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_cpnef_members_and_plain_users_cannot_invite(client, cpnef, plain_user):
    url = reverse("admin:candidates_candidate_invite")
    client.force_login(cpnef)
    assert client.get(url).status_code == 403
    client.force_login(plain_user)
    assert client.get(url).status_code == 302  # not staff: the admin's login page
