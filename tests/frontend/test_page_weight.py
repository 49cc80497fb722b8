"""The first view stays within the weight budget on a throttled slow-3G connection.

Chromium loads the page with DevTools network throttling. The test sums the
bytes of every resource it loaded from the app (map tiles come from another
origin and are left out) and compares their gzip size with the budget.
"""
import gzip
import urllib.request

import pytest

# django_db makes pytest-django set up the test database even when only
# browser tests run; without it the live server would use the dev database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

#: First-view budget, in bytes after gzip compression, map tiles aside.
BUDGET_GZIP_BYTES = 250_000

#: Slow-3G-like conditions: 400 ms round trip and 400 kbit/s each way.
SLOW_3G = {"offline": False, "latency": 400, "download_throughput": 50_000, "upload_throughput": 50_000}

RESOURCES_JS = """
const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
return entries.map(entry => [entry.name, entry.transferSize, entry.decodedBodySize]);
"""


def gzip_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(gzip.compress(response.read(), compresslevel=6))


def test_first_view_within_budget_on_slow_3g(browser, app_url, screenshot):
    browser.set_network_conditions(**SLOW_3G)
    browser.get(app_url + "/")
    browser.execute_script("return document.readyState")
    screenshot("09-primera-vista-3g")
    entries = browser.execute_script(RESOURCES_JS)

    own = [(url, transferred, decoded) for url, transferred, decoded in entries if url.startswith(app_url)]
    urls = {url.split("?")[0].removeprefix(app_url) for url, _, _ in own}
    transferred_bytes = sum(transferred for _, transferred, _ in own)
    compressed_bytes = sum(gzip_size(url) for url, _, _ in own)

    assert {"/", "/jsi18n/"} <= urls
    assert any(url.endswith("leaflet.js") for url in urls)
    assert transferred_bytes > 0
    assert compressed_bytes <= BUDGET_GZIP_BYTES, (
        f"first view is {compressed_bytes} bytes gzipped ({transferred_bytes} transferred): {sorted(urls)}"
    )
