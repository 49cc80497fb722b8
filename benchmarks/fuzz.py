"""Fuzz the REST API with schemathesis against its own OpenAPI schema.

Starts gunicorn with production settings on 127.0.0.1 (as benchmarks/load.py
does), points schemathesis at ``/api/v1/schema/?format=json`` and runs its
examples, coverage and fuzzing phases with positive and negative inputs.
The server uses the PostGIS cluster and the Redis server of
benchmarks/faults.py, so the jobs and records that fuzzing creates stay out of
the shared development database. Requests carry the session of a staff user
made for the run, so the planner endpoints are fuzzed past their login check.
The check that matters is ``not_a_server_error``: no request may get a 5xx.
Results go to the "Fuzzing: OpenAPI schema" section of ``docs/benchmarks.md``
and to ``benchmarks/results/fuzz.json``.

Usage::

    .venv/bin/python benchmarks/fuzz.py --max-examples 100
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faults  # noqa: E402  (sibling benchmark module)
import load  # noqa: E402

#: Staff account that the fuzzing session logs in as; it has no usable password.
FUZZ_USERNAME = "fuzz-staff"
# Makes the staff user and prints a session key valid under the server's SECRET_KEY.
SESSION_SCRIPT = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user, _ = get_user_model().objects.get_or_create(username="{FUZZ_USERNAME}", defaults={{"is_staff": True}})
user.set_unusable_password()
user.save()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""

SEED = 20261204


def staff_session_headers(env: dict) -> list[str]:
    """Return schemathesis header options that log requests in as the fuzzing staff user."""
    completed = subprocess.run(
        [str(load.BASE_DIR / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", SESSION_SCRIPT],
        cwd=load.BASE_DIR, env=env, capture_output=True, text=True, check=True,
    )
    session_key = completed.stdout.strip().splitlines()[-1]
    # Django accepts a 32-character CSRF secret sent both as cookie and as header.
    csrf_secret = secrets.token_hex(16)
    return [
        "--header", f"Cookie: sessionid={session_key}; csrftoken={csrf_secret}",
        "--header", f"X-CSRFToken: {csrf_secret}",
    ]


def run_schemathesis(server: load.Server, max_examples: int, report_path: Path,
                     extra_options: list[str]) -> subprocess.CompletedProcess:
    schema_url = f"{server.base_url}/api/v1/schema/?format=json"
    command = [
        str(load.BASE_DIR / ".venv" / "bin" / "schemathesis"), "run", schema_url,
        "--url", server.base_url,
        "--checks", "not_a_server_error",
        "--mode", "all",
        "--max-examples", str(max_examples),
        "--seed", str(SEED),
        "--workers", "2",
        "--request-timeout", "30",
        "--header", f"Host: {load.HOST}",
        "--report", "junit", "--report-junit-path", str(report_path),
        *extra_options,
    ]
    # schemathesis keeps a cache folder in its working directory; keep it out of the tree.
    with tempfile.TemporaryDirectory(prefix="geosalud-schemathesis-") as work_dir:
        return subprocess.run(command, capture_output=True, text=True, cwd=work_dir)


def parse_junit(report_path: Path) -> dict:
    """Count operations, failures and errors in schemathesis' JUnit report."""
    root = ElementTree.parse(report_path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    operations, failures = 0, []
    for suite in suites:
        for case in suite.iter("testcase"):
            operations += 1
            for problem in [*case.findall("failure"), *case.findall("error")]:
                failures.append({"operation": case.get("name"), "message": (problem.get("message") or "")[:300]})
    return {"operations": operations, "failures": failures}


def count_server_errors(log_path: Path) -> int:
    """Count 5xx lines in gunicorn's access log (format of deployment/gunicorn.conf.py)."""
    count = 0
    for line in log_path.read_text(errors="replace").splitlines():
        parts = line.split('" ')
        if len(parts) > 1 and parts[1][:1] == "5":
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=100, help="test cases per operation and phase")
    parser.add_argument("--anonymous", action="store_true", help="fuzz without the staff session")
    args = parser.parse_args()

    faults.start_cluster()
    redis_process = faults.start_redis()
    try:
        completed, log_path, report_path = fuzz_server(args)
    finally:
        faults.stop_redis(redis_process)
        faults.stop_cluster()
    write_results(args, completed, log_path, report_path)


def fuzz_server(args) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """Serve the fault-test database with gunicorn and run schemathesis against it."""
    report_path = Path(tempfile.gettempdir()) / "geosalud-fuzz-junit.xml"
    log_path = Path(tempfile.gettempdir()) / "geosalud-fuzz-gunicorn.log"
    with tempfile.TemporaryDirectory(prefix="geosalud-metrics-") as metrics_dir:
        env = load.server_environment(
            faults.DATABASE_URL, faults.REDIS_URL, metrics_dir, GEOSALUD_LOG_LEVEL="INFO",
            GEOSALUD_GRAPH_DIR=str(faults.FAULT_DIR / "graphs"),
            # Jobs that planner requests queue wait in the run's own Redis; none runs inline.
            CELERY_TASK_ALWAYS_EAGER="0",
        )
        faults.load_cluster(env)
        options = [] if args.anonymous else staff_session_headers(env)
        with load.gunicorn_server(env, (os.cpu_count() or 1) + 1, log_path) as server:
            completed = run_schemathesis(server, args.max_examples, report_path, options)
    return completed, log_path, report_path


def write_results(args, completed: subprocess.CompletedProcess, log_path: Path, report_path: Path) -> None:
    summary = parse_junit(report_path) if report_path.exists() else {"operations": 0, "failures": []}
    result = {
        **summary,
        "server_errors_in_access_log": count_server_errors(log_path),
        "schemathesis_exit_code": completed.returncode,
        "warnings": [line.strip().lstrip("⚠️").strip() for line in completed.stdout.splitlines()
                     if line.strip().startswith("⚠")],
        "max_examples": args.max_examples,
        "session": "anonymous" if args.anonymous else "staff user",
        "seed": SEED,
        "date": datetime.date.today().isoformat(),
        "machine": load.machine_description(),
    }
    load.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (load.RESULTS_DIR / "fuzz.json").write_text(json.dumps(result, indent=2) + "\n")
    load.write_section("Fuzzing: OpenAPI schema", fuzz_report(result))
    print(completed.stdout[-4000:])
    print(json.dumps(result, indent=2))
    if result["failures"] or result["server_errors_in_access_log"] or completed.returncode != 0:
        sys.exit(1)


def fuzz_report(result: dict) -> str:
    warnings = "\n".join(f"- {warning}" for warning in result["warnings"]) or "- none"
    failures = "\n".join(f"- `{item['operation']}`: {item['message']}" for item in result["failures"]) or "- none"
    return f"""
Measured by `benchmarks/fuzz.py` on {result['date']} ({result['machine']}): schemathesis 4.32.5 reads
`/api/v1/schema/` from gunicorn with production settings on loopback and runs its examples, coverage and
fuzzing phases with valid and invalid inputs, at most {result['max_examples']} cases per operation,
seed {result['seed']}, with the check `not_a_server_error`. Requests are sent as: {result['session']}
(a session of a staff user made for the run, so planner endpoints are fuzzed past their login check).
The server reads the database of `benchmarks/faults.py`, so fuzzed jobs and records stay out of the
development database.

Operations tested: {result['operations']}. Server errors (5xx) in gunicorn's access log:
{result['server_errors_in_access_log']}. schemathesis exit code: {result['schemathesis_exit_code']}.
Failures:

{failures}

schemathesis warnings (what the run could not reach):

{warnings}

Raw numbers: `benchmarks/results/fuzz.json`.
"""


if __name__ == "__main__":
    main()
