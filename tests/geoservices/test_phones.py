"""Registry phone fields split into numbers and turned into dial numbers, on real registry values."""
import pytest

from geoservices.phones import dial_number, phone_links, split_numbers

LIMA_DISTRICT = "150132"  # San Juan de Lurigancho
HUAMANGA_DISTRICT = "050101"  # Ayacucho


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4819920 -3820328", ["4819920", "3820328"]),  # PIEDRA LIZA
        ("053482866 -053483142", ["053482866", "053483142"]),  # C.S. ALTO ILO
        ("4819920-3820328", ["4819920", "3820328"]),
        ("063- 811357 TEF COMUNITARIO", ["063- 811357 TEF COMUNITARIO"]),  # OCHO DE DICIEMBRE
        ("066-312345", ["066-312345"]),
        ("388-2503", ["388-2503"]),
        ("13242983", ["13242983"]),
    ],
)
def test_split_numbers_hyphen_cases(text, expected):
    assert split_numbers(text) == expected


def test_piedra_liza_links_two_numbers():
    assert phone_links("4819920 -3820328", LIMA_DISTRICT) == [
        {"number": "4819920", "dial": "+5114819920"},
        {"number": "3820328", "dial": "+5113820328"},
    ]


@pytest.mark.parametrize(
    ("number", "ubigeo", "expected"),
    [
        ("13242983", "150115", "+5113242983"),  # Hospital Guillermo Almenara, La Victoria
        ("1-3242983", LIMA_DISTRICT, "+5113242983"),
        ("14770440", "070106", "+5114770440"),  # Callao shares area code 1
        ("12345678", HUAMANGA_DISTRICT, "12345678"),  # outside Lima an 8-digit number starting with 1 is unknown
        ("053482866", "180301", "+5153482866"),
    ],
)
def test_dial_number_area_code_one(number, ubigeo, expected):
    assert dial_number(number, ubigeo) == expected
