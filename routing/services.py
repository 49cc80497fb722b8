"""Travel times for the search: road-network times where a graph reaches, estimates elsewhere.

Rules, stated once here and in docs/routing.md:

* The origin is tried on the city (OpenStreetMap) graphs whose nearest node
  is within ``MAX_ACCESS_DISTANCE_M`` of it, nearest first, then on the MTC
  road graph (national, departmental and vecinal lines) if its nearest node
  is within ``MTC_MAX_ACCESS_DISTANCE_M``. The MTC graph keeps several
  unconnected pieces. When the origin's nearest MTC node is on a small piece,
  the nearest node of the main piece is tried next, within the same walk.
  Without any graph, every destination gets the straight-line estimate.
* Each destination is routed on the first of those graphs whose nearest node
  is within the same distance of it and on the origin's piece of that graph.
  A destination that no graph serves gets the straight-line estimate, marked
  ``"estimate"``.
* Routed times add the walked access leg (origin to its node) and egress leg
  (node to destination) to the network time, whatever the mode: at the
  street pace on city graphs and at the off-road pace on the MTC graph. On
  the MTC graph a direct off-road walk replaces the route when it is faster,
  so two neighbours far from the road are not sent through it.
* On the MTC graph, trips that also use a city graph are tried too, on the
  joined graph of :mod:`routing.join`: from an origin on a city graph along
  its streets onto the lines, and from the lines into the streets of a city
  graph near the destination. The fastest trip is kept.
* A destination that the network does not reach within the graph's search
  limit (``CompactGraph.network_limit_s``: 8 hours on city graphs, above the
  longest trip on the MTC graph) gets ``minutes=None``. It is never replaced
  by a shorter estimate, with one exception: by vehicle, from an origin on
  a city graph, a destination beyond that graph takes the straight-line
  estimate whenever it is faster (``_keep_city_estimate``).
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
from django.contrib.gis.geos import Point, Polygon
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ops.generation import GenerationCache

from . import parameters
from .estimate import OFFROAD_ACCESS, STREET_ACCESS, AccessRule, check_mode, describe, estimate_route, haversine_m
from .exceptions import GraphFileError, RoutingError
from .graph import CompactGraph, one_to_many, times_to
from .isochrones import isochrone_polygons
from .join import joined_graph, joined_legs
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


def prepare_graphs() -> int:
    """Load every road graph with its facility matrix, chain contraction and city-to-MTC joins.

    Searches do this on first use; a web process calls it before its first
    request (``ops.warmup``). Returns the number of graphs made ready.
    """
    ready = 0
    graphs_by_mode: dict[str, dict[str, CompactGraph]] = {}
    for region in road_regions():
        for mode, file_name in region.graph_files.items():
            graph = load_graph(file_name)
            graph.chains()
            load_matrix(file_name, graph)
            graphs_by_mode.setdefault(mode, {})[region.slug] = graph
            ready += 1
    for graphs in graphs_by_mode.values():
        mtc = graphs.pop(MTC_NETWORK.slug, None)
        for city in graphs.values() if mtc is not None else ():
            joined_graph(city, mtc).graph.chains()
            ready += 1
    return ready


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
    Times beyond the graph's search limit (``CompactGraph.network_limit_s``)
    become ``inf``.
    """
    limit_s = graph.network_limit_s
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
        times[~cached], lengths[~cached] = one_to_many(graph, origin_node, nodes[~cached], limit_s, probe_limit_s=probe_s)
    beyond = times > limit_s
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


#: The road regions, read once per data generation: every search looks them up two or three times.
_road_regions = GenerationCache("road regions", lambda: list(RoadRegion.objects.order_by("slug")))


def road_regions() -> list[RoadRegion]:
    """Return every road region, from this process's copy (do not modify them)."""
    return _road_regions.get()


def _regions_within(geometry, margin_deg: float, mode: str) -> list[RoadRegion]:
    """Return the regions with a ``mode`` graph whose extent is within ``margin_deg`` degrees of ``geometry``."""
    return [
        region for region in road_regions()
        if mode in region.modes and region.extent.distance(geometry) <= margin_deg
    ]


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
    regions = _regions_within(Point(lon, lat, srid=4326), margin_deg, mode)
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
        # Nearest to a small piece of the MTC graph, the origin may also walk to the main piece.
        if graph.piece(node)[0] != graph.main_piece:
            main_node, main_m = graph.nearest_main_nodes(lon, lat)
            if main_m[0] <= rule.max_distance_m:
                found.append(OriginGraph(region, graph, int(main_node[0]), float(main_m[0]), rule))
    return sorted(found, key=lambda item: (item.rule is OFFROAD_ACCESS, item.access_m))


def _snap_destinations(served: OriginGraph, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join destinations to the graph of ``served``: their nearest node and the distance to it.

    From an origin on the main piece, a destination whose nearest node is on
    another piece is joined to the main piece instead when that is within the
    walk allowed, as the origin is in :func:`_origin_graphs`.
    """
    graph = served.graph
    nodes, distance_m = graph.nearest_nodes(lon, lat)
    if graph.piece([served.node])[0] != graph.main_piece:
        return nodes, distance_m
    elsewhere = np.flatnonzero(graph.piece(nodes) != graph.main_piece)
    if elsewhere.size:
        main_nodes, main_m = graph.nearest_main_nodes(lon[elsewhere], lat[elsewhere])
        within = main_m <= served.rule.max_distance_m
        nodes[elsewhere[within]] = main_nodes[within]
        distance_m[elsewhere[within]] = main_m[within]
    return nodes, distance_m


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
    origin_graphs = _origin_graphs(lon, lat, parameters.graph_mode(mode))
    for served in origin_graphs:
        if not pending.size:
            break
        dest_nodes, egress_m = _snap_destinations(served, dest_lon[pending], dest_lat[pending])
        trip = _Trip(mode, pending, dest_nodes, egress_m, straight_m)
        near = egress_m <= served.rule.max_distance_m
        via_city = None
        if served.rule is OFFROAD_ACCESS:
            city = next((g for g in origin_graphs if g.rule is STREET_ACCESS), None)
            via_city = _via_city_graphs(served, city, trip.subset(near), (dest_lon, dest_lat))
        # A destination whose road is another piece of the graph is not served by it: no path joins
        # them, unless a trip through a city street graph does.
        reached = near & (served.graph.piece(dest_nodes) == served.graph.piece([served.node]))
        if via_city is not None:
            reached[np.flatnonzero(near)[np.isfinite(via_city[0])]] = True
            via_city = tuple(part[reached[near]] for part in via_city)
        if reached.any():
            _route(served, trip.subset(reached), times, via_city)
        pending = pending[~reached]

    if mode in parameters.CITY_ESTIMATE_MODES and origin_graphs and origin_graphs[0].rule is STREET_ACCESS:
        _keep_city_estimate(times, origin_graphs[0].region.slug, estimate_s, estimate_m)
    return [
        TravelTime(
            minutes=times.minutes[i],
            distance_km=float(times.distance_m[i]) / 1000.0,
            source=times.sources[i],
            region=times.regions[i],
        )
        for i in range(len(points))
    ]


def _keep_city_estimate(times: _Times, city_slug: str, estimate_s: np.ndarray, estimate_m: np.ndarray) -> None:
    """Give vehicle trips that leave a city street graph the straight-line estimate where it is faster.

    A street graph is a clip of a city, not its edge, and beyond it the
    city's streets go on. The MTC lines contain no streets, so a trip from
    the clip to a facility across town may reach them only by long walks to
    disconnected national roads. From San Juan de Lurigancho to the Cayetano
    Heredia hospital that took 194 min by vehicle. The estimate assumes
    streets at the mode's average speed, so it is the better bound there
    (``parameters.CITY_ESTIMATE_MODES``).
    """
    for index, region in enumerate(times.regions):
        if region == city_slug:
            continue
        network_min = times.minutes[index]
        estimate_min = float(estimate_s[index]) / 60.0
        if network_min is None or estimate_min < network_min:
            times.minutes[index] = estimate_min
            times.distance_m[index] = float(estimate_m[index])
            times.sources[index] = ESTIMATE
            times.regions[index] = None


@dataclass
class _Times:
    """Per-destination results of :func:`travel_times` while they are filled in."""

    minutes: list[float | None]
    distance_m: list[float]
    sources: list[str]
    regions: list[str | None]


@dataclass(frozen=True)
class _Trip:
    """Destinations to route on one graph: their indices, nearest nodes and walks to those nodes."""

    mode: str
    indices: np.ndarray
    dest_nodes: np.ndarray
    egress_m: np.ndarray
    #: Straight-line distance from the origin to every destination of the search, in metres.
    straight_m: np.ndarray

    def subset(self, keep: np.ndarray) -> _Trip:
        return _Trip(self.mode, self.indices[keep], self.dest_nodes[keep], self.egress_m[keep], self.straight_m)

    def probe_s(self) -> float:
        """Return the first search limit, three times the slowest estimate, where most searches end."""
        _, estimate_s = estimate_route(self.straight_m[self.indices], self.mode)
        return 3.0 * float(estimate_s.max(initial=0.0)) + parameters.PROBE_MARGIN_S


def _route(
    served: OriginGraph, trip: _Trip, times: _Times, via_city: tuple[np.ndarray, np.ndarray] | None = None
) -> None:
    """Route the trip's destinations on one graph and write their results into ``times``.

    ``via_city`` contains, per destination, the time (s) and length (m) of the
    fastest trip that also uses a city street graph, walks included, and
    ``inf`` where there is none. The faster of the two trips is kept.
    """
    mode, indices = trip.mode, trip.indices
    total_s = np.full(len(indices), np.inf)
    total_m = np.full(len(indices), np.inf)
    same = served.graph.piece(trip.dest_nodes) == served.graph.piece([served.node])
    if same.any():
        network_s, network_m = _network_legs(
            served.region, mode, served.graph, served.node, trip.dest_nodes[same], trip.probe_s()
        )
        access_leg_m, access_leg_s = served.rule.leg(served.access_m)
        egress_leg_m, egress_leg_s = served.rule.leg(trip.egress_m[same])
        total_s[same] = access_leg_s + parameters.network_time_s(mode, network_s) + egress_leg_s
        total_m[same] = access_leg_m + network_m + egress_leg_m
    if via_city is not None:
        faster = via_city[0] < total_s
        total_s = np.where(faster, via_city[0], total_s)
        total_m = np.where(faster, via_city[1], total_m)

    direct_m, direct_s = served.rule.leg(trip.straight_m[indices])
    shorter = _direct_walk_is_faster(served.rule, trip.straight_m[indices], total_s)
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


def _via_city_graphs(
    served: OriginGraph, city: OriginGraph | None, trip: _Trip, destinations: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Time the trips that join a city street graph and the MTC graph (``served``).

    Both kinds run on the joined graph of :mod:`routing.join`. The first
    starts on the streets of ``city`` (the origin's city graph) and goes onto
    the MTC lines to each destination's MTC node. The second starts at the
    origin's MTC node and goes into the streets of any city graph within the
    street walk of the destination. Returns per destination the fastest total
    time in seconds and its length in metres, walks included (``inf`` where
    neither applies).
    """
    best_s = np.full(len(trip.indices), np.inf)
    best_m = np.full(len(trip.indices), np.inf)
    if not len(trip.indices):
        return best_s, best_m
    mode, probe_s = trip.mode, trip.probe_s()
    if city is not None:
        joined = joined_graph(city.graph, served.graph)
        network_s, network_m = joined_legs(joined, joined.city_offset + city.node, trip.dest_nodes, probe_s)
        _keep_faster((best_s, best_m), mode, network_s, network_m, (city.rule, city.access_m), (served.rule, trip.egress_m))

    dest_lon, dest_lat = destinations[0][trip.indices], destinations[1][trip.indices]
    for region, graph in _city_graphs_near(dest_lon, dest_lat, parameters.graph_mode(mode)):
        if city is not None and region.slug == city.region.slug:
            continue
        city_nodes, egress_m = graph.nearest_nodes(dest_lon, dest_lat)
        near = egress_m <= STREET_ACCESS.max_distance_m
        if not near.any():
            continue
        joined = joined_graph(graph, served.graph)
        network_s = np.full(len(near), np.inf)
        network_m = np.full(len(near), np.inf)
        network_s[near], network_m[near] = joined_legs(joined, served.node, joined.city_offset + city_nodes[near], probe_s)
        _keep_faster((best_s, best_m), mode, network_s, network_m, (served.rule, served.access_m), (STREET_ACCESS, egress_m))
    return best_s, best_m


def _keep_faster(
    best: tuple[np.ndarray, np.ndarray],
    mode: str,
    network_s: np.ndarray,
    network_m: np.ndarray,
    access: tuple[AccessRule, float],
    egress: tuple[AccessRule, np.ndarray],
) -> None:
    """Add the walks to joined-graph legs and keep, in place, the faster of them and ``best``."""
    access_m, access_s = access[0].leg(access[1])
    egress_m, egress_s = egress[0].leg(egress[1])
    total_s = access_s + parameters.network_time_s(mode, network_s) + egress_s
    faster = total_s < best[0]
    best[0][faster] = total_s[faster]
    best[1][faster] = (access_m + network_m + egress_m)[faster]


def _city_graphs_near(lon: np.ndarray, lat: np.ndarray, mode: str) -> list[tuple[RoadRegion, CompactGraph]]:
    """Return the city (street) graphs of ``mode`` whose extent is within the street walk of the points."""
    margin_deg = STREET_ACCESS.max_distance_m / _METRES_PER_DEGREE / max(math.cos(math.radians(float(lat.mean()))), 0.1)
    box = Polygon.from_bbox((lon.min(), lat.min(), lon.max(), lat.max()))
    box.srid = 4326
    regions = [region for region in _regions_within(box, margin_deg, mode) if region.slug != MTC_NETWORK.slug]
    found = []
    for region in regions:
        try:
            found.append((region, load_graph(region.graph_files[mode])))
        except (OSError, KeyError, GraphFileError) as exc:
            logger.warning("No %s graph for road region %s: %s", mode, region.slug, exc)
    return found


def _direct_walk_is_faster(rule: AccessRule, straight_m: np.ndarray, via_road_s: np.ndarray) -> np.ndarray:
    """Tell, per destination, whether walking straight there beats the trip over the road.

    Only a rule with ``direct_walk`` (the off-road walk to the MTC lines)
    allows it, as far as the walk to the road may be (``AccessRule.direct_walk_s``).
    """
    return rule.direct_walk_s(straight_m) < via_road_s


def _region_limit_s(slug: str, mode: str) -> float:
    """Return the search limit of a region's graph, or ``NETWORK_LIMIT_S`` when the graph cannot be loaded."""
    try:
        return load_graph(RoadRegion.objects.get(slug=slug).graph_files[mode]).network_limit_s
    except (RoadRegion.DoesNotExist, OSError, KeyError, GraphFileError) as exc:
        logger.warning("No %s graph for road region %s, stating the city search limit: %s", mode, slug, exc)
        return parameters.NETWORK_LIMIT_S


def localize_number(value: float) -> str:
    """Format a number for a sentence in the active language: "4,5" in Spanish, "4.5" in English.

    Whole numbers lose their decimals ("30", not "30,0").
    """
    value = float(value)
    return number_format(value, decimal_pos=0 if value.is_integer() else None)


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
    if region == MTC_NETWORK.slug:
        facts["network_limit_s"] = _region_limit_s(region, parameters.graph_mode(mode))
    mtc = _("on the MTC national, departmental and vecinal roads, %(low)s to %(high)s km/h by road surface") % {
        "low": localize_number(min(MTC_SURFACE_SPEEDS_KPH.values())),
        "high": localize_number(max(MTC_SURFACE_SPEEDS_KPH.values())),
    }
    if mode == "transit":
        network = _(
            "On the road network: public transport, estimated as the driving time times %(factor)s "
            "plus %(wait)s minutes of waiting; real routes and timetables are not used."
        ) % {"factor": localize_number(parameters.TRANSIT_TIME_FACTOR), "wait": int(parameters.TRANSIT_WAIT_S / 60)}
    elif mode == "walk":
        network = _("On the road network: walking at %(speed)s km/h on every walkable street and path.") % {
            "speed": localize_number(parameters.WALK_SPEED_KPH)
        }
    else:
        network = _(
            "On the road network: driving at the speed limit of each street (maxspeed where mapped, "
            "otherwise %(street)s km/h on streets and %(avenue)s km/h on avenues), respecting one-way streets; "
            "%(mtc)s."
        ) % {
            "street": localize_number(parameters.DRIVE_SPEED_KPH["residential"]),
            "avenue": localize_number(parameters.DRIVE_SPEED_KPH["primary"]),
            "mtc": mtc,
        }
    estimate = _(
        "Estimate: straight-line distance times %(circuity)s, at %(speed)s km/h. "
        "Used where no road network of the app reaches the place."
    ) % {"circuity": localize_number(facts["circuity_factor"]), "speed": localize_number(facts["estimate_speed_kph"])}
    if mode == "transit":
        estimate += " " + _("Public transport estimates add %(wait)s minutes of waiting.") % {
            "wait": int(parameters.TRANSIT_WAIT_S / 60)
        }
    access = _(
        "The walk between the place and the nearest road is included: up to %(max_m)s m at %(speed)s km/h "
        "to city streets, or up to %(offroad_km)s km across country at %(offroad_speed)s km/h to the MTC "
        "roads."
    ) % {
        "max_m": localize_number(STREET_ACCESS.max_distance_m),
        "speed": localize_number(STREET_ACCESS.speed_kph),
        "offroad_km": localize_number(OFFROAD_ACCESS.max_distance_m / 1000),
        "offroad_speed": localize_number(OFFROAD_ACCESS.speed_kph),
    }
    if region == MTC_NETWORK.slug:
        source = _("MTC road network (red vial nacional, departamental y vecinal del MTC).")
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
