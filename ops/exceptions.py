"""Errors raised by the operations app."""


class OpsError(Exception):
    """Base class of the errors raised by the operations app."""


class UnknownJobError(OpsError, ValueError):
    """A job name that no app registered."""


class JobAlreadyRegisteredError(OpsError, ValueError):
    """A second registration under a name already taken by another command."""
