"""Warm-up before the first request: every search structure is built, and a failing step is only logged."""
import logging

import pytest

from ops import warmup
from routing import services
from routing.models import RoadRegion

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_connections(monkeypatch):
    # Closing the connection inside the test's transaction would end it, so the test counts the calls.
    calls = []
    monkeypatch.setattr(warmup.connections, "close_all", lambda: calls.append(True))
    return calls


def test_warm_up_builds_graph_contractions(closed_connections, caplog):
    caplog.set_level(logging.INFO, logger="ops.warmup")
    warmup.warm_up()
    for region in RoadRegion.objects.all():
        for file_name in region.graph_files.values():
            assert services.load_graph(file_name)._chains is not None, file_name
    city_regions = RoadRegion.objects.exclude(slug="peru-mtc").count()
    graph_files = sum(len(region.graph_files) for region in RoadRegion.objects.all())
    assert services.prepare_graphs() == graph_files + 2 * city_regions
    assert closed_connections
    assert "Warm-up done" in caplog.text


def test_warm_up_survives_failing_step(closed_connections, monkeypatch, caplog):
    def unavailable():
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("matcher.catalogue.search_catalogue", unavailable)
    ready = []
    monkeypatch.setattr("routing.services.prepare_graphs", lambda: ready.append(True))
    warmup.warm_up()
    assert "Warm-up of the search catalogue failed" in caplog.text
    assert "database unavailable" in caplog.text
    assert ready and closed_connections
