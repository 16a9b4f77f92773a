"""Candidate accounts: self-registration, e-mail confirmation, invitation, login, reset."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext

from candidates import services
from candidates.models import Candidate
from cqp.errors import ActionNotPermitted
from cqp.models import OutgoingEmail
from tests import factories

User = get_user_model()
PASSWORD = "Un-mot-de-passe-solide-42"
REGISTER = "/candidat/register/"
DONE = "/candidat/register/sent/"
SPACE = "/candidat/"


def registration(**changes):
    data = {
        "first_name": "Camille",
        "last_name": "Durand",
        "email": "camille.durand@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
    }
    data.update(changes)
    return data


GENERIC_REFUSAL = (
    "This address cannot be invited. The person can create their candidate "
    "account themselves, or sign in if they already have one."
)


def link_in(message, prefix):
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def register(client, capture, **changes):
    with capture(execute=True):
        return client.post(REGISTER, registration(**changes))


def is_logged_in(client, user):
    return client.session.get("_auth_user_id") == str(user.pk)


def logs_in(client, email, password) -> bool:
    """Log in through the login page (as a person does; django-axes needs the request)."""
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture
def registered(client, db, django_capture_on_commit_callbacks):
    """A visitor who registered: their inactive account and the confirmation path."""
    register(client, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    user = User.objects.get(email="camille.durand@example.org")
    return user, link_in(mail.outbox[0], "/candidat/confirm/")


# --- registration -----------------------------------------------------------------------------


def test_the_register_page_shows_the_form_with_the_consent_box(client, db):
    response = client.get(REGISTER)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="consent"' in html and 'type="password"' in html and 'name="email"' in html


def test_registering_creates_an_inactive_candidate_and_mails_one_confirmation_link(
    client, db, django_capture_on_commit_callbacks
):
    response = register(client, django_capture_on_commit_callbacks, email="Camille@Example.org")

    assert response.status_code == 302 and response.url == DONE
    user = User.objects.get()
    assert user.email == "camille@example.org" and not user.is_active
    assert user.check_password(PASSWORD)
    candidate = Candidate.objects.get(user=user)
    assert (candidate.first_name, candidate.last_name) == ("Camille", "Durand")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["camille@example.org"]
    path = link_in(mail.outbox[0], "/candidat/confirm/")
    assert path.startswith("/candidat/confirm/")
    assert client.get(DONE).status_code == 200


def test_an_unconfirmed_candidate_cannot_log_in(client, registered):
    response = client.post(
        "/accounts/login/", {"username": "camille.durand@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_opening_the_confirmation_link_changes_nothing_until_the_button_is_pressed(
    client, registered
):
    user, path = registered
    response = client.get(path)

    assert response.status_code == 200
    assert "<form" in response.content.decode() and 'method="post"' in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active and not is_logged_in(client, user)


def test_confirming_activates_the_account_and_logs_the_candidate_in(client, registered):
    user, path = registered
    response = client.post(path, {"password": PASSWORD})

    assert response.status_code == 302 and response.url == SPACE
    user.refresh_from_db()
    assert user.is_active and is_logged_in(client, user)


def test_a_used_confirmation_link_no_longer_works(client, registered):
    user, path = registered
    client.post(path, {"password": PASSWORD})
    client.logout()

    assert client.get(path).status_code == 400
    response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 400 and not is_logged_in(client, user)


def test_a_tampered_confirmation_link_is_refused_and_the_account_stays_inactive(client, registered):
    user, path = registered
    uid, token = path.strip("/").split("/")[-2:]
    tampered = f"/candidat/confirm/{uid}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"
    wrong_user = f"/candidat/confirm/MTIzNDU2/{token}/"

    for bad in (tampered, wrong_user, "/candidat/confirm/%%%/abc-def/"):
        assert client.post(bad, {"password": PASSWORD}).status_code == 400
    user.refresh_from_db()
    assert not user.is_active and not is_logged_in(client, user)


def test_the_confirmation_link_cannot_log_into_an_active_account(client, candidate):
    # A password-reset token must not work here (the generators are salted apart).
    uid = urlsafe_base64_encode(force_bytes(candidate.user.pk))
    token = default_token_generator.make_token(candidate.user)
    response = client.post(f"/candidat/confirm/{uid}/{token}/", {"password": "x"})
    assert response.status_code == 400 and not is_logged_in(client, candidate.user)


def test_registering_an_address_already_used_reveals_nothing_and_sends_nothing(
    client, registered, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    emails_before = OutgoingEmail.objects.count()
    response = register(
        client, django_capture_on_commit_callbacks, email="CAMILLE.Durand@example.org"
    )

    assert response.status_code == 302 and response.url == DONE
    assert User.objects.count() == 1 and Candidate.objects.count() == 1
    assert mail.outbox == [] and OutgoingEmail.objects.count() == emails_before


def test_registering_the_address_of_an_existing_staff_account_changes_nothing(
    client, staff, django_capture_on_commit_callbacks
):
    response = register(client, django_capture_on_commit_callbacks, email=staff.email.upper())

    assert response.url == DONE
    assert not Candidate.objects.exists() and mail.outbox == []
    staff.refresh_from_db()
    assert staff.is_active and not staff.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"password1": "camilledurand", "password2": "camilledurand"}, "password1"),
        ({"password2": PASSWORD + "x"}, "password2"),
        ({"consent": ""}, "consent"),
        ({"email": "not-an-address"}, "email"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_it_rejects_bad_input_and_writes_nothing(
    client, db, django_capture_on_commit_callbacks, changes, field
):
    response = register(client, django_capture_on_commit_callbacks, **changes)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists() and not Candidate.objects.exists()
    assert mail.outbox == [] and not OutgoingEmail.objects.exists()


def test_a_logged_in_user_is_sent_home_from_the_register_page(client, candidate):
    client.force_login(candidate.user)
    response = client.get(REGISTER)
    assert response.status_code == 302 and response.url == "/"


# --- invitation -------------------------------------------------------------------------------


def invite(staff, branch, capture, email="Invitee@Example.org"):
    with capture(execute=True):
        return services.candidate_invite(
            email=email, first_name="Inès", last_name="Martin", branch=branch, actor=staff
        )


def test_an_invited_candidate_sets_a_password_then_logs_in_with_it(
    client, staff, branch, django_capture_on_commit_callbacks
):
    candidate = invite(staff, branch, django_capture_on_commit_callbacks)
    assert not candidate.user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["invitee@example.org"]
    path = link_in(mail.outbox[0], "/candidat/invitation/")

    # Like Django's reset view: the token moves to the session, the URL loses it.
    form_url = client.get(path).url
    assert client.get(form_url).context["validlink"]
    response = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 302 and response.url == SPACE
    assert is_logged_in(client, candidate.user)
    client.logout()
    client.post("/accounts/login/", {"username": "INVITEE@example.org", "password": PASSWORD})
    assert is_logged_in(client, candidate.user)


def test_an_invitation_link_no_longer_works_once_used(
    client, staff, branch, django_capture_on_commit_callbacks
):
    candidate = invite(staff, branch, django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[0], "/candidat/invitation/")
    form_url = client.get(path).url
    client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()

    response = client.get(path, follow=True)
    assert response.context["validlink"] is False
    response = client.post(
        path, {"new_password1": "Autre-mot-de-passe-99", "new_password2": "Autre-mot-de-passe-99"}
    )
    candidate.user.refresh_from_db()
    assert candidate.user.check_password(PASSWORD) and not is_logged_in(client, candidate.user)


def test_an_invitation_with_a_weak_password_is_refused(
    client, staff, branch, django_capture_on_commit_callbacks
):
    candidate = invite(staff, branch, django_capture_on_commit_callbacks)
    form_url = client.get(link_in(mail.outbox[0], "/candidat/invitation/")).url
    response = client.post(form_url, {"new_password1": "123", "new_password2": "123"})

    assert response.status_code == 200 and response.context["form"].errors
    candidate.user.refresh_from_db()
    assert not candidate.user.has_usable_password()


def test_a_staff_member_of_another_branch_cannot_invite(
    other_staff, branch, django_capture_on_commit_callbacks
):
    with pytest.raises(ActionNotPermitted):
        invite(other_staff, branch, django_capture_on_commit_callbacks)
    assert not User.objects.filter(email="invitee@example.org").exists()
    assert mail.outbox == []


# --- login and password reset -----------------------------------------------------------------


def test_a_confirmed_candidate_logs_in_whatever_the_case_of_the_address(client, registered):
    user, path = registered
    client.post(path, {"password": PASSWORD})
    client.logout()

    response = client.post(
        "/accounts/login/", {"username": "Camille.DURAND@Example.ORG", "password": PASSWORD}
    )
    assert response.status_code == 302 and is_logged_in(client, user)


def test_a_candidate_can_reset_their_password(
    client, candidate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": candidate.user.email.upper()})
    assert len(mail.outbox) == 1
    path = link_in(mail.outbox[0], "/accounts/reset/")
    form_url = client.get(path).url
    new = "Nouveau-mot-de-passe-77"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})

    assert response.status_code == 302
    assert logs_in(client, candidate.user.email, new)


def test_the_login_and_home_pages_link_to_registration(client, db):
    assert f'href="{REGISTER}"' in client.get("/accounts/login/").content.decode()
    assert f'href="{REGISTER}"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_registering_again_before_confirming_replaces_the_password_and_sends_a_new_link(
    client, django_capture_on_commit_callbacks
):
    def register(email, password):
        with django_capture_on_commit_callbacks(execute=True):
            return services.candidate_register(
                email=email, password=password, first_name="Léa", last_name="Tessier"
            )

    first = register("late@example.org", "un-mot-de-passe-solide")
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(hours=1))
    again = register("LATE@example.org", "autre-mot-de-passe-solide")
    register("late@example.org", "troisieme-mot-de-passe")  # within two minutes: ignored

    assert again.pk == first.pk and not again.user.is_active
    assert OutgoingEmail.objects.count() == 2
    again.user.refresh_from_db()
    assert again.user.check_password("autre-mot-de-passe-solide")
    old_link, new_link = (link_in(m, "/candidat/confirm/") for m in mail.outbox)
    assert client.get(old_link).status_code == 400  # the password changed: the old link died
    assert client.get(new_link).status_code == 200


@pytest.mark.django_db
def test_registering_someone_elses_address_first_does_not_hand_over_their_account(
    client, django_capture_on_commit_callbacks
):
    victim = "victim@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        services.candidate_register(
            email=victim, password="Attacker-pass-123", first_name="A", last_name="B"
        )
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.candidate_register(
            email=victim, password="Victim-pass-456", first_name="V", last_name="W"
        )
    link = link_in(mail.outbox[-1], "/candidat/confirm/")

    # Confirming needs the password of the last registration: the attacker's fails...
    assert client.post(link, {"password": "Attacker-pass-123"}).status_code == 400
    # ...the victim's opens the account, and only the victim's password logs in.
    assert client.post(link, {"password": "Victim-pass-456"}).status_code == 302
    client.logout()
    assert not logs_in(client, victim, "Attacker-pass-123")
    assert logs_in(client, victim, "Victim-pass-456")


@pytest.mark.django_db
def test_a_deactivated_candidate_cannot_reopen_their_account_by_registering_again(
    client, candidate, django_capture_on_commit_callbacks
):
    user = candidate.user
    user.last_login = timezone.now()
    user.is_active = False
    user.save()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.DomainError):
        services.candidate_register(
            email=user.email, password="Nouveau-pass-789", first_name="X", last_name="Y"
        )
    user.refresh_from_db()
    assert not user.is_active and not user.check_password("Nouveau-pass-789")
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["inactive", "staff", "candidate"])
def test_staff_cannot_invite_an_address_that_is_not_a_new_candidates(
    kind, staff, branch, candidate, other_staff, django_capture_on_commit_callbacks
):
    target = {
        "inactive": factories.UserFactory(email="gone@example.org", is_active=False),
        "staff": other_staff,
        "candidate": candidate.user,
    }[kind]
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.DomainError) as error,
    ):
        services.candidate_invite(
            email=target.email, first_name="A", last_name="B", branch=branch, actor=staff
        )
    # One message whatever the reason: nothing is revealed about the address.
    assert str(error.value) == gettext(GENERIC_REFUSAL)
    target.refresh_from_db()
    assert target.is_active == (kind != "inactive")
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_invitation_link_does_not_work_as_a_confirmation_link(
    client, staff, branch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.candidate_invite(
            email="new@example.org", first_name="N", last_name="C", branch=branch, actor=staff
        )
    invitation = link_in(mail.outbox[0], "/candidat/invitation/")
    as_confirmation = invitation.replace("/invitation/", "/confirm/")
    assert client.get(as_confirmation).status_code == 400
