"""Fuzzing the admin's own forms: the référentiel import, the CPNEF decision, the correction of
a jury decision, the revocation of a certificate.

The worlds: the branch's CQP under CPNEF review (a CPNEF member logged in), or a session closed
with a certification, a partial validation and a refusal (branch staff logged in).
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from certifications import services as catalogue
from certifications.models import CpnefDecision
from juries import services
from juries.models import JUDGING_OUTCOMES, Certificate
from tests.juries.documents import close_three

from .checks import send_refused
from .strategies import (
    CHARACTERS,
    FUZZ,
    JUNK,
    blank_or_missing,
    choice,
    hostile_post,
    not_in,
    too_long,
    with_nul,
)

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "certifications"
    / "data"
    / "rncp"
    / "export_fiches_RNCP_sample.xml"
).read_bytes()
HOSTILE_XML = [
    b'<?xml version="1.0"?><!DOCTYPE FICHES [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<FICHES><FICHE><INTITULE>&x;</INTITULE></FICHE></FICHES>",
    b'<!DOCTYPE FICHES SYSTEM "http://127.0.0.1:9/x.dtd"><FICHES/>',
    b'<?xml version="1.0" encoding="x-unknown"?><FICHES/>',
    b'<?xml version="1.0" encoding="UTF-32"?><FICHES/>',
    b"<FICHES>" + b"<a>" * 100 + b"</a>" * 100 + b"</FICHES>",
    b"<HTML><BODY>not an export</BODY></HTML>",
    b"PK\x03\x04" + bytes(200),
    b"\xff\xfe\x00\x00garbage",
]
# What an upload of an export may hold here: never a whole, well-formed export.
BAD_EXPORT = st.one_of(
    st.sampled_from(HOSTILE_XML),
    st.binary(max_size=2000).filter(lambda data: b"<" not in data),
    st.integers(0, SAMPLE.rindex(b"</FICHES>") - 1).map(lambda cut: SAMPLE[:cut]),
)
FILE_NAME = st.text(CHARACTERS, min_size=1, max_size=80).filter(
    lambda name: "\x00" not in name and "/" not in name and "\\" not in name
)


def upload(name, content, content_type="text/xml"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.django_db
def test_the_import_refuses_bad_files_and_foreign_branches(client, staff, branch, other_branch):
    client.force_login(staff)
    url = reverse("admin:certifications_cqp_import")
    bad_file = st.builds(upload, FILE_NAME, BAD_EXPORT)

    @FUZZ
    @given(
        hostile_post(
            {
                "file": bad_file,
                "branch": choice([branch.pk, other_branch.pk]) | JUNK,
                "dry_run": st.sampled_from(["on", ""]) | JUNK,
            },
            {
                "file": bad_file | blank_or_missing(),
                "branch": choice([other_branch.pk]) | not_in([branch.pk, other_branch.pk, ""]),
            },
        )
    )
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.fixture
def under_review(client, cqp, staff, cpnef):
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    client.force_login(cpnef)
    return cqp


@pytest.mark.django_db
def test_the_cpnef_decision_refuses_bad_input(client, under_review):
    outcomes = CpnefDecision.Outcome.values
    not_a_pdf = st.builds(
        upload,
        FILE_NAME,
        st.binary(max_size=300).filter(lambda data: not data.startswith(b"%PDF-")),
        st.just("application/pdf"),
    )

    @FUZZ
    @given(
        hostile_post(
            {
                "outcome": choice(outcomes) | JUNK,
                "meeting_date": st.just("2026-01-05") | JUNK,
                "reference": st.just("CPNEF-2026-01") | JUNK,
                "comment": JUNK,
                "minutes": not_a_pdf,
            },
            {
                "outcome": not_in(outcomes) | blank_or_missing(),
                "meeting_date": st.sampled_from(["2026-02-30", "31/02/2026", "x"])
                | blank_or_missing(),
                "reference": too_long(100) | with_nul(),
                "comment": with_nul(),
                "minutes": not_a_pdf,
            },
        )
    )
    def example(data):
        url = reverse("admin:certifications_cqp_decide", args=[under_review.pk])
        send_refused(client, url, data)

    example()


@pytest.fixture
def closed(client, branch, open_cqp, staff, evaluator):
    """(session, members, items) of a closed session; branch staff logged in."""
    closed = close_three(branch, open_cqp, staff, evaluator)
    client.force_login(staff)
    return closed


@pytest.mark.django_db
def test_correcting_a_decision_refuses_bad_input(client, closed):
    session, _members, (_certified, partial, _refused) = closed
    decision = partial.decisions.get()
    units = [unit.pk for unit in services.units_to_judge(partial)]
    judging = [str(outcome) for outcome in JUDGING_OUTCOMES]
    url = reverse("admin:juries_jurysession_correct", args=[session.pk, partial.pk])

    @FUZZ
    @given(
        hostile_post(
            {
                "decision": st.just(decision.pk) | JUNK,
                "outcome": choice(judging) | JUNK,
                "units": st.lists(choice(units) | JUNK, max_size=3),
                "motivation": JUNK,
            },
            {
                "decision": not_in([decision.pk]) | blank_or_missing(),
                "outcome": not_in(judging) | blank_or_missing(),
                "units": st.lists(not_in(units), min_size=1, max_size=3),
                "motivation": blank_or_missing() | with_nul(),
            },
        )
    )
    def example(data):
        send_refused(client, url, data)

    example()


@pytest.mark.django_db
def test_revoking_a_certificate_refuses_a_missing_or_bad_reason(client, closed):
    certificate = Certificate.objects.get(kind=Certificate.Kind.CERTIFICATE)
    url = reverse("admin:juries_certificate_revoke", args=[certificate.pk])

    @FUZZ
    @given(hostile_post({"reason": JUNK}, {"reason": blank_or_missing() | with_nul()}))
    def example(data):
        send_refused(client, url, data)

    example()
