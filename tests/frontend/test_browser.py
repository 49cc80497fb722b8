"""The family search, driven in real headless Chromium at phone size.

Each test compares what the page shows with what ``POST /api/v1/match/``
returns for the same request, so the expected values come from the real
data and the real API, not from this file.
"""
import json
import re

import pytest
from django.test import Client
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# django_db makes pytest-django set up the test database even when only
# browser tests run; without it the live server would use the dev database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

#: A point in San Juan de Lurigancho, Lima, inside the road-network extract.
SJL_LAT, SJL_LON = -11.98, -77.00
WAIT_S = 60


def wait(browser, seconds=WAIT_S):
    return WebDriverWait(browser, seconds)


def open_home(browser, app_url):
    browser.get(app_url + "/")
    wait(browser).until(lambda driver: driver.execute_script("return !!(window.geosaludMap);"))


def tap_map_at(browser, lat, lon):
    """Centre the map on a point as a user would by panning, then tap the centre."""
    browser.execute_script("window.geosaludMap.setView([arguments[0], arguments[1]], 15, {animate: false});", lat, lon)
    map_element = browser.find_element(By.ID, "map")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", map_element)
    ActionChains(browser).move_to_element(map_element).click().perform()


def fill_member(browser, position, age, sex="F", pregnant=False):
    member = browser.find_elements(By.CSS_SELECTOR, "#members .member")[position]
    age_input = member.find_element(By.NAME, "age")
    age_input.clear()
    age_input.send_keys(str(age))
    member.find_element(By.CSS_SELECTOR, f"input[type=radio][value={sex}]").click()
    if pregnant:
        member.find_element(By.NAME, "pregnant").click()


def check_need(browser, code):
    browser.find_element(By.CSS_SELECTOR, f"input[name=needs][value={code}]").click()


def submit_search(browser):
    button = browser.find_element(By.ID, "search-button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def wait_for_results(browser):
    wait(browser).until(EC.visibility_of_element_located((By.ID, "results")))
    return browser.find_elements(By.CSS_SELECTOR, "#facility-list > li.facility")


def match_api(body, language="es"):
    client = Client()
    client.cookies["geosalud_language"] = language
    response = client.post("/api/v1/match/", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def markers_shown(browser):
    """Count the facilities on the map: single markers plus the counts on cluster markers."""
    singles = browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.rank-icon")
    clusters = browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.cluster-icon")
    return len(singles) + sum(int(cluster.text) for cluster in clusters)


def chosen_location(browser):
    return json.loads(browser.find_element(By.ID, "location-status").get_attribute("data-location"))


def pregnant_woman_request(location, mode="walk"):
    return {
        "location": location,
        "household": [{"age": 27, "sex": "F", "pregnant": True, "disability": False, "chronic_illness": None}],
        "needs": ["prenatal_care"],
        "insurance": "none",
        "sisfoh": "unknown",
        "mode": mode,
    }


def test_search_from_map_tap(browser, app_url, screenshot):
    open_home(browser, app_url)
    screenshot("01-inicio", full_page=True)
    tap_map_at(browser, SJL_LAT, SJL_LON)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "prenatal_care")
    screenshot("02-formulario", full_page=True)
    submit_search(browser)
    items = wait_for_results(browser)
    screenshot("03-resultados")

    status = browser.find_element(By.ID, "location-status").text
    location = chosen_location(browser)
    expected = match_api(pregnant_woman_request(location))
    shown_names = [item.find_element(By.CSS_SELECTOR, ".facility-name").text for item in items]
    times = [item.find_element(By.CSS_SELECTOR, ".travel-time").text for item in items]
    badges = [item.find_element(By.CSS_SELECTOR, ".badge").text for item in items]
    programmes = browser.find_elements(By.CSS_SELECTOR, "#program-list > li.program h4")
    route = items[0].find_element(By.CSS_SELECTOR, ".route-link").get_attribute("href")

    assert "el punto que marcó en el mapa" in status
    assert location["lat"] == pytest.approx(SJL_LAT, abs=0.001)
    assert location["lon"] == pytest.approx(SJL_LON, abs=0.001)
    assert items, "no facility listed"
    assert shown_names == [facility["name"] for facility in expected["facilities"]]
    assert all(re.match(r"^\d+ min", text) for text in times), times
    assert "por la red vial" in badges
    assert markers_shown(browser) == len(items)
    # The link is checked, never followed: tests reach no host but this machine.
    route_from = route.split("route=")[1].split("%3B")[0].split("%2C")
    assert route.startswith("https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=")
    assert float(route_from[0]) == pytest.approx(location["lat"], abs=1e-4)
    assert float(route_from[1]) == pytest.approx(location["lon"], abs=1e-4)
    # Lima landlines are listed without the area code; the link must dial it.
    phone_links = [link.get_attribute("href") for link in browser.find_elements(By.CSS_SELECTOR, "a.phone-link")]
    assert phone_links
    assert all(link.startswith("tel:+51") for link in phone_links), phone_links
    assert any(link.startswith("tel:+511") and len(link) == len("tel:+5113882503") for link in phone_links), phone_links
    assert [p.text for p in programmes] == [
        program["name"] for program in expected["programs"] if program["status"] != "not_eligible"
    ]


def test_search_by_district_name(browser, app_url, screenshot):
    open_home(browser, app_url)
    place = browser.find_element(By.ID, "place-query")
    place.send_keys("san juan de lurigancho")
    option = wait(browser).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#place-suggestions .suggestion"))
    )
    screenshot("04-busqueda-por-nombre")
    option_text = option.text
    place.send_keys(Keys.ARROW_DOWN)
    place.send_keys(Keys.ENTER)
    fill_member(browser, 0, 70, "M")
    check_need(browser, "general_consultation")
    submit_search(browser)
    items = wait_for_results(browser)

    status = browser.find_element(By.ID, "location-status").text
    assert "Lurigancho" in option_text
    assert option_text.upper().startswith(("DISTRITO", "CENTRO POBLADO"))
    assert "Lurigancho" in status
    assert items
    assert all(item.find_element(By.CSS_SELECTOR, ".travel-time").text for item in items)


def test_switch_to_english(browser, app_url, screenshot):
    open_home(browser, app_url)
    browser.find_element(By.CSS_SELECTOR, ".language-switch button[value=en]").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Find health care you can reach"))
    wait(browser).until(lambda driver: driver.execute_script("return !!(window.geosaludMap);"))
    tap_map_at(browser, SJL_LAT, SJL_LON)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "prenatal_care")
    submit_search(browser)
    items = wait_for_results(browser)
    screenshot("05-results-english")

    badges = {item.find_element(By.CSS_SELECTOR, ".badge").text for item in items}
    toggles = {item.find_element(By.CSS_SELECTOR, ".facility-more-toggle").text for item in items}
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "the point you marked on the map" in browser.find_element(By.ID, "location-status").text
    assert badges <= {"by the road network", "straight-line estimate"}
    assert toggles == {"Show details"}
    assert browser.find_element(By.CSS_SELECTOR, ".language-switch button[value=es]").text == "Español"


def test_api_error_shown_next_to_age(browser, app_url, screenshot):
    open_home(browser, app_url)
    tap_map_at(browser, SJL_LAT, SJL_LON)
    fill_member(browser, 0, 130, "M")
    check_need(browser, "general_consultation")
    submit_search(browser)
    error = wait(browser).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#members .member [data-error-field=age] > .error"))
    )
    screenshot("06-error-edad")

    assert "130" in error.text or "120" in error.text, error.text
    assert not browser.find_element(By.ID, "results").is_displayed()


def test_search_without_place_asks_for_one(browser, app_url):
    open_home(browser, app_url)
    fill_member(browser, 0, 30, "F")
    submit_search(browser)
    error = wait(browser).until(EC.visibility_of_element_located((By.ID, "error-location")))

    assert "Primero elija un lugar" in error.text


def search_pregnant_woman_at_sjl(browser, app_url):
    open_home(browser, app_url)
    tap_map_at(browser, SJL_LAT, SJL_LON)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "prenatal_care")
    submit_search(browser)
    return wait_for_results(browser)


def search_pregnant_woman_on_wide_screen(browser, app_url):
    """Run the same search as search_pregnant_woman_at_sjl in a 1024 px wide window."""
    open_home(browser, app_url)
    # Chromedriver applies the phone emulation again on every navigation, so the page is widened after loading.
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1024, "height": 780, "deviceScaleFactor": 1, "mobile": False})
    tap_map_at(browser, SJL_LAT, SJL_LON)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "prenatal_care")
    submit_search(browser)
    return wait_for_results(browser)


def open_card_details(browser, item):
    """Open a result card's folded details by tapping its toggle, as a family would on a phone."""
    more = item.find_element(By.CSS_SELECTOR, ".facility-more")
    if more.get_attribute("open") is not None:
        return
    toggle = more.find_element(By.CSS_SELECTOR, ":scope > summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
    toggle.click()
    wait(browser).until(lambda driver: more.get_attribute("open") is not None)


def facility_names(browser):
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#facility-list .facility-name")]


def test_shared_link_reopens_results(browser, app_url, screenshot):
    search_pregnant_woman_at_sjl(browser, app_url)
    names = facility_names(browser)
    share_url = browser.find_element(By.ID, "share-url").get_attribute("value")
    whatsapp = browser.find_element(By.ID, "share-whatsapp").get_attribute("href")

    browser.get("about:blank")
    browser.get(share_url)
    wait_for_results(browser)
    wait(browser).until(lambda driver: facility_names(driver))
    screenshot("07-enlace-compartido")

    assert share_url.startswith(app_url + "/?s=")
    assert whatsapp.startswith("https://wa.me/?text=")
    assert facility_names(browser) == names
    assert browser.find_element(By.CSS_SELECTOR, "#members .member input[name=age]").get_attribute("value") == "27"
    assert browser.find_element(By.CSS_SELECTOR, "input[name=needs][value=prenatal_care]").is_selected()


def test_feedback_stored_without_personal_data(browser, app_url):
    from matcher.models import Feedback

    search_pregnant_woman_at_sjl(browser, app_url)
    first = browser.find_element(By.CSS_SELECTOR, "#facility-list > li.facility")
    renaes_code = first.get_attribute("id").removeprefix("facility-")
    before = Feedback.objects.filter(renaes_code=renaes_code, action="attended").count()
    open_card_details(browser, first)
    button = first.find_element(By.CSS_SELECTOR, ".feedback button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    wait(browser).until(lambda driver: first.find_element(By.CSS_SELECTOR, ".feedback-thanks").text)

    assert first.find_element(By.CSS_SELECTOR, ".feedback-thanks").text.startswith("Gracias")
    assert Feedback.objects.filter(renaes_code=renaes_code, action="attended").count() == before + 1
    assert Feedback.objects.filter(renaes_code=renaes_code, action="attended").latest("created_at").search_id


def test_referral_link_opens_slip(browser, app_url, screenshot):
    search_pregnant_woman_at_sjl(browser, app_url)
    first_name = facility_names(browser)[0]
    link = browser.find_element(By.CSS_SELECTOR, "#facility-list > li.facility .referral-link")
    browser.get(link.get_attribute("href"))
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), first_name))
    screenshot("08-hoja-de-referencia", full_page=True)

    assert browser.find_element(By.CSS_SELECTOR, ".slip-kicker").text.lower() == "hoja de referencia"


def test_outlines_replace_failed_tiles(browser, app_url, screenshot):
    # Chromium here resolves only loopback names, so every tile request fails.
    open_home(browser, app_url)
    notice = wait(browser).until(EC.visibility_of_element_located((By.ID, "map-notice")))
    wait(browser).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".leaflet-boundaries-pane path"))
    map_element = browser.find_element(By.ID, "map")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", map_element)
    screenshot("10-mapa-sin-teselas")

    outlines = browser.find_elements(By.CSS_SELECTOR, ".leaflet-boundaries-pane path")
    assert "límites de departamentos y distritos" in notice.text
    assert len(outlines) >= 25


def tab_to(browser, selector, max_presses=80):
    """Press Tab until the focused element matches ``selector``, as a keyboard user would."""
    for _ in range(max_presses):
        if browser.execute_script("return document.activeElement.matches(arguments[0]);", selector):
            return browser.switch_to.active_element
        ActionChains(browser).send_keys(Keys.TAB).perform()
    raise AssertionError(f"{selector} not reached with {max_presses} Tab presses")


def test_search_keyboard_only(browser, app_url, screenshot):
    open_home(browser, app_url)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    first_focus = browser.switch_to.active_element.get_attribute("class")

    tab_to(browser, "#place-query")
    ActionChains(browser).send_keys("san juan de lurigancho").perform()
    wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#place-suggestions .suggestion")))
    ActionChains(browser).send_keys(Keys.ARROW_DOWN).send_keys(Keys.ENTER).perform()
    tab_to(browser, "#members .member input[name=age]")
    ActionChains(browser).send_keys("34").perform()
    tab_to(browser, "input[name=needs][value=general_consultation]")
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    tab_to(browser, "#search-button")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    items = wait_for_results(browser)
    screenshot("11-solo-teclado")

    assert first_focus == "skip-link"
    assert "Lurigancho" in browser.find_element(By.ID, "location-status").text
    assert items
    assert browser.switch_to.active_element.get_attribute("id") == "results-heading"


def test_markers_cluster_when_zoomed_out(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    browser.execute_script("window.geosaludMap.setView([-9.5, -75.0], 5, {animate: false});")
    clusters = wait(browser).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.cluster-icon")
    )

    assert len(clusters) == 1
    assert int(clusters[0].text) == len(items)
    assert markers_shown(browser) == len(items)


def test_report_wrong_data_from_result(browser, app_url):
    from geoservices.models import DataReport

    search_pregnant_woman_at_sjl(browser, app_url)
    first = browser.find_element(By.CSS_SELECTOR, "#facility-list > li.facility")
    renaes_code = first.get_attribute("id").removeprefix("facility-")
    before = DataReport.objects.filter(renaes_code=renaes_code, topic="phone").count()
    open_card_details(browser, first)
    summary = first.find_element(By.CSS_SELECTOR, ".report summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    first.find_element(By.CSS_SELECTOR, ".report input[type=radio][value=phone]").click()
    first.find_element(By.CSS_SELECTOR, ".report button[type=submit]").click()
    wait(browser).until(lambda driver: first.find_element(By.CSS_SELECTOR, ".report-status").text)

    assert first.find_element(By.CSS_SELECTOR, ".report-status").text.startswith("Gracias")
    assert DataReport.objects.filter(renaes_code=renaes_code, topic="phone").count() == before + 1


def test_vehicle_times_added_on_request(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    button = browser.find_element(By.ID, "other-mode-button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    label = button.text
    button.click()
    wait(browser).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".other-mode-time"))
    lines = [item.find_element(By.CSS_SELECTOR, ".other-mode-time").text for item in items]
    drive = match_api(pregnant_woman_request(chosen_location(browser), mode="drive"))
    drive_codes = {facility["renaes_code"] for facility in drive["facilities"]}
    listed_codes = [item.get_attribute("id").removeprefix("facility-") for item in items]

    assert label == "Ver también los tiempos en vehículo"
    assert all(line.startswith("En vehículo:") for line in lines)
    for code, line in zip(listed_codes, lines):
        assert ("min" in line) == (code in drive_codes), line


def test_typed_district_used_without_picking(browser, app_url, screenshot):
    open_home(browser, app_url)
    browser.find_element(By.ID, "place-query").send_keys("Ventanilla")
    fill_member(browser, 0, 30, "F")
    check_need(browser, "general_consultation")
    submit_search(browser)
    items = wait_for_results(browser)
    screenshot("12-distrito-escrito-sin-elegir")

    status = browser.find_element(By.ID, "location-status").text
    searched_from = browser.find_element(By.ID, "results-place").text
    assert items
    assert "primer lugar que coincide con «Ventanilla»" in status, status
    assert searched_from.startswith("Búsqueda desde"), searched_from
    assert "VENTANILLA" in searched_from.upper(), searched_from
    assert "Primero elija un lugar" not in browser.find_element(By.ID, "error-location").text


def test_typed_unknown_place_names_text(browser, app_url):
    open_home(browser, app_url)
    browser.find_element(By.ID, "place-query").send_keys("Xqzwvk")
    fill_member(browser, 0, 30, "F")
    submit_search(browser)
    error = wait(browser).until(EC.visibility_of_element_located((By.ID, "error-location")))

    assert "«Xqzwvk»" in error.text
    assert "Elija su distrito en la lista" in error.text
    assert not browser.find_element(By.ID, "results").is_displayed()


def test_travel_method_folded_and_not_repeated(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    expected = match_api(pregnant_woman_request(chosen_location(browser)))
    methods = {facility["travel_time_method"] for facility in expected["facilities"]}
    shared = browser.find_element(By.ID, "travel-method-shared")
    per_card = browser.find_elements(By.CSS_SELECTOR, "#facility-list details.travel-method")

    if len(methods) == 1:
        assert shared.is_displayed()
        assert per_card == []
    else:
        assert not shared.is_displayed()
        assert len(per_card) == len(items)
    # Folded: the summary shows, the paragraph does not until the family opens it.
    assert all(box.get_attribute("open") is None for box in [shared, *per_card])
    assert "¿Cómo se calculó el tiempo de viaje?" in browser.find_element(
        By.CSS_SELECTOR, "details.travel-method summary").get_attribute("textContent")
    assert not any("a campo traviesa" in method for method in methods), methods


def test_long_trip_shown_in_days_with_notice(browser, app_url):
    # A point in the forest of Alto Purús (Ucayali): the nearest facility with prenatal care is about 100 km away.
    open_home(browser, app_url)
    tap_map_at(browser, -10.6, -71.6)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "prenatal_care")
    submit_search(browser)
    items = wait_for_results(browser)
    expected = match_api(pregnant_woman_request(chosen_location(browser)))
    times = [item.find_element(By.CSS_SELECTOR, ".travel-time").text for item in items]
    notice = browser.find_element(By.ID, "long-trip-notice")
    fastest = min(facility["travel_time_min"] for facility in expected["facilities"])

    for facility, text in zip(expected["facilities"], times):
        if facility["travel_time_min"] >= 24 * 60:
            assert re.match(r"^\d+(,\d)? días? ·", text), text
        elif facility["travel_time_min"] >= 60:
            assert re.match(r"^\d+ h( \d+ min)? ·", text), text
    assert fastest > 12 * 60
    assert notice.is_displayed()
    assert "menos de 12 horas" in notice.text
    assert any("día" in text for text in times), times


def test_long_trip_notice_per_care(browser, app_url):
    # Santa María de Nanay (Loreto): its own post (3 min) only vaccinates; childbirth is over 12 hours away.
    open_home(browser, app_url)
    tap_map_at(browser, -3.88847, -73.697544)
    fill_member(browser, 0, 27, "F", pregnant=True)
    check_need(browser, "childbirth")
    check_need(browser, "vaccination")
    submit_search(browser)
    wait_for_results(browser)
    body = dict(pregnant_woman_request(chosen_location(browser)), needs=["childbirth", "vaccination"])
    facilities = match_api(body)["facilities"]
    fastest = min(facility["travel_time_min"] for facility in facilities)
    fastest_birth = min(facility["travel_time_min"] for facility in facilities if "childbirth" in facility["needs_met"])

    assert fastest < 60 < 12 * 60 < fastest_birth
    notice = browser.find_element(By.ID, "long-trip-notice")
    assert notice.is_displayed()
    assert "Para parte de la atención que pidió" in notice.text
