"""The chain contraction gives the times and lengths of a search on the whole graph."""
import numpy as np
import pytest
from scipy.sparse import csr_matrix

from routing import services
from routing.chains import build_chains, chain_one_to_many, pass_through_nodes
from routing.graph import whole_graph_one_to_many
from routing.join import joined_graph
from routing.models import RoadRegion
from routing.regions import MTC_NETWORK

pytestmark = pytest.mark.django_db


def stored_graph(slug, mode):
    return services.load_graph(RoadRegion.objects.get(slug=slug).graph_files[mode])


def compare(graph, sources, rng, probe_s=None):
    chains = build_chains(graph.adjacency, graph.length_m)
    pieces = graph.piece(np.arange(graph.n_nodes))
    for source in sources:
        same_piece = np.flatnonzero(pieces == pieces[source])
        targets = rng.choice(same_piece, size=min(40, same_piece.size), replace=False)
        # The source itself and its neighbours along a road are the cases a chain handles on its own.
        neighbours = graph.adjacency.indices[graph.adjacency.indptr[source]:graph.adjacency.indptr[source + 1]]
        targets = np.concatenate([[source], neighbours, targets])
        expected = whole_graph_one_to_many(graph, source, targets, graph.network_limit_s, probe_s)
        found = chain_one_to_many(chains, source, targets, graph.network_limit_s, probe_s, graph.uniform_speed_mps)
        for want, got in zip(expected, found):
            assert np.array_equal(np.isfinite(want), np.isfinite(got))
            assert got == pytest.approx(want, rel=1e-9, abs=1e-6)
    return chains


@pytest.mark.parametrize("slug,mode", [
    (MTC_NETWORK.slug, "drive"), (MTC_NETWORK.slug, "walk"),
    ("cusco-centro", "drive"), ("cusco-centro", "walk"), ("lima-sjl-canto-grande", "drive"),
])
def test_stored_graphs_match_whole_search(slug, mode):
    graph = stored_graph(slug, mode)
    rng = np.random.default_rng(20261205)
    sources = rng.choice(graph.n_nodes, size=12, replace=False)
    chains = compare(graph, sources, rng, probe_s=600.0)
    compare(graph, sources[:4], rng)
    on_chain = np.flatnonzero(chains.chain >= 0)
    assert on_chain.size, "the graph has roads through pass-through nodes"
    compare(graph, rng.choice(on_chain, size=6, replace=False), rng, probe_s=300.0)


def test_joined_graph_matches_whole_search():
    joined = joined_graph(stored_graph("cusco-centro", "drive"), stored_graph(MTC_NETWORK.slug, "drive"))
    rng = np.random.default_rng(7)
    city_sources = joined.city_offset + rng.choice(joined.graph.n_nodes - joined.city_offset, size=8, replace=False)
    compare(joined.graph, city_sources, rng, probe_s=1200.0)


def test_mtc_core_keeps_few_nodes():
    graph = stored_graph(MTC_NETWORK.slug, "drive")
    assert graph.chains() is not None
    assert graph.chains().n_core < 0.1 * graph.n_nodes


def small_graph(edges, n_nodes):
    """Build CSR times and aligned lengths (length = 10 x time) from ``(tail, head, time)`` rows."""
    tail, head, time_s = (np.array(column) for column in zip(*edges))
    order = np.lexsort((head, tail))
    matrix = csr_matrix((time_s[order].astype(float), (tail[order], head[order])), shape=(n_nodes, n_nodes))
    matrix.sort_indices()
    return matrix, matrix.data * 10.0


def two_way(*pairs):
    return [edge for a, b, time_s in pairs for edge in ((a, b, time_s), (b, a, time_s))]


def test_one_way_node_stays_core():
    # 0 - 1 - 2 both ways, and 2 -> 3 -> 4 one way only.
    adjacency, _ = small_graph(two_way((0, 1, 1), (1, 2, 1)) + [(2, 3, 1), (3, 4, 1)], 5)
    passing = pass_through_nodes(adjacency)
    assert passing.tolist() == [False, True, False, False, False]


def test_junctionless_ring_gets_core_node():
    adjacency, length_m = small_graph(two_way((0, 1, 1), (1, 2, 2), (2, 3, 3), (3, 0, 4)), 4)
    chains = build_chains(adjacency, length_m)
    assert chains.n_core == 1
    # From node 2 to node 0 the way round through node 1 (3 s) beats the way through node 3 (7 s).
    times, lengths = chain_one_to_many(chains, 2, np.arange(4))
    assert times.tolist() == [3.0, 2.0, 0.0, 3.0]
    assert lengths.tolist() == [30.0, 20.0, 0.0, 30.0]


def test_parallel_road_keeps_the_faster_way():
    # From junction 0 to junction 3: directly in 10 s, or through pass-through nodes 1 and 2 in 3 s.
    edges = two_way((0, 3, 10), (0, 1, 1), (1, 2, 1), (2, 3, 1), (3, 4, 1), (3, 5, 1), (0, 6, 1), (0, 7, 1))
    adjacency, length_m = small_graph(edges, 8)
    chains = build_chains(adjacency, length_m)
    times, lengths = chain_one_to_many(chains, 4, np.array([0, 1, 6]))
    assert times.tolist() == [4.0, 3.0, 5.0]
    assert lengths.tolist() == [40.0, 30.0, 50.0]


def test_targets_beyond_the_limit_are_unreached():
    adjacency, length_m = small_graph(two_way((0, 1, 5), (1, 2, 5), (2, 3, 5)), 4)
    chains = build_chains(adjacency, length_m)
    times, lengths = chain_one_to_many(chains, 0, np.arange(4), limit_s=10.0, probe_limit_s=4.0)
    assert times.tolist() == [0.0, 5.0, 10.0, np.inf]
    assert lengths[3] == np.inf
