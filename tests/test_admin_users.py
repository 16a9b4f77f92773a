"""Accounts and branch memberships in the admin: the platform administrators' business."""

import pytest
from django.urls import reverse

from certifications.models import BranchMembership
from cqp.models import User
from tests import factories

STAFF = BranchMembership.BranchRole.STAFF
CPNEF = BranchMembership.BranchRole.CPNEF
USER_PAGES = ["admin:cqp_user_changelist", "admin:cqp_user_add"]
MEMBERSHIP_ADD = "admin:certifications_branchmembership_add"


def membership_delete_url(membership):
    return reverse("admin:certifications_branchmembership_delete", args=[membership.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef", "other_staff"])
def test_branch_members_are_refused_the_user_admin(client, request, role, plain_user):
    client.force_login(request.getfixturevalue(role))

    for name in USER_PAGES:
        assert client.get(reverse(name)).status_code == 403
    change = reverse("admin:cqp_user_change", args=[plain_user.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"email": "pirate@example.org"}).status_code == 403
    plain_user.refresh_from_db()
    assert plain_user.email == "someone@example.org"


@pytest.mark.django_db
def test_users_without_admin_access_are_sent_to_the_login(client, plain_user):
    client.force_login(plain_user)

    response = client.get(reverse("admin:cqp_user_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_superusers_manage_accounts(client, superuser, staff, plain_user):
    client.force_login(superuser)

    listing = client.get(reverse("admin:cqp_user_changelist"))
    page = client.get(reverse("admin:cqp_user_change", args=[staff.pk]))

    assert listing.status_code == 200
    assert {staff, plain_user, superuser} <= set(listing.context["cl"].result_list)
    assert page.status_code == 200
    assert 'name="_save"' in page.content.decode()


@pytest.mark.django_db
def test_a_superuser_creates_an_account_by_e_mail(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:cqp_user_add"),
        {
            "email": "Nouvelle.Personne@Example.org",
            "password1": "un-mot-de-passe-solide-42",
            "password2": "un-mot-de-passe-solide-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.personne@example.org")
    assert user.check_password("un-mot-de-passe-solide-42")
    assert (user.is_staff, user.is_superuser) == (False, False)


# --- branch memberships --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_grants_a_branch_role_and_the_user_reaches_the_admin(
    client, superuser, plain_user, branch, cqp
):
    assert not plain_user.is_staff
    client.force_login(superuser)

    response = client.post(
        reverse(MEMBERSHIP_ADD), {"user": plain_user.pk, "branch": branch.pk, "role": STAFF}
    )

    assert response.status_code == 302
    assert BranchMembership.objects.filter(user=plain_user, branch=branch, role=STAFF).exists()
    plain_user.refresh_from_db()
    assert plain_user.is_staff
    client.force_login(plain_user)
    listing = client.get(reverse("admin:certifications_cqp_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [cqp]


@pytest.mark.django_db
def test_granting_the_same_role_twice_is_a_form_error(client, superuser, staff, branch):
    client.force_login(superuser)

    response = client.post(
        reverse(MEMBERSHIP_ADD), {"user": staff.pk, "branch": branch.pk, "role": STAFF}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert BranchMembership.objects.filter(user=staff).count() == 1


@pytest.mark.django_db
def test_deleting_the_last_membership_removes_admin_access(client, superuser, staff, cqp):
    membership = BranchMembership.objects.get(user=staff)
    client.force_login(superuser)

    response = client.post(membership_delete_url(membership), {"post": "yes"})

    assert response.status_code == 302
    assert not BranchMembership.objects.filter(user=staff).exists()
    staff.refresh_from_db()
    assert not staff.is_staff
    client.force_login(staff)
    admin_index = client.get(reverse("admin:index"))
    assert admin_index.status_code == 302
    assert admin_index.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_deleting_one_of_two_memberships_keeps_admin_access(client, superuser, staff, branch):
    cpnef_role = BranchMembership.objects.create(user=staff, branch=branch, role=CPNEF)
    client.force_login(superuser)

    client.post(membership_delete_url(cpnef_role), {"post": "yes"})

    staff.refresh_from_db()
    assert staff.is_staff
    assert list(BranchMembership.objects.filter(user=staff).values_list("role", flat=True)) == [
        STAFF
    ]


@pytest.mark.django_db
def test_deleting_memberships_in_bulk_removes_admin_access(client, superuser, staff, cpnef):
    client.force_login(superuser)
    memberships = BranchMembership.objects.filter(user__in=[staff, cpnef])

    response = client.post(
        reverse("admin:certifications_branchmembership_changelist"),
        {
            "action": "delete_selected",
            "post": "yes",
            "index": "0",
            "_selected_action": [str(m.pk) for m in memberships],
        },
    )

    assert response.status_code == 302
    assert not BranchMembership.objects.exists()
    for user in (staff, cpnef):
        user.refresh_from_db()
        assert not user.is_staff


@pytest.mark.django_db
def test_a_membership_is_revoked_and_granted_again_never_edited(client, superuser, staff, branch):
    membership = BranchMembership.objects.get(user=staff)
    url = reverse("admin:certifications_branchmembership_change", args=[membership.pk])
    client.force_login(superuser)

    page = client.get(url)
    posted = client.post(url, {"user": staff.pk, "branch": branch.pk, "role": CPNEF})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    membership.refresh_from_db()
    assert membership.role == STAFF


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_branch_members_may_not_grant_or_revoke_roles(client, request, role, branch, plain_user):
    user = request.getfixturevalue(role)
    membership = BranchMembership.objects.get(user=user)
    client.force_login(user)

    granted = client.post(
        reverse(MEMBERSHIP_ADD), {"user": plain_user.pk, "branch": branch.pk, "role": STAFF}
    )
    revoked = client.post(membership_delete_url(membership), {"post": "yes"})

    assert (granted.status_code, revoked.status_code) == (403, 403)
    assert not plain_user.branch_memberships.exists()
    assert BranchMembership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_the_user_field_of_a_membership_searches_accounts_for_superusers_only(
    client, superuser, staff
):
    factories.UserFactory(email="claire.martin@example.org")
    params = {
        "app_label": "certifications",
        "model_name": "branchmembership",
        "field_name": "user",
        "term": "claire",
    }

    client.force_login(superuser)
    found = client.get(reverse("admin:autocomplete"), params)
    client.force_login(staff)
    refused = client.get(reverse("admin:autocomplete"), params)

    assert [row["text"] for row in found.json()["results"]]
    assert refused.status_code == 403
