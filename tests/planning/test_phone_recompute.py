"""The planner page on a phone-sized screen: no page-wide overflow, and the recompute button works."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.frontend.conftest import PHONE_WINDOW
from tests.frontend.conftest import browser as phone_browser  # noqa: F401 (fixture)

from .conftest import SMALL_DEPARTMENT
from .test_browser import WAIT_S, open_planning, planner_session  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_page_fits_phone_width(phone_browser, planning_server, planner_session):
    open_planning(phone_browser, planning_server, planner_session)
    Select(phone_browser.find_element(By.ID, "department")).select_by_value(SMALL_DEPARTMENT)
    WebDriverWait(phone_browser, WAIT_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    )

    width = phone_browser.execute_script("return document.documentElement.scrollWidth;")

    assert width <= PHONE_WINDOW[0]


def test_recompute_on_phone(phone_browser, planning_server, planner_session):
    open_planning(phone_browser, planning_server, planner_session)
    Select(phone_browser.find_element(By.ID, "department")).select_by_value(SMALL_DEPARTMENT)
    WebDriverWait(phone_browser, WAIT_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    )
    done_text = phone_browser.execute_script(
        "return JSON.parse(document.getElementById('planning-config').textContent).text.jobDone;"
    )
    button = phone_browser.find_element(By.ID, "recompute")
    phone_browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)

    button.click()

    WebDriverWait(phone_browser, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "job-status").text == done_text
    )
