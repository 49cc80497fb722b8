"""Fixtures for the planning tests: users with and without the planner role, and a stored run."""
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

#: Madre de Dios: a small department with no road graph, so every time is the
#: straight-line estimate and can be checked by hand.
SMALL_DEPARTMENT = "17"


@pytest.fixture
def planner_client(db):
    user = User.objects.create_user("planner_test", password="planner-test-pass-2026")
    user.groups.add(Group.objects.get(name="planner"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


@pytest.fixture
def other_client(db):
    user = User.objects.create_user("family_helper", password="family-helper-pass-2026")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


@pytest.fixture
def anonymous_client():
    return Client(HTTP_HOST="127.0.0.1")


@pytest.fixture
def small_run(db):
    """Coverage of the small department for any facility, on foot."""
    from planning.models import CoverageRun

    call_command("compute_coverage", department=SMALL_DEPARTMENT, care="any", mode="walk", verbosity=0)
    return CoverageRun.objects.get(department_id=SMALL_DEPARTMENT, care="any", mode="walk")


@pytest.fixture(scope="session")
def planning_server(django_db_setup):
    """Serve the app on 127.0.0.1 from a thread, reading the loaded test database."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()
