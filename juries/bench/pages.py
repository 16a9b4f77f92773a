"""The benchmarked pages: each a named scenario, picked from the data by cheap queries."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse

from candidates.models import Candidate, Dossier, DossierStatus
from certifications.models import BranchMembership

from ..documents.codes import normalise_code
from ..models import Certificate, DocumentStatus, JuryMember, JurySession
from ..selectors import UPCOMING_STATUSES

# The targets.
MAX_QUERIES = 15
MAX_P95_MS = 100
MAX_SEARCH_P95_MS = 300
MIN_TRIVIAL_SHARE = 0.40  # the candidate dossier page under load, against the trivial view

BENCH_SUPERUSER_EMAIL = "bench-pages@bench.invalid"
# The dashboard is built separately: whichever of these names it gets.
DASHBOARD_URL_NAMES = ("admin-dashboard", "dashboard:index")
# Certified dossiers looked at to find the richest history (a cheap, bounded pick).
DOSSIER_SAMPLE = 50


class Unavailable(Exception):
    """The data (or the code) offers no page for this scenario: it is skipped, with why."""


@dataclass
class Scenario:
    name: str
    who: str  # whom the page is requested as, for the report
    path: str
    user: object | None  # None: anonymous
    max_p95_ms: int = MAX_P95_MS
    min_trivial_share: float | None = None  # a load target, for the candidate dossier page


class Picker:
    """Picks each scenario's page and user from the data; shared picks are made once."""

    def candidate_dossier(self) -> Scenario:
        certified = Dossier.objects.filter(
            status=DossierStatus.CERTIFIED,
            candidate__user__is_active=True,
        ).filter(Exists(Certificate.objects.filter(dossier=OuterRef("pk"))))
        sample = list(certified.order_by("id").values_list("id", flat=True)[:DOSSIER_SAMPLE])
        dossier = (
            Dossier.objects.filter(id__in=sample)
            .annotate(event_count=Count("events"))
            .select_related("candidate__user")
            .order_by("-event_count", "id")
            .first()
        )
        if dossier is None:
            raise Unavailable("no certified dossier with a certificate")
        return Scenario(
            name="candidate-dossier",
            who=f"candidate {dossier.candidate.user.email} ({dossier.event_count} events)",
            path=dossier.get_absolute_url(),
            user=dossier.candidate.user,
            min_trivial_share=MIN_TRIVIAL_SHARE,
        )

    def evaluator_list(self) -> Scenario:
        busiest = (
            Dossier.objects.filter(evaluator__isnull=False, evaluator__is_active=True)
            .values("evaluator")
            .annotate(dossiers=Count("id"))
            .order_by("-dossiers", "evaluator")
            .first()
        )
        if busiest is None:
            raise Unavailable("no dossier assigned to an evaluator")
        evaluator = get_user_model().objects.get(pk=busiest["evaluator"])
        return Scenario(
            name="evaluator-list",
            who=f"evaluator {evaluator.email} ({busiest['dossiers']} dossiers)",
            path=reverse("evaluators:dossier_list"),
            user=evaluator,
        )

    def jury_session(self) -> Scenario:
        session = (
            JurySession.objects.filter(status__in=UPCOMING_STATUSES)
            .filter(Exists(JuryMember.objects.filter(session=OuterRef("pk"))))
            .annotate(items=Count("agenda", filter=Q(agenda__active=True)))
            .order_by("-items", "id")
            .first()
        )
        if session is None or not session.items:
            raise Unavailable("no convened jury session with members and an agenda")
        # The president's page is the fullest (it adds the deliberation's forms).
        seat = (
            JuryMember.objects.filter(session=session, user__is_active=True)
            .select_related("user")
            .order_by("-role", "id")  # "president" sorts after "member"
            .first()
        )
        if seat is None:
            raise Unavailable("the largest convened session has no active member")
        return Scenario(
            name="jury-session",
            who=f"{seat.role} {seat.user.email} ({session.items} dossiers)",
            path=reverse("juries:session_detail", args=[session.pk]),
            user=seat.user,
        )

    def verification(self) -> Scenario:
        certificate = Certificate.objects.filter(status=DocumentStatus.READY).order_by("id").first()
        if certificate is None:
            raise Unavailable("no ready certificate")
        code = normalise_code(certificate.public_code) or certificate.public_code
        return Scenario(
            name="verification",
            who="anonymous",
            path=reverse("verification:certificate", args=[code]),
            user=None,
        )

    def admin_dossiers(self, staff: bool = False, search: bool = False) -> Scenario:
        return self._admin("admin:candidates_dossier_changelist", "admin-dossiers", staff, search)

    def admin_candidates(self, staff: bool = False, search: bool = False) -> Scenario:
        return self._admin(
            "admin:candidates_candidate_changelist", "admin-candidates", staff, search
        )

    def dashboard(self, staff: bool = False) -> Scenario:
        for url_name in DASHBOARD_URL_NAMES:
            try:
                path = reverse(url_name)
            except NoReverseMatch:
                continue
            user, who = self._admin_user(staff)
            return Scenario(
                name="dashboard-staff" if staff else "dashboard", who=who, path=path, user=user
            )
        raise Unavailable(
            "no URL named %s yet (the dashboard is not built)" % " or ".join(DASHBOARD_URL_NAMES)
        )

    def _admin(self, url_name: str, name: str, staff: bool, search: bool) -> Scenario:
        path = reverse(url_name)
        if search:
            path += "?" + urlencode({"q": self.frequent_last_name})
            name += "-search"
        user, who = self._admin_user(staff)
        return Scenario(
            name=name + ("-staff" if staff else ""),
            who=who,
            path=path,
            user=user,
            max_p95_ms=MAX_SEARCH_P95_MS if search else MAX_P95_MS,
        )

    def _admin_user(self, staff: bool):
        if not staff:
            return self.superuser, f"superuser {self.superuser.email}"
        user, branch, dossiers = self.largest_branch_staff
        return user, f"staff {user.email} ({branch} branch, {dossiers} dossiers)"

    @cached_property
    def superuser(self):
        """The bench's own superuser (no password: it only ever gets a session from the bench)."""
        user, created = get_user_model().objects.get_or_create(
            email=BENCH_SUPERUSER_EMAIL,
            defaults={"first_name": "Bench", "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        elif not (user.is_active and user.is_staff and user.is_superuser):
            user.is_active = user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_active", "is_staff", "is_superuser"])
        return user

    @cached_property
    def largest_branch_staff(self):
        """(a staff member, their branch, its dossier count) for the branch with most dossiers
        among those that have active staff: admin querysets are scoped by branch."""
        memberships = BranchMembership.objects.filter(
            role=BranchMembership.BranchRole.STAFF, user__is_active=True, user__is_staff=True
        )
        largest = (
            Dossier.objects.filter(cqp__branch__in=memberships.values("branch_id"))
            .values("cqp__branch", "cqp__branch__code")
            .annotate(dossiers=Count("id"))
            .order_by("-dossiers", "cqp__branch")
            .first()
        )
        if largest is None:
            raise Unavailable("no branch with both staff and dossiers")
        membership = (
            memberships.filter(branch_id=largest["cqp__branch"])
            .select_related("user")
            .order_by("id")
            .first()
        )
        return membership.user, largest["cqp__branch__code"], largest["dossiers"]

    @cached_property
    def frequent_last_name(self) -> str:
        """The most frequent candidate last name: a search that finds many rows."""
        row = (
            Candidate.objects.filter(anonymised_at__isnull=True)
            .values("last_name")
            .annotate(candidates=Count("id"))
            .order_by("-candidates", "last_name")
            .first()
        )
        if row is None:
            raise Unavailable("no candidate to search for")
        return row["last_name"]


def _scenarios() -> dict[str, Callable[[Picker], Scenario]]:
    return {
        "candidate-dossier": Picker.candidate_dossier,
        "evaluator-list": Picker.evaluator_list,
        "jury-session": Picker.jury_session,
        "verification": Picker.verification,
        "admin-dossiers": lambda p: p.admin_dossiers(),
        "admin-dossiers-search": lambda p: p.admin_dossiers(search=True),
        "admin-candidates": lambda p: p.admin_candidates(),
        "admin-candidates-search": lambda p: p.admin_candidates(search=True),
        "admin-dossiers-staff": lambda p: p.admin_dossiers(staff=True),
        "admin-dossiers-search-staff": lambda p: p.admin_dossiers(staff=True, search=True),
        "admin-candidates-staff": lambda p: p.admin_candidates(staff=True),
        "admin-candidates-search-staff": lambda p: p.admin_candidates(staff=True, search=True),
        "dashboard": lambda p: p.dashboard(),
        "dashboard-staff": lambda p: p.dashboard(staff=True),
    }


SCENARIOS = _scenarios()
PAGE_NAMES = tuple(SCENARIOS)


def pick(names) -> tuple[list[Scenario], list[tuple[str, str]]]:
    """The scenarios called `names`, in that order, and (name, reason) for those skipped."""
    picker = Picker()
    scenarios, skipped = [], []
    for name in names:
        try:
            scenarios.append(SCENARIOS[name](picker))
        except Unavailable as reason:
            skipped.append((name, str(reason)))
    return scenarios, skipped
