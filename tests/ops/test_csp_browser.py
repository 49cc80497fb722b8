"""The content security policy in a real headless Chromium: pages work and nothing is blocked."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.frontend.conftest import app_server, app_url, browser  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def csp_violations(driver):
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_family_page_without_csp_violations(browser, app_url):  # noqa: F811
    browser.get(app_url + "/")
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, "map")))
    WebDriverWait(browser, 30).until(lambda driver: driver.execute_script("return document.readyState") == "complete")

    assert csp_violations(browser) == []
    assert browser.execute_script("return typeof L") == "object"


def test_api_docs_render_under_csp(browser, app_url):  # noqa: F811
    browser.get(app_url + "/api/v1/docs/")
    title = WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )

    assert "GeoSalud API" in title.text
    assert csp_violations(browser) == []
