"""Branch scoping in the admin: who sees, changes or is refused each catalogue object."""

import pytest
from django.contrib.messages import WARNING
from django.urls import reverse
from django.utils import timezone

from certifications import services
from certifications.models import (
    BranchMembership,
    CpnefDecision,
    Habilitation,
    ReferentielStatus,
    UnitEquivalence,
)
from tests import factories

SAVE_BUTTON = 'name="_save"'

# Catalogue models scoped by branch; CPNEF members view them, staff change most of them.
SCOPED = [
    "cqp",
    "referentiel",
    "cpnefdecision",
    "branch",
    "trainingprovider",
    "habilitation",
    "evaluatoraccreditation",
    "unitequivalence",
]
# Models whose objects staff may change at all: decisions are recorded, never edited.
STAFF_CHANGEABLE = set(SCOPED) - {"cpnefdecision"}
# Objects with a save button for staff: an equivalence is deleted and declared again.
STAFF_EDITABLE = STAFF_CHANGEABLE - {"unitequivalence"}
ADMIN_ONLY = {"user": "cqp", "branchmembership": "certifications"}

# Which side of the catalogue each role belongs to.
SIDE_OF = {"staff": "immo", "cpnef": "immo", "other_staff": "cdna", "other_cpnef": "cdna"}
OTHER_SIDE = {"immo": "cdna", "cdna": "immo"}


def app_of(model_name: str) -> str:
    return ADMIN_ONLY.get(model_name, "certifications")


def changelist_url(model_name: str) -> str:
    return reverse(f"admin:{app_of(model_name)}_{model_name}_changelist")


def change_url(model_name: str, obj) -> str:
    return reverse(f"admin:{app_of(model_name)}_{model_name}_change", args=[obj.pk])


def add_url(model_name: str) -> str:
    return reverse(f"admin:{app_of(model_name)}_{model_name}_add")


def side_objects(branch, cqp, *, cpnef_user) -> dict:
    """One object of every catalogue model for `branch`, through the services where they exist."""
    first = cqp.referentiels.get(version=1)
    services.referentiel_publish(referentiel=first, actor=None)
    draft = services.referentiel_new_version(referentiel=first, actor=None)  # + equivalences
    decision = CpnefDecision.objects.create(
        cqp=cqp,
        outcome=CpnefDecision.Outcome.REQUEST_CHANGES,
        meeting_date=timezone.localdate(),
        comment="À revoir.",
        decided_by=cpnef_user,
    )
    provider = factories.ProviderFactory(name=f"Organisme {branch.slug}")
    provider.branches.add(branch)
    accreditation = factories.AccreditationFactory(branch=branch)
    accreditation.cqps.add(cqp)
    return {
        "cqp": cqp,
        "referentiel": draft,
        "cpnefdecision": decision,
        "branch": branch,
        "trainingprovider": provider,
        "habilitation": factories.HabilitationFactory(provider=provider, cqp=cqp),
        "evaluatoraccreditation": accreditation,
        "unitequivalence": UnitEquivalence.objects.filter(to_unit__referentiel=draft).first(),
    }


@pytest.fixture
def catalogue(cqp, other_cqp, cpnef, other_cpnef):
    return {
        "immo": side_objects(cqp.branch, cqp, cpnef_user=cpnef),
        "cdna": side_objects(other_cqp.branch, other_cqp, cpnef_user=other_cpnef),
    }


@pytest.fixture
def shared_provider(branch, other_branch):
    provider = factories.ProviderFactory(name="Organisme partagé")
    provider.branches.add(branch, other_branch)
    return provider


def login(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def assert_sent_to_index_as_missing(response):
    """What the admin does for an object outside get_queryset: back to the index, warned.

    `response` was fetched with follow=True, so the warning is read (and consumed) there.
    """
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert [m.level for m in response.context["messages"]] == [WARNING]


# --- own branch -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "other_staff"])
@pytest.mark.parametrize("model_name", SCOPED)
def test_staff_list_and_change_their_branchs_objects_only(
    client, request, catalogue, role, model_name
):
    login(client, request, role)
    mine = catalogue[SIDE_OF[role]][model_name]
    theirs = catalogue[OTHER_SIDE[SIDE_OF[role]]][model_name]

    listing = client.get(changelist_url(model_name))
    page = client.get(change_url(model_name, mine))

    assert listing.status_code == 200
    html = listing.content.decode()
    assert change_url(model_name, mine) in html
    assert change_url(model_name, theirs) not in html
    assert page.status_code == 200
    assert (SAVE_BUTTON in page.content.decode()) is (model_name in STAFF_EDITABLE)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "other_staff", "cpnef", "other_cpnef"])
@pytest.mark.parametrize("model_name", SCOPED)
def test_members_are_sent_back_to_the_index_for_another_branchs_object(
    client, request, catalogue, role, model_name
):
    login(client, request, role)
    theirs = catalogue[OTHER_SIDE[SIDE_OF[role]]][model_name]

    assert_sent_to_index_as_missing(client.get(change_url(model_name, theirs), follow=True))
    posted = client.post(change_url(model_name, theirs), {}, follow=True)
    if "staff" in role and model_name in STAFF_CHANGEABLE:
        assert_sent_to_index_as_missing(posted)
    else:  # the role may change no object of this model: refused before the lookup
        assert posted.status_code == 403


@pytest.mark.django_db
def test_the_other_branchs_cqp_title_never_shows_in_the_staff_changelist(client, staff, catalogue):
    client.force_login(staff)

    html = client.get(changelist_url("cqp")).content.decode()

    assert "Négociateur immobilier" in html
    assert "Vendeur jeux et jouets" not in html
    assert "Commerce de détail" not in html  # not even in the branch filter


@pytest.mark.django_db
def test_changes_by_another_branchs_staff_are_not_saved(client, other_staff, catalogue):
    cqp = catalogue["immo"]["cqp"]
    client.force_login(other_staff)

    client.post(change_url("cqp", cqp), {"code": "HACK", "title": "Piraté"})

    cqp.refresh_from_db()
    assert (cqp.code, cqp.title) == ("NI", "Négociateur immobilier")


# --- CPNEF members ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["cpnef", "other_cpnef"])
@pytest.mark.parametrize("model_name", SCOPED)
def test_cpnef_members_view_their_branchs_objects_read_only(
    client, request, catalogue, role, model_name
):
    login(client, request, role)
    mine = catalogue[SIDE_OF[role]][model_name]
    theirs = catalogue[OTHER_SIDE[SIDE_OF[role]]][model_name]

    listing = client.get(changelist_url(model_name))
    page = client.get(change_url(model_name, mine))
    post = client.post(change_url(model_name, mine), {})

    assert listing.status_code == 200
    assert change_url(model_name, mine) in listing.content.decode()
    assert change_url(model_name, theirs) not in listing.content.decode()
    assert page.status_code == 200
    assert SAVE_BUTTON not in page.content.decode()
    assert post.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", ["cqp", "trainingprovider", "habilitation"])
def test_cpnef_members_may_not_add(client, cpnef, catalogue, model_name):
    client.force_login(cpnef)

    assert client.get(add_url(model_name)).status_code == 403


# --- superusers, outsiders --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", SCOPED)
def test_superusers_see_and_change_every_branchs_objects(client, superuser, catalogue, model_name):
    client.force_login(superuser)

    html = client.get(changelist_url(model_name)).content.decode()

    for side in ("immo", "cdna"):
        obj = catalogue[side][model_name]
        assert change_url(model_name, obj) in html
        page = client.get(change_url(model_name, obj))
        assert page.status_code == 200
        assert (SAVE_BUTTON in page.content.decode()) is (model_name in STAFF_EDITABLE)


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", [*SCOPED, *ADMIN_ONLY])
def test_users_without_admin_access_are_sent_to_the_admin_login(
    client, plain_user, catalogue, model_name
):
    client.force_login(plain_user)
    obj = catalogue["immo"].get(model_name) or plain_user  # any existing row: refused before

    for url in (changelist_url(model_name), change_url(model_name, obj)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", SCOPED)
def test_an_admin_user_without_membership_is_refused(client, catalogue, model_name):
    client.force_login(factories.UserFactory(is_staff=True))

    assert client.get(changelist_url(model_name)).status_code == 403
    assert client.get(add_url(model_name)).status_code == 403
    assert client.get(change_url(model_name, catalogue["immo"][model_name])).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_users_and_memberships_are_refused_to_branch_members(client, request, role):
    user = login(client, request, role)
    membership = BranchMembership.objects.get(user=user)

    assert client.get(changelist_url("user")).status_code == 403
    assert client.get(change_url("user", user)).status_code == 403
    assert client.get(changelist_url("branchmembership")).status_code == 403
    assert client.get(change_url("branchmembership", membership)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef", "superuser"])
def test_collective_agreements_are_readable_by_members_and_never_editable(client, request, role):
    login(client, request, role)
    url = reverse("admin:certifications_idccconvention_changelist")

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0  # loaded by the data migration
    convention = response.context["cl"].result_list[0]
    page = client.get(reverse("admin:certifications_idccconvention_change", args=[convention.pk]))
    assert page.status_code == 200
    assert SAVE_BUTTON not in page.content.decode()
    assert client.get(reverse("admin:certifications_idccconvention_add")).status_code == 403


# --- the admin index --------------------------------------------------------------------------


def index_links(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {
        model["admin_url"]
        for app in response.context["app_list"]
        for model in app["models"]
        if model.get("admin_url")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "cpnef"])
def test_the_index_lists_only_the_catalogue_to_branch_members(client, request, role):
    login(client, request, role)

    links = index_links(client)

    candidates = {
        reverse("admin:candidates_dossier_changelist"),
        reverse("admin:candidates_candidate_changelist"),
    }
    juries = {
        reverse("admin:juries_jurysession_changelist"),
        reverse("admin:juries_juryrules_changelist"),
        reverse("admin:juries_certificate_changelist"),
    }
    assert links == {changelist_url(name) for name in SCOPED} | candidates | juries
    html = client.get(reverse("admin:index")).content.decode()
    assert changelist_url("user") not in html
    assert changelist_url("branchmembership") not in html


@pytest.mark.django_db
def test_the_index_lists_users_and_memberships_to_superusers(client, superuser):
    client.force_login(superuser)

    links = index_links(client)

    expected = {changelist_url(name) for name in [*SCOPED, *ADMIN_ONLY]}
    assert expected <= links
    assert reverse("admin:certifications_idccconvention_changelist") in links


@pytest.mark.django_db
def test_the_index_is_empty_for_an_admin_user_without_membership(client):
    client.force_login(factories.UserFactory(is_staff=True))

    assert index_links(client) == set()


# --- relation choices -------------------------------------------------------------------------


def choices(response, field_name) -> set[int]:
    """Primary keys offered by a field of the admin form, as rendered."""
    field = response.context["adminform"].form[field_name]
    return {int(str(value)) for value, _label in field.field.choices if str(value)}


@pytest.mark.django_db
def test_the_cqp_add_form_offers_only_the_staffs_branch(client, staff, branch, other_branch):
    client.force_login(staff)

    response = client.get(add_url("cqp"))

    assert choices(response, "branch") == {branch.pk}
    assert other_branch.name not in response.content.decode()


@pytest.mark.django_db
def test_the_habilitation_add_form_offers_only_the_staffs_cqps(client, staff, cqp, other_cqp):
    client.force_login(staff)

    response = client.get(add_url("habilitation"))

    assert choices(response, "cqp") == {cqp.pk}


@pytest.mark.django_db
def test_the_accreditation_add_form_offers_only_the_staffs_branch_and_cqps(
    client, staff, branch, cqp, other_cqp
):
    client.force_login(staff)

    response = client.get(add_url("evaluatoraccreditation"))

    assert choices(response, "branch") == {branch.pk}
    assert choices(response, "cqps") == {cqp.pk}


@pytest.mark.django_db
def test_the_provider_add_form_offers_only_the_staffs_branch(client, staff, branch, other_branch):
    client.force_login(staff)

    response = client.get(add_url("trainingprovider"))

    assert choices(response, "branches") == {branch.pk}


@pytest.mark.django_db
def test_superusers_are_offered_every_branch(client, superuser, branch, other_branch):
    client.force_login(superuser)

    response = client.get(add_url("cqp"))

    assert choices(response, "branch") == {branch.pk, other_branch.pk}


def autocomplete(client, model_name, field_name, term=""):
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "certifications",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    return {int(row["id"]) for row in response.json()["results"]}


@pytest.mark.django_db
def test_the_provider_autocomplete_offers_only_providers_of_the_branch(
    client, staff, catalogue, shared_provider
):
    client.force_login(staff)

    found = autocomplete(client, "habilitation", "provider")

    assert found == {catalogue["immo"]["trainingprovider"].pk, shared_provider.pk}


@pytest.mark.django_db
def test_the_unit_autocomplete_offers_only_units_of_the_branch(client, staff, catalogue):
    client.force_login(staff)

    found = autocomplete(client, "unitequivalence", "from_unit")

    cqp = catalogue["immo"]["cqp"]
    assert found
    assert found == set(
        cqp.referentiels.values_list("units", flat=True).exclude(units__isnull=True)
    )


# --- providers shared between branches ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "other_staff"])
def test_a_provider_linked_to_both_branches_is_visible_to_both_staffs(
    client, request, catalogue, shared_provider, role
):
    login(client, request, role)

    html = client.get(changelist_url("trainingprovider")).content.decode()
    page = client.get(change_url("trainingprovider", shared_provider))

    assert change_url("trainingprovider", shared_provider) in html
    assert html.count(change_url("trainingprovider", shared_provider)) == 1  # listed once
    assert page.status_code == 200
    assert SAVE_BUTTON in page.content.decode()


@pytest.mark.django_db
def test_a_provider_linked_only_to_the_other_branch_is_hidden(client, staff, catalogue):
    provider = catalogue["cdna"]["trainingprovider"]
    client.force_login(staff)

    html = client.get(changelist_url("trainingprovider")).content.decode()

    assert provider.name not in html
    assert_sent_to_index_as_missing(
        client.get(change_url("trainingprovider", provider), follow=True)
    )


def provider_post_data(provider, *, branches, **changes) -> dict:
    data = {
        "name": provider.name,
        "siret": provider.siret,
        "nda": "",
        "address": "",
        "email": "",
        "phone": "",
        "branches": branches,
        "habilitations-TOTAL_FORMS": "0",
        "habilitations-INITIAL_FORMS": "0",
        "habilitations-MIN_NUM_FORMS": "0",
        "habilitations-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_staff_editing_a_shared_provider_keep_the_other_branchs_link(
    client, staff, branch, other_branch, shared_provider
):
    client.force_login(staff)

    response = client.post(
        change_url("trainingprovider", shared_provider),
        provider_post_data(shared_provider, branches=[branch.pk], phone="01 02 03 04 05"),
    )

    assert response.status_code == 302
    shared_provider.refresh_from_db()
    assert shared_provider.phone == "01 02 03 04 05"
    assert set(shared_provider.branches.all()) == {branch, other_branch}


@pytest.mark.django_db
def test_staff_adding_a_provider_without_branch_get_their_own(client, staff, branch):
    client.force_login(staff)
    siret = factories.make_siret(4242)
    provider = factories.ProviderFactory.build(name="Nouvel organisme", siret=siret)

    response = client.post(add_url("trainingprovider"), provider_post_data(provider, branches=[]))

    assert response.status_code == 302
    created = type(provider).objects.get(siret=siret)
    assert list(created.branches.all()) == [branch]


@pytest.mark.django_db
def test_the_provider_page_shows_staff_their_branchs_habilitations_only(
    client, staff, catalogue, shared_provider
):
    mine = Habilitation.objects.create(
        provider=shared_provider,
        cqp=catalogue["immo"]["cqp"],
        valid_from=timezone.localdate(),
        reference="HAB-IMMO",
    )
    Habilitation.objects.create(
        provider=shared_provider,
        cqp=catalogue["cdna"]["cqp"],
        valid_from=timezone.localdate(),
        reference="HAB-CDNA",
    )
    client.force_login(staff)

    html = client.get(change_url("trainingprovider", shared_provider)).content.decode()

    assert "HAB-IMMO" in html
    assert f'value="{mine.pk}"' in html  # an editable row
    assert "HAB-CDNA" not in html
    assert "Vendeur jeux et jouets" not in html


@pytest.mark.django_db
def test_a_referentiel_published_for_the_branch_is_read_only_for_its_staff(
    client, staff, catalogue
):
    published = catalogue["immo"]["cqp"].referentiels.get(status=ReferentielStatus.PUBLISHED)
    client.force_login(staff)

    page = client.get(change_url("referentiel", published))

    assert page.status_code == 200
    assert SAVE_BUTTON not in page.content.decode()


@pytest.mark.django_db
def test_a_shared_provider_counts_only_the_staffs_branch_habilitations(
    client, staff, cqp, other_cqp
):
    provider = factories.ProviderFactory()
    provider.branches.add(cqp.branch, other_cqp.branch)
    factories.HabilitationFactory(provider=provider, cqp=cqp)
    factories.HabilitationFactory(provider=provider, cqp=other_cqp)
    factories.HabilitationFactory(provider=provider, cqp=other_cqp)
    client.force_login(staff)
    response = client.get(reverse("admin:certifications_trainingprovider_changelist"))
    rows = list(response.context["cl"].result_list)
    assert [(p.pk, p._habilitations) for p in rows] == [(provider.pk, 1)]


@pytest.mark.django_db
def test_staff_cannot_habilitate_another_branchs_provider(client, staff, cqp, other_branch):
    theirs = factories.ProviderFactory(name="Organisme de l'autre branche")
    theirs.branches.add(other_branch)
    client.force_login(staff)
    response = client.post(
        reverse("admin:certifications_habilitation_add"),
        {"provider": theirs.pk, "cqp": cqp.pk, "scope": "train", "valid_from": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "provider" in response.context["adminform"].form.errors
    assert not theirs.habilitations.exists()


@pytest.mark.django_db
def test_a_cpnef_role_elsewhere_gives_no_hand_on_that_branchs_habilitations(
    client, staff, cqp, other_cqp, other_branch
):
    BranchMembership.objects.create(
        user=staff, branch=other_branch, role=BranchMembership.BranchRole.CPNEF
    )
    provider = factories.ProviderFactory()
    provider.branches.add(cqp.branch, other_branch)
    factories.HabilitationFactory(provider=provider, cqp=other_cqp)
    client.force_login(staff)
    response = client.get(
        reverse("admin:certifications_trainingprovider_change", args=[provider.pk])
    )
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "habilitations"
    )
    assert list(formset.queryset) == []  # the other branch's row is not offered for edit
