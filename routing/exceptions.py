"""Exceptions raised by the routing app.

Every error a caller can act on subclasses :class:`RoutingError`, which is a
``ValueError`` so that input checks can catch the whole family at once.
"""


class RoutingError(ValueError):
    """Base class of the routing errors."""


class UnknownModeError(RoutingError):
    """A travel mode outside the supported set was requested."""


class GraphBuildError(RoutingError):
    """A road graph could not be built from its source file."""


class GraphFileError(RoutingError):
    """A stored graph file is missing, unreadable or was built by other rules."""
