"""The fuzzing's own checks see what they must: a write, a stored file, a missing refusal."""

import pytest
from django.urls import reverse

from candidates import services
from candidates.models import DossierDocument
from tests.candidates.conftest import pdf

from .checks import changes, refusal_shown, send_refused, world_state


@pytest.mark.django_db
def test_an_accepted_form_fails_the_check(client, candidate):
    client.force_login(candidate.user)
    valid = {"first_name": "Camille", "last_name": "Martin", "situation": "job_seeker"}

    with pytest.raises(AssertionError):
        send_refused(client, reverse("candidates:profile"), valid)

    candidate.refresh_from_db()
    assert candidate.first_name == "Camille"  # the write the check saw


@pytest.mark.django_db
def test_an_update_and_a_stored_file_are_changes(candidate, open_cqp):
    before = world_state()
    dossier = services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding="cpf", actor=candidate.user
    )
    services.document_upload(
        dossier=dossier, kind=DossierDocument.Kind.CV, upload=pdf(), actor=candidate.user
    )

    diff = changes(before, world_state())

    assert {"candidates.Dossier", "candidates.DossierDocument", "files"} <= set(diff)
    middle = world_state()
    candidate.city = "Nantes"
    candidate.save(update_fields=["city"])
    assert set(changes(middle, world_state())) == {"candidates.Candidate"}


@pytest.mark.django_db
def test_a_blank_form_is_no_refusal(client):
    response = client.get(reverse("candidates:register"))

    assert response.status_code == 200
    assert not refusal_shown(response)
