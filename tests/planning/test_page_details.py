"""Details of the planner page: department order, button styles, suggested sites' districts, empty exports."""
from html.parser import HTMLParser

import pytest

from geoservices.models import District
from geoservices.text import spanish_sort_key
from planning.models import CoverageRun

from .conftest import SMALL_DEPARTMENT

pytestmark = pytest.mark.django_db

#: Ayacucho, a department that the tests below empty of stored coverage.
UNCOMPUTED_DEPARTMENT = "05"


class PageParser(HTMLParser):
    """Collect the department options and the buttons of the planner page."""

    def __init__(self):
        super().__init__()
        self.departments: list[tuple[str, str]] = []
        self.buttons: list[dict] = []
        self._in_department_select = False
        self._option_value = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "select":
            self._in_department_select = attributes.get("id") == "department"
        elif tag == "option" and self._in_department_select and attributes.get("value"):
            self._option_value = attributes["value"]
        elif tag == "button":
            self.buttons.append(attributes)

    def handle_endtag(self, tag):
        if tag == "select":
            self._in_department_select = False
        if tag == "option":
            self._option_value = None

    def handle_data(self, data):
        if self._option_value:
            self.departments.append((self._option_value, data.strip()))


def parse_page(planner_client) -> PageParser:
    response = planner_client.get("/planning/")
    assert response.status_code == 200
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Ucayali", "Áncash", "Amazonas", "Apurímac"], ["Amazonas", "Áncash", "Apurímac", "Ucayali"]),
        (["Ñuñoa", "Nazca", "Ocoña", "nuevo"], ["Nazca", "nuevo", "Ñuñoa", "Ocoña"]),
        (["San Martín", "San Marcos", "Santa"], ["San Marcos", "San Martín", "Santa"]),
    ],
)
def test_spanish_sort_key_order(names, expected):
    assert sorted(names, key=spanish_sort_key) == expected


def test_department_list_spanish_order(planner_client):
    names = [label.rsplit(" (", 1)[0] for _ubigeo, label in parse_page(planner_client).departments]

    assert len(names) == 25
    assert names == sorted(names, key=spanish_sort_key)
    assert names[:3] == ["Amazonas", "Áncash", "Apurímac"]
    assert names[-1] == "Ucayali"


def test_every_button_styled(planner_client):
    buttons = parse_page(planner_client).buttons

    unstyled = [button.get("id") for button in buttons
                if not {"button-primary", "button-secondary"} & set(button.get("class", "").split())]
    assert buttons
    assert unstyled == []


def test_recompute_button_primary(planner_client):
    recompute = next(button for button in parse_page(planner_client).buttons if button.get("id") == "recompute")

    assert "button-primary" in recompute["class"].split()


def test_suggestions_name_district(planner_client, small_run):
    response = planner_client.get(
        f"/api/v1/coverage/suggestions/?department={SMALL_DEPARTMENT}&care=any&mode=walk&minutes=30&k=3"
    )
    sites = response.json()["results"]
    names = dict(District.objects.filter(pk__in=[site["ubigeo"] for site in sites]).values_list("pk", "name"))

    assert response.status_code == 200
    assert sites
    assert [site["district_name"] for site in sites] == [names[site["ubigeo"]] for site in sites]
    assert all(site["district_name"] for site in sites)


@pytest.mark.parametrize("file_format", ["csv", "geojson", "png"])
def test_empty_export_explains_why(planner_client, file_format):
    CoverageRun.objects.filter(department_id=UNCOMPUTED_DEPARTMENT).delete()

    response = planner_client.get(
        f"/planning/export/{file_format}?care=any&mode=walk&minutes=60&level=district"
        f"&department={UNCOMPUTED_DEPARTMENT}",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    message = response.content.decode()

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert "Content-Disposition" not in response
    assert "No hay nada que descargar" in message
    assert "Ayacucho (05)" in message
    assert "«Recalcular»" in message


def test_empty_export_without_department(planner_client):
    CoverageRun.objects.filter(care="level_ii1", mode="drive").delete()

    response = planner_client.get("/planning/export/csv?care=level_ii1&mode=drive&minutes=60&level=department")
    message = response.content.decode()

    assert response.status_code == 404
    assert "ningún departamento" in message
    assert "«Categoría II-1" in message


def test_page_has_empty_export_message(planner_client):
    page = planner_client.get("/planning/").content.decode()

    assert 'id="exports-empty"' in page
    assert "No hay nada que descargar: aún no se ha calculado la cobertura para esta elección." in page
