"""Both ways of summing path lengths over a shortest-path tree give the same lengths."""
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from routing import services
from routing.graph import FEW_TARGETS, path_lengths
from routing.models import RoadRegion
from routing.regions import MTC_NETWORK

pytestmark = pytest.mark.django_db


def test_walked_lengths_match_folded_tree():
    graph = services.load_graph(RoadRegion.objects.get(slug=MTC_NETWORK.slug).graph_files["drive"])
    rng = np.random.default_rng(20261205)
    checked = 0
    for source in rng.choice(graph.n_nodes, size=12, replace=False):
        times, predecessors = dijkstra(
            graph.adjacency, directed=True, indices=int(source), limit=24 * 3600.0, return_predecessors=True
        )
        reached = np.flatnonzero(np.isfinite(times))
        if len(reached) <= FEW_TARGETS:
            continue  # a small piece of the graph: both calls would walk
        whole_tree = path_lengths(graph, predecessors, reached)  # many targets: folds the tree
        few = rng.choice(reached, size=min(40, len(reached)), replace=False)
        walked = path_lengths(graph, predecessors, few)
        assert walked == pytest.approx(whole_tree[np.searchsorted(reached, few)], rel=1e-12, abs=1e-6)
        assert walked[few == source].sum() == 0.0
        checked += 1
    assert checked >= 4
