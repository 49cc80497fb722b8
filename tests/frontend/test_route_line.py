"""The route line of a chosen result, drawn on the family map in real headless Chromium."""
import numpy as np
import pytest
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.frontend.test_browser import chosen_location, search_pregnant_woman_at_sjl, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

#: Reads the vertices of the route polyline that the page added to the map.
ROUTE_VERTICES_JS = """
var found = null;
window.geosaludMap.eachLayer(function (layer) {
  if (layer instanceof L.Polyline && layer.options.className === "route-line") {
    found = layer.getLatLngs().map(function (p) { return [p.lng, p.lat]; });
  }
});
return found;
"""


def test_route_line_drawn_for_result(browser, app_url):
    items = search_pregnant_woman_at_sjl(browser, app_url)
    assert items, "no facility listed"
    location = chosen_location(browser)
    button = items[0].find_element(By.CSS_SELECTOR, ".route-line-button")
    assert button.text == "Ver la ruta en el mapa"
    # The OpenStreetMap directions link stays next to the button.
    assert items[0].find_element(By.CSS_SELECTOR, ".route-link")

    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#map path.route-line")))

    vertices = browser.execute_script(ROUTE_VERTICES_JS)
    expected = Client().get(
        "/api/v1/routing/route/",
        {
            "from_lat": f"{location['lat']:.6f}",
            "from_lon": f"{location['lon']:.6f}",
            "to_lat": vertices[-1][1],
            "to_lon": vertices[-1][0],
            "mode": "walk",
        },
    ).json()
    assert expected["properties"]["path"] == "road"
    assert np.allclose(vertices, expected["geometry"]["coordinates"], atol=1e-6)
    assert len(vertices) > 10
    assert vertices[0] == pytest.approx([location["lon"], location["lat"]], abs=1e-5)
    status = browser.find_element(By.ID, "route-status")
    assert "Ruta a" in status.text
    assert in_viewport(browser, status)
    assert in_viewport(browser, browser.find_element(By.ID, "map"))


def in_viewport(browser, element):
    """Tell whether any part of ``element`` is inside the visible window."""
    return browser.execute_script(
        "var box = arguments[0].getBoundingClientRect();"
        "return box.bottom > 0 && box.top < window.innerHeight;", element)
