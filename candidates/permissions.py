"""Who may see and act on a dossier; one helper per object."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from certifications.permissions import member_branch_ids, staff_branch_ids

from .models import Candidate, Dossier, DossierDocument


def candidate_of(user) -> Candidate | None:
    """The user's candidate profile, if any (cached on the user object)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_cqp_candidate"):
        user._cqp_candidate = Candidate.objects.filter(user=user).first()
    return user._cqp_candidate


def is_dossier_owner(user, dossier: Dossier) -> bool:
    candidate = candidate_of(user)
    return candidate is not None and dossier.candidate_id == candidate.pk


def is_dossier_staff(user, dossier: Dossier) -> bool:
    return bool(user.is_superuser) or dossier.cqp.branch_id in staff_branch_ids(user)


def is_dossier_member(user, dossier: Dossier) -> bool:
    """Branch staff, CPNEF member of the dossier's branch, or superuser: reads everything."""
    return bool(user.is_superuser) or dossier.cqp.branch_id in member_branch_ids(user)


def get_dossier_for_user(user, pk: int, write: bool = False) -> Dossier:
    """The dossier if the user may see it (write: act on it as its candidate), else 404/403.

    Seen by its candidate, its branch's staff and CPNEF members, its assigned evaluator and
    superusers; anyone else gets a 404 (a dossier's existence is not disclosed).
    """
    try:
        dossier = Dossier.objects.select_related(
            "candidate__user", "cqp__branch", "referentiel", "evaluator", "training_provider"
        ).get(pk=pk)
    except Dossier.DoesNotExist:
        raise Http404 from None
    if user.is_authenticated and dossier.candidate.user_id == user.pk:
        user._cqp_candidate = dossier.candidate  # its owner's profile: no second read
    owner = is_dossier_owner(user, dossier)
    if write:
        if owner:
            return dossier
        if user.is_superuser or dossier.cqp.branch_id in member_branch_ids(user):
            raise PermissionDenied
        raise Http404
    if (
        owner
        or user.is_superuser
        or dossier.cqp.branch_id in member_branch_ids(user)
        or (dossier.evaluator_id is not None and dossier.evaluator_id == user.pk)
    ):
        return dossier
    raise Http404


def get_dossier_for_evaluator(user, pk: int) -> Dossier:
    """A dossier assigned to `user` as its evaluator now, else 404 (also once reassigned)."""
    if not user.is_authenticated:
        raise Http404
    try:
        return Dossier.objects.select_related(
            "candidate__user",
            "cqp__branch",
            "referentiel",
            "training_provider",
        ).get(pk=pk, evaluator=user)
    except Dossier.DoesNotExist:
        raise Http404 from None


def get_document_for_user(user, dossier_pk: int, pk: int, write: bool = False) -> DossierDocument:
    """A piece of a dossier the user may see (write: change it as its candidate)."""
    dossier = get_dossier_for_user(user, dossier_pk, write=write)
    try:
        return dossier.documents.get(pk=pk)
    except DossierDocument.DoesNotExist:
        raise Http404 from None
