"""Result cards on a phone: short by default, with every detail one tap away.

Before the cards were folded, this search (10 results, 360 px wide phone)
made the page 22,169 px tall, 12,262 px of it the facility list (headless
Chromium 156, tests/frontend/conftest.py's phone viewport). Folded, the
same search measured 13,508 px and 3,601 px. The bounds below leave about
2,000 px and 1,400 px of margin for longer names, reasons and fonts.
"""
import pytest
from django.conf import settings
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.frontend.test_browser import (
    check_need,
    chosen_location,
    fill_member,
    match_api,
    open_home,
    open_card_details,
    pregnant_woman_request,
    search_pregnant_woman_at_sjl,
    search_pregnant_woman_on_wide_screen,
    submit_search,
    tap_map_at,
    wait,
    wait_for_results,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

MAX_PAGE_HEIGHT_PX = 15_500
MAX_LIST_HEIGHT_PX = 5_000
#: A folded card measured 347 to 370 px; before folding, cards measured 1,086 to 1,318 px.
MAX_FOLDED_CARD_HEIGHT_PX = 500

#: Elements in the folded part of a card, each of which must show once the card is open.
DETAIL_SELECTORS = [
    ".facility-details",
    ".reasons",
    ".show-on-map",
    ".route-link",
    ".referral-link",
    ".feedback .feedback-question",
    ".feedback button",
    ".report summary",
]


def height(browser, element):
    return browser.execute_script("return arguments[0].getBoundingClientRect().height;", element)


def is_open(item):
    return item.find_element(By.CSS_SELECTOR, ".facility-more").get_attribute("open") is not None


def test_phone_page_short_with_ten_results(browser, app_url, screenshot):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", items[0])
    screenshot("13-tarjetas-plegadas")
    page_height = browser.execute_script("return document.documentElement.scrollHeight;")
    list_height = height(browser, browser.find_element(By.ID, "facility-list"))
    card_heights = [height(browser, item) for item in items]

    assert len(items) == settings.GEOSALUD["MAX_RESULTS"] == 10
    assert page_height < MAX_PAGE_HEIGHT_PX, f"page is {page_height} px tall"
    assert list_height < MAX_LIST_HEIGHT_PX, f"facility list is {list_height} px tall"
    assert max(card_heights) < MAX_FOLDED_CARD_HEIGHT_PX, card_heights


def test_folded_card_shows_choice_facts(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    expected = match_api(pregnant_woman_request(chosen_location(browser)))["facilities"]

    for item, facility in zip(items, expected, strict=True):
        heading = item.find_element(By.CSS_SELECTOR, ".facility-heading").text
        kind = item.find_element(By.CSS_SELECTOR, ".facility-kind").text
        first_reason = item.find_element(By.CSS_SELECTOR, ".facility-first-reason").text
        main_actions = item.find_elements(By.CSS_SELECTOR, ".facility-main-actions > *")
        toggle = item.find_element(By.CSS_SELECTOR, ".facility-more-toggle")

        assert not is_open(item)
        assert heading.split() == [str(facility["rank"]), *facility["name"].split()]
        assert facility["category"] in kind
        assert item.find_element(By.CSS_SELECTOR, ".travel-time").is_displayed()
        assert first_reason == facility["reasons"][0]
        assert main_actions and all(action.is_displayed() for action in main_actions)
        assert toggle.text == "Ver detalles"
        for selector in DETAIL_SELECTORS:
            assert not item.find_element(By.CSS_SELECTOR, selector).is_displayed(), selector
    # The call button dials the first number that the phone list in the details links.
    for item in items:
        calls = item.find_elements(By.CSS_SELECTOR, ".call-link")
        phones = item.find_elements(By.CSS_SELECTOR, ".facility-details a.phone-link")
        assert [call.get_attribute("href") for call in calls] == [link.get_attribute("href") for link in phones[:1]]


def test_opened_card_shows_feedback_and_buttons(browser, app_url, screenshot):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    expected = match_api(pregnant_woman_request(chosen_location(browser)))["facilities"]
    second = items[1]
    open_card_details(browser, second)
    screenshot("14-tarjeta-abierta")
    reasons = [line.text for line in second.find_elements(By.CSS_SELECTOR, ".reasons li")]
    feedback_buttons = second.find_elements(By.CSS_SELECTOR, ".feedback button")

    assert second.find_element(By.CSS_SELECTOR, ".facility-more-toggle").text == "Ocultar detalles"
    for selector in DETAIL_SELECTORS:
        assert second.find_element(By.CSS_SELECTOR, selector).is_displayed(), selector
    assert [button.text for button in feedback_buttons] == ["Sí, me atendieron", "No, no me atendieron"]
    assert reasons == expected[1]["reasons"]
    assert [is_open(item) for item in items] == [index == 1 for index in range(len(items))]


def test_card_toggle_works_by_keyboard(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    toggle = items[0].find_element(By.CSS_SELECTOR, ".facility-more-toggle")
    browser.execute_script("arguments[0].focus();", toggle)

    ActionChains(browser).send_keys(Keys.ENTER).perform()
    opened = is_open(items[0])
    feedback_shown = items[0].find_element(By.CSS_SELECTOR, ".feedback").is_displayed()
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    wait(browser).until(lambda driver: not is_open(items[0]))

    assert opened
    assert feedback_shown
    assert toggle.get_attribute("aria-describedby") == items[0].find_element(By.CSS_SELECTOR, "h4").get_attribute("id")
    assert not items[0].find_element(By.CSS_SELECTOR, ".feedback").is_displayed()


def test_map_popup_link_opens_card(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    first = match_api(pregnant_woman_request(chosen_location(browser)))["facilities"][0]
    # Zoomed in on the first facility, its marker is drawn alone instead of in a cluster.
    browser.execute_script("window.geosaludMap.setView([arguments[0], arguments[1]], 19, {animate: false});",
                           first["location"]["lat"], first["location"]["lon"])
    marker = wait(browser).until(lambda driver: driver.find_element(
        By.CSS_SELECTOR, f".leaflet-marker-icon.rank-icon[title='{first['name']}']"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", marker)
    marker.click()
    link = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".leaflet-popup-content a")))
    link_text = link.text
    link.click()
    wait(browser).until(lambda driver: is_open(items[0]))

    assert link_text == "Ver detalles"
    assert browser.current_url.endswith("#facility-" + first["renaes_code"])
    assert items[0].find_element(By.CSS_SELECTOR, ".feedback").is_displayed()
    assert not is_open(items[1])


def test_wide_screen_cards_start_open(browser, app_url):
    items = search_pregnant_woman_on_wide_screen(browser, app_url)

    assert browser.execute_script("return window.innerWidth;") == 1024
    assert items
    assert all(is_open(item) for item in items)
    assert all(item.find_element(By.CSS_SELECTOR, ".feedback").is_displayed() for item in items)
    assert items[0].find_element(By.CSS_SELECTOR, ".facility-more-toggle").text == "Ocultar detalles"


def test_folded_card_shows_insurance_limit(browser, app_url):
    # With SIS, an EsSalud or private facility attends an emergency only; that limit must not fold away.
    open_home(browser, app_url)
    tap_map_at(browser, -11.98, -77.0)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "emergency")
    sis = browser.find_element(By.CSS_SELECTOR, 'input[name="insurance"][value="sis"]')
    browser.execute_script("arguments[0].click();", sis)
    submit_search(browser)
    items = wait_for_results(browser)
    body = dict(pregnant_woman_request(chosen_location(browser)), needs=["emergency"], insurance="sis")
    expected = match_api(body)["facilities"]

    limited = [(item, facility) for item, facility in zip(items, expected, strict=True)
               if facility["insurance_terms"] == "emergency_only"]
    assert limited
    for item, facility in limited:
        line = item.find_element(By.CSS_SELECTOR, ".facility-terms-limit")
        assert not is_open(item)
        assert line.is_displayed()
        assert line.text == facility["reasons"][1]
