"""Travel times on the real staged graphs, checked against networkx on osmnx graphs.

The reference graphs are read by osmnx from the same OSM file and weighted by
the same rules, through osmnx's own speed imputation with the engine's speed
table. Connectivity, nearest nodes and shortest paths come from networkx and
osmnx, not from the engine.
"""
from io import StringIO
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from django.conf import settings
from django.core.management import call_command

from geoservices.models import Facility
from routing import parameters, services
from routing.estimate import estimate_route, haversine_m, walk_leg
from routing.exceptions import RoutingError
from routing.graph import one_to_many
from routing.matrix import FacilityMatrix, build_matrix
from routing.models import RoadRegion

pytestmark = pytest.mark.django_db

SJL_SLUG = "lima-sjl-canto-grande"
SJL_FILE = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "osm_network" / "lima_sjl_canto_grande_drive.osm"
WALK_SPEED_MPS = parameters.WALK_SPEED_KPH / 3.6


def _reference_graphs() -> dict[str, nx.Graph]:
    """Build the networkx reference of each mode, reduced to its largest component."""
    default_tags = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = [*default_tags, "foot"]
    try:
        G = ox.graph_from_xml(SJL_FILE, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = default_tags
    drive = ox.add_edge_travel_times(
        ox.add_edge_speeds(
            G.copy(), hwy_speeds=parameters.DRIVE_SPEED_KPH, fallback=parameters.DRIVE_FALLBACK_SPEED_KPH
        )
    )
    drive = drive.subgraph(max(nx.strongly_connected_components(drive), key=len)).copy()

    # Walking uses every way in both directions at one speed, except the
    # stretches of avenue tagged foot=no.
    walk = nx.Graph()
    walk.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        if data.get("foot") == "no":
            continue
        travel_time = data["length"] / WALK_SPEED_MPS
        if u != v and (not walk.has_edge(u, v) or walk[u][v]["travel_time"] > travel_time):
            walk.add_edge(u, v, travel_time=travel_time, length=data["length"])
    walk = walk.subgraph(max(nx.connected_components(walk), key=len)).copy()
    walk.graph["crs"] = G.graph["crs"]
    return {"walk": walk, "drive": drive}


@pytest.fixture(scope="module")
def reference():
    return _reference_graphs()


@pytest.fixture
def sjl_region():
    return RoadRegion.objects.get(slug=SJL_SLUG)


@pytest.fixture
def sjl_facilities(sjl_region):
    facilities = list(
        Facility.objects.filter(is_searchable=True, location__within=sjl_region.extent).order_by("renaes_code")
    )
    assert len(facilities) >= 6, "expected several registry facilities inside the SJL graph"
    return facilities


def test_sjl_region_registered(sjl_region):
    assert sjl_region.osm_date.isoformat() == "2024-06-27"
    assert sorted(sjl_region.modes) == ["drive", "walk"]
    for mode in sjl_region.modes:  # the graph modes; public transport uses the drive graph
        graph = services.load_graph(sjl_region.graph_files[mode])
        assert sjl_region.counts[mode] == {"nodes": graph.n_nodes, "edges": graph.n_edges}


@pytest.mark.parametrize("mode", parameters.GRAPH_MODES)
def test_graph_nodes_match_reference_component(reference, sjl_region, mode):
    graph = services.load_graph(sjl_region.graph_files[mode])
    assert set(graph.node_osmid.tolist()) == set(reference[mode].nodes)


@pytest.mark.parametrize("mode", parameters.GRAPH_MODES)
def test_node_times_match_networkx(reference, sjl_region, sjl_facilities, mode):
    graph = services.load_graph(sjl_region.graph_files[mode])
    origin = sjl_facilities[0].location
    source, _ = graph.nearest_nodes(origin.x, origin.y)
    expected = nx.single_source_dijkstra_path_length(
        reference[mode], graph.node_osmid[source[0]], weight="travel_time"
    )

    sample = np.random.default_rng(20261204).choice(graph.n_nodes, size=400, replace=False)
    times, _ = one_to_many(graph, int(source[0]), sample)
    for node, time_s in zip(sample, times):
        # Zero-length edges weigh one microsecond in the engine, hence the tolerance.
        assert time_s == pytest.approx(expected[graph.node_osmid[node]], rel=1e-9, abs=1e-4)


@pytest.mark.parametrize("mode", parameters.GRAPH_MODES)
def test_facility_times_match_networkx(reference, sjl_facilities, mode):
    ref = reference[mode]
    origin, destinations = sjl_facilities[0].location, [f.location for f in sjl_facilities[1:]]
    results = services.travel_times((origin.x, origin.y), [(d.x, d.y) for d in destinations], mode)

    origin_node = ox.distance.nearest_nodes(ref, origin.x, origin.y)
    lengths = nx.single_source_dijkstra_path_length(ref, origin_node, weight="travel_time")
    _, access_s = walk_leg(haversine_m(origin.x, origin.y, ref.nodes[origin_node]["x"], ref.nodes[origin_node]["y"]))
    for destination, result in zip(destinations, results):
        node = ox.distance.nearest_nodes(ref, destination.x, destination.y)
        egress_m = haversine_m(destination.x, destination.y, ref.nodes[node]["x"], ref.nodes[node]["y"])
        _, egress_s = walk_leg(egress_m)
        expected_minutes = (access_s + lengths[node] + egress_s) / 60.0

        assert result.source == "road_network"
        assert result.region == SJL_SLUG
        assert result.minutes == pytest.approx(expected_minutes, rel=1e-6, abs=1e-5)
        assert result.distance_km > haversine_m(origin.x, origin.y, destination.x, destination.y) / 1000.0


def test_one_way_streets_by_mode(reference, sjl_region):
    drive = services.load_graph(sjl_region.graph_files["drive"])
    walk = services.load_graph(sjl_region.graph_files["walk"])
    drive_index = {osmid: i for i, osmid in enumerate(drive.node_osmid.tolist())}
    walk_index = {osmid: i for i, osmid in enumerate(walk.node_osmid.tolist())}
    ref = reference["drive"]
    one_way = [
        (u, v)
        for u, v, data in ref.edges(data=True)
        if data["oneway"] and not ref.has_edge(v, u) and data.get("foot") != "no"
    ][:25]
    assert len(one_way) == 25

    for u, v in one_way:
        iu, iv = drive_index[u], drive_index[v]
        assert drive.adjacency[iu, iv] > 0
        assert drive.adjacency[iv, iu] == 0
        forward, _ = one_to_many(drive, iu, [iv])
        backward, _ = one_to_many(drive, iv, [iu])
        assert backward[0] > forward[0]

        wu, wv = walk_index[u], walk_index[v]
        assert walk.adjacency[wu, wv] > 0
        assert walk.adjacency[wv, wu] == walk.adjacency[wu, wv]


def test_transit_scales_drive_network_time(sjl_region, sjl_facilities):
    origin = sjl_facilities[0].location
    points = [(f.location.x, f.location.y) for f in sjl_facilities[1:]]
    drive = services.travel_times((origin.x, origin.y), points, "drive")
    transit = services.travel_times((origin.x, origin.y), points, "transit")

    graph = services.load_graph(sjl_region.graph_files["drive"])
    _, access_m = graph.nearest_nodes(origin.x, origin.y)
    _, egress_m = graph.nearest_nodes([p[0] for p in points], [p[1] for p in points])
    legs_s = walk_leg(access_m)[1] + walk_leg(egress_m)[1]
    for by_car, by_bus, walk_s in zip(drive, transit, legs_s):
        network_s = by_car.minutes * 60 - walk_s
        expected_s = walk_s + network_s * parameters.TRANSIT_TIME_FACTOR + parameters.TRANSIT_WAIT_S
        assert by_bus.source == "road_network"
        assert by_bus.minutes * 60 == pytest.approx(expected_s)
        assert by_bus.distance_km == pytest.approx(by_car.distance_km)


def test_destination_off_city_graph_uses_mtc(sjl_facilities):
    origin = sjl_facilities[0].location
    cusco = Facility.objects.filter(is_searchable=True, spatial_ubigeo="080101").first()
    # About 3 km east of the graph's eastern edge.
    outside = (-76.9725 + 0.03, -11.97)
    points = [(cusco.location.x, cusco.location.y), outside, (sjl_facilities[1].location.x, sjl_facilities[1].location.y)]
    results = services.travel_times((origin.x, origin.y), points, "walk")

    # Both are off the city graph but within reach of the MTC lines. Cusco is days away on foot, and the
    # MTC graph's search limit is above its longest trip, so it is timed rather than called unreachable.
    assert [r.region for r in results] == ["peru-mtc", "peru-mtc", SJL_SLUG]
    assert [r.source for r in results] == ["road_network"] * 3
    straight_m = haversine_m(origin.x, origin.y, cusco.location.x, cusco.location.y)
    assert results[0].minutes * 60 > max(parameters.NETWORK_LIMIT_S, straight_m / parameters.kph_to_mps(parameters.WALK_SPEED_KPH))
    assert results[1].minutes is not None
    assert results[2].minutes is not None


def test_origin_far_from_graphs_gets_estimates():
    # A facility in Puno, hundreds of kilometres from every staged graph.
    puno = list(Facility.objects.filter(is_searchable=True, spatial_ubigeo__startswith="21")[:4])
    origin, destinations = puno[0].location, [(f.location.x, f.location.y) for f in puno[1:]]
    for mode in parameters.MODES:
        results = services.travel_times((origin.x, origin.y), destinations, mode)
        assert [r.source for r in results] == ["estimate"] * len(destinations)
        assert all(r.minutes is not None and r.minutes >= 0 for r in results)


def test_beyond_network_limit_is_unreachable(sjl_facilities, monkeypatch):
    # With a one-minute search limit the far facilities cannot be reached on foot.
    monkeypatch.setattr(parameters, "NETWORK_LIMIT_S", 60.0)
    origin = sjl_facilities[0].location
    points = [(f.location.x, f.location.y) for f in sjl_facilities[1:]]
    results = services.travel_times((origin.x, origin.y), points, "walk")
    unreachable = [r for r in results if r.minutes is None]
    assert unreachable
    assert all(r.source == "road_network" for r in unreachable)
    assert all(r.distance_km > 0 for r in unreachable)


@pytest.mark.parametrize(
    ("origin", "mode", "message"),
    [
        ((-77.0, -11.97), "bicycle", "bicycle"),
        ((-11.97, -97.0), "walk", "-97.0"),  # latitude and longitude swapped
        ((float("nan"), -11.97), "walk", "nan"),
        (("lon", -11.97), "walk", "lon"),
    ],
)
def test_invalid_input_rejected(origin, mode, message):
    with pytest.raises(RoutingError, match=message):
        services.travel_times(origin, [(-77.0, -11.96)], mode)


def test_no_destinations_returns_empty_list():
    assert services.travel_times((-77.0, -11.97), [], "walk") == []


def test_build_graphs_idempotent():
    graph_dir = Path(settings.GEOSALUD["GRAPH_DIR"])
    before = {path.name: path.stat().st_mtime_ns for path in graph_dir.glob("*.npz")}
    output = StringIO()
    call_command("build_graphs", stdout=output)
    assert "created: 0, updated: 0, skipped: 4, failed: 0, graph files built: 0" in output.getvalue()
    after = {path.name: path.stat().st_mtime_ns for path in graph_dir.glob("*.npz")}
    assert after == before

    # A fresh database (as in a new test run) gets its rows back without a rebuild.
    RoadRegion.objects.filter(slug=SJL_SLUG).delete()
    output = StringIO()
    call_command("build_graphs", stdout=output)
    assert "created: 1, updated: 0, skipped: 3, failed: 0, graph files built: 0" in output.getvalue()
    assert RoadRegion.objects.count() == 4


def test_matrix_agrees_with_dijkstra(sjl_region, sjl_facilities):
    graph = services.load_graph(sjl_region.graph_files["walk"])
    matrix = services.load_matrix(sjl_region.graph_files["walk"], graph)
    assert matrix is not None
    facility_nodes, _ = graph.nearest_nodes([f.location.x for f in sjl_facilities], [f.location.y for f in sjl_facilities])
    rows = matrix.rows_for(facility_nodes)
    assert np.all(rows >= 0)

    origins = np.random.default_rng(5).choice(graph.n_nodes, size=20, replace=False)
    for origin in origins:
        times, lengths = one_to_many(graph, int(origin), facility_nodes)
        np.testing.assert_allclose(matrix.travel_time_s[rows, origin], times, rtol=1e-9)
        np.testing.assert_allclose(matrix.distance_m[rows, origin], lengths, rtol=1e-9)


def test_matrix_for_other_graph_ignored(sjl_region):
    walk = services.load_graph(sjl_region.graph_files["walk"])
    drive = services.load_graph(sjl_region.graph_files["drive"])
    matrix = services.load_matrix(sjl_region.graph_files["walk"], walk)
    assert matrix.fits(walk)
    assert not matrix.fits(drive)


def test_cutoff_matrix_matches_dijkstra(sjl_region, sjl_facilities, tmp_path):
    graph = services.load_graph(sjl_region.graph_files["walk"])
    facility_nodes, _ = graph.nearest_nodes([f.location.x for f in sjl_facilities], [f.location.y for f in sjl_facilities])
    cutoff_s = 900.0
    built = build_matrix(graph, facility_nodes, parameters.NETWORK_LIMIT_S, cutoff_s=cutoff_s)
    built.save(tmp_path / "cut.npz")
    matrix = FacilityMatrix.load(tmp_path / "cut.npz")
    dense = FacilityMatrix.load(Path(settings.GEOSALUD["GRAPH_DIR"]) / "lima-sjl-canto-grande_walk_facilities.npz")
    rows = matrix.rows_for(facility_nodes)
    assert matrix.fits(graph)
    assert matrix.travel_time_s.nnz < 0.5 * len(matrix.target_nodes) * graph.n_nodes

    beyond_cutoff = 0
    for origin in np.random.default_rng(11).choice(graph.n_nodes, size=20, replace=False):
        times, lengths = one_to_many(graph, int(origin), facility_nodes)
        got_s, got_m = matrix.lookup(rows, int(origin))
        near = times <= cutoff_s
        np.testing.assert_allclose(got_s[near], times[near], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(got_m[near], lengths[near], rtol=1e-9, atol=1e-6)
        assert np.all(np.isnan(got_s[~near]))
        beyond_cutoff += int((~near).sum())
        dense_s, _ = dense.lookup(dense.rows_for(facility_nodes), int(origin))
        np.testing.assert_allclose(dense_s, times, rtol=1e-9)
    assert beyond_cutoff > 0


def test_search_with_cutoff_matrix_unchanged(sjl_region, sjl_facilities, monkeypatch):
    graph = services.load_graph(sjl_region.graph_files["drive"])
    facility_nodes, _ = graph.nearest_nodes([f.location.x for f in sjl_facilities], [f.location.y for f in sjl_facilities])
    cut = build_matrix(graph, facility_nodes, parameters.NETWORK_LIMIT_S, cutoff_s=120.0)
    origin = (sjl_facilities[0].location.x + 0.003, sjl_facilities[0].location.y)
    destinations = [(f.location.x, f.location.y) for f in sjl_facilities]

    # The origin has facilities on both sides of the cutoff, so both paths of the search run.
    origin_node, _ = graph.nearest_nodes(*origin)
    cut_s, _ = cut.lookup(cut.rows_for(facility_nodes), int(origin_node[0]))
    assert np.isnan(cut_s).any()
    assert (~np.isnan(cut_s)).any()

    monkeypatch.setattr(services, "load_matrix", lambda *args: None)
    without = services.travel_times(origin, destinations, "drive")
    monkeypatch.setattr(services, "load_matrix", lambda *args: cut)
    with_cut = services.travel_times(origin, destinations, "drive")
    assert [t.minutes for t in with_cut] == pytest.approx([t.minutes for t in without], rel=1e-9)
    assert [t.distance_km for t in with_cut] == pytest.approx([t.distance_km for t in without], rel=1e-9)


def test_city_vehicle_trip_takes_faster_estimate(sjl_facilities):
    # From the README's example point on the SJL street graph to the Cayetano Heredia hospital across Lima.
    # Over the MTC lines, which contain no Lima streets, the car took 194 min, at walking pace.
    origin = (-77.0013, -11.9763)
    hospital = Facility.objects.get(renaes_code="00007633").location
    destination = [(hospital.x, hospital.y)]
    by_car, = services.travel_times(origin, destination, "drive")
    on_foot, = services.travel_times(origin, destination, "walk")
    _, estimate_s = estimate_route(haversine_m(*origin, hospital.x, hospital.y), "drive")

    assert by_car.source == "estimate"
    assert by_car.minutes == pytest.approx(float(estimate_s) / 60)
    assert by_car.minutes < on_foot.minutes / 3
    # Inside the streets the network time stays.
    on_streets = sjl_facilities[0].location
    inside, = services.travel_times(origin, [(on_streets.x, on_streets.y)], "drive")
    assert inside.source == "road_network"
