"""Phone links: the shared normaliser, the referral slip and its PDF, and parity with the results list."""
import pytest
from django.test import Client
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from frontend.sharing import encode_search
from geoservices.phones import dial_number, phone_links, split_numbers

from .test_referral import SJL_SEARCH, match

LIMA_DISTRICT = "150132"  # San Juan de Lurigancho
CALLAO_DISTRICT = "070106"  # Ventanilla
HUAMANGA_DISTRICT = "050101"  # Ayacucho


@pytest.mark.parametrize(
    ("number", "ubigeo", "expected"),
    [
        ("388-2503", LIMA_DISTRICT, "+5113882503"),
        ("5530181", CALLAO_DISTRICT, "+5115530181"),
        ("3882503", HUAMANGA_DISTRICT, "3882503"),
        ("966 123 456", HUAMANGA_DISTRICT, "+51966123456"),
        ("966123456", LIMA_DISTRICT, "+51966123456"),
        ("066-312345", HUAMANGA_DISTRICT, "+5166312345"),
        ("(01) 4770440", LIMA_DISTRICT, "+5114770440"),
        ("12345678", HUAMANGA_DISTRICT, "12345678"),
        ("3882503", None, "3882503"),
    ],
)
def test_dial_number_cases(number, ubigeo, expected):
    assert dial_number(number, ubigeo) == expected


def test_split_numbers_separators():
    assert split_numbers("388-2503 / 388-2504") == ["388-2503", "388-2504"]
    assert split_numbers("066-312345 y 966123456") == ["066-312345", "966123456"]
    assert split_numbers("3882503 - ANEXO 12") == ["3882503"]
    assert split_numbers("") == []
    assert split_numbers(None) == []


def test_phone_links_pairs_number_and_dial():
    assert phone_links("388-2503; 966123456", LIMA_DISTRICT) == [
        {"number": "388-2503", "dial": "+5113882503"},
        {"number": "966123456", "dial": "+51966123456"},
    ]


def lima_landline_facility(facilities: list[dict]) -> dict:
    """Return the first result whose phone is a Lima landline listed without the area code."""
    for facility in facilities:
        numbers = split_numbers(facility["phone"])
        if numbers and len("".join(filter(str.isdigit, numbers[0]))) == 7:
            return facility
    raise AssertionError("no result in San Juan de Lurigancho lists a 7-digit landline")


@pytest.mark.django_db
def test_slip_phone_link_dials_lima_code(client):
    facility = lima_landline_facility(match(client, SJL_SEARCH)["facilities"])
    expected = phone_links(facility["phone"], facility["district"]["ubigeo"])[0]

    html = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH),
                                                      "facility": facility["renaes_code"]}).content.decode()

    assert expected["dial"].startswith("+511")
    assert f'href="tel:{expected["dial"]}"' in html
    assert f'aria-label="Llamar al {expected["number"]}"' in html


@pytest.mark.django_db
def test_slip_pdf_phone_link_dials_lima_code(client):
    facility = lima_landline_facility(match(client, SJL_SEARCH)["facilities"])
    expected = phone_links(facility["phone"], facility["district"]["ubigeo"])[0]

    response = client.get(reverse("frontend:referral-pdf"), {"s": encode_search(SJL_SEARCH),
                                                              "facility": facility["renaes_code"]})

    assert response.status_code == 200
    assert f"/URI (tel:{expected['dial']})".encode() in response.content


@pytest.mark.browser
@pytest.mark.django_db
def test_results_list_links_match_server(browser, app_url):
    expected = match(Client(), SJL_SEARCH)["facilities"]

    browser.get(app_url + "/?" + "s=" + encode_search(SJL_SEARCH))
    WebDriverWait(browser, 60).until(EC.visibility_of_element_located((By.ID, "results")))

    checked = 0
    for facility in expected:
        item = browser.find_element(By.ID, "facility-" + facility["renaes_code"])
        page_links = [link.get_attribute("href") for link in item.find_elements(By.CSS_SELECTOR, "a.phone-link")]
        server_phones = phone_links(facility["phone"], facility["district"]["ubigeo"])
        server_links = ["tel:" + phone["dial"] for phone in server_phones]
        assert page_links == server_links, facility["renaes_code"]
        checked += len(server_links)
    assert checked, "no result lists a phone number"
