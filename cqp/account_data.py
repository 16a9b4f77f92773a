"""The account's part of a person's data: identity, logins, who read their documents."""

from axes.models import AccessAttempt, AccessLog

from .models import AuditAction, AuditEntry, OutgoingEmail
from .personal_data import Contributor, ExportPart

LOGINS_EXPORTED = 200


def export_account(user) -> ExportPart:
    logins = AccessLog.objects.filter(username__iexact=user.email).order_by("-attempt_time")
    reads = (
        AuditEntry.objects.filter(subject=user, action=AuditAction.DOWNLOAD)
        .exclude(actor=user)
        .select_related("actor")
    )
    return ExportPart(
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
            "logins": [
                {
                    "at": log.attempt_time,
                    "logout_at": log.logout_time,
                    "client": log.ip_address,
                    "browser": log.user_agent,
                }
                for log in logins[:LOGINS_EXPORTED]
            ],
            "documents_read_by_others": [
                {
                    "at": entry.at,
                    "by": str(entry.actor) if entry.actor else "",
                    "document": entry.summary,
                }
                for entry in reads
            ],
        }
    )


def anonymise_account(user, actor) -> None:
    """No way back in, no address, no name; their messages and login traces go."""
    address = user.email.lower()
    sent_to_them = [
        email.pk
        for email in OutgoingEmail.objects.filter(to__icontains=address).only("to")
        if address in (recipient.lower() for recipient in email.recipients)
    ]
    OutgoingEmail.objects.filter(pk__in=sent_to_them).delete()
    AccessLog.objects.filter(username__iexact=address).delete()
    AccessAttempt.objects.filter(username__iexact=address).delete()
    # Open sessions die with the account: the model backend loads no inactive user.
    user.email = f"anonymised-{user.pk}@invalid"
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])


ACCOUNT = Contributor(key="account", export=export_account, anonymise=anonymise_account, order=0)
