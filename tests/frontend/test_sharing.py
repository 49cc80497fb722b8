"""Share links: a search survives the trip through the URL, and damaged links get a clear error."""
import pytest
from django.utils import translation

from frontend.exceptions import SharedSearchError
from frontend.sharing import MAX_ENCODED_LENGTH, decode_search, encode_search

SEARCH = {
    "location": {"ubigeo": "150132"},
    "household": [{"age": 27, "sex": "F", "pregnant": True, "disability": False, "chronic_illness": None}],
    "needs": ["prenatal_care"],
    "insurance": "none",
    "sisfoh": "unknown",
    "mode": "walk",
}


def test_search_round_trip():
    assert decode_search(encode_search(SEARCH)) == SEARCH


def test_encoded_search_is_url_safe():
    encoded = encode_search(dict(SEARCH, note="¿Dónde está la posta? ñandú"))

    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_search(encoded)["note"] == "¿Dónde está la posta? ñandú"


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "no contiene ninguna búsqueda"),                # parameter missing
        ("!!!not base64!!!", "dañado"),                       # not base64 at all
        (encode_search({"a": 1})[:-3] + "%%%", "dañado"),     # cut and garbled
        ("W10", "dañado"),                                    # base64 of "[]", not an object
        ("A" * (MAX_ENCODED_LENGTH + 1), r"demasiado largo \(4001 caracteres\)"),
    ],
)
def test_bad_share_parameter_rejected(text, words):
    with translation.override("es"), pytest.raises(SharedSearchError, match=words):
        decode_search(text)
