"""Fault benchmark: restart PostGIS and stop Redis while the match API is under load.

The script runs its own PostgreSQL 15 + PostGIS cluster in ``var/faults/pgdata``
on 127.0.0.1:55433, created like the project-local cluster of
scripts/setup_db.sh and loaded with ``load_data`` and ``build_graphs``. It also
runs its own Redis on 127.0.0.1:6380. Restarting them therefore does not break
the test runs of other developers that share the cluster on port 55432.

Timeline, with 16 clients posting searches for the whole run:

1. a quiet phase;
2. PostGIS restarted (``pg_ctl restart -m fast``: connections are cut);
3. Redis stopped, then started again after ``--redis-down`` seconds;
4. a quiet phase to show recovery.

Checks: only 200 and 503 responses (no 500), no errors in the last phase (the
app recovered by itself), every 200 response has its stored search record,
and ``/health/`` returns 200 after the run. Results go to the "Faults" section of
``docs/benchmarks.md`` and to ``benchmarks/results/faults.json``.

Usage::

    .venv/bin/python benchmarks/faults.py
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (sibling benchmark module)

BASE_DIR = load.BASE_DIR
FAULT_DIR = BASE_DIR / "var" / "faults"
PGDATA = FAULT_DIR / "pgdata"
PG_PORT = 55433
REDIS_PORT = 6380
DB_USER = "geosalud"
DATABASE_URL = f"postgis://{DB_USER}@127.0.0.1:{PG_PORT}/geosalud"
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"


def pg_bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql; run scripts/setup_system.sh.")
    return str(versions[-1] / name)


def as_owner(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL server command as the cluster owner (initdb rejects root)."""
    prefix = ["runuser", "-u", DB_USER, "--"] if os.getuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


def start_cluster() -> None:
    """Create the fault-test cluster if missing and start it on PG_PORT."""
    if not (PGDATA / "PG_VERSION").exists():
        if os.getuid() == 0 and subprocess.run(["id", DB_USER], capture_output=True).returncode != 0:
            sys.exit(f"System user {DB_USER} not found; run scripts/setup_db.sh once to create it.")
        PGDATA.mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", DB_USER, str(FAULT_DIR)], check=True)
        PGDATA.chmod(0o700)
        as_owner(pg_bin("initdb"), "-D", str(PGDATA), "-U", DB_USER, "--auth=trust", "--encoding=UTF8",
                 "--locale=C.UTF-8")
    status = subprocess.run([*(["runuser", "-u", DB_USER, "--"] if os.getuid() == 0 else []),
                             pg_bin("pg_ctl"), "-D", str(PGDATA), "status"], capture_output=True)
    if status.returncode != 0:
        as_owner(pg_bin("pg_ctl"), "-D", str(PGDATA), "-w", "-l", str(PGDATA / "server.log"),
                 "-o", f"-p {PG_PORT} -k {PGDATA} -c listen_addresses=127.0.0.1", "start")
    admin = psycopg2.connect(host="127.0.0.1", port=PG_PORT, user=DB_USER, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = 'geosalud'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE DATABASE geosalud")
    admin.close()


def restart_cluster() -> float:
    """Restart PostGIS, cutting every connection; return the seconds it took."""
    started = time.monotonic()
    # With -l the server does not inherit this script's pipes, so pg_ctl returns.
    as_owner(pg_bin("pg_ctl"), "-D", str(PGDATA), "-w", "-m", "fast", "-l", str(PGDATA / "server.log"), "restart",
             "-o", f"-p {PG_PORT} -k {PGDATA} -c listen_addresses=127.0.0.1")
    return time.monotonic() - started


def stop_cluster() -> None:
    as_owner(pg_bin("pg_ctl"), "-D", str(PGDATA), "-w", "-m", "fast", "stop")


def manage(*args: str, env: dict) -> None:
    subprocess.run([str(BASE_DIR / ".venv" / "bin" / "python"), "manage.py", *args], cwd=BASE_DIR, env=env,
                   check=True)


def load_cluster(env: dict) -> None:
    """Migrate and load the real data into the fault-test database (idempotent)."""
    manage("migrate", "--noinput", "--verbosity", "0", env=env)
    manage("load_data", "--verbosity", "0", env=env)
    manage("build_graphs", "--verbosity", "0", env=env)


def start_redis() -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process


def stop_redis(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def count_search_records() -> int:
    with psycopg2.connect(load.libpq_url(DATABASE_URL)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM geoservices_searchrecord")
        return cursor.fetchone()[0]


def phase_of(sample: load.Sample, events: dict) -> str:
    """Name the phase in which the response to ``sample`` arrived."""
    finished_s = sample.started_s + sample.latency_ms / 1000
    if finished_s < events["postgis_restart_s"]:
        return "before faults"
    if finished_s < events["redis_stop_s"]:
        return "PostGIS restart"
    if finished_s < events["redis_start_s"]:
        return "Redis stopped"
    if finished_s < events["redis_start_s"] + 5:
        return "Redis back"
    return "recovered"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--quiet", type=float, default=30, help="seconds of load before and after the faults")
    parser.add_argument("--redis-down", type=float, default=20, help="seconds Redis stays stopped")
    parser.add_argument("--skip-load", action="store_true",
                        help="only migrate, reusing the data already loaded in the cluster")
    args = parser.parse_args()

    start_cluster()
    redis_process = start_redis()
    events: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="geosalud-metrics-") as metrics_dir:
            env = load.server_environment(
                DATABASE_URL, REDIS_URL, metrics_dir, GEOSALUD_GRAPH_DIR=str(FAULT_DIR / "graphs")
            )
            if args.skip_load:
                manage("migrate", "--noinput", "--verbosity", "0", env=env)
            else:
                load_cluster(env)
            records_before = count_search_records()
            log_path = Path(tempfile.gettempdir()) / "geosalud-faults-gunicorn.log"
            with load.gunicorn_server(env, (os.cpu_count() or 1) + 1, log_path) as server:
                bodies = load.search_bodies(DATABASE_URL, load.fetch_need_codes(server.port))

                def inject_faults(start: float) -> None:
                    nonlocal redis_process
                    time.sleep(args.quiet)
                    events["postgis_restart_s"] = time.monotonic() - start
                    events["postgis_restart_took_s"] = restart_cluster()
                    time.sleep(10)
                    events["redis_stop_s"] = time.monotonic() - start
                    stop_redis(redis_process)
                    time.sleep(args.redis_down)
                    redis_process = start_redis()
                    events["redis_start_s"] = time.monotonic() - start

                duration = 2 * args.quiet + 10 + args.redis_down + 5
                samples, wall_s = load.run_load(server.port, bodies, args.clients, duration, during=inject_faults)
                health_status, health_body = load.request_json(server.port, "GET", "/health/")
            records_after = count_search_records()
    finally:
        stop_redis(redis_process)
        stop_cluster()

    result = summarize_faults(samples, wall_s, events, records_after - records_before, health_status)
    load.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (load.RESULTS_DIR / "faults.json").write_text(json.dumps(result, indent=2) + "\n")
    load.write_section("Faults: PostGIS restart and Redis outage under load", faults_report(result))
    print(json.dumps(result, indent=2))
    print("health after the run:", health_status, health_body.decode()[:300])
    if not result["passed"]:
        sys.exit(1)


def summarize_faults(samples, wall_s, events, records_stored, health_status) -> dict:
    phases: dict[str, dict[str, int]] = {}
    for sample in samples:
        statuses = phases.setdefault(phase_of(sample, events), {})
        statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
    overall = load.summarize(samples, wall_s)
    ok_responses = overall["statuses"].get("200", 0)
    outage_responses = overall["statuses"].get("503", 0)
    recovered = phases.get("recovered", {})
    checks = {
        "no 500 responses": overall["statuses"].get("500", 0) == 0,
        "only 200 and 503 responses": set(overall["statuses"]) <= {"200", "503"},
        "no errors after recovery": set(recovered) == {"200"},
        # matcher.search.run_search stores the record after building the response,
        # but a connection cut before the reply still stores a search that the
        # client received as a 503. No 200 may lack its record.
        "every 200 response has its stored search": ok_responses <= records_stored <= ok_responses + outage_responses,
        "healthy after the run": health_status == 200,
    }
    return {
        "overall": overall,
        "phases": phases,
        "events_s": {key: round(value, 1) for key, value in events.items()},
        "search_records_stored": records_stored,
        "ok_responses": ok_responses,
        "checks": checks,
        "passed": all(checks.values()),
        "machine": load.machine_description(),
        "date": time.strftime("%Y-%m-%d"),
    }


def faults_report(result: dict) -> str:
    rows = "\n".join(
        f"| {phase} | {', '.join(f'{status}: {count}' for status, count in sorted(statuses.items()))} |"
        for phase, statuses in result["phases"].items()
    )
    checks = "\n".join(f"- {name}: {'yes' if passed else 'NO'}" for name, passed in result["checks"].items())
    events = result["events_s"]
    return f"""
Measured by `benchmarks/faults.py` on {result['date']} ({result['machine']}): 16 clients post family
searches to gunicorn (production settings) for {result['overall']['duration_s']} s. The script uses its own
PostGIS cluster (127.0.0.1:55433, loaded with the real data) and its own Redis (127.0.0.1:6380), so the
restart does not cut other test runs. At {events.get('postgis_restart_s')} s PostGIS is restarted with
`pg_ctl restart -m fast` (took {events.get('postgis_restart_took_s')} s); at {events.get('redis_stop_s')} s
Redis is stopped and at {events.get('redis_start_s')} s started again.

| phase | responses by status (0 = connection failed) |
|---|---|
{rows}

{checks}

Search records stored: {result['search_records_stored']}; 200 responses: {result['ok_responses']}.
A surplus is searches stored whole (record and shown list in one transaction) whose answer then failed with a 503. The search
writes its record and shown list after building the response, so only a restart between that commit
and the reply leaves a record for a search the family did not see.
While Redis is down the rate limits fail open and searches go on; the cache check of `/health/` reports it.
Raw numbers: `benchmarks/results/faults.json`.
"""


if __name__ == "__main__":
    main()
