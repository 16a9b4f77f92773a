"""How the access matrix is written: the answers expected, and a case per object tried.

An answer is one of:

- OK: 200, the page or file;
- MOVED: 302 anywhere but the login page (an action done or refused with a message, a user
  sent to their space);
- LOGIN: 302 to the login page;
- BAD: 400 (a tokenised link that is not valid);
- DENIED: 403 (the wrong space, or a reader who may not act);
- HIDDEN: 404 (someone else's object: its existence is not disclosed);
- NO_METHOD: 405.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import resolve_url

from tests.access_matrix_world import ROLES, World

OK = "OK"
MOVED = "MOVED"
LOGIN = "LOGIN"
BAD = "BAD"
DENIED = "DENIED"
HIDDEN = "HIDDEN"
NO_METHOD = "NO_METHOD"

_BY_STATUS = {200: OK, 400: BAD, 403: DENIED, 404: HIDDEN, 405: NO_METHOD}


def answer_of(response) -> str:
    """The answer a response gives, in the matrix's words (the bare status code otherwise)."""
    status = response.status_code
    if status == 302:
        login = resolve_url(settings.LOGIN_URL)
        return LOGIN if urlsplit(response["Location"]).path == login else MOVED
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    error = getattr(response, "exc_info", None)
    return f"{status} ({error[1]!r})" if error else str(status)


Expected = Mapping[str, str]  # role -> answer


def expect(default: str, **by_role: str) -> Expected:
    """Every role's expected answer: `default` unless named (read-only: cases share them)."""
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    return MappingProxyType({role: by_role.get(role, default) for role in ROLES})


def everyone(answer: str) -> Expected:
    return expect(answer)


def signed_in(default: str, **by_role: str) -> Expected:
    """A page behind the login: anonymous visitors are sent to it."""
    return expect(default, anonymous=LOGIN, **by_role)


@dataclass(frozen=True)
class Case:
    """One object a URL is tried on, and the answers expected from each role.

    `get`/`post`: the expected answers to a GET and to an empty POST (None: not tried).
    """

    target: str
    kwargs: Callable[[World], dict]
    get: Expected | None = None
    post: Expected | None = None

    def expectations(self):
        for method, expected in (("GET", self.get), ("POST", self.post)):
            if expected is not None:
                yield method, expected


def no_kwargs(world: World) -> dict:
    return {}


def page(get: Expected, post: Expected | None = None) -> tuple[Case, ...]:
    """A URL without arguments."""
    return (Case("-", no_kwargs, get=get, post=post),)
