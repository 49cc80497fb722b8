"""Exceptions raised by the planning app.

Every error a caller can act on subclasses :class:`PlanningError`, which is a
``ValueError`` so that input checks can catch the whole family at once.
"""


class PlanningError(ValueError):
    """Base class of the planning errors."""


class UnknownCareError(PlanningError):
    """A care type outside the supported set was requested."""


class CoverageNotComputedError(PlanningError):
    """No stored coverage exists yet for the requested department, care and mode."""
