"""Route lines for the family map: the fastest path over a road graph plus the walked legs.

The time and distance of a route are those of :func:`routing.services.travel_times`
for the same trip, so the time next to the line on the map is the time in
the result list. The line follows the graph nodes of the fastest path, starting
and ending with straight walked legs between the places and the graph.
"""
from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _

from . import parameters
from .estimate import OFFROAD_ACCESS, STREET_ACCESS, check_mode, haversine_m
from .graph import CompactGraph, shortest_path
from .join import joined_graph
from .services import (
    ESTIMATE,
    OriginGraph,
    _check_point,
    _city_graphs_near,
    _direct_walk_is_faster,
    _origin_graphs,
    _snap_destinations,
    estimate_description,
    localize_number,
    travel_times,
)

#: Values of the ``path`` property: how the line was drawn.
PATH_ROAD = "road"
PATH_DIRECT_WALK = "direct_walk"
PATH_STRAIGHT_LINE = "straight_line"
PATH_NONE = "none"


def route_feature(origin: tuple[float, float], destination: tuple[float, float], mode: str) -> dict:
    """Build the route from ``origin`` to ``destination`` as a GeoJSON LineString Feature.

    Parameters
    ----------
    origin, destination
        ``(lon, lat)`` in EPSG:4326 degrees.
    mode
        ``"walk"``, ``"drive"`` or ``"transit"``.

    Returns
    -------
    dict
        A Feature whose geometry is the path over the road graph with the
        walked legs (``path="road"``), the straight line of a walk across
        country (``"direct_walk"``) or of the estimate (``"straight_line"``),
        or None when the network does not reach the destination
        (``"none"``). Properties: ``travel_time_min``, ``distance_km``,
        ``travel_time_source``, ``region``, ``mode``, ``path`` and ``method``
        (a sentence in the active language).

    Raises
    ------
    RoutingError
        If the mode is unknown or a coordinate is invalid.
    """
    check_mode(mode)
    origin = _check_point(*origin, what="origin")
    destination = _check_point(*destination, what="destination")
    travel = travel_times(origin, [destination], mode)[0]
    description = estimate_description(mode, travel.region)

    if travel.source == ESTIMATE:
        coordinates, path, method = [origin, destination], PATH_STRAIGHT_LINE, description["estimate"]
    elif travel.minutes is None:
        coordinates, path = None, PATH_NONE
        method = _("Not reachable over the road network within %(hours)s hours.") % {
            "hours": int(parameters.NETWORK_LIMIT_S / 3600)
        }
    else:
        served_by_region = [g for g in _origin_graphs(*origin, parameters.graph_mode(mode)) if g.region.slug == travel.region]
        served = served_by_region[0]
        coordinates = _road_line(served_by_region, origin, destination, mode)
        if coordinates is None:
            coordinates, path = [origin, destination], PATH_DIRECT_WALK
            method = _(
                "Walking straight across country at %(speed)s km/h (straight line times %(circuity)s), "
                "which is faster here than going by the road."
            ) % {"speed": localize_number(served.rule.speed_kph), "circuity": localize_number(served.rule.circuity_factor)}
        else:
            path = PATH_ROAD
            method = " ".join(
                [description["network_source"], description["network_speed"], description["access"]]
            )

    return {
        "type": "Feature",
        "geometry": None if coordinates is None else {
            "type": "LineString",
            "coordinates": [[round(lon, 6), round(lat, 6)] for lon, lat in coordinates],
        },
        "properties": {
            "travel_time_min": None if travel.minutes is None else round(travel.minutes, 1),
            "distance_km": round(travel.distance_km, 2),
            "travel_time_source": travel.source,
            "region": travel.region,
            "mode": mode,
            "path": path,
            "method": method,
        },
    }


def _road_line(
    served_by_region: list[OriginGraph], origin: tuple[float, float], destination: tuple[float, float], mode: str
) -> list[tuple[float, float]] | None:
    """Return the line of the fastest trip that ``travel_times`` weighs, or None when walking straight is faster.

    The trips are those over each graph entry of the region (the MTC graph
    may have two, see ``_origin_graphs``) and, on the MTC graph, those that
    also use a city graph.
    """
    # As in travel_times, the first entry whose trips reach the destination serves it.
    for served in served_by_region:
        trips = [_graph_trip(served, destination, mode)]
        if served.rule is OFFROAD_ACCESS:
            city = next((g for g in _origin_graphs(*origin, parameters.graph_mode(mode)) if g.rule is STREET_ACCESS), None)
            trips.extend(_joined_trips(served, city, destination, mode))
        trips = [trip for trip in trips if trip is not None]
        if trips:
            break
    if not trips:
        return None
    via_road_s, nodes_lon, nodes_lat = min(trips, key=lambda trip: trip[0])

    rule = served_by_region[0].rule
    straight_m = haversine_m(*origin, *destination)
    if _direct_walk_is_faster(rule, np.atleast_1d(straight_m), np.atleast_1d(via_road_s))[0]:
        return None
    return [origin, *zip(nodes_lon.tolist(), nodes_lat.tolist()), destination]


def _path_trip(
    graph: CompactGraph, source: int, target: int, mode: str, legs_s: float
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Return the total time and node coordinates of the fastest path, or None when it is not reached."""
    nodes = shortest_path(graph, source, target, graph.network_limit_s)
    if len(nodes) == 0:
        return None
    network_s = float(np.asarray(graph.adjacency[nodes[:-1], nodes[1:]]).sum()) if len(nodes) > 1 else 0.0
    return legs_s + float(parameters.network_time_s(mode, network_s)), graph.node_lon[nodes], graph.node_lat[nodes]


def _graph_trip(served: OriginGraph, destination: tuple[float, float], mode: str):
    """Return the trip over one graph entry, as :func:`_path_trip` does."""
    dest_node, egress_m = _snap_destinations(served, *(np.atleast_1d(c) for c in destination))
    if egress_m[0] > served.rule.max_distance_m:
        return None
    legs_s = float(served.rule.leg(served.access_m)[1] + served.rule.leg(egress_m[0])[1])
    return _path_trip(served.graph, served.node, int(dest_node[0]), mode, legs_s)


def _joined_trips(mtc: OriginGraph, city: OriginGraph | None, destination: tuple[float, float], mode: str) -> list:
    """Return the trips over a city graph joined to the MTC lines, as ``services._via_city_graphs`` weighs them."""
    trips = []
    dest_lon, dest_lat = (np.atleast_1d(c) for c in destination)
    if city is not None:
        dest_node, egress_m = _snap_destinations(mtc, dest_lon, dest_lat)
        joined = joined_graph(city.graph, mtc.graph)
        legs_s = float(city.rule.leg(city.access_m)[1] + mtc.rule.leg(egress_m[0])[1])
        trips.append(_path_trip(joined.graph, joined.city_offset + city.node, int(dest_node[0]), mode, legs_s))
    for region, graph in _city_graphs_near(dest_lon, dest_lat, parameters.graph_mode(mode)):
        if city is not None and region.slug == city.region.slug:
            continue
        city_node, egress_m = graph.nearest_nodes(dest_lon, dest_lat)
        if egress_m[0] > STREET_ACCESS.max_distance_m:
            continue
        joined = joined_graph(graph, mtc.graph)
        legs_s = float(mtc.rule.leg(mtc.access_m)[1] + STREET_ACCESS.leg(egress_m[0])[1])
        trips.append(_path_trip(joined.graph, mtc.node, joined.city_offset + int(city_node[0]), mode, legs_s))
    return trips
