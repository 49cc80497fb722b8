"""docker-compose.yml: services, health checks and required settings."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = {"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "salud.example.org", "POSTGRES_PASSWORD": "x"}


def compose_config(**env):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed; apt-get install docker-compose")
    environment = {key: value for key, value in os.environ.items() if key not in REQUIRED}
    environment.update(env)
    return subprocess.run([binary, "config"], cwd=BASE_DIR, env=environment, capture_output=True, text=True)


def test_every_service_has_healthcheck():
    services = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]
    assert {"db", "redis", "web", "worker"} <= set(services)
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name


def test_compose_config_valid():
    result = compose_config(**REQUIRED)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    web_env = config["services"]["web"]["environment"]
    assert web_env["DJANGO_DEBUG"] == "0"
    assert web_env["CELERY_TASK_ALWAYS_EAGER"] == "0"
    assert config["services"]["worker"]["command"] == ["worker"]


def test_compose_requires_secret_key():
    result = compose_config(**{key: value for key, value in REQUIRED.items() if key != "DJANGO_SECRET_KEY"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
