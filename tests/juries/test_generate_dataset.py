"""generate_dataset: a national volume written in bulk, scaled down here to 300 candidates.

The dataset is generated once for the `TestGeneratedDataset` class (inside a transaction rolled
back after its last test; each test runs in a savepoint of it). The refusals, `--force` and the
seed's determinism need databases of their own and run the command at its smallest size.
"""

import datetime
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from candidates import services as dossier_services
from candidates.lifecycles import DOSSIER_LIFECYCLE
from candidates.models import (
    OPEN_STATUSES,
    AcquiredUnit,
    Candidate,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Funding,
    Pathway,
    PositioningAssessment,
    UnitAssessment,
    UnitAssessmentResult,
)
from certifications.models import (
    Branch,
    BranchMembership,
    CompetenceUnit,
    Cqp,
    EvaluatorAccreditation,
    IdccConvention,
    Referentiel,
)
from cqp.models import User
from cqp.validators import search_key
from juries.dataset.generate import DOMAIN, PASSWORD, SAMPLE_PDF, SLUG_PREFIX, DatasetGenerator
from juries.dataset.writer import BrokenReference, check_references
from juries.documents.snapshot import certificate_snapshot
from juries.models import (
    AgendaItem,
    Certificate,
    CertificateCounter,
    DecisionUnit,
    DocumentStatus,
    JuryDecision,
    JuryMember,
    JuryMinutes,
    JurySession,
    Outcome,
    SessionStatus,
)
from juries.services.documents import next_number

S = DossierStatus
STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF
SIZE = 300  # 3 branches, 6 CQPs, 437 dossiers: every state, a dozen sessions; ~1.5 s
SMALLEST = 50
FINAL = {S.CERTIFIED, S.PARTIALLY_VALIDATED, S.NOT_VALIDATED}
OUTCOME_OF = {
    S.CERTIFIED: Outcome.CERTIFIED,
    S.PARTIALLY_VALIDATED: Outcome.PARTIALLY_VALIDATED,
    S.NOT_VALIDATED: Outcome.NOT_VALIDATED,
}
KIND_OF = {
    S.CERTIFIED: Certificate.Kind.CERTIFICATE,
    S.PARTIALLY_VALIDATED: Certificate.Kind.PARTIAL_ATTESTATION,
}
UPCOMING = {SessionStatus.PLANNED, SessionStatus.CONVENED}
TABLE_LINE = re.compile(r"^  (\w+) +([\d,]+)$")
LOGIN_LINE = re.compile(r"^  (.+?) +(\S+@\S+)$")


@dataclass
class Generated:
    output: str
    media: Path

    @property
    def table_counts(self) -> dict[str, int]:
        """The table of rows written, as the command prints it after its total."""
        lines = self.output.split("rows in", 1)[1].split("Logins", 1)[0].splitlines()
        matches = [TABLE_LINE.match(line) for line in lines[1:]]
        return {m[1]: int(m[2].replace(",", "")) for m in matches if m}

    @property
    def logins(self) -> dict[str, str]:
        lines = self.output.split("Logins", 1)[1].splitlines()[1:]
        return {m[1]: m[2] for m in map(LOGIN_LINE.match, lines) if m}


def all_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def largest_branch() -> Branch:
    return Branch.objects.get(slug__startswith=f"{SLUG_PREFIX}01-")


def login_request(rf):
    """A request for `authenticate` (django-axes counts the failures per client)."""
    return rf.post("/accounts/login/")


@pytest.fixture(scope="class")
def dataset(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("dataset-media")
    out = StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        try:
            call_command("generate_dataset", candidates=SIZE, stdout=out)
            yield Generated(out.getvalue(), media)
        finally:
            transaction.set_rollback(True)


@pytest.mark.usefixtures("dataset", "db")
class TestGeneratedDataset:
    # --- what the command says and what it wrote ------------------------------------------

    def test_the_command_reports_its_steps_totals_and_logins(self, dataset):
        out = dataset.output

        assert out.startswith(f"Generating {SIZE:,} candidates (seed 1)…\n")
        for step in ("accounts and branches", "catalogue", "dossiers", "juries and certificates"):
            assert re.search(rf"^  {step}: done in \d+\.\d s$", out, re.M), step
        # PostgreSQL as a superuser: the references checked in bulk, once written; otherwise
        # by the database, row by row, at the commit.
        if connection.vendor == "postgresql":
            assert re.search(r"^  references: done in \d+\.\d s$", out, re.M)
            assert "committing" not in out
        else:
            assert "committing (the database checks every reference)…" in out
        assert f"Logins (password for every generated account: {PASSWORD}):" in out
        total = int(re.search(r"^([\d,]+) rows in \d+\.\d s$", out, re.M)[1].replace(",", ""))
        assert total == sum(dataset.table_counts.values())
        assert set(dataset.logins) == {
            "staff of the largest branch",
            "CPNEF member of the largest branch",
            "evaluator with the most dossiers",
            "jury member",
        }

    def test_each_table_holds_the_rows_the_command_counted(self, dataset):
        counts = dataset.table_counts
        assert len(counts) >= 30
        with connection.cursor() as cursor:
            for table, count in counts.items():
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                assert cursor.fetchone()[0] == count, table
        assert counts[Candidate._meta.db_table] == SIZE
        assert counts[Dossier._meta.db_table] == Dossier.objects.count()

    def test_the_catalogue_scales_with_the_candidates(self):
        branches = Branch.objects.filter(slug__startswith=SLUG_PREFIX)
        assert branches.count() == SIZE // 100 == Branch.objects.count()
        assert sorted(branches.values_list("code", flat=True)) == ["B01", "B02", "B03"]
        for branch in branches:  # one real collective agreement each
            assert branch.idcc_conventions.count() == 1
            assert branch.cqps.count() >= 2
        assert len(set(IdccConvention.objects.filter(branch__in=branches))) == branches.count()
        assert Cqp.objects.count() == 6
        assert Cqp.objects.open_to_candidates().count() == 6
        for cqp in Cqp.objects.all():
            referentiel = cqp.referentiels.get()
            units = list(referentiel.units.order_by("order"))
            assert 4 <= len(units) <= 8
            assert [u.order for u in units] == list(range(1, len(units) + 1))
            for unit in units:
                assert unit.competences.count() == 3
                assert unit.criteria.count() == 3
                if cqp.registry_number:  # RNCP blocs are coded RNCPnnnnnBCnn
                    assert unit.code == f"{cqp.registry_number}BC{unit.order:02d}"
            assert cqp.habilitations.exists()
            assert cqp.search_text == search_key(cqp.code, cqp.title, cqp.registry_number)

    def test_there_is_a_dossier_in_every_state_and_about_one_and_a_half_per_candidate(self):
        assert Candidate.objects.count() == SIZE
        dossiers = Dossier.objects.count()
        # 1.5 per candidate, less the rare second CQP a candidate of a tiny branch cannot find.
        assert 1.4 * SIZE <= dossiers <= 1.5 * SIZE
        assert not Candidate.objects.filter(dossiers=None).exists()
        statuses = Counter(Dossier.objects.values_list("status", flat=True))
        assert set(statuses) == set(S.values)
        # The finals end in a certificate or an attestation for 40 % of the dossiers.
        decided = statuses[S.CERTIFIED] + statuses[S.PARTIALLY_VALIDATED]
        assert 0.35 * dossiers <= decided <= 0.45 * dossiers
        assert Certificate.objects.count() == decided

    def test_sessions_are_closed_in_the_past_and_convened_in_the_future(self):
        now = timezone.now()
        for branch in Branch.objects.all():
            sessions = JurySession.objects.filter(branch=branch)
            closed = sessions.filter(status=SessionStatus.CLOSED)
            assert closed.exists()
            assert not closed.filter(starts_at__gte=now).exists()
            assert not sessions.filter(status=SessionStatus.CANCELLED, starts_at__gte=now).exists()
            upcoming = sessions.filter(status__in=UPCOMING)
            assert upcoming.filter(status=SessionStatus.CONVENED).exists()
            assert not upcoming.filter(starts_at__lte=now).exists()
        assert JurySession.objects.filter(status=SessionStatus.CANCELLED).exists()
        for session in JurySession.objects.prefetch_related("members"):
            members = list(session.members.all())
            assert len(members) == 5
            assert [m.role for m in members].count(JuryMember.Role.PRESIDENT) == 1
            colleges = Counter(m.college for m in members)
            assert colleges[JuryMember.College.EMPLOYER] == 2
            assert colleges[JuryMember.College.EMPLOYEE] == 2
            closed = session.status == SessionStatus.CLOSED
            assert {m.present for m in members} == ({True} if closed else {None})
            assert JuryMinutes.objects.filter(session=session).exists() == closed
            assert session.cqps.exists()

    def test_the_largest_branchs_next_session_holds_all_its_dossiers_before_the_jury(self):
        # Up to 300 (the jury page's worst case): at this size, every one of them.
        branch = largest_branch()
        following = JurySession.objects.filter(branch=branch, status__in=UPCOMING)
        first = following.order_by("starts_at").first()
        in_jury = Dossier.objects.filter(cqp__branch=branch, status=S.IN_JURY)
        assert first.status == SessionStatus.CONVENED
        assert 0 < in_jury.count() < 300
        assert set(first.agenda.values_list("dossier_id", flat=True)) == set(
            in_jury.values_list("id", flat=True)
        )
        assert first.agenda.count() == max(s.agenda.count() for s in following)

    def test_the_sample_pieces_are_written_into_the_media_root(self, dataset):
        for kind in DossierDocument.objects.values_list("kind", flat=True).distinct():
            assert (dataset.media / "dataset" / f"{kind}.pdf").read_bytes() == SAMPLE_PDF

    # --- consistency -----------------------------------------------------------------------

    def test_every_reference_holds(self):
        # On PostgreSQL the generator checks them in bulk (its triggers off): every key of
        # every table checked again here; SQLite checks its own.
        check_references(list(apps.get_models()))
        connection.check_constraints()

    def test_references_codes_and_e_mail_addresses_are_unique(self):
        references = list(Dossier.objects.values_list("reference", "id", "created_at"))
        assert len({r for r, _i, _c in references}) == len(references)
        for reference, pk, created in references:
            assert reference == f"{timezone.localtime(created).year}-{pk:06d}"
        emails = list(User.objects.values_list("email", flat=True))
        assert len({e.lower() for e in emails}) == len(emails)
        assert all(e == e.lower() and e.endswith(f"{DOMAIN}") for e in emails)
        numbers = list(Certificate.objects.values_list("number", "public_code"))
        assert len({n for n, _c in numbers}) == len({c for _n, c in numbers}) == len(numbers)

    def test_candidates_search_keys_are_what_the_services_keep(self):
        candidates = list(Candidate.objects.select_related("user"))
        assert any(not c.last_name.isascii() or not c.first_name.isascii() for c in candidates)
        for candidate in candidates:
            stored = candidate.search_text
            assert stored == search_key(
                candidate.last_name, candidate.first_name, candidate.user.email
            )
            candidate.refresh_search_text()
            assert candidate.search_text == stored
            assert candidate.first_name == candidate.user.first_name
            assert candidate.last_name == candidate.user.last_name

    def test_each_dossier_s_history_follows_the_lifecycle(self):
        events = defaultdict(list)
        for event in DossierEvent.objects.order_by("created_at", "id"):
            events[event.dossier_id].append(event)
        now = timezone.now()
        for dossier in Dossier.objects.select_related("candidate"):
            history = events[dossier.pk]
            opening = history[0]
            assert (opening.action, opening.from_status, opening.to_status) == ("open", "", S.DRAFT)
            assert opening.created_at == dossier.created_at
            assert opening.actor_id == dossier.candidate.user_id
            status = S.DRAFT
            for event in history[1:]:
                transition = DOSSIER_LIFECYCLE.get(event.action)
                assert event.from_status == status, (dossier.status, event.action)
                assert status in transition.sources, (dossier.status, event.action)
                assert event.to_status == (transition.target or status)
                status = event.to_status
            assert status == dossier.status
            assert history[-1].created_at == dossier.status_changed_at
            assert dossier.candidate.created_at <= dossier.created_at
            assert dossier.created_at <= dossier.status_changed_at <= now
            if dossier.submitted_at:
                submitted = next(e for e in history if e.action == "submit")
                assert submitted.created_at == dossier.submitted_at
            if dossier.completeness_checked_at:
                assert dossier.submitted_at <= dossier.completeness_checked_at

    def test_evaluators_pathways_and_plans_match_the_dossiers(self):
        accredited = set(EvaluatorAccreditation.objects.values_list("user_id", "branch_id"))
        for dossier in Dossier.objects.select_related("cqp", "training_provider"):
            if dossier.evaluator_id:
                assert (dossier.evaluator_id, dossier.cqp.branch_id) in accredited
            if dossier.status in (S.VAE, S.TRAINING):
                assert dossier.pathway == dossier.status
            if dossier.pathway == Pathway.TRAINING and dossier.training_provider:
                plan = dossier.training_plan
                assert plan.provider == dossier.training_provider
                assert plan.habilitation.cqp_id == dossier.cqp_id
            assert (dossier.pathway == Pathway.VAE) == (dossier.vae_requested_on is not None)
        for positioning in PositioningAssessment.objects.select_related("dossier"):
            assert positioning.recommendation == positioning.dossier.pathway
            assert positioning.evaluator_id == positioning.dossier.evaluator_id

    def test_dossiers_before_the_jury_or_decided_have_every_unit_assessed(self):
        units = defaultdict(set)
        for unit_id, referentiel_id in CompetenceUnit.objects.values_list("id", "referentiel"):
            units[referentiel_id].add(unit_id)
        assessed = defaultdict(set)
        for dossier_id, unit_id in UnitAssessment.objects.values_list("dossier", "unit"):
            assessed[dossier_id].add(unit_id)
        done = Dossier.objects.filter(status__in=FINAL | {S.READY_FOR_JURY, S.IN_JURY})
        assert done.exists()
        for dossier in done:
            assert assessed[dossier.pk] == units[dossier.referentiel_id]
        before = Dossier.objects.filter(status__in=[S.DRAFT, S.SUBMITTED, S.POSITIONING])
        assert not UnitAssessment.objects.filter(dossier__in=before).exists()

    def test_each_final_dossier_has_one_reasoned_decision_of_its_closed_session(self):
        decided = Dossier.objects.filter(status__in=FINAL).select_related("cqp")
        decisions = {
            d.item.dossier_id: d
            for d in JuryDecision.objects.select_related("item__session", "item__dossier")
        }
        assert len(decisions) == JuryDecision.objects.count() == decided.count()
        presidents = dict(
            JuryMember.objects.filter(role=JuryMember.Role.PRESIDENT).values_list(
                "session_id", "user_id"
            )
        )
        for dossier in decided:
            decision = decisions[dossier.pk]
            session = decision.item.session
            assert decision.outcome == OUTCOME_OF[dossier.status]
            assert session.status == SessionStatus.CLOSED
            assert session.branch_id == dossier.cqp.branch_id
            assert session.cqps.filter(pk=dossier.cqp_id).exists()
            assert not decision.item.active
            assert decision.decided_by_id == presidents[session.pk]
            assert decision.final_at is not None and decision.corrects is None
            assert dossier.created_at < session.starts_at < decision.decided_at
            assert decision.decided_at <= decision.final_at
            assert decision.decided_at <= dossier.status_changed_at
            assert bool(decision.motivation) == (decision.outcome != Outcome.CERTIFIED)
        # Dossiers before the jury sit on one upcoming session of their branch, still active.
        for item in AgendaItem.objects.filter(dossier__status=S.IN_JURY).select_related(
            "session", "dossier__cqp"
        ):
            assert item.active and item.session.status in UPCOMING
            assert item.session.branch_id == item.dossier.cqp.branch_id
        assert AgendaItem.objects.filter(dossier__status=S.IN_JURY).count() == (
            Dossier.objects.filter(status=S.IN_JURY).count()
        )
        assert not AgendaItem.objects.exclude(dossier__status__in=FINAL | {S.IN_JURY}).exists()

    def test_acquired_units_are_the_units_the_decisions_validated(self):
        validated = defaultdict(set)
        judged = defaultdict(set)
        for decision_unit in DecisionUnit.objects.select_related("decision__item"):
            dossier_id = decision_unit.decision.item.dossier_id
            judged[dossier_id].add(decision_unit.unit_id)
            if decision_unit.validated:
                validated[dossier_id].add(decision_unit.unit_id)
        acquired = defaultdict(set)
        for unit in AcquiredUnit.objects.select_related("dossier"):
            assert unit.candidate_id == unit.dossier.candidate_id
            acquired[unit.dossier_id].add(unit.unit_id)
        assessed_ok = defaultdict(set)
        for dossier_id, unit_id in UnitAssessment.objects.filter(
            dossier__status__in=FINAL, result=UnitAssessmentResult.VALIDATED
        ).values_list("dossier", "unit"):
            assessed_ok[dossier_id].add(unit_id)
        assert AcquiredUnit.objects.exists()
        assert set(acquired) <= set(judged)
        for dossier in Dossier.objects.filter(status__in=FINAL):
            units = set(dossier.referentiel.units.values_list("id", flat=True))
            held = validated[dossier.pk]
            assert judged[dossier.pk] == units
            assert acquired[dossier.pk] == held == assessed_ok[dossier.pk]
            if dossier.status == S.CERTIFIED:
                assert held == units
            elif dossier.status == S.PARTIALLY_VALIDATED:
                assert held and held < units
            else:
                assert not held
        jury_dates = {
            dossier_id: timezone.localdate(starts_at)
            for dossier_id, starts_at in AgendaItem.objects.values_list(
                "dossier", "session__starts_at"
            )
        }
        for dossier_id, acquired_on in AcquiredUnit.objects.values_list("dossier", "acquired_on"):
            assert acquired_on == jury_dates[dossier_id]

    def test_certificates_and_attestations_are_numbered_per_branch_and_year(self):
        sequences = defaultdict(list)
        for certificate in Certificate.objects.select_related("branch", "dossier", "decision"):
            assert certificate.kind == KIND_OF[certificate.dossier.status]
            assert certificate.decision.item.dossier_id == certificate.dossier_id
            assert certificate.branch_id == certificate.dossier.cqp.branch_id
            assert certificate.status == DocumentStatus.READY and not certificate.revoked_at
            assert certificate.number == (
                f"{certificate.branch.code}-{certificate.year}-{certificate.sequence:06d}"
            )
            decided_on = timezone.localdate(certificate.decision.decided_at)
            assert certificate.year == decided_on.year
            sequences[certificate.branch_id, certificate.year].append(certificate.sequence)
        counters = {(c.branch_id, c.year): c.last for c in CertificateCounter.objects.all()}
        assert set(counters) == set(sequences)
        for key, numbers in sequences.items():
            assert sorted(numbers) == list(range(1, counters[key] + 1))
        # The next certificate of the branch takes the number after the generated ones.
        branch = largest_branch()
        year = max(y for b, y in counters if b == branch.pk)
        sequence, number = next_number(branch, year)
        assert sequence == counters[branch.pk, year] + 1
        assert number == f"B01-{year}-{sequence:06d}"
        assert not Certificate.objects.filter(number=number).exists()

    def test_certificates_print_what_the_services_would_have_recorded(self):
        # All but the CPNEF's name (see the expected failure below).
        for certificate in Certificate.objects.select_related(
            "decision__item__session__branch",
            "decision__item__dossier__candidate",
            "decision__item__dossier__cqp",
            "decision__item__dossier__referentiel",
        ):
            decision = certificate.decision
            expected = certificate_snapshot(decision, timezone.localdate(decision.decided_at))
            assert certificate.snapshot == expected

    def test_certificates_print_the_branchs_cpnef(self):
        certificate = Certificate.objects.select_related("branch").first()
        assert certificate.branch.cpnef_name
        assert certificate.snapshot["branch"]["cpnef_name"] == certificate.branch.cpnef_name

    def test_ready_certificates_and_minutes_have_their_pdf(self):
        assert all(c.is_ready for c in Certificate.objects.all())
        assert all(m.is_ready for m in JuryMinutes.objects.all())

    def test_nothing_is_dated_in_the_future_but_the_sessions_to_come(self):
        now = timezone.now()
        assert not JurySession.objects.filter(created_at__gt=now).exists()
        assert not AgendaItem.objects.filter(added_at__gt=now).exists()
        assert not DossierEvent.objects.filter(created_at__gt=now).exists()
        upcoming = JurySession.objects.filter(starts_at__gt=now)
        assert upcoming.exists()
        # Spread over the next four months, not years ahead.
        assert not upcoming.filter(starts_at__gt=now + datetime.timedelta(days=130)).exists()

    def test_a_dossier_joins_an_agenda_when_its_event_says_so(self):
        items = AgendaItem.objects.select_related("dossier", "session")
        assert items.exists()
        for item in items:
            event = item.dossier.events.get(action="put_on_agenda")
            assert item.added_at == event.created_at
            assert item.session.created_at <= item.added_at

    def test_a_withdrawn_dossiers_assessments_precede_its_withdrawal(self):
        withdrawn = UnitAssessment.objects.filter(dossier__status=S.WITHDRAWN)
        assert withdrawn.exists()
        for assessment in withdrawn.select_related("dossier"):
            assert assessment.created_at <= assessment.dossier.status_changed_at

    def test_dates_are_the_local_dates_of_their_moments(self):
        mismatches = []
        for dossier in Dossier.objects.filter(pathway=Pathway.VAE):
            chosen = dossier.events.get(action="choose_vae").created_at
            if dossier.vae_requested_on != timezone.localdate(chosen):
                mismatches.append(dossier.status)
        for assessment in UnitAssessment.objects.select_related("dossier"):
            if assessment.assessed_on != timezone.localdate(assessment.created_at):
                mismatches.append(assessment.dossier.status)
        for positioning in PositioningAssessment.objects.select_related("dossier"):
            if positioning.assessed_on != timezone.localdate(positioning.created_at):
                mismatches.append(positioning.dossier.status)
        assert mismatches == []

    # --- sequences, accounts and pages -----------------------------------------------------

    def test_new_rows_get_fresh_ids_after_the_generated_ones(self):
        # On PostgreSQL (COPY with the generator's ids) they would clash without the reset.
        candidate = Candidate.objects.filter(dossiers__cqp__branch=largest_branch()).first()
        taken = set(candidate.dossiers.values_list("cqp_id", flat=True))
        cqp = Cqp.objects.exclude(pk__in=taken).first()
        last = Dossier.objects.order_by("-id").first().pk

        dossier = dossier_services.dossier_open(
            candidate=candidate, cqp=cqp, funding=Funding.CPF, actor=candidate.user
        )

        assert dossier.pk > last
        assert dossier.reference == f"{timezone.localdate():%Y}-{dossier.pk:06d}"
        assert dossier.events.get().action == "open"
        user = User.objects.create_user(email="new@example.org", password="x-new-password")
        branch = Branch.objects.create(name="Nouvelle", slug="nouvelle", code="NEW")
        branch.idcc_conventions.add(IdccConvention.objects.filter(branch=None).first())
        BranchMembership.objects.create(user=user, branch=branch, role=STAFF)
        session = JurySession.objects.create(
            branch=branch, starts_at=timezone.now(), place="Paris", created_by=user
        )
        session.cqps.add(cqp)
        JuryMember.objects.create(session=session, user=user, college=JuryMember.College.EXPERT)
        referentiel = Referentiel.objects.create(cqp=cqp, version=2)
        CompetenceUnit.objects.create(referentiel=referentiel, code="X", title="X", order=1)

    def test_generated_accounts_log_in_with_the_password(self, dataset, rf):
        emails = list(dataset.logins.values())
        emails.append(Candidate.objects.select_related("user").first().user.email)
        for email in emails:
            user = authenticate(login_request(rf), username=email, password=PASSWORD)
            assert user is not None and user.email == email
        assert authenticate(login_request(rf), username=emails[0], password="wrong") is None

    def test_the_printed_logins_have_the_roles_they_are_printed_for(self, dataset):
        logins = dataset.logins
        branch = largest_branch()
        staff = User.objects.get(email=logins["staff of the largest branch"])
        assert staff.is_staff
        assert BranchMembership.objects.filter(user=staff, branch=branch, role=STAFF).exists()
        cpnef = User.objects.get(email=logins["CPNEF member of the largest branch"])
        assert BranchMembership.objects.filter(user=cpnef, branch=branch, role=CPNEF).exists()
        evaluator = User.objects.get(email=logins["evaluator with the most dossiers"])
        assigned = Counter(
            Dossier.objects.exclude(evaluator=None).values_list("evaluator", flat=True)
        )
        assert assigned[evaluator.pk] == max(assigned.values())
        juror = User.objects.get(email=logins["jury member"])
        assert JuryMember.objects.filter(user=juror).exists()

    def test_a_candidate_sees_each_of_their_dossiers_in_every_state(self):
        client = Client()
        for status in S.values:
            dossier = Dossier.objects.filter(status=status).select_related("candidate").first()
            client.force_login(dossier.candidate.user)
            response = client.get(dossier.get_absolute_url())
            assert response.status_code == 200, status
            assert dossier.reference in response.content.decode()
        response = client.get(reverse("candidates:dossier_list"))
        assert response.status_code == 200

    def test_a_certified_candidate_sees_their_units_pieces_and_certificate(self, dataset):
        dossier = Dossier.objects.filter(status=S.CERTIFIED).select_related("candidate").first()
        certificate = dossier.certificates.get()
        client = Client()
        client.force_login(dossier.candidate.user)

        page = client.get(dossier.get_absolute_url())
        units = client.get(reverse("candidates:acquired_units"))
        piece = dossier.documents.first()
        download = client.get(reverse("candidates:document_download", args=[dossier.pk, piece.pk]))

        assert certificate.number in page.content.decode()
        assert units.status_code == 200
        assert all(
            escape(u.unit.title) in units.content.decode()
            for u in AcquiredUnit.objects.filter(dossier=dossier).select_related("unit")
        )
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == SAMPLE_PDF
        verification = Client().get(
            reverse("verification:certificate", args=[certificate.public_code])
        )
        assert verification.status_code == 200
        assert dossier.candidate.last_name in verification.content.decode()

    def test_an_evaluator_sees_their_open_dossiers(self, dataset):
        evaluator = User.objects.get(email=dataset.logins["evaluator with the most dossiers"])
        client = Client()
        client.force_login(evaluator)

        response = client.get(reverse("evaluators:dossier_list"))

        assert response.status_code == 200
        mine = Dossier.objects.filter(evaluator=evaluator, status__in=OPEN_STATUSES)
        assert response.context["paginator"].count == mine.count() > 0
        dossier = mine.first()
        detail = client.get(reverse("evaluators:dossier_detail", args=[dossier.pk]))
        assert detail.status_code == 200

    def test_a_jury_member_sees_their_sessions_and_no_other(self):
        client = Client()
        session = (
            JurySession.objects.filter(branch=largest_branch(), status=SessionStatus.CONVENED)
            .order_by("starts_at")
            .first()
        )
        member = session.members.exclude(role=JuryMember.Role.PRESIDENT).first().user
        client.force_login(member)

        listing = client.get(reverse("juries:session_list"))
        page = client.get(reverse("juries:session_detail", args=[session.pk]))
        item = session.agenda.first()
        study = client.get(reverse("juries:item_detail", args=[session.pk, item.pk]))

        assert listing.status_code == 200
        assert session in [seat.session for seat in listing.context["upcoming"]]
        assert page.status_code == 200
        assert len(page.context["agenda"]) == session.agenda.count()
        assert study.status_code == 200
        other = JurySession.objects.exclude(members__user=member).first()
        assert client.get(reverse("juries:session_detail", args=[other.pk])).status_code == 404

    def test_a_closed_session_shows_every_decision(self):
        session = JurySession.objects.filter(status=SessionStatus.CLOSED, agenda__isnull=False)
        session = session.distinct().first()
        client = Client()
        client.force_login(session.members.get(role=JuryMember.Role.PRESIDENT).user)

        response = client.get(reverse("juries:session_detail", args=[session.pk]))

        assert response.status_code == 200
        assert response.context["decided_count"] == session.agenda.count()

    def test_branch_staff_find_a_candidate_without_accents_in_the_admin(self, dataset):
        branch = largest_branch()
        staff = User.objects.get(email=dataset.logins["staff of the largest branch"])
        accented = next(
            c
            for c in Candidate.objects.filter(dossiers__cqp__branch=branch).distinct()
            if not (c.first_name + c.last_name).isascii()
        )
        typed = search_key(accented.first_name, accented.last_name).upper()
        assert typed.isascii() and typed not in (accented.first_name, accented.last_name)
        client = Client()
        client.force_login(staff)

        changelist = client.get(reverse("admin:candidates_dossier_changelist"))
        dossiers = client.get(reverse("admin:candidates_dossier_changelist"), {"q": typed})
        candidates = client.get(reverse("admin:candidates_candidate_changelist"), {"q": typed})

        assert changelist.status_code == 200
        in_branch = Dossier.objects.filter(cqp__branch=branch)
        assert changelist.context["cl"].result_count == in_branch.count()
        assert dossiers.status_code == 200
        found = set(dossiers.context["cl"].queryset.values_list("id", flat=True))
        assert set(in_branch.filter(candidate=accented).values_list("id", flat=True)) <= found
        assert found <= set(in_branch.values_list("id", flat=True))
        assert candidates.status_code == 200
        assert accented in candidates.context["cl"].queryset
        dossier = in_branch.filter(candidate=accented).first()
        change = client.get(reverse("admin:candidates_dossier_change", args=[dossier.pk]))
        assert change.status_code == 200

    # --- a second run ----------------------------------------------------------------------

    def test_a_second_run_is_refused_and_changes_nothing(self):
        before = all_counts()

        with pytest.raises(CommandError, match="already holds a generated dataset"):
            call_command("generate_dataset", candidates=SMALLEST, stdout=StringIO())

        assert all_counts() == before


# --- refusals, --force and the seed, each on a database of its own -------------------------


def test_a_reference_to_nothing_is_named(db):
    branch = Branch.objects.create(name="Branche", slug="branche", code="BR")
    missing = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # Foreign keys are deferred to the commit (the test's transaction never commits).
    broken = BranchMembership.objects.create(user_id=missing + 1000, branch=branch, role=STAFF)

    try:
        with pytest.raises(BrokenReference, match=f"branchmembership.user_id = {missing + 1000}"):
            check_references([Branch, BranchMembership])
    finally:
        broken.delete()  # the test's teardown checks the deferred constraints
    check_references([Branch, BranchMembership])


def test_fewer_than_fifty_candidates_are_refused(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    before = all_counts()

    with pytest.raises(CommandError, match="at least 50"):
        call_command("generate_dataset", candidates=SMALLEST - 1, stdout=StringIO())

    assert all_counts() == before
    with pytest.raises(ValueError):
        DatasetGenerator(SMALLEST - 1)


def test_a_database_with_dossiers_is_refused_unless_forced(candidate, open_cqp, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    dossier = dossier_services.dossier_open(
        candidate=candidate, cqp=open_cqp, funding=Funding.CPF, actor=candidate.user
    )
    before = all_counts()

    with pytest.raises(CommandError, match="already holds dossiers"):
        call_command("generate_dataset", candidates=SMALLEST, stdout=StringIO())
    assert all_counts() == before

    call_command("generate_dataset", candidates=SMALLEST, force=True, stdout=StringIO())

    assert Candidate.objects.count() == SMALLEST + 1
    assert Branch.objects.filter(slug__startswith=SLUG_PREFIX).count() == 2
    kept = Dossier.objects.get(pk=dossier.pk)
    assert (kept.reference, kept.status, kept.candidate_id) == (
        dossier.reference,
        dossier.status,
        candidate.pk,
    )
    generated = Dossier.objects.exclude(pk=dossier.pk)
    assert min(generated.values_list("id", flat=True)) > dossier.pk
    assert (
        min(Candidate.objects.exclude(pk=candidate.pk).values_list("id", flat=True)) > candidate.pk
    )
    assert (tmp_path / "dataset" / "identity.pdf").exists()
    connection.check_constraints()


def generate_and_read(seed: int) -> dict:
    """Generate the smallest dataset, read what it holds, and roll it back."""
    with transaction.atomic():
        call_command("generate_dataset", candidates=SMALLEST, seed=seed, stdout=StringIO())
        read = {
            "candidates": list(
                Candidate.objects.order_by("id").values_list(
                    "first_name", "last_name", "birth_date", "city", "user__email"
                )
            ),
            "dossiers": list(
                Dossier.objects.order_by("id").values_list(
                    "status", "cqp__code", "funding", "pathway", "evaluator__email"
                )
            ),
            "units": list(CompetenceUnit.objects.order_by("id").values_list("code", "title")),
            "certificates": list(
                Certificate.objects.order_by("id").values_list("number", "public_code")
            ),
            "branches": list(Branch.objects.order_by("id").values_list("name", "slug")),
        }
        transaction.set_rollback(True)
    return read


def test_the_same_seed_gives_the_same_data(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)

    first = generate_and_read(seed=7)
    again = generate_and_read(seed=7)
    other = generate_and_read(seed=8)

    assert len(first["candidates"]) == SMALLEST and first["certificates"]
    assert again == first
    assert other["candidates"] != first["candidates"]
    assert other["dossiers"] != first["dossiers"]
