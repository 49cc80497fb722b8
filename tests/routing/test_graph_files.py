"""Building and storing compact graphs from the staged OSM files, without a database."""
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from django.conf import settings
from scipy.sparse.csgraph import connected_components

from routing import parameters
from routing.build import build_graphs, drive_allowed, walk_allowed
from routing.exceptions import GraphBuildError, GraphFileError
from routing.graph import CompactGraph, one_to_many

OSM_DIR = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "osm_network"
VENTANILLA = OSM_DIR / "lima_ventanilla_drive_2km.graphml"
CUSCO = OSM_DIR / "cusco_centro_highways_2017.osm"


@pytest.fixture(scope="module")
def ventanilla():
    return build_graphs(VENTANILLA)


def test_graph_is_strongly_connected(ventanilla):
    for mode, graph in ventanilla.items():
        n_components, _ = connected_components(graph.adjacency, directed=True, connection="strong")
        assert n_components == 1, mode


def test_graph_rows_sorted_without_duplicates(ventanilla):
    for graph in ventanilla.values():
        indptr, indices = graph.adjacency.indptr, graph.adjacency.indices
        for row in range(graph.n_nodes):
            columns = indices[indptr[row] : indptr[row + 1]]
            assert np.all(np.diff(columns) > 0)


def test_walk_graph_is_symmetric(ventanilla):
    walk = ventanilla["walk"].adjacency
    assert (walk != walk.T).nnz == 0


def test_save_load_round_trip(ventanilla, tmp_path):
    graph = ventanilla["drive"]
    path = tmp_path / "drive.npz"
    graph.save(path)
    loaded = CompactGraph.load(path)
    assert loaded.meta == graph.meta
    assert loaded.n_nodes == graph.n_nodes
    assert (loaded.adjacency != graph.adjacency).nnz == 0
    np.testing.assert_array_equal(loaded.length_m, graph.length_m)
    np.testing.assert_array_equal(loaded.node_osmid, graph.node_osmid)


def test_load_missing_file_names_fix(tmp_path):
    with pytest.raises(GraphFileError, match="build_graphs"):
        CompactGraph.load(tmp_path / "absent.npz")


def test_unsupported_source_rejected(tmp_path):
    source = tmp_path / "roads.shp"
    source.write_bytes(b"")
    with pytest.raises(GraphBuildError, match="roads.shp"):
        build_graphs(source)


def test_path_length_matches_networkx(ventanilla):
    # Distances along the fastest drive path, summed by networkx on the same edges.
    graph = ventanilla["drive"]
    G = ox.load_graphml(VENTANILLA)
    G = ox.add_edge_travel_times(
        ox.add_edge_speeds(
            G, hwy_speeds=parameters.DRIVE_SPEED_KPH, fallback=parameters.DRIVE_FALLBACK_SPEED_KPH
        )
    )
    source = 0
    targets = np.arange(0, graph.n_nodes, 97)
    times, lengths = one_to_many(graph, source, targets)

    for target, time_s, length_m in zip(targets, times, lengths):
        path = nx.shortest_path(G, graph.node_osmid[source], graph.node_osmid[target], weight="travel_time")
        pairs = list(zip(path[:-1], path[1:]))
        nx_time = sum(min(d["travel_time"] for d in G[u][v].values()) for u, v in pairs)
        assert time_s == pytest.approx(nx_time, rel=1e-9, abs=1e-5)
        fastest = [min(G[u][v].values(), key=lambda d: d["travel_time"]) for u, v in pairs]
        assert length_m == pytest.approx(sum(d["length"] for d in fastest), rel=1e-9, abs=1e-6)


def test_cusco_walk_keeps_steps_and_drive_drops_them():
    # Cusco's historic centre has stairways (highway=steps) that only pedestrians use.
    G = ox.graph_from_xml(CUSCO, simplify=False, retain_all=True)
    steps = [data for _, _, data in G.edges(data=True) if data.get("highway") == "steps"]
    assert steps
    assert all(walk_allowed(data) for data in steps)
    assert not any(drive_allowed(data) for data in steps)


@pytest.mark.parametrize(
    ("tags", "walk", "drive"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "footway"}, True, False),
        ({"highway": "motorway"}, False, True),
        ({"highway": "residential", "access": "private"}, False, False),
        ({"highway": "residential", "access": "private", "foot": "yes"}, True, False),
        ({"highway": "residential", "motor_vehicle": "no"}, True, False),
        ({"highway": "service", "service": "parking_aisle"}, True, False),
        ({"highway": "cycleway"}, False, False),
        ({"highway": "cycleway", "foot": "designated"}, True, False),
        # osmnx keeps a list when simplification merged ways of several classes.
        ({"highway": ["tertiary", "secondary"]}, True, True),
    ],
)
def test_mode_filters(tags, walk, drive):
    assert walk_allowed(tags) is walk
    assert drive_allowed(tags) is drive


def test_pbf_gives_same_graph_as_xml():
    # The staged Cusco XML contains the highway ways of this PBF, so both graphs must agree.
    from_pbf = build_graphs(OSM_DIR / "cusco_centro_bbbike_2017.osm.pbf", ("drive",))["drive"]
    from_xml = build_graphs(CUSCO, ("drive",))["drive"]
    np.testing.assert_array_equal(from_pbf.node_osmid, from_xml.node_osmid)
    assert (from_pbf.adjacency != from_xml.adjacency).nnz == 0
