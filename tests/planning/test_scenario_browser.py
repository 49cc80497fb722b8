"""The scenario map and the exports line of the planner page, in real headless Chromium."""
import pytest
from django.core.management import call_command
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from geoservices.models import Facility
from planning.models import CoverageRun

from .conftest import SMALL_DEPARTMENT
from .test_browser import WAIT_S, desk_browser, open_planning, planner_session  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

#: Ayacucho, where a new user's clicks on coloured districts added no scenario site.
AYACUCHO = "05"


@pytest.fixture(scope="module")
def ayacucho_run(planning_server, django_db_blocker):
    """Store Ayacucho's walking coverage for any facility, committed for the server thread.

    A run that this fixture created is deleted afterwards, so that other tests
    that map all computed departments find the database as before.
    """
    with django_db_blocker.unblock():
        runs = CoverageRun.objects.filter(department_id=AYACUCHO, care="any", mode="walk")
        created = not runs.exists()
        if created:
            call_command("compute_coverage", department=AYACUCHO, care="any", mode="walk", verbosity=0)
        yield runs.get()
        if created:
            runs.delete()


def show_department(browser, department: str, districts: int) -> None:
    Select(browser.find_element(By.ID, "department")).select_by_value(department)
    WebDriverWait(browser, WAIT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) == districts
    )


def scenario_site_items(browser) -> list[str]:
    """Return the texts of the placed sites listed under the scenario, without the empty-list hint."""
    hint = browser.execute_script(
        "return JSON.parse(document.getElementById('planning-config').textContent).text.noSites;"
    )
    items = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#scenario-sites li")]
    return [text for text in items if not text.startswith(hint)]


def click_largest_district(browser) -> None:
    """Click the middle of the largest coloured district polygon, as a user would with the mouse."""
    path = browser.execute_script(
        "var paths = Array.from(document.querySelectorAll('path.leaflet-interactive'));"
        "function area(path) { var box = path.getBBox(); return box.width * box.height; }"
        "paths.sort(function (a, b) { return area(b) - area(a); });"
        "return paths[0];"
    )
    coverage_map = browser.find_element(By.ID, "coverage-map")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", coverage_map)
    ActionChains(browser).move_to_element(path).click().perform()


@pytest.mark.parametrize("department", [AYACUCHO, SMALL_DEPARTMENT])
def test_click_district_adds_site(desk_browser, planning_server, planner_session, ayacucho_run, django_db_blocker,
                                  department):
    with django_db_blocker.unblock():
        districts = CoverageRun.objects.get(department_id=department, care="any", mode="walk").district_rows.count()
    open_planning(desk_browser, planning_server, planner_session)
    show_department(desk_browser, department, districts)

    click_largest_district(desk_browser)

    WebDriverWait(desk_browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".leaflet-popup"))
    popup = desk_browser.find_element(By.CSS_SELECTOR, ".leaflet-popup").text
    sites = scenario_site_items(desk_browser)
    markers = desk_browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")
    assert "personas a más de" in popup
    assert len(sites) == 1
    assert sites[0].startswith("Nuevo establecimiento ubicado en")
    assert len(markers) == 1


def test_upgrade_without_effect_says_why(desk_browser, planning_server, planner_session, django_db_blocker):
    # On coverage of any facility, every located post already gives the care.
    with django_db_blocker.unblock():
        districts = CoverageRun.objects.get(department_id=SMALL_DEPARTMENT, care="any", mode="walk").district_rows.count()
        post = Facility.objects.filter(spatial_ubigeo__startswith=SMALL_DEPARTMENT, category="I-1", is_searchable=True,
                                       location__isnull=False).order_by("renaes_code").first()
    open_planning(desk_browser, planning_server, planner_session)
    show_department(desk_browser, SMALL_DEPARTMENT, districts)

    desk_browser.find_element(By.ID, "upgrade-code").send_keys(post.renaes_code)
    Select(desk_browser.find_element(By.ID, "upgrade-category")).select_by_visible_text("I-4")
    desk_browser.find_element(By.ID, "add-upgrade").click()
    desk_browser.find_element(By.ID, "run-scenario").click()

    WebDriverWait(desk_browser, WAIT_S).until(lambda driver: driver.find_element(By.ID, "scenario-error").text)
    note = desk_browser.find_element(By.ID, "scenario-error").text
    table = desk_browser.find_element(By.CSS_SELECTOR, "#scenario-table tbody").text
    assert post.name in note
    assert "ya da esta atención con su categoría I-1" in note
    assert "I-4" in note
    assert table.startswith("Ningún distrito gana")


#: Amazonas, a department whose coverage the export test removes.
EMPTY_DEPARTMENT = "01"


@pytest.fixture
def empty_department(django_db_blocker):
    """Remove any stored coverage of Amazonas, committed so that the server thread finds none."""
    with django_db_blocker.unblock():
        CoverageRun.objects.filter(department_id=EMPTY_DEPARTMENT).delete()
    return EMPTY_DEPARTMENT


def exports_state(browser) -> tuple[bool, bool]:
    """Return whether the download links and the nothing-to-download message are displayed."""
    return (browser.find_element(By.ID, "exports").is_displayed(),
            browser.find_element(By.ID, "exports-empty").is_displayed())


def test_exports_say_when_empty(desk_browser, planning_server, planner_session, empty_department,
                                django_db_blocker):
    with django_db_blocker.unblock():
        run = CoverageRun.objects.get(department_id=SMALL_DEPARTMENT, care="any", mode="walk")
        districts = run.district_rows.count()
    open_planning(desk_browser, planning_server, planner_session)

    Select(desk_browser.find_element(By.ID, "department")).select_by_value(empty_department)
    WebDriverWait(desk_browser, WAIT_S).until(lambda driver: exports_state(driver) == (False, True))
    message = desk_browser.find_element(By.ID, "exports-empty").text
    show_department(desk_browser, SMALL_DEPARTMENT, districts)
    WebDriverWait(desk_browser, WAIT_S).until(lambda driver: exports_state(driver) == (True, False))

    assert message.startswith("No hay nada que descargar")
    assert "«Recalcular»" in message
