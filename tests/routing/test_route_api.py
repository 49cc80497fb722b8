"""GET /api/v1/routing/route/ on the real graphs: the line, its time and its errors."""
import numpy as np
import pytest

from routing import services
from routing.estimate import haversine_m
from routing.graph import edge_lengths

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing/route/"

#: Two points in San Juan de Lurigancho, both on the OSM city graph.
SJL_FROM = (-76.9894, -11.9702)
SJL_TO = (-77.0050, -11.9600)

#: Plaza de Armas of Ayacucho (Huamanga) and Huanta, about 25 km north on the national road.
HUAMANGA = (-74.2236, -13.1588)
HUANTA = (-74.2497, -12.9392)

#: A point in the Madre de Dios forest (district of Iñapari), about 89 km from the nearest MTC road.
FAR_FROM_ROADS = (-71.5, -11.0)


def _get(client, origin, destination, mode="walk", **headers):
    params = {"from_lon": origin[0], "from_lat": origin[1], "to_lon": destination[0], "to_lat": destination[1]}
    return client.get(URL, dict(params, mode=mode), **headers)


def _line_length_m(coordinates: list) -> float:
    lon, lat = np.array(coordinates).T
    return float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())


@pytest.mark.parametrize("mode", ["walk", "drive", "transit"])
def test_city_route_follows_graph(client, mode):
    response = _get(client, SJL_FROM, SJL_TO, mode)
    assert response.status_code == 200
    feature = response.json()
    expected = services.travel_times(SJL_FROM, [SJL_TO], mode)[0]

    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    coordinates = feature["geometry"]["coordinates"]
    assert coordinates[0] == [round(c, 6) for c in SJL_FROM]
    assert coordinates[-1] == [round(c, 6) for c in SJL_TO]
    assert len(coordinates) > 10
    properties = feature["properties"]
    assert properties["path"] == "road"
    assert properties["region"] == "lima-sjl-canto-grande"
    assert properties["travel_time_source"] == "road_network"
    assert properties["travel_time_min"] == pytest.approx(expected.minutes, abs=0.05)
    assert properties["distance_km"] == pytest.approx(expected.distance_km, abs=0.005)


def test_route_line_length_matches_distance(client):
    feature = _get(client, SJL_FROM, SJL_TO, "walk").json()
    region = services.RoadRegion.objects.get(slug="lima-sjl-canto-grande")
    graph = services.load_graph(region.graph_files["walk"])
    coordinates = feature["geometry"]["coordinates"]

    # The stored edge lengths along the drawn nodes, plus the walked legs, give the reported distance.
    nodes, _ = graph.nearest_nodes(*np.array(coordinates[1:-1]).T)
    network_m = float(edge_lengths(graph, nodes[:-1], nodes[1:]).sum())
    access_m, egress_m = _line_length_m(coordinates[:2]), _line_length_m(coordinates[-2:])
    expected_km = (network_m + 1.4 * (access_m + egress_m)) / 1000.0
    assert feature["properties"]["distance_km"] == pytest.approx(expected_km, abs=0.01)


def test_huamanga_route_on_mtc(client):
    feature = _get(client, HUAMANGA, HUANTA, "drive").json()
    properties = feature["properties"]
    assert properties["region"] == "peru-mtc"
    assert properties["path"] == "road"
    assert "MTC" in properties["method"]
    assert _line_length_m(feature["geometry"]["coordinates"]) > 20_000


def test_far_place_gets_straight_estimate(client):
    feature = _get(client, FAR_FROM_ROADS, HUAMANGA, "drive", HTTP_ACCEPT_LANGUAGE="es").json()
    properties = feature["properties"]
    assert properties["travel_time_source"] == "estimate"
    assert properties["path"] == "straight_line"
    assert len(feature["geometry"]["coordinates"]) == 2
    assert "línea recta" in properties["method"]


def test_neighbours_off_road_walk_straight(client):
    # Two points 1 km apart, both far from the road: walking straight beats going to the road and back.
    origin = (-74.10, -13.30)
    graph = services.load_graph("peru-mtc_walk.npz")
    _, access_m = graph.nearest_nodes(*origin)
    assert 2_000 < access_m[0] < 9_000
    destination = (origin[0] + 0.009, origin[1])
    feature = _get(client, origin, destination, "walk").json()
    assert feature["properties"]["path"] == "direct_walk"
    assert feature["properties"]["region"] == "peru-mtc"
    assert len(feature["geometry"]["coordinates"]) == 2


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"from_lat": "abc", "from_lon": -77.0, "to_lat": -12.0, "to_lon": -77.0}, "from_lat", "abc"),
        ({"from_lat": -12.0, "from_lon": -77.0, "to_lat": -95.0, "to_lon": -77.0}, "to_lat", "-95.0"),
        ({"from_lat": -12.0, "from_lon": "nan", "to_lat": -12.0, "to_lon": -77.0}, "from_lon", "nan"),
        ({"from_lat": -12.0, "from_lon": -77.0, "to_lat": -12.0}, "to_lon", "Falta"),
        ({"from_lat": -12.0, "from_lon": -77.0, "to_lat": -12.0, "to_lon": -77.0, "mode": "bicycle"}, "mode", "bicycle"),
    ],
)
def test_bad_query_returns_400_in_spanish(client, params, field, expected):
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    message = response.json()["errors"][field][0]
    assert expected in message
    if field != "mode":
        assert field in message


def test_city_to_rural_route_starts_on_streets(client):
    # Cusco's Plaza de Armas to the Urcos health centre: the trip leaves the city graph on its streets.
    origin, urcos = (-71.9785, -13.5167), (-71.62380047, -13.68518741)
    feature = _get(client, origin, urcos, "drive").json()
    properties = feature["properties"]
    travel = services.travel_times(origin, [urcos], "drive")[0]
    assert properties["path"] == "road"
    assert properties["region"] == "peru-mtc"
    assert properties["travel_time_min"] == round(travel.minutes, 1)

    city = services.load_graph("cusco-centro_drive.npz")
    first_lon, first_lat = feature["geometry"]["coordinates"][1]
    _, distance_m = city.nearest_nodes(first_lon, first_lat)
    assert distance_m[0] < 1.0
    assert _line_length_m(feature["geometry"]["coordinates"]) >= haversine_m(*origin, *urcos)
