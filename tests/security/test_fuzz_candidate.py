"""Fuzzing the candidate's forms: profile, opening, submitting and withdrawing a dossier.

The world: a candidate with a draft dossier on the open CQP, holding a CV but no identity
document (so it cannot be submitted) — every example below is refused, for its input or for
that state, and must write nothing. The pieces' forms are fuzzed in test_uploads_hostile.
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from candidates import services
from candidates.models import Candidate, DossierDocument, Funding
from tests.candidates.conftest import pdf

from .checks import send_refused
from .strategies import (
    FUZZ,
    JUNK,
    blank_or_missing,
    choice,
    hostile_post,
    not_in,
    too_long,
    with_nul,
)

BAD_DATES = st.sampled_from(
    ["2024-02-30", "31/02/2024", "2024-13-01", "yesterday", "0000-00-00", "10000-01-01"]
)
FUTURE_DATES = st.sampled_from(["2999-01-01", "31/12/2999"])  # refused by the service


@pytest.fixture
def draft(candidate, open_cqp, client):
    dossier = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding=Funding.CPF, actor=candidate.user
    )
    services.document_upload(
        dossier=dossier, kind=DossierDocument.Kind.CV, upload=pdf(), actor=candidate.user
    )
    client.force_login(candidate.user)
    return dossier


PROFILE = {
    "first_name": st.just("Camille") | JUNK,
    "last_name": st.just("Martin") | JUNK,
    "birth_date": st.sampled_from(["1990-05-17", "17/05/1990"]) | JUNK,
    "birth_place": st.just("Lyon") | JUNK,
    "phone": st.just("06 12 34 56 78") | JUNK,
    "address": st.just("3 rue de la Paix") | JUNK,
    "postal_code": st.just("69001") | JUNK,
    "city": st.just("Lyon") | JUNK,
    "situation": choice(Candidate.Situation.values) | JUNK,
    "employer_name": st.just("Agence du Centre") | JUNK,
    "employer_siret": st.just("73282932000074") | JUNK,
}


@pytest.mark.django_db
def test_the_profile_refuses_bad_input(client, draft):
    @FUZZ
    @given(
        hostile_post(
            PROFILE,
            {
                "first_name": blank_or_missing() | too_long(150) | with_nul(),
                "last_name": blank_or_missing() | too_long(150) | with_nul(),
                "birth_date": BAD_DATES | FUTURE_DATES | with_nul(),
                "birth_place": too_long(150) | with_nul(),
                "phone": too_long(30),
                "postal_code": too_long(10),
                "situation": not_in(Candidate.Situation.values) | blank_or_missing(),
            },
        )
    )
    def example(data):
        send_refused(client, reverse("candidates:profile"), data)

    example()


@pytest.mark.django_db
def test_opening_a_dossier_refuses_bad_input_and_a_second_dossier(client, draft, other_cqp):
    cqps = [draft.cqp_id, other_cqp.pk]  # in progress already; not open to candidates

    @FUZZ
    @given(
        hostile_post(
            {"cqp": choice(cqps) | JUNK, "funding": choice(Funding.values) | JUNK},
            {
                "cqp": choice(cqps) | not_in(cqps) | blank_or_missing(),
                "funding": not_in(Funding.values) | blank_or_missing(),
            },
        )
    )
    def example(data):
        send_refused(client, reverse("candidates:dossier_open"), data)

    example()


@pytest.mark.django_db
def test_submitting_an_incomplete_dossier_is_refused_whatever_is_posted(client, draft):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(["comment", "status", "dossier", "x"]), JUNK))
    def example(data):
        send_refused(client, reverse("candidates:dossier_submit", args=[draft.pk]), data)

    example()


@pytest.mark.django_db
def test_withdrawing_refuses_a_bad_reason(client, draft):
    @FUZZ
    @given(hostile_post({"comment": JUNK}, {"comment": too_long(2000) | with_nul()}))
    def example(data):
        send_refused(client, reverse("candidates:dossier_withdraw", args=[draft.pk]), data)

    example()


@pytest.mark.django_db
def test_another_candidate_s_dossier_is_out_of_reach_whatever_is_posted(
    client, draft, other_candidate
):
    client.force_login(other_candidate.user)
    urls = [
        reverse(name, args=[draft.pk])
        for name in (
            "candidates:dossier_submit",
            "candidates:dossier_withdraw",
            "candidates:document_upload",
        )
    ]

    @FUZZ
    @given(choice(urls), st.dictionaries(st.sampled_from(["comment", "kind", "file"]), JUNK))
    def example(url, data):
        response = send_refused(client, url, data)
        assert response.status_code in (403, 404)

    example()
