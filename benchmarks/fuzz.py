"""Fuzz the REST API with schemathesis against its own OpenAPI schema.

Starts gunicorn with production settings on 127.0.0.1 (as benchmarks/load.py
does), points schemathesis at ``/api/v1/schema/?format=json`` and runs its
examples, coverage and fuzzing phases with positive and negative inputs.
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
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (sibling benchmark module)

SEED = 20261204


def run_schemathesis(server: load.Server, max_examples: int, report_path: Path) -> subprocess.CompletedProcess:
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
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", load.LOCAL_DATABASE_URL))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    report_path = Path(tempfile.gettempdir()) / "geosalud-fuzz-junit.xml"
    log_path = Path(tempfile.gettempdir()) / "geosalud-fuzz-gunicorn.log"
    with tempfile.TemporaryDirectory(prefix="geosalud-metrics-") as metrics_dir:
        env = load.server_environment(args.database_url, args.redis_url, metrics_dir, GEOSALUD_LOG_LEVEL="INFO")
        with load.gunicorn_server(env, (os.cpu_count() or 1) + 1, log_path) as server:
            completed = run_schemathesis(server, args.max_examples, report_path)

    summary = parse_junit(report_path) if report_path.exists() else {"operations": 0, "failures": []}
    result = {
        **summary,
        "server_errors_in_access_log": count_server_errors(log_path),
        "schemathesis_exit_code": completed.returncode,
        "warnings": [line.strip().lstrip("⚠️").strip() for line in completed.stdout.splitlines()
                     if line.strip().startswith("⚠")],
        "max_examples": args.max_examples,
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
seed {result['seed']}, with the check `not_a_server_error`.

Operations tested: {result['operations']}. Server errors (5xx) in gunicorn's access log:
{result['server_errors_in_access_log']}. schemathesis exit code: {result['schemathesis_exit_code']}.
Failures:

{failures}

schemathesis warnings (what the run could not reach):

{warnings}

Operations that answer only 401/403 need a staff or planner session, which this run does not log in
with, so only their access checks were fuzzed. Raw numbers: `benchmarks/results/fuzz.json`.
"""


if __name__ == "__main__":
    main()
