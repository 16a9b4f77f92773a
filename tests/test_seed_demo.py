"""seed_demo: real branches, CQPs, candidates in every state, jury sessions convened and
closed, the closed session's documents produced (one revoked); a second run changes nothing."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image

from candidates import services
from candidates.demo import CANDIDATES
from candidates.lifecycles import WITH_EVALUATOR
from candidates.models import (
    AcquiredUnit,
    ConflictOfInterest,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Pathway,
    PositioningAssessment,
    TrainingPlan,
    UnitAssessment,
    UnitAssessmentResult,
)
from candidates.selectors import filter_assigned_dossiers
from certifications.models import (
    Branch,
    Cqp,
    CqpEvent,
    EvaluatorAccreditation,
    Habilitation,
    Referentiel,
    TrainingProvider,
)
from cqp.models import OutgoingEmail, User
from cqp.validators import siret_is_valid
from juries import services as juries
from juries.demo import CLOSED_CANDIDATES, CONVENED_CANDIDATES, JURORS, PLACE
from juries.demo_documents import REVOKED_EMAIL
from juries.models import (
    AgendaItem,
    Certificate,
    CertificateCounter,
    CertificateEvent,
    DecisionUnit,
    DocumentStatus,
    JuryDecision,
    JuryMember,
    JuryMinutes,
    JurySession,
    JurySessionEvent,
    Outcome,
    SessionStatus,
    UnitVote,
    Vote,
)
from juries.permissions import get_session_for_member

S = DossierStatus
COUNTED = (
    User,
    Branch,
    Cqp,
    CqpEvent,
    Referentiel,
    TrainingProvider,
    Habilitation,
    EvaluatorAccreditation,
    Dossier,
    DossierEvent,
    DossierDocument,
    PositioningAssessment,
    TrainingPlan,
    UnitAssessment,
    ConflictOfInterest,
    AcquiredUnit,
    JurySession,
    JurySessionEvent,
    JuryMember,
    AgendaItem,
    Vote,
    UnitVote,
    JuryDecision,
    DecisionUnit,
    Certificate,
    CertificateEvent,
    CertificateCounter,
    JuryMinutes,
    OutgoingEmail,
)
# The candidates of candidates.demo, one per state (the juries' demo adds its own).
PATH_EMAILS = [spec.email for spec in CANDIDATES]


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_complete_and_idempotent(seeded):
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
    assert statuses == {spec.target for spec in CANDIDATES} | {S.IN_JURY, S.NOT_VALIDATED}
    assert JurySession.objects.count() == 2
    assert AcquiredUnit.objects.exists()
    assert "staff.immo@demo.cqp.fr" in seeded and "candidat.vae@demo.cqp.fr" in seeded
    assert "evaluateur@demo.cqp.fr" in seeded and "evaluateur2@demo.cqp.fr" in seeded
    # The demo's e-mails are recorded as sent, not left for the sweep to send for real.
    assert OutgoingEmail.objects.exists()
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_demo_evaluator_has_dossiers_in_every_state_of_their_work(seeded):
    evaluator = User.objects.get(email="evaluateur@demo.cqp.fr")
    dossiers = list(Dossier.objects.filter(evaluator=evaluator))
    states = {dossier.status for dossier in dossiers}
    assert states >= {S.POSITIONING, S.VAE, S.TRAINING, S.EVALUATION, S.READY_FOR_JURY}
    assert sum(dossier.status == S.POSITIONING for dossier in dossiers) >= 2
    # Several due dates: one overdue (a training over, its evaluation not started), one soon.
    assert filter_assigned_dossiers(evaluator, due="overdue").exists()
    assert filter_assigned_dossiers(evaluator, due="week").exists()

    for dossier in dossiers:
        if dossier.status == S.POSITIONING:
            assert not PositioningAssessment.objects.filter(dossier=dossier).exists()
            continue
        positioning = PositioningAssessment.objects.get(dossier=dossier)
        assert positioning.evaluator == evaluator
        assert positioning.recommendation == dossier.pathway
        if dossier.pathway == Pathway.VAE:
            assert positioning.eligibility_valid_until > positioning.assessed_on
        else:
            plan = TrainingPlan.objects.get(dossier=dossier)
            assert plan.start_date < plan.end_date and plan.units.exists()
            assert Habilitation.objects.filter(provider=plan.provider, cqp=dossier.cqp).exists()

    booklets = {
        dossier.documents.filter(kind=DossierDocument.Kind.VAE_BOOKLET).exists()
        for dossier in dossiers
        if dossier.status == S.VAE
    }
    assert booklets == {True, False}  # one booklet added, one awaited


@pytest.mark.django_db
def test_assessments_cover_the_units_once_ready_and_part_of_them_in_evaluation(seeded):
    evaluation = Dossier.objects.get(status=S.EVALUATION)  # candidat.evaluation
    assessed = evaluation.unit_assessments.count()
    assert 0 < assessed < services.units_to_acquire(evaluation).count()
    assert evaluation.unit_assessments.filter(result=UnitAssessmentResult.NOT_VALIDATED).exists()

    past_evaluation = Dossier.objects.filter(
        status__in=[S.READY_FOR_JURY, S.PARTIALLY_VALIDATED, S.CERTIFIED],
        candidate__user__email__in=PATH_EMAILS,
    )
    assert past_evaluation.count() == 3
    for dossier in past_evaluation:
        assert services.units_missing_assessment(dossier) == []
        assert set(dossier.unit_assessments.values_list("unit_id", flat=True)) == set(
            services.units_to_acquire(dossier).values_list("pk", flat=True)
        )
    # A unit not validated carries its reasons; the modalities vary.
    refused = UnitAssessment.objects.filter(result=UnitAssessmentResult.NOT_VALIDATED)
    assert refused.exists() and not refused.filter(comment="").exists()
    assert UnitAssessment.objects.values("modality").distinct().count() >= 4
    # The jury's decision follows the assessments.
    partial = Dossier.objects.get(candidate__user__email="candidat.partiel@demo.cqp.fr")
    assert set(AcquiredUnit.objects.filter(dossier=partial).values_list("unit_id", flat=True)) == (
        set(
            partial.unit_assessments.filter(result=UnitAssessmentResult.VALIDATED).values_list(
                "unit_id", flat=True
            )
        )
    )


@pytest.mark.django_db
def test_a_dossier_awaits_another_evaluator_after_a_conflict_of_interest(seeded):
    second = User.objects.get(email="evaluateur2@demo.cqp.fr")
    assert second.check_password("demo-cqp-2026")
    assert EvaluatorAccreditation.objects.filter(user=second, branch__slug="immobilier").exists()

    awaiting = Dossier.objects.get(status__in=WITH_EVALUATOR, evaluator__isnull=True)
    conflict = ConflictOfInterest.objects.get(dossier=awaiting)
    assert conflict.person == second and conflict.reason
    assert awaiting.events.filter(action="declare_conflict").exists()


@pytest.mark.django_db
def test_the_demo_providers_have_valid_sirets(seeded):
    assert TrainingProvider.objects.exists()
    assert all(
        siret_is_valid(siret) for siret in TrainingProvider.objects.values_list("siret", flat=True)
    )


def _dossier(email):
    return Dossier.objects.get(candidate__user__email=email)


@pytest.mark.django_db
def test_the_jury_logins_are_printed_with_their_role(seeded):
    for juror in JURORS:
        user = User.objects.get(email=juror.email)
        assert user.check_password("demo-cqp-2026") and user.get_full_name().strip()
        line = next(line for line in seeded.splitlines() if juror.email in line)
        assert str(JuryMember.College(juror.college).label) in line
    president = next(line for line in seeded.splitlines() if "jury.president@" in line)
    assert str(JuryMember.Role.PRESIDENT.label).lower() in president


@pytest.mark.django_db
def test_a_session_is_convened_in_two_weeks_with_its_jury_and_agenda(seeded):
    session = JurySession.objects.get(status=SessionStatus.CONVENED)
    assert session.starts_at.date() > timezone.localdate() + datetime.timedelta(days=10)
    assert session.place == PLACE and session.video_link
    assert list(session.cqps.values_list("code", flat=True)) == ["NI"]
    seats = {m.user.email: m for m in session.members.select_related("user")}
    assert {email: (m.college, m.role) for email, m in seats.items()} == {
        juror.email: (juror.college, juror.role) for juror in JURORS
    }
    assert juries.composition_problems(session) == []
    agenda = session.agenda.filter(active=True).select_related("dossier__candidate__user")
    assert {item.dossier.candidate.user.email for item in agenda} == {
        spec.email for spec in CONVENED_CANDIDATES
    }
    assert {item.dossier.status for item in agenda} == {S.IN_JURY}
    for item in agenda:
        assert services.units_missing_assessment(item.dossier) == []
    # The members were convened to both sessions (with the invitation), the candidates told.
    convocations = OutgoingEmail.objects.filter(to="jury.salarie@demo.cqp.fr")
    assert [email.attachment_type for email in convocations] == ["text/calendar"] * 2
    for item in agenda:
        with translation.override(settings.LANGUAGE_CODE):
            subject = gettext("Your dossier %(reference)s: date of the jury") % {
                "reference": item.dossier.reference
            }
        assert OutgoingEmail.objects.filter(to=item.dossier.candidate.user.email, subject=subject)
    # Each juror sees it in their space; candidat.jury waits, on no agenda, for staff to add.
    assert get_session_for_member(User.objects.get(email="jury.expert@demo.cqp.fr"), session.pk)
    waiting = _dossier("candidat.jury@demo.cqp.fr")
    assert waiting.status == S.READY_FOR_JURY and not waiting.agenda_items.exists()


@pytest.mark.django_db
def test_a_closed_session_decided_a_certification_a_partial_validation_and_a_refusal(seeded):
    session = JurySession.objects.get(status=SessionStatus.CLOSED)
    assert session.starts_at < timezone.now() - datetime.timedelta(days=7)
    assert not session.members.exclude(present=True).exists()
    assert set(session.events.values_list("action", flat=True)) >= {
        "create",
        "convene",
        "open_deliberation",
        "record_decision",
        "close",
    }
    certified, partial, refused, revoked = (_dossier(spec.email) for spec in CLOSED_CANDIDATES)
    decisions = {
        d.item.dossier_id: d
        for d in JuryDecision.objects.filter(item__session=session).select_related("item")
    }
    assert len(decisions) == 4 and all(d.is_final for d in decisions.values())
    assert decisions[certified.pk].outcome == Outcome.CERTIFIED
    assert decisions[revoked.pk].outcome == Outcome.CERTIFIED
    assert decisions[partial.pk].outcome == Outcome.PARTIALLY_VALIDATED
    assert decisions[refused.pk].outcome == Outcome.NOT_VALIDATED
    assert decisions[partial.pk].motivation and decisions[refused.pk].motivation
    assert (certified.status, partial.status, refused.status) == (
        S.CERTIFIED,
        S.PARTIALLY_VALIDATED,
        S.NOT_VALIDATED,
    )
    # Every member voted on every dossier; the acquired units follow the decisions.
    assert Vote.objects.filter(item__session=session).count() == 4 * len(JURORS)

    def acquired(dossier):
        return set(
            AcquiredUnit.objects.filter(dossier=dossier).values_list("unit__code", flat=True)
        )

    assert acquired(certified) == {"BLOC1", "BLOC2", "BLOC3"}
    assert acquired(partial) == {"BLOC1", "BLOC2"}
    assert acquired(refused) == set()
    validated = DecisionUnit.objects.filter(decision=decisions[partial.pk], validated=True)
    assert set(validated.values_list("unit__code", flat=True)) == {"BLOC1", "BLOC2"}


@pytest.mark.django_db
def test_the_president_broke_a_tie_on_the_partial_validation(seeded):
    item = AgendaItem.objects.get(dossier=_dossier("candidat.jury-partiel@demo.cqp.fr"))
    votes = UnitVote.objects.filter(vote__item=item, unit__code="BLOC2")
    assert votes.filter(validate=True).count() == votes.filter(validate=False).count() == 2
    assert DecisionUnit.objects.get(decision__item=item, unit__code="BLOC2").validated


def _documents():
    """The closed session's certificates by holder's e-mail, and its minutes."""
    session = JurySession.objects.get(status=SessionStatus.CLOSED)
    certificates = Certificate.objects.filter(decision__item__session=session).select_related(
        "dossier__candidate__user"
    )
    return {c.dossier.candidate.user.email: c for c in certificates}, session.minutes


def _has_pdf(document):
    return bool(document.pdf) and document.pdf.storage.exists(document.pdf.name)


@pytest.mark.django_db
def test_the_closed_session_produced_its_documents_and_one_certificate_is_revoked(seeded, client):
    certified, partial, _refused, _revoked = (spec.email for spec in CLOSED_CANDIDATES)
    certificates, minutes = _documents()
    assert set(certificates) == {certified, partial, REVOKED_EMAIL}  # a refusal yields none
    certificate, attestation, revoked = (
        certificates[e] for e in (certified, partial, REVOKED_EMAIL)
    )

    assert (certificate.kind, certificate.status) == (
        Certificate.Kind.CERTIFICATE,
        DocumentStatus.READY,
    )
    assert (attestation.kind, attestation.status) == (
        Certificate.Kind.PARTIAL_ATTESTATION,
        DocumentStatus.READY,
    )
    assert [u["code"] for u in attestation.snapshot["units_remaining"]] == ["BLOC3"]
    # Revoked by the branch's staff, with its reason, after its PDF was produced.
    assert (revoked.kind, revoked.status) == (Certificate.Kind.CERTIFICATE, DocumentStatus.REVOKED)
    assert revoked.revoked_reason.startswith("Fraude établie au livret de VAE")
    assert revoked.revoked_by.email == "staff.immo@demo.cqp.fr" and revoked.revoked_at
    assert list(revoked.events.values_list("action", flat=True)) == ["produce", "revoke"]
    assert all(_has_pdf(c) for c in (certificate, attestation, revoked))
    assert minutes.status == DocumentStatus.READY and _has_pdf(minutes)
    # Numbered in a row in the branch's series; the certificates print the jury's date.
    assert sorted(c.number for c in certificates.values()) == [
        f"IMMO-{certificate.year}-00000{n}" for n in (1, 2, 3)
    ]
    session = JurySession.objects.get(status=SessionStatus.CLOSED)
    assert (
        certificate.snapshot["jury_date"]
        == timezone.localtime(session.starts_at).date().isoformat()
    )

    # The output gives each code and its verification link; the revoked one says why.
    for document in (certificate, attestation, revoked):
        line = next(line for line in seeded.splitlines() if document.number in line)
        assert document.display_code in line and f"/verify/{document.public_code}/" in line
    answer = client.get(f"/verify/{revoked.public_code}.json").json()
    assert answer["status"] == "revoked" and answer["revoked_reason"] == revoked.revoked_reason
    assert client.get(f"/verify/{certificate.public_code}.json").json()["status"] == "valid"


@pytest.mark.django_db
def test_the_demo_branch_signs_its_documents_with_a_logo(seeded):
    branch = Branch.objects.get(slug="immobilier")
    assert branch.signatory_name and branch.signatory_title
    assert branch.logo.size < 20_000
    with branch.logo.open("rb") as handle, Image.open(handle) as logo:
        assert logo.format == "PNG" and logo.width > 2 * logo.height


@pytest.mark.django_db
def test_seeding_again_issues_no_new_number_and_keeps_the_codes(seeded):
    def state():
        certificates, minutes = _documents()
        return (
            {e: (c.number, c.public_code, c.status, c.pdf.name) for e, c in certificates.items()},
            (minutes.status, minutes.pdf.name),
            list(CertificateCounter.objects.values_list("year", "last")),
            Branch.objects.get(slug="immobilier").logo.name,
        )

    before = state()
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert state() == before
    for number, code, _status, _pdf in before[0].values():
        assert number in out.getvalue() and f"/verify/{code}/" in out.getvalue()


@pytest.mark.django_db
def test_one_former_candidate_may_be_anonymised_and_the_others_not_yet(seeded):
    from candidates import services as candidate_services
    from candidates.models import Candidate

    refusals = {
        candidate.user.email: candidate_services.anonymisation_refusal(candidate)
        for candidate in Candidate.objects.select_related("user")
    }

    assert refusals.pop("candidat.ancien@demo.cqp.fr") == ""
    assert all(refusals.values())
    assert "candidat.ancien@demo.cqp.fr" in seeded and "anonymiser" in seeded
