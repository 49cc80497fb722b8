"""Opening hours as the MINSA registry writes them."""
import pytest

from geoservices.imports.hours import OpeningHours, parse_hours

CASES = [
    # (registry text, expected parse)
    ("8:00 - 14:00", OpeningHours(ranges_min=((480, 840),))),
    ("08:00-2:00 P.M", OpeningHours(ranges_min=((480, 840),))),
    ("7.30 - 13.30 HORAS", OpeningHours(ranges_min=((450, 810),))),
    ("7:00 A 19:00", OpeningHours(ranges_min=((420, 1140),))),
    ("08:00 \x96 18:00", OpeningHours(ranges_min=((480, 1080),))),
    ("08:00-12:00 / 15:00-18:00", OpeningHours(ranges_min=((480, 720), (900, 1080)))),
    ("19:00 - 07:00", OpeningHours(ranges_min=((1140, 420),))),
    ("24 HORAS", OpeningHours(ranges_min=((0, 1440),), hours_per_day=24.0)),
    ("12 HORAS", OpeningHours(hours_per_day=12.0)),
    ("SEGUN ROL DE TURNO", None),
    ("LUNES A SABADO DE 08", None),
    ("8:00 - 8:00", None),
    ("25:00 - 14:00", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected
