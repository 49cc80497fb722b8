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
from .estimate import check_mode, haversine_m
from .graph import shortest_path
from .services import (
    ESTIMATE,
    OriginGraph,
    _check_point,
    _direct_walk_is_faster,
    _origin_graphs,
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
        served = next(g for g in _origin_graphs(*origin, parameters.graph_mode(mode)) if g.region.slug == travel.region)
        coordinates = _road_line(served, origin, destination, mode)
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
    served: OriginGraph, origin: tuple[float, float], destination: tuple[float, float], mode: str
) -> list[tuple[float, float]] | None:
    """Return the line over the graph with the walked legs, or None when walking straight is faster."""
    graph = served.graph
    dest_node, egress_m = graph.nearest_nodes(*destination)
    nodes = shortest_path(graph, served.node, int(dest_node[0]), graph.network_limit_s)

    network_s = float(np.asarray(graph.adjacency[nodes[:-1], nodes[1:]]).sum()) if len(nodes) > 1 else 0.0
    via_road_s = (
        served.rule.leg(served.access_m)[1]
        + parameters.network_time_s(mode, network_s)
        + served.rule.leg(egress_m[0])[1]
    )
    straight_m = haversine_m(*origin, *destination)
    if len(nodes) == 0 or _direct_walk_is_faster(served.rule, np.atleast_1d(straight_m), np.atleast_1d(via_road_s))[0]:
        return None

    line = [origin]
    line.extend(zip(graph.node_lon[nodes].tolist(), graph.node_lat[nodes].tolist()))
    line.append(destination)
    return line
