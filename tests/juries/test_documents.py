"""The documents a closed session yields: certificates, attestations and minutes, through
their services and tasks (eager, as in every test but the `celery_worker` ones).

The documents are numbered and coded in the closing transaction; their PDFs are produced by
tasks queued once it commits, which `django_capture_on_commit_callbacks(execute=True)` runs.
"""

import datetime
import re
from io import BytesIO
from typing import NamedTuple
from unittest import mock

import pypdf
import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from kombu.exceptions import OperationalError

from candidates.models import AcquiredUnit, DossierStatus
from certifications.models import CompetenceUnit, Cqp
from cqp.errors import ActionNotPermitted, DomainError, TransitionNotAllowed
from juries import services
from juries.documents.codes import ALPHABET, LENGTH
from juries.documents.snapshot import certificate_snapshot
from juries.models import (
    AgendaItem,
    Certificate,
    CertificateCounter,
    CertificateEvent,
    DocumentStatus,
    JuryDecision,
    JuryMinutes,
    Outcome,
    SessionStatus,
)
from juries.services import production
from juries.tasks import produce_certificate_task, produce_minutes_task, sweep_documents_task
from tests import factories
from tests.candidates.test_dossier_lifecycle import bring_to, make_cast, make_open_cqp
from tests.juries import test_deliberation
from tests.juries.documents import close_three
from tests.juries.test_deliberation import convened_session, decide, open_all
from tests.juries.test_sessions import ready_dossier

D = DocumentStatus
CERTIFICATE = Certificate.Kind.CERTIFICATE
ATTESTATION = Certificate.Kind.PARTIAL_ATTESTATION

jury = test_deliberation.jury  # the fixture: a convened session with two dossiers


@pytest.fixture(autouse=True)
def messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A storage of its own per test: the files a test finds are the ones it produced."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- helpers ------------------------------------------------------------------------------------


class Closed(NamedTuple):
    session: object
    members: tuple
    items: list

    @property
    def president(self):
        return self.members[0].user

    @property
    def certificate(self) -> Certificate:
        return document_of(self.items[0])

    @property
    def attestation(self) -> Certificate:
        return document_of(self.items[1])

    @property
    def minutes(self) -> JuryMinutes:
        return JuryMinutes.objects.get(session=self.session)

    def documents(self) -> list:
        return [self.certificate, self.attestation, self.minutes]


def document_of(item) -> Certificate:
    """The document of the jury's own decision on `item` (not of a correction)."""
    return Certificate.objects.get(decision__item=item, decision__corrects=None)


def later():
    """A moment past the sweep's grace period."""
    return timezone.now() + production.SWEEP_GRACE + datetime.timedelta(seconds=1)


def stored_files(document) -> list[str]:
    """The files of the storage holding a PDF of `document`, each named `document.file_name`
    (every production stores `<stem>-<random>.pdf`: two files are two names in the list)."""
    folder = f"documents/{document.storage_folder}"
    if not default_storage.exists(folder):
        return []
    _folders, files = default_storage.listdir(folder)
    stem, extension = document.file_name.rsplit(".", 1)
    produced = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{8}}(_\w+)?\.{extension}")
    return sorted(document.file_name for name in files if produced.fullmatch(name))


def pdf_bytes(document) -> bytes:
    with document.pdf.open("rb") as handle:
        return handle.read()


def pdf_text(document) -> str:
    reader = pypdf.PdfReader(BytesIO(pdf_bytes(document)))
    return "\n".join(page.extract_text() for page in reader.pages)


def events(certificate) -> list[tuple]:
    return list(
        CertificateEvent.objects.filter(certificate=certificate)
        .order_by("pk")
        .values_list("action", "actor", "from_status", "to_status")
    )


def row(document) -> dict:
    """Everything stored about a document (what a refused action must leave as it was)."""
    values = type(document).objects.filter(pk=document.pk).values().get()
    if isinstance(document, Certificate):
        values["events"] = events(document)
    return values


def close_on(day: datetime.date):
    """Patch the services so that the sessions close on `day` (their `decided_on`)."""
    real_close, real_localdate = services.session_close, timezone.localdate

    def localdate(value=None, timezone=None):
        return day if value is None else real_localdate(value, timezone)

    def close(**kwargs):
        with mock.patch("django.utils.timezone.localdate", localdate):
            return real_close(**kwargs)

    return mock.patch.object(services, "session_close", close)


def broker_down():
    """Patch the documents' tasks so that queuing them fails as with Redis unreachable."""
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    return (
        mock.patch.object(produce_certificate_task, "delay", side_effect=down),
        mock.patch.object(produce_minutes_task, "delay", side_effect=down),
    )


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def closed(branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks):
    """`close_three`, then the close committed: the documents' tasks ran."""
    with django_capture_on_commit_callbacks(execute=True):
        closed = Closed(*close_three(branch, open_cqp, staff, evaluator))
    return closed


@pytest.fixture
def closed_pending(branch, open_cqp, staff, evaluator):
    """`close_three` whose commit never came: the documents are issued, not produced."""
    return Closed(*close_three(branch, open_cqp, staff, evaluator))


@pytest.fixture
def produce(django_capture_on_commit_callbacks):
    """Run `call` as a request would: its transaction commits, then the queued tasks run."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


# --- issuing ------------------------------------------------------------------------------------


def test_closing_issues_a_certificate_an_attestation_and_the_minutes(closed_pending, branch):
    session, _members, (certified, partial, refused) = closed_pending

    certificate, attestation = closed_pending.certificate, closed_pending.attestation
    assert Certificate.objects.count() == 2
    assert not Certificate.objects.filter(decision__item=refused).exists()
    year = timezone.localdate().year
    assert (certificate.kind, certificate.number) == (CERTIFICATE, f"IMMO-{year}-000001")
    assert (attestation.kind, attestation.number) == (ATTESTATION, f"IMMO-{year}-000002")
    for document, sequence in ((certificate, 1), (attestation, 2)):
        assert document.number == f"IMMO-{year}-{sequence:06d}"
        assert (document.branch, document.year, document.sequence) == (branch, year, sequence)
        assert document.dossier == document.decision.item.dossier
        assert len(document.public_code) == LENGTH == 10
        assert set(document.public_code) <= set(ALPHABET)
        assert not set(document.public_code) & set("01ILOU")  # no look-alikes
        assert document.display_code == f"{document.public_code[:5]}-{document.public_code[5:]}"
        assert document.status == D.PENDING and not document.pdf
        assert events(document) == []
    assert certificate.public_code != attestation.public_code
    assert certificate.decision == JuryDecision.objects.get(item=certified)
    assert attestation.decision == JuryDecision.objects.get(item=partial)
    assert closed_pending.minutes.status == D.PENDING and not closed_pending.minutes.pdf
    assert CertificateCounter.objects.get(branch=branch, year=year).last == 2
    assert session.status == SessionStatus.CLOSED


def french_level(cqp) -> str:
    with translation.override("fr"):
        return str(cqp.get_level_display()) if cqp.level else ""


def test_the_snapshot_is_in_french_whatever_the_presidents_language(closed_pending, open_cqp):
    open_cqp.level = "4"
    open_cqp.save(update_fields=["level"])
    decision = closed_pending.certificate.decision
    decision.item.dossier.cqp = open_cqp

    with translation.override("en"):
        snapshot = certificate_snapshot(decision, timezone.localdate())

    assert snapshot["cqp"]["level"] == "Niveau 4"


def test_the_snapshot_holds_what_the_documents_print(closed_pending, branch, open_cqp):
    session, _members, (certified, partial, _refused) = closed_pending
    today = timezone.localdate().isoformat()
    jury_date = timezone.localtime(session.starts_at).date().isoformat()

    snapshot = closed_pending.certificate.snapshot
    holder = certified.dossier.candidate
    assert snapshot["holder"] == {
        "first_name": holder.first_name,
        "last_name": holder.last_name,
        "birth_date": "1990-05-17",
        "birth_place": "Lyon",
    }
    assert snapshot["cqp"] == {
        "code": "NI",
        "title": "Négociateur immobilier",
        "registry_number": open_cqp.registry_number,
        "level": french_level(open_cqp),
        "referentiel_version": 1,
    }
    assert snapshot["branch"] == {"name": "Immobilier", "cpnef_name": branch.cpnef_name}
    assert snapshot["dossier"] == certified.dossier.reference
    titles = dict(
        CompetenceUnit.objects.filter(referentiel__cqp=open_cqp).values_list("code", "title")
    )
    assert snapshot["units_held"] == [
        {"code": code, "title": titles[code], "optional": False, "acquired_on": today}
        for code in ("BC01", "BC02")
    ]
    assert snapshot["units_remaining"] == []
    assert (snapshot["jury_date"], snapshot["decided_on"]) == (jury_date, today)
    assert snapshot["place"] == "Paris"

    snapshot = closed_pending.attestation.snapshot
    assert snapshot["holder"]["last_name"] == partial.dossier.candidate.last_name
    assert snapshot["units_held"] == [
        {"code": "BC01", "title": titles["BC01"], "optional": False, "acquired_on": today}
    ]
    assert snapshot["units_remaining"] == [
        {"code": "BC02", "title": titles["BC02"], "optional": False}
    ]
    acquired = AcquiredUnit.objects.get(candidate=partial.dossier.candidate)
    assert acquired.acquired_on.isoformat() == today


def test_units_held_from_an_earlier_dossier_keep_their_date_on_the_certificate(
    closed, branch, open_cqp, staff, evaluator, produce
):
    """The attestation's holder comes back: BC01 is carried over, BC02 is judged."""
    candidate = closed.items[1].dossier.candidate
    first_day = datetime.date(2025, 3, 14)
    AcquiredUnit.objects.filter(candidate=candidate).update(acquired_on=first_day)
    cast = make_cast(candidate, staff, evaluator, branch, open_cqp)
    again = bring_to(DossierStatus.READY_FOR_JURY, cast)
    session, members, (item,) = convened_session(branch, open_cqp, staff, [again], prefix="b-")
    open_all(session, members)
    assert [u.code for u in services.units_to_judge(item)] == ["BC02"]
    decide(item, members[0], Outcome.CERTIFIED, "BC02")

    produce(services.session_close, session=session, actor=members[0].user)

    certificate = document_of(item)
    today = timezone.localdate().isoformat()
    assert [(u["code"], u["acquired_on"]) for u in certificate.snapshot["units_held"]] == [
        ("BC01", first_day.isoformat()),
        ("BC02", today),
    ]
    assert certificate.snapshot["units_remaining"] == []
    assert certificate.kind == CERTIFICATE and certificate.status == D.READY
    assert "BC01" in pdf_text(certificate)


def test_once_the_close_commits_every_document_is_produced(
    branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        closed = Closed(*close_three(branch, open_cqp, staff, evaluator))
        # Until the close commits, nothing is queued nor produced.
        assert {d.status for d in closed.documents()} == {D.PENDING}
    assert len(callbacks) >= 3  # one task per document, queued on commit

    for document in closed.documents():
        assert document.status == D.READY and document.is_ready
        assert document.attempts == 1 and document.last_error == ""
        assert document.produced_at is not None
        assert stored_files(document) == [document.file_name]
        assert pdf_bytes(document).startswith(b"%PDF-")
    for certificate in (closed.certificate, closed.attestation):
        assert re.fullmatch(
            rf"documents/certificates/{certificate.year}/{certificate.number}-[0-9a-f]{{8}}\.pdf",
            certificate.pdf.name,
        )
        assert events(certificate) == [("produce", None, D.PENDING, D.READY)]


def test_the_pdfs_print_the_holder_the_cqp_the_units_and_the_codes(closed):
    certified, partial, refused = (item.dossier.candidate for item in closed.items)

    text = pdf_text(closed.certificate)
    assert certified.first_name in text and certified.last_name.upper() in text
    assert "Négociateur immobilier" in text
    assert "BC01" in text and "BC02" in text
    assert closed.certificate.number in text
    assert closed.certificate.display_code in text
    assert "Claire Martin" in text  # the branch's signatory

    text = pdf_text(closed.attestation)
    assert partial.first_name in text and partial.last_name.upper() in text
    assert closed.attestation.number in text and closed.attestation.display_code in text
    assert "BC01" in text and "BC02" in text  # held, and still to acquire
    acquired_on = datetime.date.fromisoformat(
        closed.attestation.snapshot["units_held"][0]["acquired_on"]
    )
    with translation.override(settings.LANGUAGE_CODE):  # the language documents are printed in
        assert date_format(acquired_on, "SHORT_DATE_FORMAT") in text

    text = pdf_text(closed.minutes)
    for candidate in (certified, partial, refused):
        assert candidate.last_name.upper() in text
    assert "Aucun bloc maîtrisé." in text  # the refusal's motivation
    for member in closed.members:
        assert member.user.last_name in text


def test_absent_and_deferred_candidates_get_no_document(jury, produce):
    session, members, (first, second) = jury
    president = members[0]
    open_all(session, members)
    decide(first, president, Outcome.ABSENT)
    decide(second, president, Outcome.DEFERRED)

    produce(services.session_close, session=session, actor=president.user)

    assert not Certificate.objects.exists()
    assert not CertificateCounter.objects.exists()  # no number taken
    minutes = JuryMinutes.objects.get(session=session)
    assert minutes.status == D.READY and stored_files(minutes) == [minutes.file_name]


# --- numbers ------------------------------------------------------------------------------------


@pytest.fixture
def other_open_cqp(other_branch, other_staff, other_cpnef):
    return make_open_cqp(other_branch, other_staff, other_cpnef, "VJJ")


@pytest.fixture
def other_evaluator(other_branch):
    user = factories.UserFactory(email="evaluator@cdna.example.org")
    factories.AccreditationFactory(user=user, branch=other_branch)
    return user


def numbers(session) -> list[str]:
    return list(
        Certificate.objects.filter(decision__item__session=session)
        .order_by("decision__item__order")
        .values_list("number", flat=True)
    )


def test_numbers_follow_on_across_the_branchs_sessions_and_restart_per_branch(
    closed_pending,
    branch,
    open_cqp,
    staff,
    evaluator,
    other_branch,
    other_open_cqp,
    other_staff,
    other_evaluator,
):
    year = timezone.localdate().year
    assert numbers(closed_pending.session) == [f"IMMO-{year}-000001", f"IMMO-{year}-000002"]

    second, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="second-")
    elsewhere, _m, _i = close_three(
        other_branch, other_open_cqp, other_staff, other_evaluator, prefix="cdna-"
    )
    third, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="third-")

    assert numbers(second) == [f"IMMO-{year}-000003", f"IMMO-{year}-000004"]
    assert numbers(elsewhere) == [f"CDNA-{year}-000001", f"CDNA-{year}-000002"]
    assert numbers(third) == [f"IMMO-{year}-000005", f"IMMO-{year}-000006"]


def test_numbers_follow_the_agenda_order(branch, open_cqp, staff, evaluator):
    real_close = services.session_close

    def close_reordered(*, session, actor):
        # The agenda reordered after the decisions were recorded: the last dossier first.
        for item in session.agenda.all():
            AgendaItem.objects.filter(pk=item.pk).update(order=10 - item.order)
        return real_close(session=session, actor=actor)

    with mock.patch.object(services, "session_close", close_reordered):
        _session, _members, (certified, partial, _refused) = close_three(
            branch, open_cqp, staff, evaluator
        )

    year = timezone.localdate().year
    assert document_of(partial).number == f"IMMO-{year}-000001"
    assert document_of(certified).number == f"IMMO-{year}-000002"


def test_numbers_restart_each_year_and_carry_on_in_the_earlier_one(
    branch, open_cqp, staff, evaluator
):
    this_year = timezone.localdate().year
    with close_on(datetime.date(this_year, 12, 31)):
        december, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="dec-")
    with close_on(datetime.date(this_year + 1, 1, 2)):
        january, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="jan-")
    with close_on(datetime.date(this_year, 12, 31)):  # a late one, still dated this year
        late, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="late-")

    assert numbers(december) == [f"IMMO-{this_year}-000001", f"IMMO-{this_year}-000002"]
    assert numbers(january) == [f"IMMO-{this_year + 1}-000001", f"IMMO-{this_year + 1}-000002"]
    assert numbers(late) == [f"IMMO-{this_year}-000003", f"IMMO-{this_year}-000004"]
    certificate = Certificate.objects.get(number=f"IMMO-{this_year + 1}-000001")
    assert certificate.year == this_year + 1
    assert certificate.snapshot["decided_on"] == f"{this_year + 1}-01-02"


# --- the snapshot does not move -----------------------------------------------------------------


def test_later_edits_change_neither_the_snapshot_nor_a_regenerated_pdf(
    closed, branch, open_cqp, staff, produce
):
    attestation = closed.attestation
    before = attestation.snapshot
    candidate = closed.items[1].dossier.candidate
    old_first, old_last = candidate.first_name, candidate.last_name
    old_unit_title = before["units_held"][0]["title"]

    candidate.first_name, candidate.last_name = "Zéphyrin", "Quenouille"
    candidate.save(update_fields=["first_name", "last_name"])
    Cqp.objects.filter(pk=open_cqp.pk).update(title="Agent immobilier renommé")
    CompetenceUnit.objects.filter(referentiel__cqp=open_cqp, code="BC01").update(
        title="Intitulé réécrit"
    )
    branch.signatory_name = "Bérénice Nouvelle"
    branch.save(update_fields=["signatory_name"])

    produce(services.certificate_regenerate, certificate=attestation, actor=staff)

    attestation.refresh_from_db()
    assert attestation.snapshot == before
    assert attestation.status == D.READY
    text = pdf_text(attestation)
    assert old_first in text and old_last.upper() in text
    assert "Négociateur immobilier" in text and old_unit_title in text
    for edited in ("Zéphyrin", "QUENOUILLE", "Agent immobilier renommé", "Intitulé réécrit"):
        assert edited not in text
    # The branch's identity is read when producing: the new signatory signs.
    assert "Bérénice Nouvelle" in text and "Claire Martin" not in text


# --- producing: idempotent, failures, the sweep -------------------------------------------------


def test_producing_twice_leaves_one_file_and_the_same_number_and_code(closed):
    certificate = closed.certificate
    number, code, name = certificate.number, certificate.public_code, certificate.pdf.name

    assert production.certificate_produce(certificate.pk) is False
    assert produce_certificate_task.delay(certificate.pk).get() is False
    assert production.minutes_produce(closed.minutes.pk) is False

    certificate.refresh_from_db()
    assert (certificate.number, certificate.public_code) == (number, code)
    assert certificate.pdf.name == name and certificate.attempts == 1
    assert stored_files(certificate) == [certificate.file_name]
    assert events(certificate) == [("produce", None, D.PENDING, D.READY)]
    assert stored_files(closed.minutes) == [closed.minutes.file_name]


def test_a_pending_document_is_produced_once_by_two_runs(closed_pending):
    certificate, minutes = closed_pending.certificate, closed_pending.minutes

    assert production.certificate_produce(certificate.pk) is True
    assert production.certificate_produce(certificate.pk) is False
    assert production.minutes_produce(minutes.pk) is True
    assert production.minutes_produce(minutes.pk) is False

    certificate.refresh_from_db()
    assert certificate.status == D.READY and stored_files(certificate) == [certificate.file_name]
    assert [e[0] for e in events(certificate)] == ["produce"]
    assert stored_files(closed_pending.minutes) == [minutes.file_name]


def test_the_task_leaves_a_revoked_certificate_alone(closed_pending, staff):
    certificate = closed_pending.certificate
    services.certificate_revoke(certificate=certificate, reason="Fraude.", actor=staff)
    before = row(certificate)

    assert produce_certificate_task.delay(certificate.pk).get() is False

    assert row(certificate) == before
    assert not certificate.pdf and stored_files(certificate) == []


def test_the_tasks_do_nothing_for_a_missing_document(db):
    assert produce_certificate_task.delay(987654).get() is False
    assert produce_minutes_task.delay(987654).get() is False


def test_a_failed_rendering_is_recorded_and_raised_for_celery_to_retry(closed_pending):
    certificate = closed_pending.certificate
    broken = mock.patch(
        "juries.documents.rendering.certificate_pdf", side_effect=RuntimeError("no font")
    )

    with broken, pytest.raises(RuntimeError, match="no font"):
        production.certificate_produce(certificate.pk)

    certificate.refresh_from_db()
    assert certificate.status == D.FAILED
    assert certificate.attempts == 1
    assert certificate.last_error == "RuntimeError: no font"
    assert not certificate.pdf and stored_files(certificate) == []
    assert events(certificate) == [("fail", None, D.PENDING, D.FAILED)]

    # Through the task, Celery retries it (eagerly here: the retry is raised, not scheduled).
    with broken, pytest.raises(Retry) as retry:
        produce_certificate_task.delay(certificate.pk)
    assert isinstance(retry.value.exc, RuntimeError)
    assert 0 <= retry.value.when <= produce_certificate_task.retry_backoff
    certificate.refresh_from_db()
    assert certificate.status == D.FAILED and certificate.attempts == 2
    assert stored_files(certificate) == []
    assert [e[0] for e in events(certificate)] == ["fail"]  # one event: it was failed already

    # Once the cause is gone, the sweep produces it.
    assert production.sweep(now=later()) == 3  # with the attestation and minutes, pending
    certificate.refresh_from_db()
    assert certificate.status == D.READY and certificate.last_error == ""
    assert stored_files(certificate) == [certificate.file_name]
    assert [e[:2] for e in events(certificate)] == [("fail", None), ("produce", None)]


def test_a_lookup_failing_while_rendering_is_a_failure_not_a_missing_document(closed_pending):
    certificate = closed_pending.certificate
    missing = Certificate.DoesNotExist("Certificate matching query does not exist.")
    with (
        mock.patch("juries.documents.rendering.certificate_pdf", side_effect=missing),
        pytest.raises(Certificate.DoesNotExist),
    ):
        production.certificate_produce(certificate.pk)

    certificate.refresh_from_db()
    assert certificate.status == D.FAILED and certificate.attempts == 1
    assert certificate.last_error.startswith("DoesNotExist")


def test_a_failure_after_the_file_was_stored_leaves_no_file(closed_pending):
    certificate = closed_pending.certificate
    real = production.apply_transition

    def produce_fails(lifecycle, obj, action, **kwargs):
        if action == "produce":
            raise RuntimeError("database went away")
        return real(lifecycle, obj, action, **kwargs)

    with (
        mock.patch.object(production, "apply_transition", produce_fails),
        pytest.raises(RuntimeError, match="went away"),
    ):
        production.certificate_produce(certificate.pk)

    certificate.refresh_from_db()
    assert certificate.status == D.FAILED and not certificate.pdf
    assert stored_files(certificate) == []


def test_a_failed_regeneration_keeps_the_pdf_on_a_storage_that_overwrites(closed, staff, settings):
    """An S3 bucket (django-storages' default) saves a file again under the same name."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"allow_overwrite": True},
        },
    }
    certificate = closed.certificate
    name = certificate.pdf.name
    with mock.patch.object(production, "queue"):
        services.certificate_regenerate(certificate=certificate, actor=staff)
    real = production.apply_transition

    def produce_fails(lifecycle, obj, action, **kwargs):
        if action == "produce":
            raise RuntimeError("database went away")
        return real(lifecycle, obj, action, **kwargs)

    with (
        mock.patch.object(production, "apply_transition", produce_fails),
        pytest.raises(RuntimeError, match="went away"),
    ):
        production.certificate_produce(certificate.pk)

    certificate.refresh_from_db()
    assert certificate.status == D.FAILED and certificate.pdf.name == name
    assert default_storage.exists(name)  # the row still names it: it must still be there
    assert pdf_bytes(certificate).startswith(b"%PDF-")


def test_a_failed_minutes_rendering_is_recorded_then_swept(closed_pending):
    minutes = closed_pending.minutes
    with (
        mock.patch("juries.documents.rendering.minutes_pdf", side_effect=ValueError("bad")),
        pytest.raises(ValueError),
    ):
        production.minutes_produce(minutes.pk)

    minutes.refresh_from_db()
    assert (minutes.status, minutes.attempts, minutes.last_error) == (
        D.FAILED,
        1,
        "ValueError: bad",
    )
    assert stored_files(minutes) == []

    production.sweep(now=later())
    minutes.refresh_from_db()
    assert minutes.status == D.READY and stored_files(minutes) == [minutes.file_name]


def test_the_sweep_leaves_alone_what_was_just_queued_and_what_failed_too_often(closed_pending):
    certificate, attestation, minutes = closed_pending.documents()

    assert production.documents_left_pending() == []
    assert production.sweep() == 0  # queued a moment ago: their tasks are on their way
    Certificate.objects.filter(pk=attestation.pk).update(
        status=D.FAILED, attempts=production.MAX_ATTEMPTS
    )
    JuryMinutes.objects.filter(pk=minutes.pk).update(
        queued_at=timezone.now() + datetime.timedelta(minutes=3)  # re-queued since
    )

    assert production.documents_left_pending(now=later()) == [certificate]
    assert production.sweep(now=later()) == 1

    certificate.refresh_from_db()
    attestation.refresh_from_db()
    minutes.refresh_from_db()
    assert certificate.status == D.READY
    assert attestation.status == D.FAILED and not attestation.pdf  # staff produce it again
    assert minutes.status == D.PENDING and not minutes.pdf
    assert production.sweep(now=later()) == 0  # the certificate is done


def test_the_periodic_sweep_task_produces_what_was_left_pending(closed_pending):
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Certificate.objects.update(queued_at=an_hour_ago)
    JuryMinutes.objects.update(queued_at=an_hour_ago)

    assert sweep_documents_task.delay().get() == 3

    assert {d.status for d in closed_pending.documents()} == {D.READY}


def test_with_the_broker_down_the_close_succeeds_and_the_sweep_produces_later(
    branch, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    certificate_down, minutes_down = broker_down()
    with (
        certificate_down as certificate_delay,
        minutes_down as minutes_delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        closed = Closed(*close_three(branch, open_cqp, staff, evaluator))

    assert certificate_delay.call_count == 2 and minutes_delay.call_count == 1
    assert closed.session.status == SessionStatus.CLOSED
    assert all(d.is_final for d in JuryDecision.objects.filter(item__session=closed.session))
    dossiers = [item.dossier for item in closed.items]
    for dossier in dossiers:
        dossier.refresh_from_db()
    assert [d.status for d in dossiers] == [
        DossierStatus.CERTIFIED,
        DossierStatus.PARTIALLY_VALIDATED,
        DossierStatus.NOT_VALIDATED,
    ]
    issued = {d.pk: d.number for d in Certificate.objects.all()}
    for document in closed.documents():
        assert document.status == D.PENDING and document.attempts == 0
        assert stored_files(document) == []

    assert production.sweep(now=later()) == 3
    assert production.sweep(now=later()) == 0

    assert {d.pk: d.number for d in Certificate.objects.all()} == issued
    for document in closed.documents():
        assert document.status == D.READY and document.attempts == 1
        assert stored_files(document) == [document.file_name]
    for certificate in (closed.certificate, closed.attestation):
        assert [e[0] for e in events(certificate)] == ["produce"]


# --- regenerating -------------------------------------------------------------------------------


def test_staff_regenerate_a_certificate_with_the_same_number_and_code(
    closed, staff, django_capture_on_commit_callbacks
):
    certificate = closed.certificate
    before = row(certificate)
    old_name = certificate.pdf.name

    with django_capture_on_commit_callbacks() as callbacks:  # not run: not committed yet
        services.certificate_regenerate(certificate=certificate, actor=staff)
    certificate.refresh_from_db()
    assert certificate.status == D.PENDING and certificate.pdf.name == old_name
    assert len(callbacks) == 1  # its task, queued once committed
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()  # the commit: the task (eager) runs
        certificate.refresh_from_db()
        assert certificate.status == D.READY and certificate.pdf.name != old_name
        # Until the new file is committed, the old one stays.
        assert default_storage.exists(old_name) and default_storage.exists(certificate.pdf.name)

    assert not default_storage.exists(old_name)
    assert (certificate.number, certificate.public_code, certificate.snapshot) == (
        before["number"],
        before["public_code"],
        before["snapshot"],
    )
    assert stored_files(certificate) == [certificate.file_name]
    assert certificate.attempts == 1 and certificate.produced_at > before["produced_at"]
    assert events(certificate) == [
        ("produce", None, D.PENDING, D.READY),
        ("regenerate", staff.pk, D.READY, D.PENDING),
        ("produce", None, D.PENDING, D.READY),
    ]


def test_regenerating_queues_the_task_once_committed(closed, staff, produce):
    certificate = closed.certificate
    produce(services.certificate_regenerate, certificate=certificate, actor=staff)
    produce(services.certificate_regenerate, certificate=certificate, actor=staff)

    certificate.refresh_from_db()
    assert certificate.status == D.READY
    assert stored_files(certificate) == [certificate.file_name]
    assert [e[0] for e in events(certificate)] == [
        "produce",
        *("regenerate", "produce") * 2,
    ]


def test_a_failed_certificate_is_regenerated_with_its_attempts_reset(
    closed_pending, staff, produce
):
    certificate = closed_pending.certificate
    Certificate.objects.filter(pk=certificate.pk).update(
        status=D.FAILED, attempts=production.MAX_ATTEMPTS, last_error="OSError: disk full"
    )

    produce(services.certificate_regenerate, certificate=certificate, actor=staff)

    certificate.refresh_from_db()
    assert certificate.status == D.READY
    assert certificate.attempts == 1 and certificate.last_error == ""


def test_only_the_branchs_staff_regenerate(closed, other_staff, cpnef, candidate):
    certificate = closed.certificate
    before = row(certificate)
    for actor in (other_staff, cpnef, closed.president, candidate.user):
        with pytest.raises(ActionNotPermitted):
            services.certificate_regenerate(certificate=certificate, actor=actor)
        with pytest.raises(ActionNotPermitted):
            services.minutes_regenerate(minutes=closed.minutes, actor=actor)
    assert row(certificate) == before
    assert closed.minutes.status == D.READY


def test_a_pending_or_revoked_certificate_is_not_regenerated(closed_pending, staff):
    certificate = closed_pending.certificate
    before = row(certificate)
    with pytest.raises(TransitionNotAllowed):
        services.certificate_regenerate(certificate=certificate, actor=staff)
    assert row(certificate) == before

    services.certificate_revoke(certificate=certificate, reason="Erreur.", actor=staff)
    before = row(certificate)
    with pytest.raises(TransitionNotAllowed):
        services.certificate_regenerate(certificate=certificate, actor=staff)
    assert row(certificate) == before


def test_staff_regenerate_the_minutes(closed, staff, branch, produce):
    minutes = closed.minutes
    old_name = minutes.pdf.name
    branch.signatory_name = "Bérénice Nouvelle"
    branch.save(update_fields=["signatory_name"])

    services.minutes_regenerate(minutes=minutes, actor=staff)  # its task waits for the commit
    assert closed.minutes.status == D.PENDING
    with pytest.raises(DomainError, match="being produced already"):
        services.minutes_regenerate(minutes=minutes, actor=staff)
    produce(lambda: production.queue(minutes))

    minutes.refresh_from_db()
    assert minutes.status == D.READY and minutes.pdf.name != old_name
    assert not default_storage.exists(old_name)
    assert stored_files(minutes) == [minutes.file_name]
    assert "Bérénice Nouvelle" in pdf_text(minutes)


# --- revoking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  \n ", None])
def test_revoking_needs_a_reason(closed, staff, reason):
    certificate = closed.certificate
    before = row(certificate)
    with pytest.raises(DomainError, match="reason"):
        services.certificate_revoke(certificate=certificate, reason=reason, actor=staff)
    assert row(certificate) == before


def test_only_the_branchs_staff_revoke(closed, other_staff, cpnef, candidate):
    certificate = closed.certificate
    before = row(certificate)
    for actor in (other_staff, cpnef, closed.president, candidate.user, None):
        with pytest.raises(ActionNotPermitted):
            services.certificate_revoke(certificate=certificate, reason="Fraude.", actor=actor)
    assert row(certificate) == before


@pytest.mark.parametrize("status", [D.PENDING, D.READY, D.FAILED])
def test_staff_revoke_a_certificate_whatever_its_production(closed, staff, status):
    certificate = closed.certificate
    Certificate.objects.filter(pk=certificate.pk).update(status=status)

    revoked = services.certificate_revoke(
        certificate=certificate, reason="  Fraude avérée au livret.  ", actor=staff
    )

    certificate.refresh_from_db()
    assert revoked.pk == certificate.pk
    assert certificate.status == D.REVOKED and certificate.is_revoked
    assert certificate.revoked_reason == "Fraude avérée au livret."
    assert certificate.revoked_by == staff
    assert abs(timezone.now() - certificate.revoked_at) < datetime.timedelta(minutes=1)
    event = certificate.events.get(action="revoke")
    assert (event.actor, event.from_status, event.to_status, event.comment) == (
        staff,
        status,
        D.REVOKED,
        "Fraude avérée au livret.",
    )


def test_a_certificate_is_revoked_once_and_its_number_stays_taken(
    closed, branch, open_cqp, staff, evaluator
):
    certificate = closed.certificate
    services.certificate_revoke(certificate=certificate, reason="Fraude.", actor=staff)
    before = row(certificate)
    with pytest.raises(TransitionNotAllowed):
        services.certificate_revoke(certificate=certificate, reason="Encore.", actor=staff)
    assert row(certificate) == before

    later_session, _m, _i = close_three(branch, open_cqp, staff, evaluator, prefix="next-")

    year = timezone.localdate().year
    assert numbers(later_session) == [f"IMMO-{year}-000003", f"IMMO-{year}-000004"]
    assert Certificate.objects.filter(number=certificate.number).get() == certificate


# --- corrections --------------------------------------------------------------------------------


def correct(item, outcome, *codes, actor, produce):
    """Branch staff correct the jury's decision on `item`; its commit runs the tasks."""
    units = [u for u in services.units_to_judge(item) if u.code in codes]
    return produce(
        services.decision_correct,
        decision=JuryDecision.objects.get(item=item, corrects=None),
        outcome=outcome,
        validated_unit_ids=[u.pk for u in units],
        motivation="Erreur matérielle au procès-verbal.",
        actor=actor,
    )


def test_a_partial_validation_corrected_into_a_certification_replaces_the_attestation(
    closed, staff, produce
):
    attestation = closed.attestation
    partial = closed.items[1]

    correction = correct(partial, Outcome.CERTIFIED, "BC01", "BC02", actor=staff, produce=produce)

    attestation.refresh_from_db()
    assert attestation.status == D.REVOKED
    # The public page shows it: written in the site's language, whoever corrected.
    assert attestation.revoked_reason.startswith("Document remplacé")
    assert attestation.revoked_by == staff
    assert stored_files(attestation) == [attestation.file_name]  # kept, but no longer valid
    certificate = Certificate.objects.get(decision=correction)
    year = timezone.localdate().year
    assert (certificate.kind, certificate.number) == (CERTIFICATE, f"IMMO-{year}-000003")
    assert certificate.public_code != attestation.public_code
    assert certificate.dossier == partial.dossier
    assert [u["code"] for u in certificate.snapshot["units_held"]] == ["BC01", "BC02"]
    assert certificate.snapshot["units_remaining"] == []
    assert certificate.status == D.READY and stored_files(certificate) == [certificate.file_name]


def test_a_refusal_corrected_into_a_partial_validation_issues_an_attestation(
    closed, staff, produce
):
    refused = closed.items[2]

    correction = correct(refused, Outcome.PARTIALLY_VALIDATED, "BC02", actor=staff, produce=produce)

    attestation = Certificate.objects.get(decision=correction)
    assert attestation.kind == ATTESTATION and attestation.status == D.READY
    assert [u["code"] for u in attestation.snapshot["units_held"]] == ["BC02"]
    assert [u["code"] for u in attestation.snapshot["units_remaining"]] == ["BC01"]
    assert Certificate.objects.filter(status=D.REVOKED).count() == 0


def test_a_partial_validation_corrected_into_a_refusal_revokes_and_issues_nothing(
    closed, staff, produce
):
    partial = closed.items[1]

    correction = correct(partial, Outcome.NOT_VALIDATED, actor=staff, produce=produce)

    assert not Certificate.objects.filter(decision=correction).exists()
    attestation = closed.attestation
    assert attestation.status == D.REVOKED
    assert attestation.revoked_reason.startswith("Document remplacé")
    assert Certificate.objects.count() == 2
    assert CertificateCounter.objects.get().last == 2  # no number taken


# --- queries ------------------------------------------------------------------------------------


def deliberated(branch, cqp, staff, evaluator, count, prefix):
    """A session whose `count` dossiers are certified, closed without issuing its documents."""
    dossiers = [
        ready_dossier(f"{prefix}{n}@example.org", cqp, staff, evaluator) for n in range(count)
    ]
    session, members, items = convened_session(branch, cqp, staff, dossiers, prefix=prefix)
    open_all(session, members)
    for item in items:
        units = services.units_to_judge(item)
        services.decision_record(
            item=item,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[u.pk for u in units],
            actor=members[0].user,
        )
    with mock.patch("juries.services.deliberation.session_documents_issue"):
        services.session_close(session=session, actor=members[0].user)
    return session


def test_issuing_a_sessions_documents_takes_the_same_queries_per_dossier(
    branch, open_cqp, staff, evaluator
):
    today = timezone.localdate()
    CertificateCounter.objects.create(branch=branch, year=today.year)  # the year's row exists
    counts = {}
    for count in (2, 20):
        session = deliberated(branch, open_cqp, staff, evaluator, count, prefix=f"q{count}-")
        with CaptureQueriesContext(connection) as queries:
            services.session_documents_issue(session=session, decided_on=today)
        counts[count] = len(queries)
        assert Certificate.objects.filter(decision__item__session=session).count() == count
    per_dossier, rest = divmod(counts[20] - counts[2], 20 - 2)
    fixed = counts[2] - 2 * per_dossier
    print(f"session_documents_issue: {counts} queries: {fixed} + {per_dossier} per dossier")
    assert rest == 0 and per_dossier <= 8 and fixed <= 5, counts


def test_the_sweep_command_produces_what_was_left_without_a_broker(closed_pending):
    """Eager installations have no beat: the command does the sweep's work at once."""
    from io import StringIO

    from django.core.management import call_command

    certificate, attestation, minutes = closed_pending.documents()
    out = StringIO()

    call_command("sweep_documents", stdout=out)

    for document in (certificate, attestation, minutes):
        document.refresh_from_db()
        assert document.status == D.READY and stored_files(document) == [document.file_name]
    assert out.getvalue().strip() == "3 document(s) produced, 0 failed."
    out = StringIO()
    call_command("sweep_documents", stdout=out)
    assert out.getvalue().strip() == "0 document(s) produced, 0 failed."
