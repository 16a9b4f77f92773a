"""Reads of the catalogue for the public and members' pages (each with a bounded query count)."""

from django.db.models import Prefetch, Q, QuerySet

from cqp.validators import search_key

from .lifecycles import OPEN_PROJECT
from .models import (
    Branch,
    CompetenceUnit,
    CpnefDecision,
    Cqp,
    EvaluatorAccreditation,
    Referentiel,
    ReferentielStatus,
)
from .permissions import cpnef_branch_ids

RECENT_DECISIONS = 20


def catalogue_cqps(*, q: str = "", branch_slug: str = "") -> QuerySet[Cqp]:
    """CQPs open to candidates, optionally searched (code, title, number) and by branch."""
    cqps = Cqp.objects.open_to_candidates().select_related("branch")
    # Every word must match, accents and case aside ("veterinaire" finds "Vétérinaire").
    for word in search_key(q).split():
        cqps = cqps.filter(
            Q(search_text__contains=word)
            | Q(title__icontains=word)
            | Q(code__icontains=word)
            | Q(registry_number__icontains=word)
        )
    if branch_slug:
        cqps = cqps.filter(branch__slug=branch_slug)
    return cqps


def catalogue_branches() -> QuerySet[Branch]:
    """Branches with at least one CQP open to candidates, for the catalogue's filter."""
    return Branch.objects.filter(cqps__in=Cqp.objects.open_to_candidates()).distinct()


def get_open_cqp(pk: int) -> Cqp:
    """A CQP open to candidates, with its branch; raises Cqp.DoesNotExist otherwise."""
    return Cqp.objects.open_to_candidates().select_related("branch").get(pk=pk)


def published_referentiel(cqp: Cqp) -> Referentiel | None:
    """The CQP's published version with its units, competences and criteria prefetched."""
    units = CompetenceUnit.objects.order_by("order", "id").prefetch_related(
        "competences", "criteria"
    )
    return (
        Referentiel.objects.filter(cqp=cqp, status=ReferentielStatus.PUBLISHED)
        .prefetch_related(Prefetch("units", queryset=units))
        .first()
    )


def _cpnef_scope(user) -> Q:
    """The branches whose projects `user` may follow: their CPNEFs', or all for superusers."""
    if user.is_superuser:
        return Q()
    return Q(branch_id__in=cpnef_branch_ids(user))


def cpnef_pending_projects(user) -> QuerySet[Cqp]:
    """Projects awaiting a CPNEF decision in the user's CPNEF branches, oldest first."""
    return (
        Cqp.objects.filter(_cpnef_scope(user), status__in=OPEN_PROJECT)
        .select_related("branch")
        .order_by("status_changed_at", "id")
    )


def cpnef_recent_decisions(user, limit: int = RECENT_DECISIONS) -> QuerySet[CpnefDecision]:
    """The latest CPNEF decisions of the user's CPNEF branches, newest first."""
    scope = Q() if user.is_superuser else Q(cqp__branch_id__in=cpnef_branch_ids(user))
    return CpnefDecision.objects.filter(scope).select_related("cqp__branch", "decided_by")[:limit]


def accreditations_of(user) -> QuerySet[EvaluatorAccreditation]:
    """The user's evaluator accreditations, with their branch and CQPs."""
    return (
        EvaluatorAccreditation.objects.filter(user=user)
        .select_related("branch")
        .prefetch_related(Prefetch("cqps", queryset=Cqp.objects.order_by("code", "title")))
        .order_by("branch__name", "-valid_from")
    )
