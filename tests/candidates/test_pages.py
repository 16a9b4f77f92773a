"""The candidate's pages through the test client: access per role, forms, uploads, queries."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import (
    AcquiredUnit,
    Candidate,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
)
from tests import factories
from tests.candidates.conftest import JPEG, PDF, PNG, pdf

S = DossierStatus
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture
def dossier(candidate, open_cqp):
    return services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )


@pytest.fixture
def piece(dossier, candidate):
    return services.document_upload(
        dossier=dossier,
        kind=DossierDocument.Kind.IDENTITY,
        upload=pdf("id.pdf"),
        actor=candidate.user,
    )


def _admit_with_evaluator(dossier, candidate, staff, evaluator):
    services.dossier_submit(dossier=dossier, actor=candidate.user)
    services.dossier_declare_complete(dossier=dossier, actor=staff)
    services.dossier_declare_admissible(dossier=dossier, actor=staff)
    services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _follow_messages(client, response):
    """The messages shown on the page a POST redirected to."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


# --- access -----------------------------------------------------------------------------------

CANDIDATE_PAGES = [
    "candidates:dossier_list",
    "candidates:dossier_open",
    "candidates:acquired_units",
    "candidates:profile",
]


@pytest.mark.parametrize("name", CANDIDATE_PAGES)
def test_candidate_pages_send_anonymous_visitors_to_the_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", CANDIDATE_PAGES)
def test_candidate_pages_answer_the_candidate(client, candidate, open_cqp, name):
    client.force_login(candidate.user)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", CANDIDATE_PAGES)
@pytest.mark.parametrize("role", ["plain_user", "staff", "superuser"])
def test_candidate_pages_are_forbidden_without_a_candidate_profile(client, request, role, name):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(name)).status_code == 403


def _dossier_urls(dossier, document):
    return {
        "detail": reverse("candidates:dossier_detail", args=[dossier.pk]),
        "download": reverse("candidates:document_download", args=[dossier.pk, document.pk]),
    }


def _action_urls(dossier, document):
    return [
        reverse("candidates:dossier_submit", args=[dossier.pk]),
        reverse("candidates:dossier_withdraw", args=[dossier.pk]),
        reverse("candidates:document_upload", args=[dossier.pk]),
        reverse("candidates:document_replace", args=[dossier.pk, document.pk]),
        reverse("candidates:document_delete", args=[dossier.pk, document.pk]),
    ]


def test_dossier_pages_send_anonymous_visitors_to_the_login(client, dossier, piece):
    for url in [*_dossier_urls(dossier, piece).values(), *_action_urls(dossier, piece)]:
        response = client.post(url) if "pieces/" in url or "submit" in url else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_candidate_reads_their_own_dossier_and_piece(client, candidate, dossier, piece):
    client.force_login(candidate.user)
    urls = _dossier_urls(dossier, piece)
    response = client.get(urls["detail"])
    assert response.status_code == 200
    assert response.context["is_owner"]
    assert reverse("candidates:dossier_submit", args=[dossier.pk]).encode() in response.content
    assert client.get(urls["download"]).status_code == 200


@pytest.mark.parametrize("role", ["other_candidate", "other_staff", "other_cpnef", "plain_user"])
def test_others_get_a_404_on_the_dossier_its_pieces_and_its_actions(
    client, request, role, dossier, piece
):
    viewer = request.getfixturevalue(role)
    client.force_login(viewer.user if isinstance(viewer, Candidate) else viewer)
    for url in _dossier_urls(dossier, piece).values():
        assert client.get(url).status_code == 404, url
    for url in _action_urls(dossier, piece):
        assert client.post(url).status_code == 404, url
    assert dossier.documents.count() == 1
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT


@pytest.mark.parametrize("role", ["staff", "cpnef", "superuser"])
def test_branch_members_read_the_dossier_without_action_forms_and_cannot_act(
    client, request, role, dossier, piece
):
    client.force_login(request.getfixturevalue(role))
    urls = _dossier_urls(dossier, piece)
    response = client.get(urls["detail"])
    assert response.status_code == 200
    assert not response.context["is_owner"]
    content = response.content.decode()
    assert 'method="post"' not in content.split('<main id="main"')[1]
    assert response.context["upload_form"] is None
    assert client.get(urls["download"]).status_code == 200
    for url in _action_urls(dossier, piece):
        assert client.post(url).status_code == 403, url
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT and dossier.documents.count() == 1


def test_the_assigned_evaluator_reads_the_dossier_and_its_pieces(
    client, candidate, dossier, piece, staff, evaluator
):
    _admit_with_evaluator(dossier, candidate, staff, evaluator)
    client.force_login(evaluator)
    urls = _dossier_urls(dossier, piece)
    assert client.get(urls["detail"]).status_code == 200
    assert client.get(urls["download"]).status_code == 200
    assert client.post(reverse("candidates:dossier_withdraw", args=[dossier.pk])).status_code == 404


def test_an_evaluator_not_assigned_gets_a_404(client, dossier, piece, evaluator):
    client.force_login(evaluator)
    assert client.get(_dossier_urls(dossier, piece)["detail"]).status_code == 404


def test_a_dossier_that_does_not_exist_is_a_404(client, candidate):
    client.force_login(candidate.user)
    assert client.get(reverse("candidates:dossier_detail", args=[999999])).status_code == 404


# --- list, open -------------------------------------------------------------------------------


def test_the_list_shows_only_the_candidates_own_dossiers(
    client, candidate, other_candidate, open_cqp
):
    mine = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    theirs = services.dossier_open(
        candidate=other_candidate, cqp=open_cqp, funding="cpf", actor=other_candidate.user
    )
    client.force_login(candidate.user)
    content = client.get(reverse("candidates:dossier_list")).content.decode()
    assert mine.reference in content and theirs.reference not in content
    assert open_cqp.title in content
    assert str(S.DRAFT.label) in content


def test_the_open_form_offers_only_open_cqps_and_preselects_one(
    client, candidate, open_cqp, other_cqp
):
    client.force_login(candidate.user)
    response = client.get(reverse("candidates:dossier_open"), {"cqp": open_cqp.pk})
    form = response.context["form"]
    assert list(form.fields["cqp"].queryset) == [open_cqp]
    assert form.initial["cqp"] == open_cqp.pk
    assert f'value="{open_cqp.pk}" selected' in response.content.decode()


def test_the_public_cqp_page_links_to_the_open_form(client, open_cqp):
    response = client.get(reverse("certifications:cqp_detail", args=[open_cqp.pk]))
    assert f"{reverse('candidates:dossier_open')}?cqp={open_cqp.pk}".encode() in response.content


def test_opening_a_dossier_redirects_to_its_page(client, candidate, open_cqp):
    client.force_login(candidate.user)
    response = client.post(
        reverse("candidates:dossier_open"), {"cqp": open_cqp.pk, "funding": "pdc"}
    )
    dossier = Dossier.objects.get(candidate=candidate)
    assert response.status_code == 302 and response["Location"] == dossier.get_absolute_url()
    assert dossier.funding == "pdc" and dossier.status == S.DRAFT


def test_a_closed_cqp_posted_is_a_form_error_and_nothing_is_created(
    client, candidate, open_cqp, other_cqp
):
    client.force_login(candidate.user)
    response = client.post(
        reverse("candidates:dossier_open"), {"cqp": other_cqp.pk, "funding": "cpf"}
    )
    assert response.status_code == 200
    assert "cqp" in response.context["form"].errors
    assert not Dossier.objects.exists()


def test_a_second_open_dossier_on_the_same_cqp_is_a_form_error(client, candidate, dossier):
    client.force_login(candidate.user)
    response = client.post(
        reverse("candidates:dossier_open"), {"cqp": dossier.cqp_id, "funding": "cpf"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Dossier.objects.count() == 1


# --- the dossier page ----------------------------------------------------------------------------


def test_the_dossier_page_shows_the_timeline_units_and_next_step(client, candidate, dossier):
    client.force_login(candidate.user)
    response = client.get(dossier.get_absolute_url())
    events = response.context["events"]
    assert [e.action for e in events] == ["open"]
    assert str(events[0].label) in ("Dossier opened", "Dossier ouvert")
    units = response.context["units"]
    assert [u.code for u in units] == ["BC01", "BC02"] and not any(u.acquired for u in units)
    assert response.context["can_submit"] and response.context["can_withdraw"]


def test_an_incomplete_dossier_shows_the_staffs_last_comment(
    client, candidate, dossier, piece, staff
):
    services.dossier_submit(dossier=dossier, actor=candidate.user)
    services.dossier_declare_incomplete(dossier=dossier, actor=staff, comment="Old comment.")
    services.dossier_resubmit(dossier=dossier, actor=candidate.user)
    services.dossier_declare_incomplete(dossier=dossier, actor=staff, comment="Add your CV.")
    client.force_login(candidate.user)
    response = client.get(dossier.get_absolute_url())
    assert response.context["missing_items"] == "Add your CV."
    assert response.context["can_submit"] and response.context["pieces_editable"]


def test_units_already_held_are_shown_acquired(client, candidate, open_cqp):
    first = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    services.dossier_withdraw(dossier=first, actor=candidate.user)
    unit = first.referentiel.units.order_by("order").first()
    AcquiredUnit.objects.create(
        candidate=candidate, unit=unit, dossier=first, acquired_on=timezone.localdate()
    )
    second = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    client.force_login(candidate.user)
    units = client.get(second.get_absolute_url()).context["units"]
    assert [(u.code, u.acquired) for u in units] == [("BC01", True), ("BC02", False)]


# --- submit, withdraw ---------------------------------------------------------------------------


def test_submitting_without_identity_piece_is_refused_with_a_clear_message(
    client, candidate, dossier
):
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:dossier_submit", args=[dossier.pk]))
    shown = _follow_messages(client, response)
    assert any("identity document" in m or "pièce d’identité" in m for m in shown), shown
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT


def test_submitting_then_resubmitting_goes_through_the_same_view(
    client, candidate, dossier, piece, staff
):
    client.force_login(candidate.user)
    url = reverse("candidates:dossier_submit", args=[dossier.pk])
    client.post(url)
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED
    services.dossier_declare_incomplete(dossier=dossier, actor=staff, comment="CV.")
    client.post(url)
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED
    assert dossier.events.filter(action="resubmit").count() == 1


def test_submitting_a_submitted_dossier_is_refused_with_a_message(
    client, candidate, dossier, piece
):
    services.dossier_submit(dossier=dossier, actor=candidate.user)
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:dossier_submit", args=[dossier.pk]))
    assert _follow_messages(client, response)
    assert dossier.events.filter(action="submit").count() == 1


def test_submit_answers_only_post(client, candidate, dossier):
    client.force_login(candidate.user)
    assert client.get(reverse("candidates:dossier_submit", args=[dossier.pk])).status_code == 405


def test_withdrawing_asks_for_confirmation_then_withdraws_with_the_reason(
    client, candidate, dossier
):
    client.force_login(candidate.user)
    url = reverse("candidates:dossier_withdraw", args=[dossier.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"comment" in page.content
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT  # a GET changes nothing
    response = client.post(url, {"comment": "I found a job."})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.WITHDRAWN
    assert dossier.events.get(action="withdraw").comment == "I found a job."
    after = client.get(dossier.get_absolute_url())
    assert not after.context["can_withdraw"] and not after.context["can_submit"]


def test_withdrawing_a_withdrawn_dossier_is_refused_with_a_message(client, candidate, dossier):
    services.dossier_withdraw(dossier=dossier, actor=candidate.user)
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:dossier_withdraw", args=[dossier.pk]))
    assert _follow_messages(client, response)
    assert dossier.events.filter(action="withdraw").count() == 1


# --- pieces -------------------------------------------------------------------------------------


def _upload(client, dossier, name, content, kind="cv"):
    return client.post(
        reverse("candidates:document_upload", args=[dossier.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_a_real_piece_is_uploaded_through_the_page(
    client, candidate, dossier, content, content_type
):
    client.force_login(candidate.user)
    response = _upload(client, dossier, "mon cv.pdf", content)
    assert response.status_code == 302
    document = dossier.documents.get()
    assert document.content_type == content_type and document.size == len(content)
    assert document.file.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.pdf", EXE),  # an executable renamed .pdf
        ("empty.pdf", b""),
        ("notes.txt", b"plain text"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(
    client, candidate, dossier, name, content, settings
):
    client.force_login(candidate.user)
    response = _upload(client, dossier, name, content)
    assert _follow_messages(client, response)
    assert not dossier.documents.exists()
    assert not dossier.events.filter(action="add_piece").exists()


def test_an_oversize_file_is_refused(client, candidate, dossier, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 100
    client.force_login(candidate.user)
    response = _upload(client, dossier, "big.pdf", PDF + b"x" * 200)
    shown = _follow_messages(client, response)
    assert shown and not dossier.documents.exists()


def test_an_upload_without_file_is_refused_with_a_message(client, candidate, dossier):
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:document_upload", args=[dossier.pk]), {"kind": "cv"})
    assert _follow_messages(client, response) and not dossier.documents.exists()


@pytest.mark.parametrize("hostile", ["../../etc/passwd.pdf", "<script>alert(1)</script>.pdf"])
def test_a_hostile_name_is_stored_under_our_own_name_and_shown_harmlessly(
    client, candidate, dossier, hostile
):
    client.force_login(candidate.user)
    _upload(client, dossier, hostile, PDF)
    document = dossier.documents.get()
    assert document.file.name.startswith(f"dossiers/{dossier.pk}/")
    assert ".." not in document.file.name and "<" not in document.file.name
    assert "/" not in document.original_name and "<" not in document.original_name
    content = client.get(dossier.get_absolute_url()).content.decode()
    assert "<script>" not in content and "etc/passwd" not in content


def test_the_download_is_an_attachment_with_safe_headers(client, candidate, dossier, piece):
    client.force_login(candidate.user)
    response = client.get(piece.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="id.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


def test_a_piece_of_another_dossier_is_a_404_even_with_the_right_dossier(
    client, candidate, other_candidate, dossier, open_cqp
):
    theirs = services.dossier_open(
        candidate=other_candidate, cqp=open_cqp, funding="cpf", actor=other_candidate.user
    )
    their_piece = services.document_upload(
        dossier=theirs, kind="cv", upload=pdf(), actor=other_candidate.user
    )
    client.force_login(candidate.user)
    url = reverse("candidates:document_download", args=[dossier.pk, their_piece.pk])
    assert client.get(url).status_code == 404


def test_the_candidate_replaces_and_deletes_a_piece_while_draft(client, candidate, dossier, piece):
    client.force_login(candidate.user)
    old_name = piece.file.name
    response = client.post(
        reverse("candidates:document_replace", args=[dossier.pk, piece.pk]),
        {"file": SimpleUploadedFile("passport.png", PNG)},
    )
    assert response.status_code == 302
    piece.refresh_from_db()
    assert piece.original_name == "passport.png" and piece.content_type == "image/png"
    assert piece.file.name != old_name
    client.post(reverse("candidates:document_delete", args=[dossier.pk, piece.pk]))
    assert not dossier.documents.exists()


def test_a_replacement_by_a_disguised_file_keeps_the_old_piece(client, candidate, dossier, piece):
    client.force_login(candidate.user)
    response = client.post(
        reverse("candidates:document_replace", args=[dossier.pk, piece.pk]),
        {"file": SimpleUploadedFile("new.pdf", EXE)},
    )
    assert _follow_messages(client, response)
    piece.refresh_from_db()
    assert piece.original_name == "id.pdf" and piece.file.read() == PDF


def test_pieces_cannot_be_changed_once_submitted(client, candidate, dossier, piece):
    services.dossier_submit(dossier=dossier, actor=candidate.user)
    client.force_login(candidate.user)
    page = client.get(dossier.get_absolute_url())
    assert not page.context["pieces_editable"] and page.context["upload_form"] is None
    replace = client.post(
        reverse("candidates:document_replace", args=[dossier.pk, piece.pk]),
        {"file": SimpleUploadedFile("new.pdf", PDF)},
    )
    assert _follow_messages(client, replace)
    delete = client.post(reverse("candidates:document_delete", args=[dossier.pk, piece.pk]))
    assert _follow_messages(client, delete)
    upload = _upload(client, dossier, "cv.pdf", PDF)
    assert _follow_messages(client, upload)
    piece.refresh_from_db()
    assert dossier.documents.count() == 1 and piece.original_name == "id.pdf"


# --- acquired units, profile --------------------------------------------------------------------


def test_acquired_units_list_the_candidates_units_across_dossiers(
    client, candidate, other_candidate, open_cqp
):
    first = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    unit = first.referentiel.units.order_by("order").first()
    AcquiredUnit.objects.create(
        candidate=candidate, unit=unit, dossier=first, acquired_on=datetime.date(2024, 6, 3)
    )
    client.force_login(other_candidate.user)
    assert not client.get(reverse("candidates:acquired_units")).context["acquired_units"]
    client.force_login(candidate.user)
    response = client.get(reverse("candidates:acquired_units"))
    assert [a.unit.code for a in response.context["acquired_units"]] == ["BC01"]
    assert first.reference in response.content.decode()


def test_the_profile_is_updated(client, candidate):
    client.force_login(candidate.user)
    data = {
        "first_name": "Anne",
        "last_name": "Durand",
        "birth_date": "1988-02-29",
        "birth_place": "Nantes",
        "phone": "0600000000",
        "address": "1 rue de la Paix",
        "postal_code": "44000",
        "city": "Nantes",
        "situation": Candidate.Situation.JOB_SEEKER,
        "employer_name": "Ignored",
        "employer_siret": "",
    }
    response = client.post(reverse("candidates:profile"), data)
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.last_name == "Durand" and candidate.birth_date == datetime.date(1988, 2, 29)
    assert candidate.employer_name == ""  # kept only while employed
    assert _follow_messages(client, response)


def test_an_identity_change_through_the_profile_page_goes_on_record(client, candidate, dossier):
    services.document_upload(dossier=dossier, kind="identity", upload=pdf(), actor=candidate.user)
    services.dossier_submit(dossier=dossier, actor=candidate.user)
    client.force_login(candidate.user)

    response = client.post(reverse("candidates:profile"), _profile(last_name="Durand-Martin"))

    assert response.status_code == 302
    event = dossier.events.get(action="update_identity")
    assert "Durand-Martin" in event.comment


def _profile(**changes):
    data = {
        "first_name": "Anne",
        "last_name": "Durand",
        "birth_date": "1988-02-29",
        "birth_place": "Nantes",
        "situation": Candidate.Situation.EMPLOYEE,
        "employer_name": "Agence Durand",
        "employer_siret": factories.make_siret(1),
    }
    data.update(changes)
    return data


def test_an_employee_must_name_the_employer(client, candidate):
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:profile"), _profile(employer_name=""))
    assert response.status_code == 200
    assert "employer_name" in response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.last_name != "Durand"


def test_an_employee_gives_a_valid_siret(client, candidate):
    client.force_login(candidate.user)
    response = client.post(reverse("candidates:profile"), _profile(employer_siret="12345678901234"))
    assert "employer_siret" in response.context["form"].errors
    response = client.post(reverse("candidates:profile"), _profile())
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.employer_siret == factories.make_siret(1)


def test_a_birth_date_in_the_future_is_a_form_error(client, candidate):
    client.force_login(candidate.user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(reverse("candidates:profile"), _profile(birth_date=tomorrow.isoformat()))
    assert response.status_code == 200 and response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.birth_date != tomorrow


# --- query counts -------------------------------------------------------------------------------


def _open_many(candidate, count):
    for _ in range(count):
        cqp = factories.cqp_with_referentiel(branch=factories.BranchFactory())
        dossier_cqp = cqp
        referentiel = cqp.referentiels.get()
        referentiel.status = "published"
        referentiel.save(update_fields=["status"])
        Dossier.objects.create(
            candidate=candidate,
            cqp=dossier_cqp,
            referentiel=referentiel,
            funding="cpf",
            reference=f"X-{cqp.pk}",
        )


def _list_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit + 1):  # + the jury seat (navigation)
        assert client.get(reverse("candidates:dossier_list")).status_code == 200


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_query_count_does_not_grow_with_dossiers(
    client, candidate, django_assert_max_num_queries, count
):
    _open_many(candidate, count)
    client.force_login(candidate.user)
    _list_queries(client, django_assert_max_num_queries, 6)


@pytest.mark.parametrize("count", [1, 10])
def test_the_acquired_units_query_count_does_not_grow_with_units(
    client, candidate, dossier, django_assert_max_num_queries, count
):
    units = [factories.UnitFactory(referentiel=dossier.referentiel) for _ in range(count)]
    for unit in units:
        AcquiredUnit.objects.create(
            candidate=candidate, unit=unit, dossier=dossier, acquired_on=timezone.localdate()
        )
    client.force_login(candidate.user)
    with django_assert_max_num_queries(7):  # with the jury seat (navigation)
        assert client.get(reverse("candidates:acquired_units")).status_code == 200


@pytest.mark.parametrize(("events", "pieces", "units"), [(1, 1, 1), (15, 10, 8)])
@pytest.mark.parametrize("viewer", ["candidate", "staff"])
def test_the_dossier_page_query_count_does_not_grow_with_events_pieces_or_units(
    client, request, dossier, django_assert_max_num_queries, events, pieces, units, viewer
):
    candidate = dossier.candidate
    for _ in range(events - 1):
        DossierEvent.objects.create(
            dossier=dossier,
            action="add_piece",
            from_status="draft",
            to_status="draft",
            actor=candidate.user,
            comment="x",
        )
    for _ in range(pieces):
        services.document_upload(dossier=dossier, kind="cv", upload=pdf(), actor=candidate.user)
    for _ in range(units):
        unit = factories.UnitFactory(referentiel=dossier.referentiel)
        AcquiredUnit.objects.create(
            candidate=candidate, unit=unit, dossier=dossier, acquired_on=timezone.localdate()
        )
    user = candidate.user if viewer == "candidate" else request.getfixturevalue("staff")
    client.force_login(user)
    with django_assert_max_num_queries(12):  # with the jury seat (navigation)
        response = client.get(dossier.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["documents"]) == pieces
