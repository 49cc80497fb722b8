"""Travel times and distances written for families, in Spanish and English."""
import pytest
from django.utils import translation

from matcher.duration_text import format_distance, format_duration


@pytest.mark.parametrize("minutes, spanish, english", [
    (0.4, "0 min", "0 min"),
    (28.4, "28 min", "28 min"),
    (59.6, "1 h", "1 h"),
    (135, "2 h 15 min", "2 h 15 min"),
    (1439.4, "23 h 59 min", "23 h 59 min"),
    (1440, "1 día", "1 day"),
    (4514, "3,1 días", "3.1 days"),
    (7104, "4,9 días", "4.9 days"),
    (2880, "2 días", "2 days"),
])
def test_format_duration(minutes, spanish, english):
    with translation.override("es"):
        assert format_duration(minutes) == spanish
    with translation.override("en"):
        assert format_duration(minutes) == english


@pytest.mark.parametrize("kilometres, spanish", [(0.75, "0,8 km"), (0.25, "0,3 km"), (12.04, "12,0 km"), (3, "3,0 km")])
def test_format_distance_rounds_half_up(kilometres, spanish):
    with translation.override("es"):
        assert format_distance(kilometres) == spanish
