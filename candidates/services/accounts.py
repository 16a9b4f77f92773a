"""Candidate accounts: registration, confirmation, invitation, profile."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from certifications.models import (
    Branch,
)
from certifications.permissions import is_branch_staff
from cqp.errors import ActionNotPermitted, DomainError
from cqp.models import OutgoingEmail

from .. import notifications
from ..models import Candidate, DossierEvent
from ..tokens import confirmation_tokens, invitation_tokens

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


def _token_path(url_name: str, user, generator) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(url_name, args=[uid, generator.make_token(user)])


def is_unconfirmed_candidate(user) -> bool:
    """A self-registered candidate who never confirmed their address (never logged in).

    An account deactivated on purpose has logged in before: its confirmation never reopens it.
    """
    return (
        not user.is_active
        and user.last_login is None
        and not user.is_staff
        and not user.is_superuser
        and Candidate.objects.filter(user=user).exists()
    )


def candidate_register(*, email: str, password: str, first_name: str, last_name: str) -> Candidate:
    """A self-registered candidate: the account stays inactive until the e-mail is confirmed."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        existing = user_model.objects.select_for_update().filter(email__iexact=email).first()
        if existing is not None:
            if is_unconfirmed_candidate(existing):
                if _confirmation_sent_lately(existing.email):
                    return existing.candidate  # a link just left: no mail flood, no change
                # Registering again before confirming: the new password replaces the old one
                # (which voids the links already sent) and a new link goes out. Confirming
                # asks for this password, so someone who registered an address that is not
                # theirs can neither confirm it (no access to the mailbox) nor use it later.
                existing.set_password(password)
                existing.first_name, existing.last_name = first_name, last_name
                existing.save(update_fields=["password", "first_name", "last_name"])
                candidate = existing.candidate
                candidate.first_name, candidate.last_name = first_name, last_name
                candidate.refresh_search_text()
                candidate.save(update_fields=["first_name", "last_name", "search_text"])
                notifications.account_confirmation(
                    existing,
                    _token_path("candidates:confirm_email", existing, confirmation_tokens),
                )
                return existing.candidate
            raise DomainError(_("An account already exists with this e-mail address."))
        user = user_model.objects.create_user(
            email, password, first_name=first_name, last_name=last_name, is_active=False
        )
        candidate = Candidate(user=user, first_name=first_name, last_name=last_name)
        candidate.refresh_search_text()
        candidate.save()
        notifications.account_confirmation(
            user, _token_path("candidates:confirm_email", user, confirmation_tokens)
        )
    return candidate


RESEND_DELAY = datetime.timedelta(minutes=2)


def _confirmation_sent_lately(email: str) -> bool:
    return OutgoingEmail.objects.filter(
        to=email, created_at__gte=timezone.now() - RESEND_DELAY
    ).exists()


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
        if user is not None and (
            not user.is_active
            or user.is_staff
            or user.is_superuser
            or Candidate.objects.filter(user=user).exists()
        ):
            # One message whatever the reason: staff of one branch must not learn who is a
            # candidate elsewhere, nor re-open or take over accounts that are not candidates'.
            raise DomainError(
                _(
                    "This address cannot be invited. The person can create their candidate "
                    "account themselves, or sign in if they already have one."
                )
            )
        if user is None:
            user = user_model.objects.create_user(email, first_name=first_name, last_name=last_name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        candidate = Candidate(user=user, first_name=first_name, last_name=last_name)
        candidate.refresh_search_text()
        candidate.save()
        notifications.account_invitation(
            user, _token_path("candidates:accept_invitation", user, invitation_tokens), branch
        )
    return candidate


IDENTITY_FIELDS = ("first_name", "last_name", "birth_date", "birth_place")


def candidate_update_profile(*, candidate: Candidate, actor, **fields) -> Candidate:
    """Change the candidate's identity, contact details or situation.

    The identity is what a certificate prints: once a dossier has been submitted, a change is
    written in the timeline of each dossier in progress, for staff to check it again.
    """
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
    changes = [
        (Candidate._meta.get_field(name).verbose_name, getattr(candidate, name), fields[name])
        for name in IDENTITY_FIELDS
        if name in fields and getattr(candidate, name) != fields[name]
    ]
    with transaction.atomic():
        for name, value in fields.items():
            setattr(candidate, name, value)
        candidate.refresh_search_text()
        candidate.save()
        if changes:
            comment = "; ".join(
                f"{label} : {_shown(old)} → {_shown(new)}" for label, old, new in changes
            )
            checked = candidate.dossiers.open().filter(submitted_at__isnull=False)
            DossierEvent.objects.bulk_create(
                DossierEvent(
                    dossier=dossier,
                    action="update_identity",
                    from_status=dossier.status,
                    to_status=dossier.status,
                    actor=actor,
                    comment=comment,
                )
                for dossier in checked
            )
    return candidate


def _shown(value) -> str:
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value or "—")
