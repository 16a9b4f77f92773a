"""Domain errors raised by services; views and admin turn them into messages."""


class DomainError(Exception):
    """A business rule refused the action; the message is shown to the user as is."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


class TransitionNotAllowed(DomainError):
    """The object's current status does not allow the requested action."""


class ActionNotPermitted(DomainError):
    """The actor may not perform this action on this object."""
