"""Container health check: exit 0 when the web app's /health/ returns 200.

Sends the first host of DJANGO_ALLOWED_HOSTS so that Django accepts the
request, and only talks to the container's own loopback.
"""
import os
import sys
import urllib.error
import urllib.request

port = os.environ.get("GEOSALUD_HEALTH_PORT", "8000")
host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
request = urllib.request.Request(f"http://127.0.0.1:{port}/health/", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except (urllib.error.URLError, OSError) as exc:
    sys.stderr.write(f"health check failed: {exc}\n")
    sys.exit(1)
