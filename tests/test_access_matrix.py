"""The access matrix (issue 7): every URL of the project (the admin aside, tested on its own)
has an entry, and each entry's answers, for every role on its own objects and on others',
are exactly the ones expected.

The entries are in tests/access_matrix_{site,candidates,juries}.py, the world they are played
in in tests/access_matrix_world.py. Every request runs in a transaction rolled back after it,
with the client's cookies restored: an action that succeeds (a withdrawal, a logout) changes
nothing for the next one, so the order of the requests does not matter.
"""

import copy

from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from candidates.models import DossierStatus
from juries.models import DocumentStatus, SessionStatus
from tests.access_matrix_candidates import CANDIDATES
from tests.access_matrix_juries import JURIES
from tests.access_matrix_site import SITE
from tests.access_matrix_spec import answer_of
from tests.access_matrix_world import ROLES, World, build_world

TABLES = (SITE, CANDIDATES, JURIES)
MATRIX = {name: cases for table in TABLES for name, cases in table.items()}

# The admin has its own tests (scoping per branch); everything else must be in the matrix.
SKIPPED_NAMESPACES = frozenset({"admin"})

# The views decided which backend logs users in (see candidates.account_views).
BACKEND = "django.contrib.auth.backends.ModelBackend"


def url_names(resolver=None, namespace: str = "", prefix: str = "") -> set[str]:
    """Every URL pattern's full name (`namespace:name`), an unnamed one by its route."""
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES and not namespace:
                continue
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            names |= url_names(pattern, inner, route)
        else:
            name = pattern.name or f"<unnamed: {route}>"
            names.add(f"{namespace}:{name}" if namespace else name)
    return names


def test_every_url_has_an_entry_and_every_entry_a_url():
    assert len(MATRIX) == sum(len(table) for table in TABLES), "an entry is in two tables"
    names = url_names()
    missing = sorted(names - MATRIX.keys())
    stale = sorted(MATRIX.keys() - names)
    assert not missing and not stale, (
        f"URLs without an entry in the access matrix: {missing}; entries without a URL: {stale}"
    )


def test_every_entry_tries_something():
    empty = [name for name, cases in MATRIX.items() if not any(c.expectations() for c in cases)]
    assert not empty


def client_for(world: World, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world.users[role], backend=BACKEND)
    return client


def ask(client: Client, method: str, url: str):
    """The response to a GET or an empty POST, leaving no trace in the database or cookies."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    client.cookies = cookies
    if response.streaming:
        # A file download: reading it to the end closes the file (the test client's way).
        b"".join(response.streaming_content)
    return response


def assert_world_as_described(world: World) -> None:
    """The expectations rely on these states: a change in the helpers must show here."""
    assert world.dossier_a.status == DossierStatus.CERTIFIED
    assert world.dossier_a.evaluator == world.users["evaluator_a"]
    assert world.dossier_b.status == DossierStatus.EVALUATION
    assert world.dossier_b.evaluator == world.users["evaluator_b"]
    assert world.session_1.status == SessionStatus.CLOSED
    assert world.session_2.status == SessionStatus.CONVENED
    for document in (world.certificate_a, world.attestation_other):
        assert document.status == DocumentStatus.READY and document.pdf, document.last_error
    assert world.minutes_1.is_ready
    assert None not in (world.piece_a, world.piece_b, world.piece_c)


def test_every_role_gets_the_answer_the_matrix_expects(
    db, settings, django_capture_on_commit_callbacks
):
    # Hundreds of lookups of the verification pages from one address: no rate limit here.
    settings.VERIFY_RATE_LIMIT = 1_000_000
    world = build_world(django_capture_on_commit_callbacks)
    assert_world_as_described(world)
    clients = {role: client_for(world, role) for role in ROLES}

    wrong, asked = [], 0
    for name, cases in MATRIX.items():
        for case in cases:
            url = reverse(name, kwargs=case.kwargs(world))
            for method, expected in case.expectations():
                for role in ROLES:
                    got = answer_of(ask(clients[role], method, url))
                    asked += 1
                    if got != expected[role]:
                        wrong.append(
                            f"{name} [{case.target}] {method} {url} as {role}: "
                            f"expected {expected[role]}, got {got}"
                        )
    assert not wrong, f"{len(wrong)} of {asked} answers differ from the matrix:\n" + "\n".join(
        wrong
    )
    # B withdrew their dossier and everyone logged out, each time undone: the world held.
    world.dossier_b.refresh_from_db()
    assert world.dossier_b.status == DossierStatus.EVALUATION
