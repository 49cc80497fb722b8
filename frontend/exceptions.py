"""Errors of the family pages; each message is shown to the family as is."""


class FrontendError(ValueError):
    """Base class of the errors the family pages show to the user."""


class SharedSearchError(FrontendError):
    """A shared search link or a referral request cannot be used."""
