"""Coverage times on the MTC graph's pieces agree with the family search (real graph and facilities)."""
import numpy as np
import pytest

from geoservices.models import Facility
from planning import access
from routing import services
from routing.estimate import OFFROAD_ACCESS, haversine_m
from routing.models import RoadRegion
from routing.regions import MTC_NETWORK

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def mtc_walk(django_db_blocker):
    with django_db_blocker.unblock():
        region = RoadRegion.objects.get(slug=MTC_NETWORK.slug)
        graph = services.load_graph(region.graph_files["walk"])
    access.set_access_rule(graph, OFFROAD_ACCESS)
    return graph


def _place_near_both_pieces(graph) -> tuple[float, float]:
    """Return a node of a small piece whose nearest main-piece node is 3 to 8 km away."""
    small = np.flatnonzero(graph.piece(np.arange(graph.n_nodes)) != graph.main_piece)
    _, main_m = graph.nearest_main_nodes(graph.node_lon[small], graph.node_lat[small])
    chosen = small[(main_m > 3_000) & (main_m < 8_000)]
    assert chosen.size, "no small piece lies 3-8 km from the main one"
    return float(graph.node_lon[chosen[0]]), float(graph.node_lat[chosen[0]])


def test_place_on_small_piece_uses_main_piece(mtc_walk):
    place = _place_near_both_pieces(mtc_walk)
    snap = access.snap_places([mtc_walk], np.array([place[0]]), np.array([place[1]]))
    assert snap.graph_index[0] == 0
    assert snap.main_node[0] >= 0

    # Facilities of the main piece between 12 and 60 km away: too far for a direct walk across country.
    candidates = Facility.objects.filter(is_searchable=True, location__isnull=False)
    lon = np.array([f.location.x for f in candidates])
    lat = np.array([f.location.y for f in candidates])
    straight_m = haversine_m(*place, lon, lat)
    nodes, egress_m = mtc_walk.nearest_nodes(lon, lat)
    eligible = (
        (straight_m > 12_000) & (straight_m < 60_000) & (egress_m <= OFFROAD_ACCESS.max_distance_m)
        & (mtc_walk.piece(nodes) == mtc_walk.main_piece)
    )
    assert eligible.any(), "no main-piece facility within 60 km"
    lon, lat = lon[eligible], lat[eligible]

    result = access.nearest_facility(np.array([place[0]]), np.array([place[1]]), lon, lat, [mtc_walk], "walk")
    searched = services.travel_times(place, list(zip(lon, lat)), "walk")
    assert result.method[0] == access.ROAD_NETWORK
    assert all(t.source == services.ROAD_NETWORK for t in searched)
    assert result.time_s[0] / 60 == pytest.approx(min(t.minutes for t in searched), rel=1e-9)
