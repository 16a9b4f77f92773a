"""Candidates, an open CQP and evaluators for the candidates tests."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from candidates.models import Candidate
from certifications import services as catalogue
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def pdf(name="piece.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_candidate(email, **identity):
    user = factories.UserFactory(email=email)
    defaults = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": datetime.date(1990, 5, 17),
        "birth_place": "Lyon",
        "situation": Candidate.Situation.EMPLOYEE,
    }
    defaults.update(identity)
    candidate = Candidate(user=user, **defaults)
    candidate.refresh_search_text()
    candidate.save()
    return candidate


@pytest.fixture
def candidate(db):
    return make_candidate("candidate.a@example.org")


@pytest.fixture
def other_candidate(db):
    return make_candidate("candidate.b@example.org")


@pytest.fixture
def open_cqp(cqp, staff, cpnef):
    """The branch's CQP, approved with its version 1 published."""
    catalogue.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    catalogue.cqp_submit(cqp=cqp, actor=staff)
    catalogue.cpnef_decision_record(
        cqp=cqp, outcome="approve", meeting_date=timezone.localdate(), actor=cpnef
    )
    cqp.refresh_from_db()
    return cqp


@pytest.fixture
def evaluator(branch, open_cqp):
    user = factories.UserFactory(email="evaluator@example.org")
    factories.AccreditationFactory(user=user, branch=branch)
    return user
