"""The referral slip, as a printable page and as a one-page PDF, from a shared search."""
import base64
import re
import zlib

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from frontend.pdf import BODY_HEIGHT, fitting_story, story_height
from frontend.referral import build_referral, documents_by_programme, run_shared_search
from frontend.sharing import encode_search

pytestmark = pytest.mark.django_db

SJL_SEARCH = {
    "location": {"lat": -11.98, "lon": -77.0},
    "household": [
        {"age": 27, "sex": "F", "pregnant": True, "disability": False, "chronic_illness": None},
        {"age": 2, "sex": "M", "pregnant": False, "disability": False, "chronic_illness": None},
    ],
    "needs": ["prenatal_care", "child_growth_check"],
    "insurance": "none",
    "sisfoh": "unknown",
    "mode": "walk",
}


def match(client, body):
    response = client.post(reverse("api-match"), body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def pdf_page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", data))


def pdf_text(data: bytes) -> str:
    """Return the decoded content streams of a ReportLab PDF (ASCII85 over Flate)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = stream.strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw[:-2])
        texts.append(zlib.decompress(raw).decode("latin-1"))
    return "\n".join(texts)


def test_slip_page_shows_chosen_facility(client):
    second = match(client, SJL_SEARCH)["facilities"][1]

    response = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH),
                                                          "facility": second["renaes_code"]})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Hoja de referencia" in html
    assert second["name"] in html
    assert "wa.me/?text=" in html
    assert reverse("frontend:referral-pdf") in html


def test_slip_page_defaults_to_first_result(client):
    first = match(client, SJL_SEARCH)["facilities"][0]

    html = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH)}).content.decode()

    assert f"<h1>{first['name']}</h1>" in html


def test_slip_page_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH)}).content.decode()

    assert "Referral slip" in html
    assert "How to get there" in html


def test_slip_unknown_facility_is_400(client):
    response = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH), "facility": "99999999"})

    assert response.status_code == 400
    assert "99999999" in response.content.decode()


def test_slip_invalid_search_is_400(client):
    bad = dict(SJL_SEARCH, household=[{"age": 130, "sex": "F"}])

    response = client.get(reverse("frontend:referral"), {"s": encode_search(bad)})
    html = response.content.decode()

    assert response.status_code == 400
    assert "La búsqueda del enlace no es válida" in html
    assert "120" in html


def test_slip_damaged_link_is_400(client):
    response = client.get(reverse("frontend:referral-pdf"), {"s": "%%%"})

    assert response.status_code == 400
    assert "dañado" in response.content.decode()


def test_slip_pdf_one_page_names_facility(client):
    first = match(client, SJL_SEARCH)["facilities"][0]

    response = client.get(reverse("frontend:referral-pdf"), {"s": encode_search(SJL_SEARCH),
                                                              "facility": first["renaes_code"]})
    text = pdf_text(response.content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert pdf_page_count(response.content) == 1
    assert first["name"] in text
    assert "Hoja de referencia" in text


def test_slip_pdf_spanish_for_english_user(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    text = pdf_text(client.get(reverse("frontend:referral-pdf"), {"s": encode_search(SJL_SEARCH)}).content)

    assert "Hoja de referencia" in text
    assert "Referral slip" not in text


def test_slip_pdf_link_reopens_search(client):
    response = client.get(reverse("frontend:referral-pdf"), {"s": encode_search(SJL_SEARCH)})
    text = pdf_text(response.content)

    # ReportLab may break the long link over lines, so compare without spaces.
    assert encode_search(SJL_SEARCH)[:40] in re.sub(r"\)\s*Tj.*?\(", "", text, flags=re.S)


#: Three members who qualify for six programmes between them, as in the trial that found the tiny PDF text.
LARGE_HOUSEHOLD_SEARCH = dict(
    SJL_SEARCH,
    household=[
        {"age": 27, "sex": "F", "pregnant": True},
        {"age": 3, "sex": "M"},
        {"age": 70, "sex": "M"},
    ],
    insurance="sis",
    sisfoh="pobre_extremo",
)


def test_slip_distance_uses_locale_decimal_comma(client):
    first = match(client, SJL_SEARCH)["facilities"][0]

    html = client.get(reverse("frontend:referral"), {"s": encode_search(SJL_SEARCH)}).content.decode()

    expected = f"{first['distance_km']:.1f}".replace(".", ",") + " km"
    assert expected in html
    assert f"{first['distance_km']} km" not in html


def test_documents_grouped_without_repeats():
    programs = [
        {"name": "SIS Gratuito", "documents": ["DNI", "Carné de extranjería"]},
        {"name": "Pensión 65", "documents": ["DNI", "Formulario 1000"]},
        {"name": "Vacunas", "documents": ["DNI"]},
    ]

    groups = documents_by_programme(programs)

    assert groups == [
        {"programme": "SIS Gratuito", "documents": ["DNI", "Carné de extranjería"]},
        {"programme": "Pensión 65", "documents": ["Formulario 1000"]},
    ]


def test_slip_page_lists_each_document_once(client):
    html = client.get(reverse("frontend:referral"), {"s": encode_search(LARGE_HOUSEHOLD_SEARCH)}).content.decode()

    documents = re.findall(r'<ul class="documents">(.*?)</ul>', html, re.S)
    items = [item.strip() for block in documents for item in re.findall(r"<li>(.*?)</li>", block, re.S)]
    assert items
    assert len(items) == len(set(items))


def test_slip_pdf_fits_without_shrinking(client):
    with translation.override("es"):
        slip = build_referral(LARGE_HOUSEHOLD_SEARCH, "")
        story = fitting_story(slip)

    assert len(slip["programs"]) >= 4
    assert story_height(story) <= BODY_HEIGHT
    sizes = [flowable.style.fontSize for flowable in story if hasattr(flowable, "style")]
    assert min(sizes) >= 8


def test_slip_pdf_large_household_one_page(client):
    response = client.get(reverse("frontend:referral-pdf"), {"s": encode_search(LARGE_HOUSEHOLD_SEARCH)})

    assert response.status_code == 200
    assert pdf_page_count(response.content) == 1


def test_slip_lists_offered_care_only():
    from matcher.catalogue import search_catalogue

    body = dict(SJL_SEARCH, needs=["prenatal_care", "childbirth", "emergency"])
    catalogue = search_catalogue()
    position = {facility.renaes_code: index for index, facility in enumerate(catalogue.facilities)}
    names = {code: need.name_es for code, need in catalogue.needs.items()}
    shortened = 0
    with translation.override("es"):
        for facility in run_shared_search(body)["facilities"]:
            offered = catalogue.offered[position[facility["renaes_code"]]]
            expected = [names[code] for code in body["needs"]
                        if not catalogue.need_services[code].isdisjoint(offered)]
            assert build_referral(body, facility["renaes_code"])["need_names"] == expected
            shortened += len(expected) < len(body["needs"])
    assert shortened, "some result offers only part of the care asked for"

