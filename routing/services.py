"""Travel times for the search: road-network times where a graph reaches, estimates elsewhere.

Rules, stated once here and in docs/routing.md:

* The origin is routed on the region whose graph has a node within
  ``MAX_ACCESS_DISTANCE_M`` of it (the nearest such node wins when regions
  overlap). Without one, every destination gets the straight-line estimate.
* A destination whose nearest node of that same graph is farther than
  ``MAX_ACCESS_DISTANCE_M`` (for example one in another city) gets the
  straight-line estimate, marked ``"estimate"``.
* Routed times add the walked access leg (origin to its node) and egress leg
  (node to destination) to the network time, whatever the mode.
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
from .estimate import check_mode, describe, estimate_route, haversine_m, walk_leg
from .exceptions import GraphFileError, RoutingError
from .graph import CompactGraph, one_to_many, times_to
from .isochrones import isochrone_polygons
from .matrix import FacilityMatrix
from .models import RoadRegion

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

    Nodes with a row in the facility matrix are read from it; the others go
    through one Dijkstra search. Times beyond ``NETWORK_LIMIT_S`` become ``inf``.
    """
    times = np.full(len(nodes), np.inf)
    lengths = np.full(len(nodes), np.inf)
    matrix = load_matrix(region.graph_files[parameters.graph_mode(mode)], graph)
    rows = np.full(len(nodes), -1) if matrix is None else matrix.rows_for(nodes)
    cached = rows >= 0
    if cached.any():
        times[cached] = matrix.travel_time_s[rows[cached], origin_node]
        lengths[cached] = matrix.distance_m[rows[cached], origin_node]
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


def _origin_graph(lon: float, lat: float, mode: str) -> tuple[RoadRegion, CompactGraph, int, float] | None:
    """Pick the region graph that serves an origin.

    Returns the region, its graph for ``mode``, the origin's node and the
    access distance in metres, or None when no graph node is within
    ``MAX_ACCESS_DISTANCE_M``.
    """
    margin_deg = parameters.MAX_ACCESS_DISTANCE_M / _METRES_PER_DEGREE / max(math.cos(math.radians(lat)), 0.1)
    candidates = RoadRegion.objects.filter(
        modes__contains=[mode], extent__dwithin=(Point(lon, lat, srid=4326), margin_deg)
    )
    best = None
    for region in candidates:
        try:
            graph = load_graph(region.graph_files[mode])
        except (OSError, KeyError, GraphFileError) as exc:
            logger.warning("No %s graph for road region %s, using estimates: %s", mode, region.slug, exc)
            continue
        node, distance_m = graph.nearest_nodes(lon, lat)
        if distance_m[0] <= parameters.MAX_ACCESS_DISTANCE_M and (best is None or distance_m[0] < best[3]):
            best = (region, graph, int(node[0]), float(distance_m[0]))
    return best


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

    estimate_m, estimate_s = estimate_route(haversine_m(lon, lat, dest_lon, dest_lat), mode)
    minutes: list[float | None] = (estimate_s / 60.0).tolist()
    distance_m = estimate_m.copy()
    sources = [ESTIMATE] * len(points)
    regions: list[str | None] = [None] * len(points)

    chosen = _origin_graph(lon, lat, parameters.graph_mode(mode))
    if chosen is not None:
        region, graph, origin_node, access_m = chosen
        dest_nodes, egress_m = graph.nearest_nodes(dest_lon, dest_lat)
        routed = np.flatnonzero(egress_m <= parameters.MAX_ACCESS_DISTANCE_M)
        # Probe with three times the slowest estimate first: most searches end there.
        probe_s = 3.0 * float(estimate_s[routed].max(initial=0.0)) + parameters.PROBE_MARGIN_S
        network_s, network_m = _network_legs(region, mode, graph, origin_node, dest_nodes[routed], probe_s)
        network_s = parameters.network_time_s(mode, network_s)
        access_leg_m, access_leg_s = walk_leg(access_m)
        egress_leg_m, egress_leg_s = walk_leg(egress_m[routed])
        for i, index in enumerate(routed):
            sources[index] = ROAD_NETWORK
            regions[index] = region.slug
            if np.isfinite(network_s[i]):
                minutes[index] = float(access_leg_s + network_s[i] + egress_leg_s[i]) / 60.0
                distance_m[index] = float(access_leg_m + network_m[i] + egress_leg_m[i])
            else:
                minutes[index] = None
        logger.debug("Routed %d of %d destinations on %s (%s)", len(routed), len(points), region.slug, mode)

    return [
        TravelTime(minutes=minutes[i], distance_km=float(distance_m[i]) / 1000.0, source=sources[i], region=regions[i])
        for i in range(len(points))
    ]


def estimate_description(mode: str) -> dict:
    """Describe how travel times for ``mode`` are obtained, for the UI and the API.

    Returns the factors of :func:`routing.estimate.describe` (speeds in km/h,
    distances in metres, times in seconds) plus ``network_speed`` and
    ``estimate`` sentences in the active language.
    """
    facts = describe(mode)
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
            "otherwise %(street)s km/h on streets and %(avenue)s km/h on avenues), respecting one-way streets."
        ) % {
            "street": parameters.DRIVE_SPEED_KPH["residential"],
            "avenue": parameters.DRIVE_SPEED_KPH["primary"],
        }
    estimate = _(
        "Estimate: straight-line distance times %(circuity)s, at %(speed)s km/h. "
        "Used where no road network of the app reaches the place."
    ) % {"circuity": facts["circuity_factor"], "speed": facts["estimate_speed_kph"]}
    if mode == "transit":
        estimate += " " + _("Public transport estimates add %(wait)s minutes of waiting.") % {
            "wait": int(parameters.TRANSIT_WAIT_S / 60)
        }
    access = _("The walk between the place and the nearest road (up to %(max_m)s m) is included.") % {
        "max_m": int(parameters.MAX_ACCESS_DISTANCE_M)
    }
    return dict(facts, network_speed=network, estimate=estimate, access=access)


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
    region, graph, node, access_m = chosen
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
    _, access_s = walk_leg(access_m)
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
