"""Every write about a candidate: account, profile, dossiers and their steps, pieces, units."""

import datetime
import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from certifications.models import (
    Branch,
    CompetenceUnit,
    Cqp,
    EvaluatorAccreditation,
    ReferentielStatus,
    UnitEquivalence,
)
from certifications.permissions import is_branch_staff
from cqp.errors import ActionNotPermitted, DomainError
from cqp.lifecycle import apply_transition
from cqp.models import OutgoingEmail

from . import notifications
from .lifecycles import DOSSIER_LIFECYCLE
from .models import (
    AcquiredUnit,
    Candidate,
    CarriedOverUnit,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Pathway,
)
from .permissions import is_dossier_owner, is_dossier_staff
from .uploads import check_upload, display_name

S = DossierStatus
VAE_CERTIFICATIONS_PER_YEAR = 3  # R335-7: at most three different certifications a year
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "birth_place",
    "phone",
    "address",
    "postal_code",
    "city",
    "situation",
    "employer_name",
    "employer_siret",
)


# --- accounts ---------------------------------------------------------------------------------


def _token_path(url_name: str, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(url_name, args=[uid, default_token_generator.make_token(user)])


def candidate_register(*, email: str, password: str, first_name: str, last_name: str) -> Candidate:
    """A self-registered candidate: the account stays inactive until the e-mail is confirmed."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        existing = user_model.objects.filter(email__iexact=email).first()
        if existing is not None:
            unconfirmed = Candidate.objects.filter(user=existing, user__is_active=False).first()
            if unconfirmed is not None:
                # Registering again before confirming: send the link again (the first one
                # may be lost or expired), at most once every few minutes.
                _resend_confirmation(existing)
                return unconfirmed
            raise DomainError(_("An account already exists with this e-mail address."))
        user = user_model.objects.create_user(
            email, password, first_name=first_name, last_name=last_name, is_active=False
        )
        candidate = Candidate.objects.create(user=user, first_name=first_name, last_name=last_name)
        notifications.account_confirmation(user, _token_path("candidates:confirm_email", user))
    return candidate


CONFIRMATION_RESEND_DELAY = datetime.timedelta(minutes=10)


def _resend_confirmation(user) -> None:
    recent = OutgoingEmail.objects.filter(
        to=user.email, created_at__gte=timezone.now() - CONFIRMATION_RESEND_DELAY
    )
    if not recent.exists():
        notifications.account_confirmation(user, _token_path("candidates:confirm_email", user))


def candidate_confirm_email(*, user) -> None:
    """Activate the account whose confirmation link was opened (the view checks the token)."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])


def candidate_invite(
    *, email: str, first_name: str, last_name: str, branch: Branch, actor
) -> Candidate:
    """A candidate account opened by branch staff; the candidate chooses a password by e-mail."""
    if not is_branch_staff(actor, branch.pk):
        raise ActionNotPermitted(_("Only the branch's staff may invite candidates."))
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=email).first()
        if user is not None and Candidate.objects.filter(user=user).exists():
            raise DomainError(_("This person already has a candidate space."))
        if user is None:
            user = user_model.objects.create_user(email, first_name=first_name, last_name=last_name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        candidate = Candidate.objects.create(user=user, first_name=first_name, last_name=last_name)
        notifications.account_invitation(
            user, _token_path("candidates:accept_invitation", user), branch
        )
    return candidate


def candidate_update_profile(*, candidate: Candidate, actor, **fields) -> Candidate:
    """Change the candidate's identity, contact details or situation."""
    if actor.pk != candidate.user_id and not actor.is_superuser:
        raise ActionNotPermitted(_("Only the candidate may change their profile."))
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown profile fields: {sorted(unknown)}")
    if fields.get("birth_date") and fields["birth_date"] > timezone.localdate():
        raise DomainError(_("The birth date cannot be in the future."))
    situation = fields.get("situation", candidate.situation)
    if situation != Candidate.Situation.EMPLOYEE:
        fields.update(employer_name="", employer_siret="")  # kept only while employed
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.save()
    return candidate


# --- acquired units and carry-over ------------------------------------------------------------


def equivalent_units(units: Iterable[CompetenceUnit]) -> dict[int, int]:
    """Every unit reachable from `units` through declared equivalences: {unit id: held unit id}.

    Equivalences chain across versions (v1 → v2 → v3), so the walk follows them transitively.
    """
    reached = {unit.pk: unit.pk for unit in units}
    frontier = set(reached)
    while frontier:
        pairs = UnitEquivalence.objects.filter(from_unit__in=frontier).values_list(
            "from_unit_id", "to_unit_id"
        )
        frontier = set()
        for source, target in pairs:
            if target not in reached:
                reached[target] = reached[source]
                frontier.add(target)
    return reached


def units_held_for(candidate: Candidate, referentiel) -> dict[int, AcquiredUnit]:
    """The units of `referentiel` the candidate already holds: {unit id: acquired unit}."""
    acquired = {a.unit_id: a for a in candidate.acquired_units.select_related("unit")}
    if not acquired:
        return {}
    reachable = equivalent_units([a.unit for a in acquired.values()])
    unit_ids = set(referentiel.units.values_list("pk", flat=True))
    return {uid: acquired[held] for uid, held in reachable.items() if uid in unit_ids}


# --- dossiers ---------------------------------------------------------------------------------


def _require_owner(actor, dossier: Dossier) -> None:
    if not is_dossier_owner(actor, dossier):
        raise ActionNotPermitted(_("Only the candidate may do this on their dossier."))


def _require_staff(actor, dossier: Dossier) -> None:
    if actor is None or not is_dossier_staff(actor, dossier):
        raise ActionNotPermitted(_("Only the branch's staff may do this."))


def _require_evaluator(actor, dossier: Dossier) -> None:
    if actor is None or dossier.evaluator_id != actor.pk:
        raise ActionNotPermitted(_("Only the dossier's evaluator may do this."))


def _step(dossier: Dossier, action: str, *, actor, comment: str = "", guard=None, changes=None):
    """Apply one transition of the dossier's table and tell the candidate, in one transaction."""
    with transaction.atomic():
        moved = apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            action,
            actor=actor,
            comment=comment,
            guard=guard,
            changes=changes,
        )
        notifications.dossier_step(moved, action, comment)
    return moved


def dossier_open(*, candidate: Candidate, cqp: Cqp, funding: str, actor) -> Dossier:
    """Open a draft dossier on a CQP open to candidates, pinned to its published version.

    Units the candidate already holds (also through equivalences across versions) are carried
    over and will not be assessed again.
    """
    if actor.pk != candidate.user_id:
        raise ActionNotPermitted(_("A dossier is opened by the candidate."))
    with transaction.atomic():
        cqp = Cqp.objects.select_for_update().get(pk=cqp.pk)
        if not cqp.is_open_to_candidates():
            raise DomainError(_("This CQP is not open to candidates."))
        if Dossier.objects.open().filter(candidate=candidate, cqp=cqp).exists():
            raise DomainError(_("You already have a dossier in progress for this CQP."))
        referentiel = cqp.referentiels.get(status=ReferentielStatus.PUBLISHED)
        previous = (
            Dossier.objects.filter(candidate=candidate, cqp=cqp)
            .order_by("-created_at", "-id")
            .first()
        )
        try:
            with transaction.atomic():
                dossier = Dossier.objects.create(
                    candidate=candidate,
                    cqp=cqp,
                    referentiel=referentiel,
                    funding=funding,
                    previous=previous,
                    reference=uuid.uuid4().hex[:20],
                )
        except IntegrityError:  # a concurrent opening won the race
            raise DomainError(_("You already have a dossier in progress for this CQP.")) from None
        dossier.reference = f"{timezone.localdate():%Y}-{dossier.pk:06d}"
        dossier.save(update_fields=["reference"])
        held = units_held_for(candidate, referentiel)
        CarriedOverUnit.objects.bulk_create(
            [CarriedOverUnit(dossier=dossier, unit_id=uid, acquired=a) for uid, a in held.items()]
        )
        comment = ""
        if held:
            codes = ", ".join(
                sorted(referentiel.units.filter(pk__in=held).values_list("code", flat=True))
            )
            comment = _("Units already acquired, carried over: %s.") % codes
        DossierEvent.objects.create(
            dossier=dossier, action="open", to_status=dossier.status, actor=actor, comment=comment
        )
    return dossier


def _require_submittable(dossier: Dossier) -> None:
    candidate = dossier.candidate
    if not candidate.identity_is_complete:
        raise DomainError(
            _("Complete your identity (names, birth date and place) in your profile first.")
        )
    if not dossier.documents.filter(kind=DossierDocument.Kind.IDENTITY).exists():
        raise DomainError(_("Add an identity document before submitting."))


def dossier_submit(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The candidate sends the dossier to the branch (staff are told by e-mail)."""
    _require_owner(actor, dossier)
    with transaction.atomic():
        moved = _step(
            dossier,
            "submit",
            actor=actor,
            comment=comment,
            guard=_require_submittable,
            changes={"submitted_at": timezone.now()},
        )
        notifications.dossier_submitted_to_staff(moved, resubmitted=False)
    return moved


def dossier_resubmit(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """The candidate sends the dossier back once completed."""
    _require_owner(actor, dossier)
    with transaction.atomic():
        moved = _step(dossier, "resubmit", actor=actor, comment=comment, guard=_require_submittable)
        notifications.dossier_submitted_to_staff(moved, resubmitted=True)
    return moved


def dossier_withdraw(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_owner(actor, dossier)
    return _step(dossier, "withdraw", actor=actor, comment=comment)


def dossier_declare_complete(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    """Staff checked the pieces: the dossier may now be judged admissible."""
    _require_staff(actor, dossier)
    return _step(
        dossier,
        "declare_complete",
        actor=actor,
        comment=comment,
        changes={"completeness_checked_at": timezone.now()},
    )


def dossier_declare_incomplete(*, dossier: Dossier, actor, comment: str) -> Dossier:
    """Back to the candidate, with the missing items (required)."""
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("List the missing items for the candidate."))
    return _step(
        dossier,
        "declare_incomplete",
        actor=actor,
        comment=comment,
        changes={"completeness_checked_at": None},
    )


def _require_complete(dossier: Dossier) -> None:
    if dossier.completeness_checked_at is None:
        raise DomainError(_("Declare the dossier complete before judging its admissibility."))


def dossier_declare_admissible(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_staff(actor, dossier)
    return _step(
        dossier, "declare_admissible", actor=actor, comment=comment, guard=_require_complete
    )


def dossier_declare_inadmissible(*, dossier: Dossier, actor, comment: str) -> Dossier:
    """Refusal, with its reasons (required)."""
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reasons of the inadmissibility."))
    return _step(dossier, "declare_inadmissible", actor=actor, comment=comment)


def accreditation_valid_for(evaluator, cqp: Cqp, day: datetime.date | None = None) -> bool:
    """Whether `evaluator` holds, on `day`, an accreditation of the CQP's branch covering it."""
    day = day or timezone.localdate()
    accreditations = EvaluatorAccreditation.objects.valid_on(day).filter(
        user=evaluator, branch_id=cqp.branch_id
    )
    return any(not a.cqps.exists() or a.cqps.filter(pk=cqp.pk).exists() for a in accreditations)


def _evaluator_guard(evaluator):
    def guard(dossier: Dossier) -> None:
        if not evaluator.is_active:
            raise DomainError(_("This evaluator's account is deactivated."))
        if not accreditation_valid_for(evaluator, dossier.cqp):
            raise DomainError(
                _("%(evaluator)s holds no valid accreditation for this CQP.")
                % {"evaluator": evaluator}
            )
        if evaluator.pk == dossier.candidate.user_id:
            raise DomainError(_("A candidate cannot evaluate their own dossier."))

    return guard


def dossier_assign_evaluator(*, dossier: Dossier, evaluator, actor, comment: str = "") -> Dossier:
    """Staff assign an accredited evaluator; the positioning starts."""
    _require_staff(actor, dossier)
    with transaction.atomic():
        moved = _step(
            dossier,
            "assign_evaluator",
            actor=actor,
            comment=comment or _("Evaluator: %s.") % evaluator,
            guard=_evaluator_guard(evaluator),
            changes={"evaluator": evaluator},
        )
        notifications.evaluator_assigned(moved)
    return moved


def dossier_reassign_evaluator(*, dossier: Dossier, evaluator, actor, comment: str) -> Dossier:
    """Another evaluator (e.g. after a conflict of interest); the reason is required."""
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for the change of evaluator."))
    if evaluator.pk == dossier.evaluator_id:
        raise DomainError(_("This evaluator is already assigned."))
    with transaction.atomic():
        moved = _step(
            dossier,
            "reassign_evaluator",
            actor=actor,
            comment=comment,
            guard=_evaluator_guard(evaluator),
            changes={"evaluator": evaluator},
        )
        notifications.evaluator_assigned(moved)
    return moved


def dossier_archive(*, dossier: Dossier, actor, comment: str) -> Dossier:
    _require_staff(actor, dossier)
    if not (comment or "").strip():
        raise DomainError(_("Give the reason for archiving the dossier."))
    return _step(dossier, "archive", actor=actor, comment=comment)


# --- the evaluator's steps (their pages come with the evaluators issue) -------------------------


def vae_quota_problem(candidate: Candidate, cqp: Cqp, on: datetime.date, exclude=None) -> str:
    """Why R335-7 refuses a VAE eligibility request now, or ""."""
    requests = Dossier.objects.filter(
        candidate=candidate, pathway=Pathway.VAE, vae_requested_on__year=on.year
    )
    if exclude is not None:
        requests = requests.exclude(pk=exclude.pk)
    if requests.filter(cqp=cqp).exists():
        return _("Only one VAE eligibility request per CQP and calendar year is allowed (R335-7).")
    others = set(requests.values_list("cqp_id", flat=True))
    if len(others) >= VAE_CERTIFICATIONS_PER_YEAR:
        return _(
            "At most three VAE eligibility requests for different certifications per calendar "
            "year are allowed (R335-7)."
        )
    return ""


def dossier_choose_pathway(*, dossier: Dossier, pathway: str, actor, comment: str = "") -> Dossier:
    """The evaluator orients the candidate: VAE (within the R335-7 limits) or training."""
    _require_evaluator(actor, dossier)
    today = timezone.localdate()
    if pathway == Pathway.VAE:

        def guard(locked: Dossier) -> None:
            problem = vae_quota_problem(locked.candidate, locked.cqp, today, exclude=locked)
            if problem:
                raise DomainError(problem)

        return _step(
            dossier,
            "choose_vae",
            actor=actor,
            comment=comment,
            guard=guard,
            changes={"pathway": Pathway.VAE, "vae_requested_on": today},
        )
    if pathway == Pathway.TRAINING:
        return _step(
            dossier,
            "choose_training",
            actor=actor,
            comment=comment,
            changes={"pathway": Pathway.TRAINING},
        )
    raise DomainError(_("Unknown pathway."))


def dossier_start_evaluation(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    _require_evaluator(actor, dossier)
    return _step(dossier, "start_evaluation", actor=actor, comment=comment)


def dossier_declare_ready(*, dossier: Dossier, actor, comment: str = "", guard=None) -> Dossier:
    """The evaluator hands the dossier to the jury (`guard`: the assessments are complete)."""
    _require_evaluator(actor, dossier)
    return _step(dossier, "declare_ready", actor=actor, comment=comment, guard=guard)


# --- the jury's steps: called by the juries app, which checks its own rights -------------------


def dossier_put_on_agenda(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    return _step(dossier, "put_on_agenda", actor=actor, comment=comment)


def dossier_remove_from_agenda(*, dossier: Dossier, actor, comment: str = "") -> Dossier:
    return _step(dossier, "remove_from_agenda", actor=actor, comment=comment)


DECISION_ACTIONS = {
    S.CERTIFIED: "certify",
    S.PARTIALLY_VALIDATED: "validate_partially",
    S.NOT_VALIDATED: "not_validate",
}


def dossier_record_decision(
    *,
    dossier: Dossier,
    outcome: str,
    validated_units: Iterable[CompetenceUnit],
    decided_on: datetime.date,
    actor,
    comment: str = "",
) -> Dossier:
    """Record the jury's final decision: acquired units kept for good, identity piece erased.

    certified: every unit still to acquire is validated; partially validated: some are, and
    a motivation is required; not validated: none is, and a motivation is required.
    """
    if outcome not in DECISION_ACTIONS:
        raise DomainError(_("Unknown decision."))
    validated = {unit.pk: unit for unit in validated_units}
    carried = set(dossier.carried_over.values_list("unit_id", flat=True))
    to_acquire = set(dossier.referentiel.units.values_list("pk", flat=True)) - carried
    required = (
        set(dossier.referentiel.units.filter(is_optional=False).values_list("pk", flat=True))
        - carried
    )
    if set(validated) - to_acquire:
        raise DomainError(
            _("Only units of the dossier's version still to acquire can be validated.")
        )
    if outcome == S.CERTIFIED and not required <= set(validated):
        raise DomainError(_("Certification needs every required unit to be validated."))
    if outcome == S.PARTIALLY_VALIDATED and (not validated or required <= set(validated)):
        raise DomainError(_("A partial validation validates some units, not all."))
    if outcome == S.NOT_VALIDATED and validated:
        raise DomainError(_("A refusal validates no unit."))
    if outcome != S.CERTIFIED and not (comment or "").strip():
        raise DomainError(_("A partial validation or a refusal must be reasoned."))
    with transaction.atomic():
        moved = _step(dossier, DECISION_ACTIONS[outcome], actor=actor, comment=comment)
        AcquiredUnit.objects.bulk_create(
            [
                AcquiredUnit(
                    candidate=moved.candidate, unit=unit, dossier=moved, acquired_on=decided_on
                )
                for unit in validated.values()
            ],
            ignore_conflicts=True,  # a unit already held stays held from its first decision
        )
        _erase_identity_pieces(moved)
    return moved


def _erase_identity_pieces(dossier: Dossier) -> None:
    """Data minimisation: the identity piece is no longer needed once the decision is final."""
    pieces = list(dossier.documents.filter(kind=DossierDocument.Kind.IDENTITY))
    if not pieces:
        return
    apply_transition(
        DOSSIER_LIFECYCLE,
        dossier,
        "erase_identity",
        actor=None,
        comment=_("Identity piece deleted once the decision was final (data minimisation)."),
    )
    for piece in pieces:
        name, storage = piece.file.name, piece.file.storage
        piece.delete()
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))


# --- pieces -----------------------------------------------------------------------------------


def document_upload(*, dossier: Dossier, kind: str, upload, actor) -> DossierDocument:
    """Add a piece (PDF, PNG or JPEG, checked on its content) while the dossier allows it."""
    _require_owner(actor, dossier)
    if kind not in DossierDocument.Kind.values:
        raise DomainError(_("Unknown kind of piece."))
    content_type, extension = check_upload(upload)
    _require_piece_kind_allowed(dossier, kind)
    with transaction.atomic():
        document = DossierDocument(
            dossier=dossier,
            kind=kind,
            original_name=display_name(upload.name, extension),
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "add_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {document.original_name}",
        )
        _store(document, upload, extension)
    return document


def document_replace(*, document: DossierDocument, upload, actor) -> DossierDocument:
    """Replace a piece's file (same kind); the old file is deleted."""
    dossier = document.dossier
    _require_owner(actor, dossier)
    content_type, extension = check_upload(upload)
    _require_piece_kind_allowed(dossier, document.kind)
    old_name = document.file.name
    with transaction.atomic():
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "replace_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {display_name(upload.name, extension)}",
        )
        document.original_name = display_name(upload.name, extension)
        document.content_type, document.size = content_type, upload.size
        document.uploaded_by, document.uploaded_at = actor, timezone.now()
        _store(document, upload, extension)
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return document


def document_delete(*, document: DossierDocument, actor) -> None:
    dossier = document.dossier
    _require_owner(actor, dossier)
    _require_piece_kind_allowed(dossier, document.kind)
    name, storage = document.file.name, document.file.storage
    with transaction.atomic():
        apply_transition(
            DOSSIER_LIFECYCLE,
            dossier,
            "delete_piece",
            actor=actor,
            comment=f"{document.get_kind_display()} — {document.original_name}",
        )
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))


def _require_piece_kind_allowed(dossier: Dossier, kind: str) -> None:
    dossier.refresh_from_db(fields=["status"])
    if dossier.status == S.VAE and kind != DossierDocument.Kind.VAE_BOOKLET:
        raise DomainError(_("During the VAE pathway, only the VAE booklet can be added."))


def _store(document: DossierDocument, upload, extension: str) -> None:
    """Write the file then the row, last in the transaction; no file is left if the row fails."""
    document.file.save(f"piece{extension}", upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
