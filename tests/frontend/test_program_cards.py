"""Programme cards on a phone: name, status and first reason in view, the rest one tap away.

Before the programme cards were folded, this search (10 facility results,
9 programmes the household may qualify for, 360 px wide phone) made the
programme list 4,917 px tall and the page 13,508 px (headless Chromium 156,
tests/frontend/conftest.py's phone viewport). Folded, the same search
measured 2,394 px and 10,986 px. The bounds below leave about 800 px of
margin for longer names, reasons and fonts, and still fail if the cards open.
"""
import pytest
from selenium.webdriver.common.by import By

from tests.frontend.test_browser import (
    chosen_location,
    match_api,
    pregnant_woman_request,
    search_pregnant_woman_at_sjl,
    search_pregnant_woman_on_wide_screen,
    wait,
)
from tests.frontend.test_result_cards import height

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

MAX_PROGRAM_LIST_HEIGHT_PX = 3_200
MAX_PAGE_HEIGHT_PX = 11_800
#: A folded programme card measured 227 to 304 px; before folding, cards measured 472 to 603 px.
MAX_FOLDED_PROGRAM_HEIGHT_PX = 420

#: The badge text of each programme status, in Spanish (Peru).
STATUS_LABELS = {
    "eligible": "Puede acceder",
    "likely": "Probablemente puede acceder",
    "not_eligible": "No parece poder acceder",
}

#: Elements in the folded part of a programme card for this search, each of which must show once it is open.
DETAIL_SELECTORS = [".documents-title", ".documents", ".next-step"]


def program_cards(browser, list_id="program-list"):
    return browser.find_elements(By.CSS_SELECTOR, f"#{list_id} > li.program")


def expected_programs(browser, eligible=True):
    programs = match_api(pregnant_woman_request(chosen_location(browser)))["programs"]
    return [program for program in programs if (program["status"] != "not_eligible") == eligible]


def is_open(card):
    return card.find_element(By.CSS_SELECTOR, ".program-more").get_attribute("open") is not None


def open_program_card(browser, card):
    """Open a programme card by tapping its toggle, as a family would on a phone."""
    toggle = card.find_element(By.CSS_SELECTOR, ".program-more-toggle")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
    toggle.click()
    wait(browser).until(lambda driver: is_open(card))


def test_phone_programme_list_short(browser, app_url, screenshot):
    search_pregnant_woman_at_sjl(browser, app_url)
    program_list = browser.find_element(By.ID, "program-list")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", program_list)
    screenshot("15-programas-plegados")
    list_height = height(browser, program_list)
    page_height = browser.execute_script("return document.documentElement.scrollHeight;")
    card_heights = [height(browser, card) for card in program_cards(browser)]

    assert len(card_heights) == len(expected_programs(browser)) == 9
    assert list_height < MAX_PROGRAM_LIST_HEIGHT_PX, f"programme list is {list_height} px tall"
    assert page_height < MAX_PAGE_HEIGHT_PX, f"page is {page_height} px tall"
    assert max(card_heights) < MAX_FOLDED_PROGRAM_HEIGHT_PX, card_heights


def test_folded_programme_shows_name_and_status(browser, app_url):
    search_pregnant_woman_at_sjl(browser, app_url)
    cards = program_cards(browser)
    expected = expected_programs(browser)

    for card, program in zip(cards, expected, strict=True):
        heading = card.find_element(By.CSS_SELECTOR, "h4")
        badge = card.find_element(By.CSS_SELECTOR, ".badge")
        first_reason = card.find_element(By.CSS_SELECTOR, ".program-first-reason")
        toggle = card.find_element(By.CSS_SELECTOR, ".program-more-toggle")

        assert not is_open(card), program["name"]
        assert heading.text == program["name"]
        assert badge.text == STATUS_LABELS[program["status"]]
        assert first_reason.text == program["reasons"][0]
        assert toggle.text == "Ver detalles"
        assert toggle.get_attribute("aria-describedby") == heading.get_attribute("id")
        for selector in DETAIL_SELECTORS:
            assert not card.find_element(By.CSS_SELECTOR, selector).is_displayed(), (program["name"], selector)


def test_opened_programme_shows_documents(browser, app_url, screenshot):
    search_pregnant_woman_at_sjl(browser, app_url)
    cards = program_cards(browser)
    program = expected_programs(browser)[0]
    first = cards[0]
    open_program_card(browser, first)
    screenshot("16-programa-abierto")
    documents = [line.text for line in first.find_elements(By.CSS_SELECTOR, ".documents li")]
    next_step = first.find_element(By.CSS_SELECTOR, ".next-step")
    members = [line.text for line in first.find_elements(By.CSS_SELECTOR, ".program-members li")]

    assert program["documents"]
    assert program["next_step"]
    assert program["members"]
    assert first.find_element(By.CSS_SELECTOR, ".program-more-toggle").text == "Ocultar detalles"
    for selector in DETAIL_SELECTORS:
        assert first.find_element(By.CSS_SELECTOR, selector).is_displayed(), selector
    assert documents == program["documents"]
    assert next_step.text == "Siguiente paso: " + program["next_step"]
    assert members == [f"Persona 1: {STATUS_LABELS[program['status']]} — {program['members'][0]['reason']}"]
    assert [is_open(card) for card in cards] == [index == 0 for index in range(len(cards))]


def test_not_eligible_programme_folds_too(browser, app_url):
    search_pregnant_woman_at_sjl(browser, app_url)
    others = browser.find_element(By.ID, "programs-not-eligible")
    others.find_element(By.TAG_NAME, "summary").click()
    cards = program_cards(browser, "program-list-not-eligible")
    expected = expected_programs(browser, eligible=False)
    headings = [card.find_element(By.CSS_SELECTOR, "h4").text for card in cards]
    folded = [not is_open(card) for card in cards]
    open_program_card(browser, cards[-1])
    documents = [line.text for line in cards[-1].find_elements(By.CSS_SELECTOR, ".documents li")]

    assert headings == [program["name"] for program in expected]
    assert all(folded)
    assert cards[-1].find_element(By.CSS_SELECTOR, ".badge").text == STATUS_LABELS["not_eligible"]
    assert documents == expected[-1]["documents"]
    assert cards[-1].find_element(By.CSS_SELECTOR, ".next-step").is_displayed()


def test_printed_programme_cards_show_details(browser, app_url):
    search_pregnant_woman_at_sjl(browser, app_url)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    card = program_cards(browser)[0]
    documents = card.find_element(By.CSS_SELECTOR, ".documents")
    toggle = card.find_element(By.CSS_SELECTOR, ".program-more-toggle")

    assert not is_open(card)
    # Selenium reports content of a closed <details> as hidden whatever the CSS does, so the box is measured.
    assert height(browser, documents) > 0
    assert height(browser, toggle) == 0


def test_wide_screen_programmes_start_open(browser, app_url):
    search_pregnant_woman_on_wide_screen(browser, app_url)
    cards = program_cards(browser)

    assert browser.execute_script("return window.innerWidth;") == 1024
    assert cards
    assert all(is_open(card) for card in cards)
    assert all(card.find_element(By.CSS_SELECTOR, ".documents").is_displayed() for card in cards)
    assert cards[0].find_element(By.CSS_SELECTOR, ".program-more-toggle").text == "Ocultar detalles"
