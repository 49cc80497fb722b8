"""Shared fixtures: one test database per run, loaded with the real staged data.

Loading runs the same management commands as ``make run``, so every test
reads the real districts, facilities, places, programmes and road graphs.
"""
import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real data once into the test database."""
    with django_db_blocker.unblock():
        call_command("load_data", verbosity=0)
        call_command("build_graphs", verbosity=0)
