"""Registry clean-up and coordinate checks, without the database."""
import pytest

from geoservices.loaders.facilities import locate
from geoservices.text import clean_registry_value, search_key, title_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACTUALIZAR", ""),
        ("NO CUENTA CON TELEFONO", ""),
        ("  no tiene ", ""),
        (" ", ""),
        ("SN", ""),
        ("041-477044", "041-477044"),
        ("8:00 -  14:00", "8:00 - 14:00"),  # runs of spaces collapse
        (None, ""),
    ],
)
def test_clean_registry_value(raw, expected):
    assert clean_registry_value(raw) == expected


def test_search_key_drops_accents_and_case():
    assert search_key("  Asunción  DEL  Ñuñoa ") == "asuncion del nunoa"


def test_title_name_keeps_particles_lower():
    assert title_name("SAN JUAN DE LURIGANCHO") == "San Juan de Lurigancho"


def test_locate_accepts_point_in_peru():
    point, flags = locate("-6.1335228", "-78.85838013")
    assert flags == []
    assert (point.x, point.y) == (-78.85838013, -6.1335228)


def test_locate_repairs_swapped_values():
    point, flags = locate("-78.85838013", "-6.1335228")
    assert flags == ["coordinates_swapped"]
    assert (point.x, point.y) == (-78.85838013, -6.1335228)


@pytest.mark.parametrize(
    ("lat", "lon", "flag"),
    [
        ("0", "0", "zero_coordinates"),
        ("40.4", "-3.7", "outside_peru"),  # Madrid
        ("", "-77.0", "missing_coordinates"),
        ("ACTUALIZAR", "-77.0", "missing_coordinates"),
    ],
)
def test_locate_rejects_unusable_points(lat, lon, flag):
    point, flags = locate(lat, lon)
    assert point is None
    assert flags == [flag]
