"""Roles and the spaces they lead to.

Each app registers the space it serves (from its AppConfig.ready) with a predicate saying who
belongs there, so the home page can send every user to their own space without `cqp`
importing the apps.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    EVALUATOR = "evaluator", _("Evaluator")
    JURY_MEMBER = "jury_member", _("Jury member")
    BRANCH_STAFF = "branch_staff", _("Branch staff")
    CPNEF_MEMBER = "cpnef_member", _("CPNEF member")
    ADMINISTRATOR = "administrator", _("Administrator")


@dataclass(frozen=True)
class Space:
    role: Role
    title: str
    description: str
    url_name: str
    includes: Callable  # (user) -> bool
    order: int = 100

    @property
    def url(self):
        return reverse(self.url_name)


_SPACES: dict[Role, Space] = {}


def register_space(space: Space) -> None:
    _SPACES[space.role] = space


def spaces_for(user) -> list[Space]:
    """The spaces this user may enter, in display order (cached on the user object)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_cqp_spaces", None)
    if cached is None:
        cached = sorted((s for s in _SPACES.values() if s.includes(user)), key=lambda s: s.order)
        user._cqp_spaces = cached
    return cached
