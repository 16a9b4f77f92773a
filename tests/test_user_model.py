"""The user model: e-mail login, case-insensitive and unique whatever the case."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cqp.models import User

PASSWORD = "correct-horse-battery"


def test_create_user_lowercases_the_whole_address(db):
    user = User.objects.create_user("Jane.Doe@Example.ORG", PASSWORD)

    user.refresh_from_db()
    assert user.email == "jane.doe@example.org"
    assert user.check_password(PASSWORD)
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_create_user_requires_an_address(db):
    with pytest.raises(ValueError):
        User.objects.create_user("", PASSWORD)

    assert not User.objects.exists()


def test_create_user_without_a_password_cannot_log_in(db):
    user = User.objects.create_user("nopass@example.org")

    assert not user.has_usable_password()


def test_create_superuser_sets_the_flags(db):
    admin = User.objects.create_superuser("Admin@Example.org", PASSWORD)

    admin.refresh_from_db()
    assert admin.email == "admin@example.org"
    assert (admin.is_staff, admin.is_superuser, admin.is_active) == (True, True, True)


def test_create_user_refuses_an_address_taken_in_another_case(db):
    User.objects.create_user("a@x.org", PASSWORD)

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("A@X.org", PASSWORD)

    assert User.objects.count() == 1


@pytest.mark.parametrize(("first", "second"), [("A@x.org", "a@x.org"), ("a@x.org", "A@x.org")])
def test_the_database_refuses_the_same_address_in_another_case(db, first, second):
    # Plain model saves bypass the manager's lowercasing: the constraint still holds.
    User(email=first).save()

    with pytest.raises(IntegrityError), transaction.atomic():
        User(email=second).save()

    assert User.objects.count() == 1


def test_validation_refuses_the_same_address_in_another_case(db):
    User.objects.create_user("a@x.org", PASSWORD)

    with pytest.raises(ValidationError):
        User(email="A@x.org").full_clean(exclude=["password"])


def test_clean_lowercases_the_address(db):
    user = User(email="Mixed@Case.Org")

    user.clean()

    assert user.email == "mixed@case.org"


def test_it_logs_in_with_the_address_in_another_case(db, client):
    user = User.objects.create_user("jane@example.org", PASSWORD)

    response = client.post(reverse("login"), {"username": "Jane@EXAMPLE.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_authentication_is_case_insensitive_but_checks_the_password(db, rf):
    user = User.objects.create_user("jane@example.org", PASSWORD)
    # A login comes with its request (django-axes counts the failures per client).
    request = rf.post("/accounts/login/")

    assert authenticate(request, username="JANE@example.org", password=PASSWORD) == user
    assert authenticate(request, username="JANE@example.org", password="wrong-password") is None
    assert authenticate(request, username="john@example.org", password=PASSWORD) is None


def test_names_fall_back_to_the_address(db):
    named = User.objects.create_user("claire@example.org", first_name="Claire", last_name="Martin")
    anonymous = User.objects.create_user("x@example.org")

    assert str(named) == "Claire Martin"
    assert named.get_short_name() == "Claire"
    assert str(anonymous) == "x@example.org"
    assert anonymous.get_short_name() == "x@example.org"
