"""Travel times for the search: road-network times where a graph reaches, estimates elsewhere.

Rules, stated once here and in docs/routing.md:

* The origin is tried on the city (OpenStreetMap) graphs whose nearest node
  is within ``MAX_ACCESS_DISTANCE_M`` of it, nearest first, then on the MTC
  national road graph if its nearest node is within
  ``MTC_MAX_ACCESS_DISTANCE_M``. Without any, every destination gets the
  straight-line estimate.
* Each destination is routed on the first of those graphs whose nearest node
  is within the same distance of it. A destination that no graph serves gets
  the straight-line estimate, marked ``"estimate"``.
* Routed times add the walked access leg (origin to its node) and egress leg
  (node to destination) to the network time, whatever the mode: at the
  street pace on city graphs and at the off-road pace on the MTC graph. On
  the MTC graph a direct off-road walk replaces the route when it is faster,
  so two neighbours far from the road are not sent through it.
* A destination that the network does not reach within ``NETWORK_LIMIT_S``
  gets ``minutes=None``; it is never replaced by a shorter estimate.
"""
from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely.geometry
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from . import parameters
from .estimate import OFFROAD_ACCESS, STREET_ACCESS, AccessRule, check_mode, describe, estimate_route, haversine_m
from .exceptions import GraphFileError, RoutingError
from .graph import CompactGraph, one_to_many, times_to
from .isochrones import isochrone_polygons
from .matrix import FacilityMatrix
from .models import RoadRegion
from .mtc import SURFACE_SPEED_KPH as MTC_SURFACE_SPEEDS_KPH
from .regions import MTC_NETWORK

logger = logging.getLogger(__name__)

ROAD_NETWORK = "road_network"
ESTIMATE = "estimate"

#: Metres per degree of latitude, to turn the access distance into a search margin.
_METRES_PER_DEGREE = 111_320.0

_graph_cache: dict[Path, tuple[tuple[int, int], CompactGraph]] = {}
_matrix_cache: dict[Path, tuple[tuple[int, int], FacilityMatrix]] = {}
_graph_cache_lock = threading.Lock()


@dataclass(frozen=True)
class TravelTime:
    """Travel time from a search origin to one destination.

    ``minutes`` is None when the road network does not reach the destination.
    ``distance_km`` is the network distance plus the walked legs when routed,
    and the straight-line distance times the circuity factor otherwise
    (also for an unreachable destination, which has no network path).
    ``region`` is the RoadRegion slug when ``source`` is ``"road_network"``.
    """

    minutes: float | None
    distance_km: float
    source: str
    region: str | None


def graph_dir() -> Path:
    """Return the folder that contains the compact graph files."""
    return Path(settings.GEOSALUD["GRAPH_DIR"])


def load_graph(file_name: str) -> CompactGraph:
    """Load a graph file from the graph folder, cached in this process.

    The cache entry is keyed by the file's modification time and size, so a
    graph rebuilt by ``build_graphs`` is read again on the next call.
    """
    path = graph_dir() / file_name
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    with _graph_cache_lock:
        cached = _graph_cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
    graph = CompactGraph.load(path)
    with _graph_cache_lock:
        _graph_cache[path] = (version, graph)
    return graph


def load_matrix(graph_file: str, graph: CompactGraph) -> FacilityMatrix | None:
    """Load the facility matrix of a graph file, or None if missing or built on another graph version."""
    path = graph_dir() / graph_file.replace(".npz", "_facilities.npz")
    try:
        stat = path.stat()
    except OSError:
        return None
    version = (stat.st_mtime_ns, stat.st_size)
    with _graph_cache_lock:
        cached = _matrix_cache.get(path)
    if cached is not None and cached[0] == version:
        matrix = cached[1]
    else:
        try:
            matrix = FacilityMatrix.load(path)
        except GraphFileError as exc:
            logger.warning("Ignoring the facility matrix %s: %s", path.name, exc)
            return None
        with _graph_cache_lock:
            _matrix_cache[path] = (version, matrix)
    return matrix if matrix.fits(graph) else None


def _network_legs(
    region: RoadRegion, mode: str, graph: CompactGraph, origin_node: int, nodes: np.ndarray, probe_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Compute graph times (s) and lengths (m) from the origin node to each node.

    Nodes with a row in the facility matrix are read from it. The others, and
    those beyond a cut-off matrix's cutoff, go through one Dijkstra search.
    Times beyond ``NETWORK_LIMIT_S`` become ``inf``.
    """
    times = np.full(len(nodes), np.inf)
    lengths = np.full(len(nodes), np.inf)
    matrix = load_matrix(region.graph_files[parameters.graph_mode(mode)], graph)
    rows = np.full(len(nodes), -1) if matrix is None else matrix.rows_for(nodes)
    cached = rows >= 0
    if cached.any():
        in_matrix = np.flatnonzero(cached)
        times[in_matrix], lengths[in_matrix] = matrix.lookup(rows[in_matrix], origin_node)
        # A cut-off matrix has no entry for facilities beyond its cutoff: search those.
        cached[in_matrix[np.isnan(times[in_matrix])]] = False
    if not cached.all():
        times[~cached], lengths[~cached] = one_to_many(
            graph, origin_node, nodes[~cached], parameters.NETWORK_LIMIT_S, probe_limit_s=probe_s
        )
    beyond = times > parameters.NETWORK_LIMIT_S
    times[beyond] = np.inf
    lengths[beyond] = np.inf
    return times, lengths


def _check_point(lon: float, lat: float, what: str) -> tuple[float, float]:
    """Return ``(lon, lat)`` as floats, or raise RoutingError naming the bad value."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        msg = f"Invalid {what} coordinates ({lon!r}, {lat!r}): give numbers in degrees as (lon, lat)."
        raise RoutingError(msg) from exc
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = (
            f"Invalid {what} coordinates ({lon}, {lat}): longitude must be within -180..180 "
            "and latitude within -90..90, in that order."
        )
        raise RoutingError(msg)
    return lon, lat


@dataclass(frozen=True)
class OriginGraph:
    """A road graph that serves a search origin, with the origin's node and walk to it."""

    region: RoadRegion
    graph: CompactGraph
    node: int
    access_m: float
    rule: AccessRule


def access_rule(slug: str) -> AccessRule:
    """Return how points reach the graph of a road region: off-road for the MTC lines, on streets otherwise."""
    return OFFROAD_ACCESS if slug == MTC_NETWORK.slug else STREET_ACCESS


def _origin_graphs(lon: float, lat: float, mode: str) -> list[OriginGraph]:
    """List the region graphs that serve an origin, in the order they are tried.

    City graphs come first, nearest node first, so that OpenStreetMap
    streets keep priority where they reach; the MTC graph comes last.
    """
    max_m = max(STREET_ACCESS.max_distance_m, OFFROAD_ACCESS.max_distance_m)
    margin_deg = max_m / _METRES_PER_DEGREE / max(math.cos(math.radians(lat)), 0.1)
    regions = RoadRegion.objects.filter(
        modes__contains=[mode], extent__dwithin=(Point(lon, lat, srid=4326), margin_deg)
    )
    found = []
    for region in regions:
        try:
            graph = load_graph(region.graph_files[mode])
        except (OSError, KeyError, GraphFileError) as exc:
            logger.warning("No %s graph for road region %s, using estimates: %s", mode, region.slug, exc)
            continue
        rule = access_rule(region.slug)
        node, distance_m = graph.nearest_nodes(lon, lat)
        if distance_m[0] <= rule.max_distance_m:
            found.append(OriginGraph(region, graph, int(node[0]), float(distance_m[0]), rule))
    return sorted(found, key=lambda item: (item.rule is OFFROAD_ACCESS, item.access_m))


def _origin_graph(lon: float, lat: float, mode: str) -> OriginGraph | None:
    """Return the first graph of :func:`_origin_graphs`, or None when no graph serves the origin."""
    found = _origin_graphs(lon, lat, mode)
    return found[0] if found else None


def travel_times(
    origin: tuple[float, float], destinations: Sequence[tuple[float, float]], mode: str
) -> list[TravelTime]:
    """Compute the travel time from one origin to each destination.

    Parameters
    ----------
    origin
        ``(lon, lat)`` in EPSG:4326 degrees.
    destinations
        ``(lon, lat)`` pairs in EPSG:4326 degrees.
    mode
        ``"walk"``, ``"drive"`` or ``"transit"`` (public transport, on the
        drive graph with the factors of :mod:`routing.parameters`).

    Returns
    -------
    list of TravelTime
        One entry per destination, in order. See the module docstring for
        when a time comes from the road network and when from the estimate.

    Raises
    ------
    RoutingError
        If the mode is unknown or a coordinate is not a valid longitude and
        latitude.
    """
    check_mode(mode)
    lon, lat = _check_point(*origin, what="origin")
    points = [_check_point(*point, what="destination") for point in destinations]
    if not points:
        return []
    dest_lon = np.array([p[0] for p in points])
    dest_lat = np.array([p[1] for p in points])

    straight_m = haversine_m(lon, lat, dest_lon, dest_lat)
    estimate_m, estimate_s = estimate_route(straight_m, mode)
    times = _Times(
        minutes=(estimate_s / 60.0).tolist(),
        distance_m=estimate_m.tolist(),
        sources=[ESTIMATE] * len(points),
        regions=[None] * len(points),
    )

    pending = np.arange(len(points))
    for served in _origin_graphs(lon, lat, parameters.graph_mode(mode)):
        if not pending.size:
            break
        dest_nodes, egress_m = served.graph.nearest_nodes(dest_lon[pending], dest_lat[pending])
        reached = egress_m <= served.rule.max_distance_m
        if reached.any():
            _route(served, mode, pending[reached], dest_nodes[reached], egress_m[reached], straight_m, times)
        pending = pending[~reached]

    return [
        TravelTime(
            minutes=times.minutes[i],
            distance_km=float(times.distance_m[i]) / 1000.0,
            source=times.sources[i],
            region=times.regions[i],
        )
        for i in range(len(points))
    ]


@dataclass
class _Times:
    """Per-destination results of :func:`travel_times` while they are filled in."""

    minutes: list[float | None]
    distance_m: list[float]
    sources: list[str]
    regions: list[str | None]


def _route(
    served: OriginGraph,
    mode: str,
    indices: np.ndarray,
    dest_nodes: np.ndarray,
    egress_m: np.ndarray,
    straight_m: np.ndarray,
    times: _Times,
) -> None:
    """Route the destinations at ``indices`` on one graph and write their results into ``times``."""
    # Probe with three times the slowest estimate first: most searches end there.
    _, estimate_s = estimate_route(straight_m[indices], mode)
    probe_s = 3.0 * float(estimate_s.max(initial=0.0)) + parameters.PROBE_MARGIN_S
    network_s, network_m = _network_legs(served.region, mode, served.graph, served.node, dest_nodes, probe_s)
    network_s = parameters.network_time_s(mode, network_s)
    access_leg_m, access_leg_s = served.rule.leg(served.access_m)
    egress_leg_m, egress_leg_s = served.rule.leg(egress_m)
    total_s = access_leg_s + network_s + egress_leg_s
    total_m = access_leg_m + network_m + egress_leg_m

    direct_m, direct_s = served.rule.leg(straight_m[indices])
    shorter = _direct_walk_is_faster(served.rule, straight_m[indices], total_s)
    total_s = np.where(shorter, direct_s, total_s)
    total_m = np.where(shorter, direct_m, total_m)

    for i, index in enumerate(indices):
        times.sources[index] = ROAD_NETWORK
        times.regions[index] = served.region.slug
        if np.isfinite(total_s[i]):
            times.minutes[index] = float(total_s[i]) / 60.0
            times.distance_m[index] = float(total_m[i])
        else:
            times.minutes[index] = None
    logger.debug("Routed %d destinations on %s (%s)", len(indices), served.region.slug, mode)


def _direct_walk_is_faster(rule: AccessRule, straight_m: np.ndarray, via_road_s: np.ndarray) -> np.ndarray:
    """Tell, per destination, whether walking straight there beats the trip over the road.

    Only the off-road rule allows it, as far as the walk to the road may be:
    the same walk across country that reaches the road reaches a neighbour.
    """
    if rule is not OFFROAD_ACCESS:
        return np.zeros(len(straight_m), dtype=bool)
    _, direct_s = rule.leg(straight_m)
    return (straight_m <= rule.max_distance_m) & (direct_s < via_road_s)


def estimate_description(mode: str, region: str | None = None) -> dict:
    """Describe how travel times for ``mode`` are obtained, for the UI and the API.

    Returns the factors of :func:`routing.estimate.describe` (speeds in km/h,
    distances in metres, times in seconds) plus sentences in the active
    language: ``network_speed``, ``estimate``, ``access`` and
    ``network_source``. ``network_source`` names the road network of the
    region slug ``region`` (the OpenStreetMap city graphs when it is None or
    another slug); the other sentences cover both kinds of network.
    """
    facts = describe(mode)
    mtc = _("on the MTC national road network, %(low)s to %(high)s km/h by road surface") % {
        "low": int(min(MTC_SURFACE_SPEEDS_KPH.values())), "high": int(max(MTC_SURFACE_SPEEDS_KPH.values())),
    }
    if mode == "transit":
        network = _(
            "On the road network: public transport, estimated as the driving time times %(factor)s "
            "plus %(wait)s minutes of waiting; real routes and timetables are not used."
        ) % {"factor": parameters.TRANSIT_TIME_FACTOR, "wait": int(parameters.TRANSIT_WAIT_S / 60)}
    elif mode == "walk":
        network = _("On the road network: walking at %(speed)s km/h on every walkable street and path.") % {
            "speed": parameters.WALK_SPEED_KPH
        }
    else:
        network = _(
            "On the road network: driving at the speed limit of each street (maxspeed where mapped, "
            "otherwise %(street)s km/h on streets and %(avenue)s km/h on avenues), respecting one-way streets; "
            "%(mtc)s."
        ) % {
            "street": parameters.DRIVE_SPEED_KPH["residential"],
            "avenue": parameters.DRIVE_SPEED_KPH["primary"],
            "mtc": mtc,
        }
    estimate = _(
        "Estimate: straight-line distance times %(circuity)s, at %(speed)s km/h. "
        "Used where no road network of the app reaches the place."
    ) % {"circuity": facts["circuity_factor"], "speed": facts["estimate_speed_kph"]}
    if mode == "transit":
        estimate += " " + _("Public transport estimates add %(wait)s minutes of waiting.") % {
            "wait": int(parameters.TRANSIT_WAIT_S / 60)
        }
    access = _(
        "The walk between the place and the nearest road is included: up to %(max_m)s m at %(speed)s km/h "
        "to city streets, or up to %(offroad_km)s km across country at %(offroad_speed)s km/h to the MTC "
        "national roads."
    ) % {
        "max_m": int(STREET_ACCESS.max_distance_m),
        "speed": STREET_ACCESS.speed_kph,
        "offroad_km": int(OFFROAD_ACCESS.max_distance_m / 1000),
        "offroad_speed": OFFROAD_ACCESS.speed_kph,
    }
    if region == MTC_NETWORK.slug:
        source = _("MTC national road network (red vial nacional del MTC).")
    else:
        source = _("OpenStreetMap street network of the city.")
    return dict(
        facts,
        offroad_walk_speed_kph=OFFROAD_ACCESS.speed_kph,
        offroad_circuity_factor=OFFROAD_ACCESS.circuity_factor,
        mtc_max_access_distance_m=OFFROAD_ACCESS.max_distance_m,
        network_speed=network,
        estimate=estimate,
        access=access,
        network_source=source,
    )


#: Isochrone thresholds served when a request names none, in minutes.
DEFAULT_ISOCHRONE_MINUTES = (15, 30, 60, 120)


def isochrones(origin: tuple[float, float], mode: str, minutes: Sequence[int]) -> dict | None:
    """Return isochrones around a place as a GeoJSON FeatureCollection.

    Each feature is the area from which the place is reached within its
    ``minutes`` (the walk from the place to the road included), largest
    first so that maps draw the smaller areas on top. Returns None when no
    road network of the app is within ``MAX_ACCESS_DISTANCE_M`` of the place.
    """
    check_mode(mode)
    lon, lat = _check_point(*origin, what="origin")
    chosen = _origin_graph(lon, lat, parameters.graph_mode(mode))
    if chosen is None:
        return None
    region, graph, node, access_m = chosen.region, chosen.graph, chosen.node, chosen.access_m
    thresholds = tuple(sorted({int(m) for m in minutes}, reverse=True))
    path = graph_dir() / region.graph_files[parameters.graph_mode(mode)]
    stat = path.stat()
    features = _isochrone_features(str(path), stat.st_mtime_ns, node, float(access_m), thresholds, mode, region.slug)
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=256)
def _isochrone_features(
    path: str, version: int, node: int, access_m: float, thresholds: tuple[int, ...], mode: str, slug: str
) -> list[dict]:
    """Build isochrone features; cached by graph file version, node and thresholds."""
    graph = load_graph(Path(path).name)
    _, access_s = access_rule(slug).leg(access_m)
    # Graph time that fits in the largest threshold, after the walk and, for public transport, the wait.
    limit_s = max(thresholds) * 60.0 - float(access_s)
    if mode == "transit":
        limit_s = (limit_s - parameters.TRANSIT_WAIT_S) / parameters.TRANSIT_TIME_FACTOR
    graph_times_s = times_to(graph, node, limit_s) if limit_s > 0 else np.full(graph.n_nodes, np.inf)
    times_s = parameters.network_time_s(mode, graph_times_s)
    polygons = isochrone_polygons(graph, times_s, [m * 60.0 - float(access_s) for m in thresholds])
    return [
        {
            "type": "Feature",
            "geometry": None if polygon is None else shapely.geometry.mapping(polygon),
            "properties": {"minutes": m, "mode": mode, "region": slug, "source": ROAD_NETWORK},
        }
        for m, polygon in zip(thresholds, polygons)
    ]
