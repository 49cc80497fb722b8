"""The exports line of the planner page, in real headless Chromium."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from planning.models import CoverageRun

from .conftest import SMALL_DEPARTMENT
from .test_browser import WAIT_S, desk_browser, open_planning, planner_session  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def show_department(browser, department: str, districts: int) -> None:
    Select(browser.find_element(By.ID, "department")).select_by_value(department)
    WebDriverWait(browser, WAIT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) == districts
    )


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
