"""Load benchmark of ``POST /api/v1/match/`` under gunicorn on loopback.

Starts gunicorn with production settings (DJANGO_DEBUG=0) on 127.0.0.1, runs
concurrent clients that post family searches for a fixed time, and writes
p50/p95/p99 latency, throughput and errors to ``benchmarks/results/load.json``
and to the "Load: match API" section of ``docs/benchmarks.md``.

Search locations are real INEI populated places read from the database. They
are every place in the districts that the staged road graphs cover (Cusco, San
Juan de Lurigancho, Ventanilla), plus a seeded sample of places elsewhere in
Peru, where travel times are estimates.

Usage::

    .venv/bin/python benchmarks/load.py --clients 16 --duration 180

Needs the loaded dev database (``make run`` or ``manage.py load_data`` and
``build_graphs``) and the Redis server on 127.0.0.1:6379 for the rate-limit cache.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg2

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "benchmarks" / "results"
REPORT_PATH = BASE_DIR / "docs" / "benchmarks.md"
LOCAL_DATABASE_URL = "postgis://geosalud@127.0.0.1:55432/geosalud"

#: Districts whose places fall inside the staged road graphs.
GRAPH_DISTRICTS = ("080101", "080104", "080108", "150132", "070106")
#: Places drawn from the rest of Peru, where travel times are straight-line estimates.
OTHER_PLACES = 135
SEED = 20261204
HOST = "127.0.0.1"


@dataclass
class Sample:
    """One request: when it started (s since the run began), its latency and outcome."""

    started_s: float
    latency_ms: float
    status: int  # 0 when the connection failed before any response


@dataclass
class Server:
    """A gunicorn process started by this script on loopback."""

    process: subprocess.Popen
    port: int
    env: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_environment(database_url: str, redis_url: str, metrics_dir: str, **extra: str) -> dict:
    """Return the environment of a production-like server on loopback without TLS."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GEOSALUD_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        GEOSALUD_HTTPS="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        # Limits stay on, so every search still goes through the Redis cache,
        # but high enough that one loopback address is not throttled.
        GEOSALUD_RATE_SEARCH="1000000/m",
        GEOSALUD_RATE_FEEDBACK="1000000/m",
        GEOSALUD_LOG_FORMAT="json",
        GEOSALUD_LOG_LEVEL="WARNING",
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn_server(env: dict, workers: int, log_path: Path):
    """Start gunicorn with deployment/gunicorn.conf.py and stop it on exit."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_WORKERS": str(workers)}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "--config", "deployment/gunicorn.conf.py",
             "geo_config.wsgi:application"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    server = Server(process, port, env)
    try:
        wait_until_healthy(server, timeout_s=120)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(server: Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"gunicorn exited with code {server.process.returncode}; see its log.")
        try:
            status, body = request_json(server.port, "GET", "/health/")
            if status == 200:
                return
            last = f"{status} {body}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    sys.exit(f"The server did not report healthy within {timeout_s} s (last: {last}). "
             "Load the data first: manage.py load_data && manage.py build_graphs.")


def request_json(port: int, method: str, path: str, body: dict | None = None, timeout_s: float = 30):
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, payload, {"Content-Type": "application/json", "Host": HOST})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def libpq_url(database_url: str) -> str:
    return re.sub(r"^(postgis|postgres)://", "postgresql://", database_url)


def search_bodies(database_url: str, need_codes: list[str], count: int = 400) -> list[dict]:
    """Build ``count`` search bodies at real populated places, seeded."""
    with psycopg2.connect(libpq_url(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Y(location), ST_X(location) FROM geoservices_populatedplace WHERE ubigeo = ANY(%s)",
            (list(GRAPH_DISTRICTS),),
        )
        places = cursor.fetchall()
        cursor.execute(
            "SELECT ST_Y(location), ST_X(location) FROM geoservices_populatedplace "
            "WHERE NOT ubigeo = ANY(%s) ORDER BY md5(code || %s) LIMIT %s",
            (list(GRAPH_DISTRICTS), str(SEED), OTHER_PLACES),
        )
        places += cursor.fetchall()
    if not places:
        sys.exit("No populated places in the database. Run manage.py load_data first.")

    rng = random.Random(SEED)
    households = [
        [{"age": 27, "sex": "F", "pregnant": True}],
        [{"age": 34, "sex": "F"}, {"age": 36, "sex": "M"}, {"age": 4, "sex": "F"}, {"age": 1, "sex": "M"}],
        [{"age": 71, "sex": "M"}, {"age": 68, "sex": "F"}],
        [{"age": 15, "sex": "F"}, {"age": 42, "sex": "F"}],
    ]
    bodies = []
    for _ in range(count):
        lat, lon = rng.choice(places)
        bodies.append({
            "location": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "household": rng.choice(households),
            "needs": rng.sample(need_codes, k=rng.choice((1, 1, 2))),
            "insurance": rng.choice(("none", "sis", "essalud")),
            "sisfoh": rng.choice(("pobre_extremo", "pobre", "no_pobre", "unknown")),
            "mode": rng.choice(("walk", "drive")),
        })
    return bodies


def client_loop(port: int, bodies: list[dict], start: float, stop: threading.Event, samples: list[Sample],
                seed: int) -> None:
    """Post searches over one keep-alive connection until ``stop`` is set."""
    rng = random.Random(seed)
    connection = None
    while not stop.is_set():
        body = json.dumps(rng.choice(bodies))
        sent = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
            connection.request("POST", "/api/v1/match/", body, {"Content-Type": "application/json", "Host": HOST})
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            status = 0
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)
        samples.append(Sample(sent - start, (time.monotonic() - sent) * 1000, status))
    if connection is not None:
        connection.close()


def run_load(port: int, bodies: list[dict], clients: int, duration_s: float,
             during=None) -> tuple[list[Sample], float]:
    """Run ``clients`` threads for ``duration_s`` seconds; ``during(start)`` runs alongside.

    Returns the samples and the measured wall time in seconds.
    """
    samples: list[Sample] = []
    stop = threading.Event()
    start = time.monotonic()
    threads = [
        threading.Thread(target=client_loop, args=(port, bodies, start, stop, samples, SEED + index), daemon=True)
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    if during is not None:
        during(start)
    remaining = duration_s - (time.monotonic() - start)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    return samples, time.monotonic() - start


def summarize(samples: list[Sample], wall_s: float) -> dict:
    """Latency percentiles (ms) over all requests, throughput and error counts."""
    latencies = np.array([sample.latency_ms for sample in samples]) if samples else np.array([0.0])
    statuses: dict[str, int] = {}
    for sample in samples:
        statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
    errors = sum(count for status, count in statuses.items() if not status.startswith("2"))
    return {
        "requests": len(samples),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "max_ms": round(float(latencies.max()), 1),
        "requests_per_s": round(len(samples) / wall_s, 1),
        "errors": errors,
        "statuses": statuses,
        "duration_s": round(wall_s, 1),
    }


def machine_description() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def write_section(heading: str, body: str) -> None:
    """Replace the ``## heading`` section of docs/benchmarks.md, keeping the others."""
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    text = REPORT_PATH.read_text() if REPORT_PATH.exists() else "# Benchmarks\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT_PATH.write_text(text.rstrip("\n") + "\n")


def fetch_need_codes(port: int) -> list[str]:
    status, body = request_json(port, "GET", "/api/v1/needs/")
    if status != 200:
        sys.exit(f"GET /api/v1/needs/ returned {status}; check the server log.")
    return [need["code"] for need in json.loads(body)["results"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1,
                        help="gunicorn worker processes (default cores + 1)")
    parser.add_argument("--baseline", type=float, default=20, help="seconds of single-client load first (default 20)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", LOCAL_DATABASE_URL))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="geosalud-metrics-") as metrics_dir:
        env = server_environment(args.database_url, args.redis_url, metrics_dir)
        log_path = Path(tempfile.gettempdir()) / "geosalud-load-gunicorn.log"
        with gunicorn_server(env, args.workers, log_path) as server:
            bodies = search_bodies(args.database_url, fetch_need_codes(server.port))
            # Warm-up: every worker loads the graphs before timing starts.
            run_load(server.port, bodies, args.clients, 10)
            # One client alone shows the service time without queueing.
            single, single_wall_s = run_load(server.port, bodies, 1, args.baseline)
            load_before = os.getloadavg()[0]
            samples, wall_s = run_load(server.port, bodies, args.clients, args.duration)
            load_after = os.getloadavg()[0]

    result = summarize(samples, wall_s)
    baseline = summarize(single, single_wall_s)
    result.update(single_client_p50_ms=baseline["p50_ms"], single_client_p95_ms=baseline["p95_ms"],
                  load_average_1min=[round(load_before, 1), round(load_after, 1)])
    result.update(clients=args.clients, gunicorn_workers=args.workers, machine=machine_description(),
                  date=datetime.date.today().isoformat())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    write_section("Load: match API", load_report(result))
    print(json.dumps(result, indent=2))


def _capacity_sentence(result: dict) -> str:
    """Say how much more throughput the 150 ms p95 target needs, since latency falls as throughput rises."""
    factor = result["p95_ms"] / 150
    if factor < 1:
        return "The p95 is under 150 ms at this throughput."
    return (f"A p95 under 150 ms therefore needs about {factor:.1f} times this throughput: "
            f"{1 / factor:.0%} of the CPU time per search, or {factor:.1f} times the cores.")


def load_report(result: dict) -> str:
    target = "met" if result["p95_ms"] < 150 and result["errors"] == 0 else "not met"
    return f"""
Measured by `benchmarks/load.py` on {result['date']}: {result['clients']} concurrent clients on loopback,
each posting family searches (`POST /api/v1/match/`) one after another for {result['duration_s']} s
after a 10 s warm-up. The sync workers close the connection after each response, so every search opens
a new one, as it does through the TLS proxy. The server is gunicorn with {result['gunicorn_workers']} workers
(`deployment/gunicorn.conf.py`, sync workers with one thread each) and production settings (`DJANGO_DEBUG=0`, rate limits on,
backed by Redis). Searches start at real INEI populated places: all of those inside the districts that the
staged road graphs cover, plus {OTHER_PLACES} seeded places elsewhere in Peru. Client and server share
the machine: {result['machine']}.

| requests | p50 | p95 | p99 | max | throughput | errors |
|---|---|---|---|---|---|---|
| {result['requests']} | {result['p50_ms']} ms | {result['p95_ms']} ms | {result['p99_ms']} ms | {result['max_ms']} ms | {result['requests_per_s']} req/s | {result['errors']} |

With one client alone the same server answers in {result['single_client_p50_ms']} ms at the median
(p95 {result['single_client_p95_ms']} ms): that is the service time, and the rest of the latency above is
queueing behind the CPU. The machine's 1-minute load average was {result['load_average_1min'][0]} before
and {result['load_average_1min'][1]} after the run, on {os.cpu_count()} cores: other processes on it share the
CPU, so an idle machine of the same kind would do at least as well.

At {result['requests_per_s']} req/s on {os.cpu_count()} cores each search costs about
{1000 * os.cpu_count() / result['requests_per_s']:.1f} ms of CPU time, shared between the app, PostgreSQL and
the load client. With {result['clients']} clients always waiting for an answer, the mean latency is the number
of clients divided by the throughput. {_capacity_sentence(result)}

Responses by status: {', '.join(f'{status}: {count}' for status, count in sorted(result['statuses'].items()))}.
Target (p95 under 150 ms, zero errors): {target}. Raw numbers: `benchmarks/results/load.json`.
"""


if __name__ == "__main__":
    main()
