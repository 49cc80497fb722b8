"""Straight-line travel-time estimates for places that no road graph reaches.

The estimate is ``haversine distance x circuity factor / speed``, with the
factors of :mod:`routing.parameters`. It is also the rule for the walked
access and egress legs between a point and the road graph.
"""
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import parameters
from .exceptions import UnknownModeError


def check_mode(mode: str) -> str:
    """Return ``mode`` if the engine supports it, else raise UnknownModeError."""
    if mode not in parameters.MODES:
        msg = f"Unknown travel mode {mode!r}. Use one of: {', '.join(parameters.MODES)}."
        raise UnknownModeError(msg)
    return mode


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Compute great-circle distances in metres between points in degrees.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Longitudes and latitudes in EPSG:4326 degrees; arrays broadcast.

    Returns
    -------
    numpy.ndarray
        Distances in metres on a sphere of radius ``EARTH_RADIUS_M``.
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    half_dlat = (lat2 - lat1) / 2
    half_dlon = (lon2 - lon1) / 2
    a = np.sin(half_dlat) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(half_dlon) ** 2
    return 2 * parameters.EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def estimate_route(straight_m: ArrayLike, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Estimate route length and travel time from straight-line distances.

    Parameters
    ----------
    straight_m
        Straight-line (great-circle) distances in metres.
    mode
        ``"walk"`` or ``"drive"``.

    Returns
    -------
    distance_m, travel_time_s
        Estimated route lengths in metres and travel times in seconds.
    """
    check_mode(mode)
    distance_m = np.asarray(straight_m, dtype=float) * parameters.CIRCUITY_FACTOR[mode]
    speed_mps = parameters.kph_to_mps(parameters.ESTIMATE_SPEED_KPH[mode])
    travel_time_s = distance_m / speed_mps
    if mode == "transit":
        travel_time_s = travel_time_s + parameters.TRANSIT_WAIT_S
    return distance_m, travel_time_s


def walk_leg(straight_m: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Estimate the walked leg between a point and its graph node.

    Returns the leg length in metres and its time in seconds, by the walking
    estimate, whatever the mode of the main trip.
    """
    return estimate_route(straight_m, "walk")


def describe(mode: str) -> dict:
    """Return the factors behind estimates and network times for ``mode``.

    The keys carry their units: speeds in km/h, distances in metres.
    """
    check_mode(mode)
    return {
        "mode": mode,
        "estimate_speed_kph": parameters.ESTIMATE_SPEED_KPH[mode],
        "circuity_factor": parameters.CIRCUITY_FACTOR[mode],
        "access_walk_speed_kph": parameters.ESTIMATE_SPEED_KPH["walk"],
        "access_circuity_factor": parameters.CIRCUITY_FACTOR["walk"],
        "max_access_distance_m": parameters.MAX_ACCESS_DISTANCE_M,
        "network_limit_s": parameters.NETWORK_LIMIT_S,
        "transit_time_factor": parameters.TRANSIT_TIME_FACTOR if mode == "transit" else None,
        "transit_wait_s": parameters.TRANSIT_WAIT_S if mode == "transit" else None,
    }


@dataclass(frozen=True)
class AccessRule:
    """How a point reaches a road graph on foot.

    ``max_distance_m`` is the farthest straight-line distance to the nearest
    node that still counts as served by the graph; the walk is that distance
    times ``circuity_factor`` at ``speed_kph``. ``direct_walk`` sets whether
    a point served by the graph may also walk straight to a destination up to
    ``max_distance_m`` away instead of taking the road: the same walk across
    country that reaches the road reaches a neighbour.
    """

    max_distance_m: float
    speed_kph: float
    circuity_factor: float
    direct_walk: bool = False

    def leg(self, straight_m: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Return the walked length in metres and its time in seconds for straight-line distances."""
        distance_m = np.asarray(straight_m, dtype=float) * self.circuity_factor
        return distance_m, distance_m / parameters.kph_to_mps(self.speed_kph)

    def direct_walk_s(self, straight_m: ArrayLike) -> np.ndarray:
        """Return the time in seconds of walking straight to each destination, ``inf`` where not allowed.

        The walk is allowed only under a rule with ``direct_walk`` and up to
        ``max_distance_m`` of straight line.
        """
        straight_m = np.asarray(straight_m, dtype=float)
        if not self.direct_walk:
            return np.full(straight_m.shape, np.inf)
        return np.where(straight_m <= self.max_distance_m, self.leg(straight_m)[1], np.inf)


#: Walk to a city street graph: the street pace and the estimate's circuity.
STREET_ACCESS = AccessRule(
    max_distance_m=parameters.MAX_ACCESS_DISTANCE_M,
    speed_kph=parameters.ESTIMATE_SPEED_KPH["walk"],
    circuity_factor=parameters.CIRCUITY_FACTOR["walk"],
)

#: Walk across country to the MTC road graph.
OFFROAD_ACCESS = AccessRule(
    max_distance_m=parameters.MTC_MAX_ACCESS_DISTANCE_M,
    speed_kph=parameters.OFFROAD_WALK_SPEED_KPH,
    circuity_factor=parameters.OFFROAD_CIRCUITY_FACTOR,
    direct_walk=True,
)
