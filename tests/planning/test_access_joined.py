"""Coverage trips that leave a city street graph for the MTC lines, on two small hand-made graphs (no database).

The city graph is a street of five nodes, 30 s apart by car. The MTC graph
has a fast road beside that street (5 s from end to end) and a road of 200 s
from the street's east end to a village 5 km east. Connectors of
``routing.join`` link each end of the street to the MTC node 11 m north of
it. So the joined graph offers a shortcut along the street, which the
family search does not take to a facility on the street.
"""
import numpy as np
import pytest
from scipy.sparse import csr_matrix

from planning import access
from routing import parameters
from routing.estimate import OFFROAD_ACCESS, STREET_ACCESS, haversine_m
from routing.graph import CompactGraph, utm_epsg

LAT = -13.5
#: The street, west to east, about 108 m between nodes.
CITY_LON = -72.0 + 0.001 * np.arange(5)
#: MTC nodes: beside the west end, beside the east end, and 5 km east.
MTC_LON = np.array([CITY_LON[0], CITY_LON[-1], -71.95])
MTC_LAT = np.array([LAT + 0.0001, LAT + 0.0001, LAT + 0.0001])

#: A place 22 m south of the west end of the street. One facility is 22 m
#: south of the east end, on the street graph. The other is 100 m north of
#: the village node, off the street graph but on the MTC graph.
PLACE = (CITY_LON[0], LAT - 0.0002)
ON_STREET = (CITY_LON[-1], LAT - 0.0002)
BEYOND_STREET = (MTC_LON[2], MTC_LAT[2] + 0.0009)


def _graph(lon: np.ndarray, lat: np.ndarray, edges: list[tuple[int, int, float]]) -> CompactGraph:
    """Build a two-way drive graph whose edges are ``(tail, head, seconds)``."""
    tail = [a for a, b, _s in edges] + [b for a, b, _s in edges]
    head = [b for a, b, _s in edges] + [a for a, b, _s in edges]
    time_s = [s for _a, _b, s in edges] * 2
    adjacency = csr_matrix((time_s, (tail, head)), shape=(len(lon), len(lon)))
    adjacency.sort_indices()
    rows = np.repeat(np.arange(len(lon)), np.diff(adjacency.indptr))
    length_m = haversine_m(lon[rows], lat[rows], lon[adjacency.indices], lat[adjacency.indices])
    return CompactGraph(
        adjacency=adjacency,
        length_m=length_m,
        node_osmid=np.arange(len(lon)),
        node_lon=np.asarray(lon, dtype=float),
        node_lat=np.asarray(lat, dtype=float),
        meta={"mode": "drive", "crs_epsg": utm_epsg(-72.0, LAT)},
    )


@pytest.fixture(scope="module")
def graphs():
    city = _graph(CITY_LON, np.full(5, LAT), [(k, k + 1, 30.0) for k in range(4)])
    mtc = _graph(MTC_LON, MTC_LAT, [(0, 1, 5.0), (1, 2, 200.0)])
    access.set_access_rule(city, STREET_ACCESS)
    access.set_access_rule(mtc, OFFROAD_ACCESS)
    return [city, mtc]


def _walk_s(rule, start: tuple[float, float], end: tuple[float, float]) -> float:
    return float(rule.leg(haversine_m(*start, *end))[1])


def _nearest(graphs, facilities):
    lon = np.array([point[0] for point in facilities])
    lat = np.array([point[1] for point in facilities])
    return access.nearest_facility(np.array([PLACE[0]]), np.array([PLACE[1]]), lon, lat, graphs, "drive")


def test_street_facility_keeps_city_route(graphs):
    # The joined graph's shortcut along the MTC road would take about 9 s,
    # but the family search routes a facility on the street graph on the streets alone.
    expected_s = (
        _walk_s(STREET_ACCESS, PLACE, (CITY_LON[0], LAT)) + 4 * 30.0
        + _walk_s(STREET_ACCESS, (CITY_LON[-1], LAT), ON_STREET)
    )

    result = _nearest(graphs, [ON_STREET])

    assert result.time_s[0] == pytest.approx(expected_s)
    assert result.method[0] == access.ROAD_NETWORK


def test_facility_beyond_street_uses_joined_graph(graphs):
    # The street walk to the west end, the connector onto the MTC road, the
    # road to the village and the walk across country from its node. This
    # beats walking 33 m across country to the MTC node first.
    connector_s = haversine_m(CITY_LON[0], LAT, MTC_LON[0], MTC_LAT[0]) / parameters.kph_to_mps(
        parameters.JOIN_SPEED_KPH["drive"]
    )
    egress_s = _walk_s(OFFROAD_ACCESS, (MTC_LON[2], MTC_LAT[2]), BEYOND_STREET)
    expected_s = _walk_s(STREET_ACCESS, PLACE, (CITY_LON[0], LAT)) + connector_s + 5.0 + 200.0 + egress_s
    via_mtc_node_s = _walk_s(OFFROAD_ACCESS, PLACE, (MTC_LON[0], MTC_LAT[0])) + 5.0 + 200.0 + egress_s

    result = _nearest(graphs, [BEYOND_STREET])
    _site, _place, pair_s = access.site_place_times(
        np.array([BEYOND_STREET[0]]), np.array([BEYOND_STREET[1]]), np.array([PLACE[0]]), np.array([PLACE[1]]),
        graphs, "drive", 3600.0,
    )

    assert expected_s < via_mtc_node_s
    assert result.time_s[0] == pytest.approx(expected_s)
    assert result.method[0] == access.ROAD_NETWORK
    assert result.facility[0] == 0
    assert pair_s.tolist() == pytest.approx([expected_s])


def test_place_walks_to_mtc_node_when_faster(graphs):
    # Here the MTC road starts 44 m south of the place, too far from the
    # street for a connector, and only the east end of the street joins the
    # lines. Walking across country to that road beats driving the street.
    city, _mtc = graphs
    south = (CITY_LON[0], LAT - 0.0006)
    lon = np.array([south[0], CITY_LON[-1], MTC_LON[2]])
    lat = np.array([south[1], LAT + 0.0001, MTC_LAT[2]])
    mtc = _graph(lon, lat, [(0, 2, 205.0), (1, 2, 200.0)])
    access.set_access_rule(mtc, OFFROAD_ACCESS)
    egress_s = _walk_s(OFFROAD_ACCESS, (MTC_LON[2], MTC_LAT[2]), BEYOND_STREET)
    expected_s = _walk_s(OFFROAD_ACCESS, PLACE, south) + 205.0 + egress_s
    via_street_s = _walk_s(STREET_ACCESS, PLACE, (CITY_LON[0], LAT)) + 4 * 30.0 + 200.0 + egress_s

    result = _nearest([city, mtc], [BEYOND_STREET])

    assert expected_s < via_street_s
    assert result.time_s[0] == pytest.approx(expected_s)
    assert result.method[0] == access.ROAD_NETWORK


def test_street_place_without_mtc_graph_estimates(graphs):
    city, _mtc = graphs

    result = _nearest([city], [BEYOND_STREET])

    assert result.method[0] == access.ESTIMATE
