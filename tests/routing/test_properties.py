"""Shortest-path properties of the engine on the real Ventanilla graph (hypothesis)."""
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from routing.build import build_graphs
from routing.estimate import haversine_m
from routing.graph import nearest_source_surface, one_to_many

VENTANILLA = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "osm_network" / "lima_ventanilla_drive_2km.graphml"
GRAPHS = build_graphs(VENTANILLA)
# Rounding of float sums along different paths.
TOLERANCE_S = 1e-6
# The GraphML file stores edge lengths rounded, and osmnx measured them on a
# slightly different sphere, so a straight street may come out a fraction of a
# millimetre shorter than the great circle between its ends.
LENGTH_ROUNDING_M = 0.01


def _node(mode):
    return st.integers(min_value=0, max_value=GRAPHS[mode].n_nodes - 1)


def _time(mode, source, target, limit_s=np.inf):
    times, _ = one_to_many(GRAPHS[mode], source, np.array([target]), limit_s)
    return times[0]


@pytest.mark.parametrize("mode", ["walk", "drive"])
@hypothesis_settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_triangle_inequality(mode, data):
    a, b, c = (data.draw(_node(mode)) for _ in range(3))
    assert _time(mode, a, c) <= _time(mode, a, b) + _time(mode, b, c) + TOLERANCE_S


@hypothesis_settings(max_examples=60, deadline=None)
@given(a=_node("walk"), b=_node("walk"))
def test_walk_times_symmetric(a, b):
    assert _time("walk", a, b) == pytest.approx(_time("walk", b, a), abs=TOLERANCE_S)


@pytest.mark.parametrize("mode", ["walk", "drive"])
@hypothesis_settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_cutoff_monotone(mode, data):
    source = data.draw(_node(mode))
    low = data.draw(st.floats(min_value=0.0, max_value=1800.0))
    high = data.draw(st.floats(min_value=low, max_value=3600.0))
    targets = np.arange(GRAPHS[mode].n_nodes)
    low_times, _ = one_to_many(GRAPHS[mode], source, targets, low)
    high_times, _ = one_to_many(GRAPHS[mode], source, targets, high)

    reached_low = np.isfinite(low_times)
    assert np.all(np.isfinite(high_times[reached_low]))
    np.testing.assert_allclose(low_times[reached_low], high_times[reached_low])
    assert np.all(low_times[reached_low] <= low)


@hypothesis_settings(max_examples=30, deadline=None)
@given(sources=st.lists(_node("drive"), min_size=1, max_size=6))
def test_surface_is_min_over_sources(sources):
    graph = GRAPHS["drive"]
    times, nearest = nearest_source_surface(graph, np.array(sources))
    targets = np.arange(graph.n_nodes)
    each = np.vstack([one_to_many(graph, s, targets)[0] for s in sources])
    np.testing.assert_allclose(times, each.min(axis=0))
    # The reported nearest source achieves the minimum.
    np.testing.assert_allclose(each[nearest, targets], times)


@pytest.mark.parametrize("mode", ["walk", "drive"])
@hypothesis_settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_time_never_beats_straight_line(mode, data):
    # No path is shorter than the great circle, and no edge is faster than the graph's top speed.
    graph = GRAPHS[mode]
    top_speed_mps = float(np.max(graph.length_m / graph.adjacency.data))
    a, b = data.draw(_node(mode)), data.draw(_node(mode))
    straight_m = haversine_m(graph.node_lon[a], graph.node_lat[a], graph.node_lon[b], graph.node_lat[b])
    assert _time(mode, a, b) >= (straight_m - LENGTH_ROUNDING_M) / top_speed_mps - TOLERANCE_S
