"""Searches outside the city graphs, routed on the MTC road graph.

The networkx reference reads the same stored edges but finds shortest paths
and adds the walked legs on its own, so a fault in the engine's search, the
leg rules or the graph choice shows up as a different time.
"""
from io import StringIO

import networkx as nx
import numpy as np
import pytest
from django.core.management import call_command

from geoservices.models import Facility
from routing import parameters, services
from routing.estimate import OFFROAD_ACCESS, estimate_route, haversine_m
from routing.models import RoadRegion
from routing.regions import MTC_NETWORK

pytestmark = pytest.mark.django_db

#: Plaza de Armas of Ayacucho (Huamanga, ubigeo 050101): no OSM graph of the app covers it.
HUAMANGA = (-74.2236, -13.1588)

#: A point in the Madre de Dios lowland forest (district of Iñapari), about 89 km from the nearest MTC road.
FAR_FROM_ROADS = (-71.5, -11.0)

#: Plaza de Armas of Cusco, inside the OSM city graph, and Urcos, about 40 km south-east on the PE-3S.
CUSCO_PLAZA = (-71.9785, -13.5167)
URCOS = (-71.6247, -13.6883)

#: Plaza in San Juan de Lurigancho, inside the OSM city graph of Canto Grande.
SJL = (-76.9894, -11.9702)


def _huamanga_facilities(limit: int = 12) -> list[Facility]:
    return list(
        Facility.objects.filter(is_searchable=True, location__isnull=False, spatial_ubigeo__startswith="0501")
        .order_by("renaes_code")[:limit]
    )


def _mtc_graph(mode: str):
    region = RoadRegion.objects.get(slug=MTC_NETWORK.slug)
    return services.load_graph(region.graph_files[mode])


def test_mtc_region_covers_peru():
    region = RoadRegion.objects.get(slug=MTC_NETWORK.slug)
    assert region.modes == ["drive", "walk"]
    for lon, lat in (HUAMANGA, (-71.97, -13.52), (-80.63, -5.19), (-70.02, -15.84)):
        assert region.extent.contains(services.Point(lon, lat, srid=4326)), (lon, lat)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_huamanga_search_uses_mtc(mode):
    facilities = _huamanga_facilities()
    destinations = [(f.location.x, f.location.y) for f in facilities]
    results = services.travel_times(HUAMANGA, destinations, mode)

    routed = [r for r in results if r.source == services.ROAD_NETWORK]
    assert routed, "no Huamanga facility was routed"
    assert {r.region for r in routed} == {MTC_NETWORK.slug}
    assert any(r.minutes is not None for r in routed)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_huamanga_times_match_networkx(mode):
    graph = _mtc_graph(mode)
    reference = nx.DiGraph()
    rows = np.repeat(np.arange(graph.n_nodes), np.diff(graph.adjacency.indptr))
    reference.add_weighted_edges_from(zip(rows.tolist(), graph.adjacency.indices.tolist(), graph.adjacency.data.tolist()))

    facilities = _huamanga_facilities()
    lon = np.array([f.location.x for f in facilities])
    lat = np.array([f.location.y for f in facilities])
    results = services.travel_times(HUAMANGA, list(zip(lon, lat)), mode)

    origin_node, access_m = graph.nearest_nodes(*HUAMANGA)
    network_s = nx.single_source_dijkstra_path_length(
        reference, int(origin_node[0]), cutoff=graph.network_limit_s
    )
    dest_nodes, egress_m = graph.nearest_nodes(lon, lat)
    straight_m = haversine_m(*HUAMANGA, lon, lat)
    checked = 0
    for i, result in enumerate(results):
        if egress_m[i] > OFFROAD_ACCESS.max_distance_m:
            assert result.source == services.ESTIMATE
            continue
        legs_s = OFFROAD_ACCESS.leg(access_m[0])[1] + OFFROAD_ACCESS.leg(egress_m[i])[1]
        via_road_s = legs_s + network_s.get(int(dest_nodes[i]), np.inf)
        direct_s = OFFROAD_ACCESS.leg(straight_m[i])[1] if straight_m[i] <= OFFROAD_ACCESS.max_distance_m else np.inf
        expected_s = min(via_road_s, direct_s)
        if np.isinf(expected_s):
            assert result.minutes is None
        else:
            assert result.minutes == pytest.approx(expected_s / 60.0, rel=1e-9)
            checked += 1
    assert checked >= 3


def test_far_from_roads_gets_estimate():
    graph = _mtc_graph("drive")
    _, access_m = graph.nearest_nodes(*FAR_FROM_ROADS)
    assert access_m[0] > 50_000

    nearby = (FAR_FROM_ROADS[0] + 0.01, FAR_FROM_ROADS[1])
    results = services.travel_times(FAR_FROM_ROADS, [nearby, HUAMANGA], "drive")
    _, expected_s = estimate_route(haversine_m(*FAR_FROM_ROADS, *zip(nearby, HUAMANGA)), "drive")

    assert [r.source for r in results] == [services.ESTIMATE, services.ESTIMATE]
    assert [r.minutes for r in results] == pytest.approx((expected_s / 60.0).tolist())


def test_destination_far_from_roads_gets_estimate():
    results = services.travel_times(HUAMANGA, [FAR_FROM_ROADS], "walk")
    _, expected_s = estimate_route(haversine_m(*HUAMANGA, *FAR_FROM_ROADS), "walk")
    assert results[0].source == services.ESTIMATE
    assert results[0].minutes == pytest.approx(float(expected_s) / 60.0)


def test_city_graph_keeps_priority():
    nearby = (SJL[0] + 0.005, SJL[1] + 0.005)
    results = services.travel_times(SJL, [nearby], "drive")
    assert results[0].source == services.ROAD_NETWORK
    assert results[0].region == "lima-sjl-canto-grande"


def test_city_origin_reaches_urcos_on_mtc():
    # Urcos is off the Cusco city graph, so the trip runs on the MTC lines; the city stop stays on OSM.
    results = services.travel_times(CUSCO_PLAZA, [URCOS, (CUSCO_PLAZA[0] + 0.005, CUSCO_PLAZA[1])], "drive")
    assert results[0].region == MTC_NETWORK.slug
    assert results[0].minutes is not None
    assert results[0].distance_km > 40
    assert results[1].region == "cusco-centro"


def test_mtc_walk_graph_is_lines_at_walking_speed():
    drive, walk = _mtc_graph("drive"), _mtc_graph("walk")
    assert np.array_equal(drive.adjacency.indptr, walk.adjacency.indptr)
    assert np.array_equal(drive.adjacency.indices, walk.adjacency.indices)
    expected_s = np.maximum(walk.length_m / (parameters.MTC_WALK_SPEED_KPH / 3.6), 1e-6)
    assert np.allclose(walk.adjacency.data, expected_s)
    assert (walk.adjacency != walk.adjacency.T).nnz == 0


def test_method_names_mtc():
    description = services.estimate_description("drive", MTC_NETWORK.slug)
    assert "MTC" in description["network_source"]
    assert "MTC" not in services.estimate_description("drive")["network_source"]


def test_build_graphs_rerun_reuses_mtc():
    out = StringIO()
    call_command("build_graphs", region=[MTC_NETWORK.slug], stdout=out)
    assert f"{MTC_NETWORK.slug} drive: reused" in out.getvalue()
    assert "skipped: 1" in out.getvalue()


def test_mtc_description_states_its_search_limit():
    drive = _mtc_graph("drive")
    description = services.estimate_description("drive", MTC_NETWORK.slug)
    assert description["network_limit_s"] == drive.network_limit_s
    assert description["network_limit_s"] > parameters.NETWORK_LIMIT_S
    assert services.estimate_description("drive")["network_limit_s"] == parameters.NETWORK_LIMIT_S
