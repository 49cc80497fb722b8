"""Fixtures for the family pages: a live server and a real headless Chromium.

pytest-django's ``live_server`` fixture turns every test that uses it into a
``transactional_db`` test, which empties all tables after the test and so
drops the real data that ``django_db_setup`` loaded once for the whole run.
``app_server`` runs the same live server thread without that flush: the
browser reads the loaded data, and what the app itself writes (search
records, feedback) stays in the test database like in production.

Browser tests must still carry ``pytest.mark.django_db``: pytest-django
creates the test database only for runs that contain a test asking for it,
and otherwise the live server would read and write the dev database.
"""
import os
import shutil
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql
from pytest_django.live_server_helper import LiveServer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: Portrait size of an entry-level Android phone, in CSS pixels.
PHONE_WINDOW = (360, 780)

#: Chromium resolves only loopback names, so map tiles and any other
#: outside request fail at once instead of leaving this machine.
LOOPBACK_ONLY = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"


@pytest.fixture(scope="session")
def app_server(django_db_setup):
    """Serve the app on 127.0.0.1 from a thread, reading the loaded test database."""
    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


def _tables_written_by_app():
    from geoservices.models import DataReport, SearchRecord
    from matcher.models import Feedback, SearchImpression

    # Feedback first: it may refer to a search impression.
    return [model._meta.db_table for model in (Feedback, DataReport, SearchRecord, SearchImpression)]


def _delete_rows_after(max_ids: dict[str, int]) -> None:
    """Delete rows added after ``max_ids`` over a separate autocommit connection.

    The live server thread commits what the page sends, and the test's own
    transaction would roll back a delete made through Django's connection.
    """
    settings = connection.settings_dict
    with psycopg2.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
                          host=settings["HOST"], port=settings["PORT"]) as raw:
        with raw.cursor() as cursor:
            for table, max_id in max_ids.items():
                cursor.execute(sql.SQL("DELETE FROM {} WHERE id > %s").format(sql.Identifier(table)), [max_id])
    raw.close()


@pytest.fixture
def app_url(app_server, django_db_blocker):
    """Return the live server's base URL, with database access open for its thread.

    Feedback, reports and search records that the page writes during the test
    are deleted afterwards, so other tests that count them start from the
    loaded data alone.
    """
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            max_ids = {}
            for table in _tables_written_by_app():
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
                max_ids[table] = cursor.fetchone()[0]
        yield app_server.url
        _delete_rows_after(max_ids)


def chromium_options(user_data_dir: str, language: str) -> webdriver.ChromeOptions:
    """Build the options for Debian's headless Chromium: phone viewport, loopback only."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={PHONE_WINDOW[0]},{PHONE_WINDOW[1]}",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    # Headless windows are at least 500 px wide, so emulate the phone's viewport.
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": PHONE_WINDOW[0], "height": PHONE_WINDOW[1], "pixelRatio": 1}}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture
def browser():
    """Start a fresh headless Chromium whose Accept-Language requests Spanish (Peru)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(f"Chromium or chromedriver is missing ({CHROMIUM}, {CHROMEDRIVER}); run scripts/setup_system.sh.")
    user_data_dir = tempfile.mkdtemp(prefix="geosalud-chromium-")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chromium_options(user_data_dir, "es-PE,es"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(user_data_dir, ignore_errors=True)


@pytest.fixture
def screenshot(browser, tmp_path):
    """Return a function that saves a screenshot of the phone screen, or of the whole page.

    Screenshots go to ``tmp_path`` unless GEOSALUD_SCREENSHOT_DIR is set,
    as in ``GEOSALUD_SCREENSHOT_DIR=docs/screenshots pytest -m browser``.
    """
    folder = Path(os.environ.get("GEOSALUD_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(name: str, full_page: bool = False) -> Path:
        path = folder / f"{name}.png"
        if not full_page:
            browser.save_screenshot(str(path))
            return path
        # The phone viewport is emulated, so it is resized through DevTools, not the window.
        height = browser.execute_script("return document.documentElement.scrollHeight")
        metrics = {"width": PHONE_WINDOW[0], "deviceScaleFactor": 1, "mobile": True}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", dict(metrics, height=max(PHONE_WINDOW[1], height)))
        browser.save_screenshot(str(path))
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", dict(metrics, height=PHONE_WINDOW[1]))
        return path

    return save
