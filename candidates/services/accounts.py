"""Candidate accounts: registration, confirmation, invitation, profile."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
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
from ..models import (
    Candidate,
)

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
