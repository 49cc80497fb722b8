"""Weight of the family page's first view, loaded by Chromium over a throttled slow-3G link.

Serves the app from a Django live-server thread on 127.0.0.1 with DEBUG off
(so django-leaflet sends the minified Leaflet), reading the loaded dev
database. Headless Chromium loads "/" at a 360 px phone viewport under
DevTools network throttling. For every resource the page loaded from the app,
the script records the bytes transferred, which the development server sends
uncompressed, and their gzip size at level 6, as a production server sends them. Map tiles come from another origin and are left out, as the
budget allows; Chromium here resolves only loopback names, so tiles fail
at once instead of leaving the machine.

Writes ``benchmarks/results/page_weight.json`` and the "Family page: first-view
weight" section of ``docs/benchmarks.md``.

Usage::

    .venv/bin/python benchmarks/page_weight.py

Needs the loaded dev database (``make run``, or ``manage.py load_data``) and
Debian's chromium and chromium-driver.
"""
from __future__ import annotations

import datetime
import gzip
import json
import os
import platform
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "page_weight.json"
REPORT = ROOT / "docs" / "benchmarks.md"
SECTION = "## Family page: first-view weight"

#: First-view budget in bytes after compression, map tiles aside.
BUDGET_GZIP_BYTES = 250_000

#: Slow-3G-like conditions: 400 ms round trip, 400 kbit/s down and up.
SLOW_3G = {"offline": False, "latency": 400, "download_throughput": 50_000, "upload_throughput": 50_000}

PHONE = {"width": 360, "height": 780, "pixelRatio": 1}

ENTRIES_JS = """
const navigation = performance.getEntriesByType('navigation')[0];
const entries = [navigation, ...performance.getEntriesByType('resource')];
return {
  resources: entries.map(entry => ({url: entry.name, transferred: entry.transferSize, body: entry.decodedBodySize})),
  dom_content_loaded_ms: navigation.domContentLoadedEventEnd,
  load_ms: navigation.loadEventEnd,
};
"""


def start_server():
    """Start the app in a live-server thread with DEBUG off and return it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment
    from pytest_django.live_server_helper import LiveServer

    setup_test_environment(debug=False)
    return LiveServer("127.0.0.1:0")


def start_chromium(user_data_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                     "--no-first-run", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={user_data_dir}",
                     "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "es-PE,es"})
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def gzip_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(gzip.compress(response.read(), compresslevel=6))


def measure(base_url: str) -> dict:
    """Load the page once under throttling and return the per-resource bytes and timings."""
    with tempfile.TemporaryDirectory(prefix="geosalud-weight-") as user_data_dir:
        driver = start_chromium(user_data_dir)
        try:
            driver.set_network_conditions(**SLOW_3G)
            driver.get(base_url + "/")
            data = driver.execute_script(ENTRIES_JS)
        finally:
            driver.quit()

    resources = []
    for entry in data["resources"]:
        if not entry["url"].startswith(base_url):
            continue
        resources.append({
            "path": entry["url"].removeprefix(base_url),
            "transferred_bytes": entry["transferred"],
            "body_bytes": entry["body"],
            "gzip_bytes": gzip_size(entry["url"]),
        })
    return {
        "resources": resources,
        "transferred_bytes": sum(item["transferred_bytes"] for item in resources),
        "gzip_bytes": sum(item["gzip_bytes"] for item in resources),
        "dom_content_loaded_ms": round(data["dom_content_loaded_ms"]),
        "load_ms": round(data["load_ms"]),
    }


def render_section(result: dict) -> str:
    rows = "\n".join(
        f"| `{item['path']}` | {item['transferred_bytes']:,} | {item['gzip_bytes']:,} |"
        for item in sorted(result["resources"], key=lambda item: -item["gzip_bytes"])
    )
    verdict = "met" if result["gzip_bytes"] <= BUDGET_GZIP_BYTES else "not met"
    return f"""{SECTION}

Measured by `benchmarks/page_weight.py` on {result['date']}: headless Chromium {result['chromium']} at a
360 px phone viewport, DevTools throttling of 400 ms round trip and 400 kbit/s each way (slow 3G), the app
served by Django's live-server thread on loopback with DEBUG off. {result['machine']}.
Transferred bytes are what the development server sent (uncompressed, with headers); gzip bytes are each
body compressed at level 6, as a production server would send it. Map tiles are left out.

| resource | transferred (bytes) | gzip (bytes) |
|---|---|---|
{rows}
| **total** | **{result['transferred_bytes']:,}** | **{result['gzip_bytes']:,}** |

Under this throttling the page's DOM was ready after {result['dom_content_loaded_ms']:,} ms and fully loaded after
{result['load_ms']:,} ms (uncompressed; one run). Budget (first view at most {BUDGET_GZIP_BYTES:,} bytes compressed,
tiles aside): {verdict}. Raw numbers: `benchmarks/results/page_weight.json`.
"""


def write_section(text: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, leaving the others as they are."""
    current = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    start = current.find(SECTION)
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        rest = "" if end == -1 else "\n" + current[end:].lstrip("\n")
        updated = current[:start] + text + rest
    REPORT.write_text(updated, encoding="utf-8")


def main() -> None:
    server = start_server()
    try:
        result = measure(server.url)
    finally:
        server.stop()
    result.update(
        date=datetime.date.today().isoformat(),
        chromium=os.popen("/usr/bin/chromium --version 2>/dev/null").read().split()[1],
        machine=f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}",
        budget_gzip_bytes=BUDGET_GZIP_BYTES,
        throttling=SLOW_3G,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_section(render_section(result))
    sys.stdout.write(f"first view: {result['gzip_bytes']:,} bytes gzip, {result['transferred_bytes']:,} transferred\n")


if __name__ == "__main__":
    main()
