"""Production settings: check --deploy, secrets from the environment, log redaction."""
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ops.logging import JsonLogFormatter, PersonalDataFilter, redact

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_clean_in_production():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_ALLOWED_HOSTS="salud.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_requires_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


REDACTIONS = [
    # (case, text, expected)
    ("DNI number", "lookup for 45678912 failed", "lookup for [redacted] failed"),
    ("mobile number", "call 987654321", "call [redacted]"),
    ("precise point", "point -11.976312,-77.001345", "point -11.97,-77.00"),
    ("counts untouched", "graph with 4148 nodes and 10889 edges", "graph with 4148 nodes and 10889 edges"),
]


@pytest.mark.parametrize(("case", "text", "expected"), REDACTIONS, ids=[case[0] for case in REDACTIONS])
def test_redact(case, text, expected):
    assert redact(text) == expected


def test_json_log_line_without_personal_data():
    record = logging.LogRecord("matcher.search", logging.INFO, __file__, 1, "search at %s,%s", (-11.976312, -77.001345), None)
    PersonalDataFilter().filter(record)
    line = json.loads(JsonLogFormatter().format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "matcher.search"
    assert line["message"] == "search at -11.97,-77.00"
