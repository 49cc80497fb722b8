"""Share links: a family search packed into one URL parameter.

The parameter is the search request of ``POST /api/v1/match/`` as compact
JSON in URL-safe base64 without padding; ``frontend/static/frontend/app.js``
writes and reads the same format. It carries ages and answers, never names.
"""
import base64
import binascii
import json

from django.utils.translation import gettext as _

from .exceptions import SharedSearchError

#: Query parameter that carries the search.
SEARCH_PARAM = "s"

#: Longest parameter accepted, in characters; a household of 15 fits in about 1,500.
MAX_ENCODED_LENGTH = 4000


def encode_search(body: dict) -> str:
    """Pack a search request into the share parameter."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_search(text: str) -> dict:
    """Unpack the share parameter into a search request.

    Raises
    ------
    SharedSearchError
        If the text is missing, too long, not base64 or not a JSON object.
    """
    if not text:
        raise SharedSearchError(_("The link has no search in it. Open the search page and search again."))
    if len(text) > MAX_ENCODED_LENGTH:
        raise SharedSearchError(
            _("The link is too long (%(length)s characters). Open the search page and search again.")
            % {"length": len(text)}
        )
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise SharedSearchError(
            _("The link is damaged and its search cannot be read. Ask for the link again or search again.")
        ) from exc
    if not isinstance(body, dict):
        raise SharedSearchError(
            _("The link is damaged and its search cannot be read. Ask for the link again or search again.")
        )
    return body
