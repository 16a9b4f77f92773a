"""Explicit lifecycles: a table of allowed transitions and the one function that applies them.

Each lifecycle (CQP, référentiel, dossier, jury session, certificate) declares its table once;
named actions in the services call `apply_transition`, which locks the row, checks the table
and the guard, saves the new status and writes the event row, in one transaction.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .errors import TransitionNotAllowed


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: the status stays (an event on record, e.g. a reassignment)
    label: str  # lazy translated verb shown on buttons


@dataclass
class Lifecycle:
    """A status field, its event model and the table of allowed transitions."""

    model: type[models.Model]
    event_model: type[models.Model]
    subject_field: str  # the event model's foreign key to `model`
    transitions: Iterable[Transition]
    status_field: str = "status"
    _by_action: dict = field(init=False, repr=False)
    _labels: dict = field(init=False, repr=False, default_factory=dict)  # per language

    def __post_init__(self):
        self.transitions = tuple(self.transitions)
        self._by_action = {t.action: t for t in self.transitions}

    def get(self, action: str) -> Transition:
        return self._by_action[action]

    def can(self, status: str, action: str) -> bool:
        return status in self._by_action[action].sources

    def actions_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if status in t.sources]

    def targets_from(self, status: str) -> set[str]:
        return {t.target or status for t in self.actions_from(status)}

    def status_label(self, status: str) -> str:
        # Translated once per language: lists show hundreds of statuses.
        language = get_language()
        labels = self._labels.get(language)
        if labels is None:
            choices = self.model._meta.get_field(self.status_field).choices
            labels = self._labels[language] = {value: str(label) for value, label in choices}
        return labels.get(status, status)


def apply_transition(
    lifecycle: Lifecycle,
    obj: models.Model,
    action: str,
    *,
    actor,
    comment: str = "",
    guard: Callable[[models.Model], None] | None = None,
    changes: dict | None = None,
):
    """Lock `obj`, check `action` is allowed from its status and by `guard`, then move it.

    Returns the locked, updated instance (the caller's `obj` is refreshed too). `changes`
    are extra field values saved with the new status.
    """
    transition = lifecycle.get(action)
    with transaction.atomic():
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        current = getattr(locked, lifecycle.status_field)
        if current not in transition.sources:
            raise TransitionNotAllowed(
                _("“%(action)s” is not possible while the status is “%(status)s”.")
                % {
                    "action": transition.label,
                    "status": lifecycle.status_label(current),
                }
            )
        if guard is not None:
            guard(locked)
        target = transition.target or current
        setattr(locked, lifecycle.status_field, target)
        update_fields = [lifecycle.status_field]
        if hasattr(locked, "status_changed_at") and target != current:
            locked.status_changed_at = timezone.now()
            update_fields.append("status_changed_at")
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
            update_fields.append(name)
        locked.save(update_fields=update_fields)
        lifecycle.event_model.objects.create(
            **{lifecycle.subject_field: locked},
            action=transition.action,
            from_status=current,
            to_status=target,
            actor=actor,
            comment=comment,
        )
    obj.refresh_from_db()
    return locked
