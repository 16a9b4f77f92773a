"""seed_demo: real branches, CQPs, candidates in every state; a second run changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from candidates.demo import CANDIDATES
from candidates.models import AcquiredUnit, Dossier, DossierEvent
from certifications.models import Branch, Cqp, CqpEvent, Referentiel
from cqp.models import OutgoingEmail, User

COUNTED = (User, Branch, Cqp, CqpEvent, Referentiel, Dossier, DossierEvent, AcquiredUnit)


@pytest.mark.django_db
def test_seed_demo_is_complete_and_idempotent(django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    counts = {model: model.objects.count() for model in COUNTED}

    call_command("seed_demo", stdout=StringIO())

    assert {model: model.objects.count() for model in COUNTED} == counts
    assert set(Branch.objects.values_list("slug", flat=True)) >= {
        "immobilier",
        "cdna",
        "veterinaires",
    }
    assert Cqp.objects.open_to_candidates().filter(code="NI").exists()
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == {target for *_rest, target in CANDIDATES}
    assert AcquiredUnit.objects.exists()
    printed = out.getvalue()
    assert "staff.immo@demo.cqp.fr" in printed and "candidat.vae@demo.cqp.fr" in printed
    # The demo's e-mails are recorded as sent, not left for the sweep to send for real.
    assert OutgoingEmail.objects.exists()
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()
