"""The planner page in real headless Chromium: choropleth, ranking and a recompute job."""
import re
import shutil
import tempfile

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from planning.models import CoverageRun
from tests.frontend.conftest import CHROMEDRIVER, chromium_options

from .conftest import SMALL_DEPARTMENT

pytestmark = pytest.mark.browser

WAIT_S = 60


@pytest.fixture
def planner_session(planning_server, django_db_blocker):
    """Store a planner and the small department's coverage, committed so that the server thread can read them."""
    with django_db_blocker.unblock():
        user, _created = User.objects.get_or_create(username="planner_browser")
        user.groups.add(Group.objects.get(name="planner"))
        call_command("compute_coverage", department=SMALL_DEPARTMENT, care="any", mode="walk", verbosity=0)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        yield client.cookies["sessionid"].value


#: Planners work at office desktops.
DESKTOP_WINDOW = (1280, 900)


def desktop_options(user_data_dir: str):
    """Build the family tests' loopback-only Chromium options at desktop size, without phone emulation."""
    options = chromium_options(user_data_dir, "es-PE,es")
    options.experimental_options.pop("mobileEmulation", None)
    options.arguments[:] = [argument for argument in options.arguments if not argument.startswith("--window-size=")]
    options.add_argument(f"--window-size={DESKTOP_WINDOW[0]},{DESKTOP_WINDOW[1]}")
    return options


@pytest.fixture
def desk_browser():
    """Start a fresh headless Chromium at desktop size whose Accept-Language requests Spanish (Peru)."""
    user_data_dir = tempfile.mkdtemp(prefix="geosalud-planning-chromium-")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=desktop_options(user_data_dir))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(user_data_dir, ignore_errors=True)


def open_planning(browser, server, session_id):
    browser.get(server.url + "/planning/login/")
    browser.add_cookie({"name": "sessionid", "value": session_id, "path": "/"})
    browser.get(server.url + "/planning/")
    WebDriverWait(browser, WAIT_S).until(lambda driver: driver.execute_script("return !!document.querySelector('.leaflet-container');"))


def test_map_and_ranking_for_department(desk_browser, planning_server, planner_session, django_db_blocker):
    open_planning(desk_browser, planning_server, planner_session)
    Select(desk_browser.find_element(By.ID, "department")).select_by_value(SMALL_DEPARTMENT)

    with django_db_blocker.unblock():
        districts = CoverageRun.objects.get(department_id=SMALL_DEPARTMENT, care="any", mode="walk").district_rows.count()
    # The map and the ranking arrive by separate requests, so both are waited for.
    WebDriverWait(desk_browser, WAIT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) == districts
        and len(driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")) == districts
    )
    rows = desk_browser.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    assert desk_browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert len(rows) == districts
    assert rows[0].find_elements(By.TAG_NAME, "td")[1].text.startswith(SMALL_DEPARTMENT)
    assert "CSV" in desk_browser.find_element(By.ID, "export-csv").text
    assert f"department={SMALL_DEPARTMENT}" in desk_browser.find_element(By.ID, "export-png").get_attribute("href")


def test_shares_use_decimal_comma(desk_browser, planning_server, planner_session):
    open_planning(desk_browser, planning_server, planner_session)
    Select(desk_browser.find_element(By.ID, "department")).select_by_value(SMALL_DEPARTMENT)
    WebDriverWait(desk_browser, WAIT_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr td")
        and driver.execute_script(
            "return document.getElementById('map-status').textContent !== "
            "JSON.parse(document.getElementById('planning-config').textContent).text.loading;"
        )
    )

    # Read the cells in one script: the table may be drawn again between two WebDriver calls.
    shares = desk_browser.execute_script(
        "return Array.from(document.querySelectorAll('#ranking tbody tr'))"
        ".map(function (row) { return row.cells[4].textContent.trim(); });"
    )
    assert shares
    for share in shares:
        assert re.fullmatch(r"\d{1,3},\d %", share), share


def test_recompute_shows_progress(desk_browser, planning_server, planner_session):
    open_planning(desk_browser, planning_server, planner_session)
    Select(desk_browser.find_element(By.ID, "department")).select_by_value(SMALL_DEPARTMENT)
    Select(desk_browser.find_element(By.ID, "care")).select_by_value("childbirth")
    done_text = desk_browser.execute_script(
        "return JSON.parse(document.getElementById('planning-config').textContent).text.jobDone;"
    )
    # Wait for the map of the new choice, so that the page no longer moves under the click.
    WebDriverWait(desk_browser, WAIT_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
        and driver.execute_script(
            "return document.getElementById('map-status').textContent !== "
            "JSON.parse(document.getElementById('planning-config').textContent).text.loading;"
        )
    )
    button = desk_browser.find_element(By.ID, "recompute")
    desk_browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)

    button.click()

    WebDriverWait(desk_browser, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "job-status").text == done_text
    )
    progress = desk_browser.find_element(By.ID, "job-progress")
    assert progress.is_displayed()
    assert progress.get_attribute("value") == "1"
    assert done_text == "Cobertura recalculada."
