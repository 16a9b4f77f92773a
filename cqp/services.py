"""Account writes shared by the apps."""

from django.contrib.auth import get_user_model
from django.db import transaction


def user_get_or_create_by_email(*, email: str, first_name: str = "", last_name: str = "", actor):
    """The account with this e-mail (case-insensitive), created without a password if missing.

    The person sets a password through “forgotten password” (invitations come later).
    """
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=email).first()
        if user is None:
            user = user_model.objects.create_user(
                email, first_name=first_name.strip(), last_name=last_name.strip()
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user
