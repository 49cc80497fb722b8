"""Path lengths on graphs whose edges share one speed come from the times, and match traced paths."""
import numpy as np
import pytest

from routing import parameters, services
from routing.graph import one_to_many, path_lengths
from routing.models import RoadRegion
from routing.regions import MTC_NETWORK
from scipy.sparse.csgraph import dijkstra

pytestmark = pytest.mark.django_db


def mtc_graph(mode):
    return services.load_graph(RoadRegion.objects.get(slug=MTC_NETWORK.slug).graph_files[mode])


def test_mtc_walk_graph_has_one_speed():
    speed = mtc_graph("walk").uniform_speed_mps
    assert speed == pytest.approx(parameters.kph_to_mps(parameters.MTC_WALK_SPEED_KPH))


def test_mtc_drive_graph_speeds_differ():
    assert mtc_graph("drive").uniform_speed_mps is None


def test_lengths_from_times_match_traced_paths():
    graph = mtc_graph("walk")
    limit_s = 12 * 3600.0
    rng = np.random.default_rng(20261204)
    main = np.flatnonzero(graph.piece(np.arange(graph.n_nodes)) == graph.main_piece)
    for source in rng.choice(main, size=5, replace=False):
        all_times, predecessors = dijkstra(graph.adjacency, indices=int(source), limit=limit_s, return_predecessors=True)
        near = np.flatnonzero(np.isfinite(all_times))
        targets = np.append(rng.choice(near, size=min(39, near.size), replace=False), rng.choice(main))

        times, lengths = one_to_many(graph, int(source), targets, limit_s=limit_s)

        reached = np.isfinite(times)
        np.testing.assert_allclose(times[reached], all_times[targets[reached]])
        traced = path_lengths(graph, predecessors, targets[reached])
        np.testing.assert_allclose(lengths[reached], traced, rtol=1e-6, atol=0.01)
        assert np.isinf(lengths[~reached]).all()
