"""Place-to-facility travel times against networkx on a small directed graph (no database)."""
import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from planning import access
from routing.estimate import estimate_route, haversine_m
from routing.graph import CompactGraph, utm_epsg


@pytest.fixture(scope="module")
def street_graph():
    """A seeded random one-way street net of 300 nodes over about 5 km of Lima."""
    rng = np.random.default_rng(7)
    n_nodes = 300
    lon = -77.0 + rng.random(n_nodes) * 0.05
    lat = -12.0 + rng.random(n_nodes) * 0.05
    _, neighbours = cKDTree(np.column_stack([lon, lat])).query(np.column_stack([lon, lat]), k=5)
    rows, columns, weights = [], [], []
    for node in range(n_nodes):
        for other in neighbours[node, 1:]:
            if rng.random() < 0.8:
                rows.append(node)
                columns.append(other)
                weights.append(10 + rng.random() * 100)
    adjacency = csr_matrix((weights, (rows, columns)), shape=(n_nodes, n_nodes))
    adjacency.sum_duplicates()
    adjacency.sort_indices()
    graph = CompactGraph(
        adjacency=adjacency,
        length_m=adjacency.data * 1.0,
        node_osmid=np.arange(n_nodes),
        node_lon=lon,
        node_lat=lat,
        meta={"mode": "drive", "crs_epsg": utm_epsg(-77.0, -12.0)},
    )
    digraph = nx.DiGraph()
    for tail, head, weight in zip(*adjacency.nonzero(), adjacency.data):
        digraph.add_edge(int(tail), int(head), weight=float(weight))
    return graph, digraph


def test_nearest_facility_matches_networkx(street_graph):
    graph, digraph = street_graph
    facility_lon = graph.node_lon[[3, 50, 200]] + 0.0001
    facility_lat = graph.node_lat[[3, 50, 200]]
    place_lon = graph.node_lon[::7] + 0.0002
    place_lat = graph.node_lat[::7]

    result = access.nearest_facility(place_lon, place_lat, facility_lon, facility_lat, [graph], "drive")

    snap = access.snap_places([graph], place_lon, place_lat)
    _, facility_node, egress_s = access.snap_sites(graph, facility_lon, facility_lat)
    for index, (node, access_s) in enumerate(zip(snap.node, snap.access_s)):
        lengths = nx.single_source_dijkstra_path_length(digraph, int(node), weight="weight")
        options = [(lengths[f] + egress_s[i], i) for i, f in enumerate(facility_node) if f in lengths]
        if options:
            best_s, best_facility = min(options)
            assert result.time_s[index] == pytest.approx(best_s + access_s)
            assert result.facility[index] == best_facility
            assert result.method[index] == access.ROAD_NETWORK
        else:
            # Unreached on the network, and never replaced by an estimate.
            assert np.isinf(result.time_s[index])
            assert result.facility[index] == -1


def test_site_pairs_match_networkx(street_graph):
    graph, digraph = street_graph
    site_lon = graph.node_lon[[10, 120]]
    site_lat = graph.node_lat[[10, 120]]
    place_lon = graph.node_lon[::5]
    place_lat = graph.node_lat[::5]
    limit_s = 600.0

    site, place, time_s = access.site_place_times(site_lon, site_lat, place_lon, place_lat, [graph], "drive", limit_s)

    snap = access.snap_places([graph], place_lon, place_lat)
    _, site_node, egress_s = access.snap_sites(graph, site_lon, site_lat)
    expected = {}
    for place_index, node in enumerate(snap.node):
        lengths = nx.single_source_dijkstra_path_length(digraph, int(node), weight="weight")
        for site_index, target in enumerate(site_node):
            if target in lengths:
                total = lengths[target] + egress_s[site_index] + snap.access_s[place_index]
                if total <= limit_s:
                    expected[(site_index, place_index)] = total
    found = {(int(s), int(p)): t for s, p, t in zip(site, place, time_s)}
    assert found.keys() == expected.keys()
    for key, total in expected.items():
        assert found[key] == pytest.approx(total)


def test_without_graph_uses_estimate():
    place_lon = np.array([-69.19, -69.30])
    place_lat = np.array([-12.59, -12.70])
    facility_lon = np.array([-69.18, -70.0])
    facility_lat = np.array([-12.60, -12.0])

    result = access.nearest_facility(place_lon, place_lat, facility_lon, facility_lat, [], "walk")

    straight_m = haversine_m(place_lon, place_lat, facility_lon[0], facility_lat[0])
    assert result.time_s == pytest.approx(estimate_route(straight_m, "walk")[1])
    assert result.facility.tolist() == [0, 0]
    assert (result.method == access.ESTIMATE).all()


def test_no_facility_is_unreachable():
    result = access.nearest_facility(np.array([-69.19]), np.array([-12.59]), np.array([]), np.array([]), [], "walk")

    assert np.isinf(result.time_s[0])
    assert result.facility[0] == -1


def test_summary_counts_unreachable_as_beyond():
    group = np.array([0, 0, 1])
    population = np.array([10, 20, 5])
    time_s = np.array([20 * 60.0, np.inf, 90 * 60.0])

    sums = access.summarise_by_group(group, 2, population, time_s, (30, 60, 120))

    assert sums["population"].tolist() == [30, 5]
    assert sums["beyond_30"].tolist() == [20, 5]
    assert sums["beyond_120"].tolist() == [20, 0]
    assert sums["unreachable"].tolist() == [20, 0]
    assert sums["weighted_time_s"].tolist() == [10 * 20 * 60.0, 5 * 90 * 60.0]
