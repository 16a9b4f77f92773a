"""The evaluator's space lists the open dossiers assigned to them; assignment is told by e-mail."""

import pytest
from django.core import mail
from django.urls import reverse

from candidates import services
from tests import factories
from tests.candidates.conftest import make_candidate, pdf

URL = reverse("evaluators:dossier_list")


def admissible_dossier(candidate, cqp, staff):
    user = candidate.user
    dossier = services.dossier_open(candidate=candidate, cqp=cqp, funding="cpf", actor=user)
    services.document_upload(dossier=dossier, kind="identity", upload=pdf(), actor=user)
    services.dossier_submit(dossier=dossier, actor=user)
    services.dossier_declare_complete(dossier=dossier, actor=staff)
    return services.dossier_declare_admissible(dossier=dossier, actor=staff)


def test_assigning_an_evaluator_tells_them_by_email(
    candidate, open_cqp, staff, evaluator, django_capture_on_commit_callbacks
):
    dossier = admissible_dossier(candidate, open_cqp, staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    to_evaluator = [m for m in mail.outbox if m.to == [evaluator.email]]
    assert len(to_evaluator) == 1
    assert dossier.reference in to_evaluator[0].subject
    assert f"/evaluateur/dossiers/{dossier.pk}/" in to_evaluator[0].body


def test_the_evaluator_sees_only_the_dossiers_assigned_to_them(
    client, candidate, other_candidate, open_cqp, staff, evaluator, branch
):
    mine = admissible_dossier(candidate, open_cqp, staff)
    services.dossier_assign_evaluator(dossier=mine, evaluator=evaluator, actor=staff)
    colleague = factories.UserFactory(email="colleague@example.org")
    factories.AccreditationFactory(user=colleague, branch=branch)
    theirs = admissible_dossier(other_candidate, open_cqp, staff)
    services.dossier_assign_evaluator(dossier=theirs, evaluator=colleague, actor=staff)

    client.force_login(evaluator)
    page = client.get(URL)

    assert page.status_code == 200
    assert [d.pk for d in page.context["dossiers"]] == [mine.pk]
    assert theirs.reference not in page.content.decode()
    assert f"/evaluateur/dossiers/{mine.pk}/" in page.content.decode()


def test_the_home_page_sends_an_evaluator_to_their_dossiers(client, evaluator):
    client.force_login(evaluator)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == URL


@pytest.mark.django_db
def test_people_without_accreditation_are_refused(client, candidate, staff):
    assert client.get(URL).status_code == 302  # to the login page
    for user in (candidate.user, staff):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_the_list_keeps_its_query_count_with_many_dossiers(
    client, open_cqp, staff, evaluator, django_assert_max_num_queries
):
    for index in range(12):
        dossier = admissible_dossier(make_candidate(f"c{index}@example.org"), open_cqp, staff)
        services.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    client.force_login(evaluator)
    # session, user, accreditation check, CQPs of the filter, counts per status, paginator's
    # count, dossiers, their progress (for the page only), and the navigation (memberships,
    # accreditation, candidate profile)
    with django_assert_max_num_queries(11):
        page = client.get(URL)
    assert len(page.context["dossiers"]) == 12
