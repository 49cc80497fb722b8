"""Travel times between populated places and facilities, for coverage maps.

The rules are those of the family search (``routing.services``), applied to
many places at once:

* Each graph has an access rule (``routing.estimate.AccessRule``): city
  street graphs allow a 2 km walk, the MTC road lines a longer walk across
  country. A place is routed on the closest street graph within its limit,
  else on the MTC graph within that limit, and the walk to the node is
  counted. A place whose node is on a small piece of the MTC graph may also
  walk to the main piece, as in the family search. Otherwise every time
  from that place is a straight-line estimate.
* A facility (or a planned site) is on a graph when its nearest node of that
  graph is within the graph's access limit. The walk from the node to it is
  counted. A facility whose node is on a small piece of the graph is also
  joined to the nearest node of the main piece, when that is within the
  limit too. Places on the main piece reach it there, as in the family search.
* A routed place reaches the facilities that share a piece with it over the
  network. A facility that the network does not reach within the graph's
  search limit (``CompactGraph.network_limit_s``) is unreachable that way,
  never replaced by a shorter estimate. On a graph whose access rule allows
  a direct walk (the MTC lines, ``AccessRule.direct_walk``), the place may
  instead walk straight across country to such a facility up to the access
  limit, whichever is faster.
* A place on a city street graph reaches the facilities off that graph
  beyond it, as in the family search: on the city graph joined to the MTC
  lines (``routing.join``) from its city node, or on the MTC lines from its
  own MTC join, with the direct walk of the MTC rule as a third way. The
  facilities on the city graph are routed on the city graph alone
  (:mod:`planning.joined` states these rules in full).
* Facilities that no network reaches from the place (off its graphs, or on
  another piece: the MTC graph keeps rural road networks that no mapped
  road joins to the rest) get the straight-line estimate.

NOTE: a facility on a city graph is reached from places off that graph over
the MTC lines alone. The family search also tries the trip that leaves the
lines for the streets of that city graph near the facility, so its time may
be shorter for facilities in a city from places outside it.

The joins of places and facilities to the graphs are in
:mod:`planning.snapping`.

Times are in seconds. Coordinates are EPSG:4326 degrees. Nothing here imports
Django, so the module runs in benchmarks and workers without the app.
"""
from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from routing import parameters
from routing.estimate import AccessRule, estimate_route, haversine_m
from routing.graph import CompactGraph

from .joined import CityTrips, Starts, city_trips, is_city_graph
from .snapping import (  # noqa: F401 (callers use these names from this module)
    PlaceSnap,
    SiteSnap,
    access_rule_of,
    join_sites,
    set_access_rule,
    shares_piece,
    snap_places,
    snap_sites,
)

logger = logging.getLogger(__name__)

#: Method codes stored per place: how its time was obtained.
ESTIMATE = 0
ROAD_NETWORK = 1
METHOD_NAMES = {ESTIMATE: "estimate", ROAD_NETWORK: "road_network"}

#: Largest number of distances one batched Dijkstra call may hold in memory
#: (sources x nodes); 5 million float64 values are 40 MB.
MAX_BATCH_CELLS = 5_000_000

#: Smallest edge weight from the virtual source, in seconds. A positive weight
#: keeps every virtual edge whether or not SciPy reads explicit zeros as edges.
_MIN_OFFSET_S = 1e-6

_reversed_cache: dict[int, tuple[weakref.ref, csr_matrix]] = {}


@dataclass(frozen=True)
class NearestResult:
    """Travel time from each place to its nearest facility.

    ``time_s`` is ``inf`` and ``facility`` is -1 where no facility is reached.
    ``method`` is :data:`ESTIMATE` or :data:`ROAD_NETWORK` per place.
    """

    time_s: np.ndarray
    facility: np.ndarray
    method: np.ndarray


def reversed_adjacency(graph: CompactGraph) -> csr_matrix:
    """Return the graph's adjacency with every edge turned round, cached per graph.

    A search from the facilities over the reversed edges gives the time from
    every node *to* the facilities, which is what one-way streets require.
    """
    key = id(graph)
    cached = _reversed_cache.get(key)
    if cached is not None and cached[0]() is graph:
        return cached[1]
    reversed_csr = graph.adjacency.T.tocsr()
    _reversed_cache[key] = (weakref.ref(graph), reversed_csr)
    return reversed_csr


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Convert degrees to points on the unit sphere, for nearest-neighbour trees.

    Chord length between unit vectors grows with great-circle distance, so a
    k-d tree over them finds the nearest points on the sphere.
    """
    lon_r = np.radians(np.asarray(lon, dtype=float))
    lat_r = np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat_r)
    return np.column_stack([cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)])


def chord_for_distance(distance_m: float) -> float:
    """Return the unit-sphere chord that matches a great-circle distance in metres."""
    angle = min(distance_m / parameters.EARTH_RADIUS_M, np.pi)
    return float(2.0 * np.sin(angle / 2.0))


def estimate_nearest(
    place_lon: np.ndarray, place_lat: np.ndarray, site_lon: np.ndarray, site_lat: np.ndarray, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Find each place's nearest site by straight line and its estimated time.

    Returns
    -------
    time_s, site
        Estimated travel time in seconds and the site index; ``inf`` and -1
        when there are no sites.
    """
    straight_m, site = nearest_site(place_lon, place_lat, site_lon, site_lat)
    return estimate_route(straight_m, mode)[1], site


def nearest_site(
    place_lon: np.ndarray, place_lat: np.ndarray, site_lon: np.ndarray, site_lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each place's straight-line distance in metres to its nearest site and that site's index.

    Both are ``inf`` and -1 when there are no sites.
    """
    n_places = len(place_lon)
    if len(site_lon) == 0 or n_places == 0:
        return np.full(n_places, np.inf), np.full(n_places, -1, dtype=np.int64)
    tree = cKDTree(unit_vectors(site_lon, site_lat))
    _, site = tree.query(unit_vectors(place_lon, place_lat))
    site = np.asarray(site, dtype=np.int64)
    return haversine_m(place_lon, place_lat, np.asarray(site_lon)[site], np.asarray(site_lat)[site]), site


def multi_source_times(
    reversed_csr: csr_matrix, source_node: np.ndarray, offset_s: np.ndarray, limit_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Run one Dijkstra search from many sources that start at different times.

    A virtual node is added with an edge to each source node weighted by that
    source's offset (its walked egress leg), and the search starts there.

    Parameters
    ----------
    reversed_csr
        Reversed adjacency (see :func:`reversed_adjacency`), times in seconds.
    source_node
        Graph node of each source.
    offset_s
        Seconds already spent at each source.
    limit_s
        Search no further than this time, in seconds.

    Returns
    -------
    time_s, source
        Per graph node: the time in seconds to the nearest source and that
        source's index, ``inf`` and -1 for nodes not reached within the limit.
    """
    n_nodes = reversed_csr.shape[0]
    source_node = np.asarray(source_node, dtype=np.int64)
    offset_s = np.maximum(np.asarray(offset_s, dtype=float), _MIN_OFFSET_S)

    # Several sources may share a node; the one with the smallest offset wins there.
    order = np.lexsort((offset_s, source_node))
    first = np.ones(len(order), dtype=bool)
    first[1:] = source_node[order][1:] != source_node[order][:-1]
    best = order[first]
    source_at_node = np.full(n_nodes, -1, dtype=np.int64)
    source_at_node[source_node[best]] = best

    virtual = n_nodes
    indptr = np.concatenate([reversed_csr.indptr, [reversed_csr.indptr[-1] + len(best)]])
    indices = np.concatenate([reversed_csr.indices, source_node[best]])
    data = np.concatenate([reversed_csr.data, offset_s[best]])
    augmented = csr_matrix((data, indices, indptr), shape=(n_nodes + 1, n_nodes + 1))

    time_s, predecessor = dijkstra(augmented, directed=True, indices=virtual, limit=limit_s, return_predecessors=True)
    time_s = time_s[:n_nodes]
    predecessor = predecessor[:n_nodes].astype(np.int64)

    # Follow predecessors back to the first node after the virtual one by
    # pointer jumping: each pass doubles the path length skipped.
    root = np.where((predecessor == virtual) | (predecessor < 0), np.arange(n_nodes), predecessor)
    while True:
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    source = np.where(np.isfinite(time_s), source_at_node[root], -1)
    return time_s, source


def nearest_facility(
    place_lon: np.ndarray,
    place_lat: np.ndarray,
    facility_lon: np.ndarray,
    facility_lat: np.ndarray,
    graphs: list[CompactGraph],
    mode: str,
    snap: PlaceSnap | None = None,
) -> NearestResult:
    """Compute each place's travel time to its nearest facility.

    Parameters
    ----------
    place_lon, place_lat
        Populated places, EPSG:4326 degrees.
    facility_lon, facility_lat
        Facilities of the chosen care type, EPSG:4326 degrees.
    graphs
        Road graphs of ``mode`` that may serve the places. The places of a
        city graph also reach facilities beyond it when the MTC graph is in
        the list (see :mod:`planning.joined`).
    mode
        ``"walk"`` or ``"drive"``.
    snap
        The places' graph joins, if already computed by :func:`snap_places`.

    Returns
    -------
    NearestResult
        Time in seconds, facility index and method per place.
    """
    place_lon = np.asarray(place_lon, dtype=float)
    place_lat = np.asarray(place_lat, dtype=float)
    facility_lon = np.asarray(facility_lon, dtype=float)
    facility_lat = np.asarray(facility_lat, dtype=float)
    time_s, facility = estimate_nearest(place_lon, place_lat, facility_lon, facility_lat, mode)
    method = np.full(len(place_lon), ESTIMATE, dtype=np.int8)
    if snap is None:
        snap = snap_places(graphs, place_lon, place_lat)

    points = (place_lon, place_lat, facility_lon, facility_lat)
    for index in range(len(graphs)):
        served = np.flatnonzero(snap.graph_index == index)
        if served.size == 0 or facility_lon.size == 0:
            continue
        time_s[served], facility[served], on_network = _nearest_on_graph(graphs, index, snap, served, points, mode)
        method[served] = np.where(on_network, ROAD_NETWORK, ESTIMATE)

    facility = np.where(np.isfinite(time_s), facility, -1)
    return NearestResult(time_s=time_s, facility=facility, method=method)


def _nearest_on_graph(
    graphs: list[CompactGraph],
    index: int,
    snap: PlaceSnap,
    served: np.ndarray,
    points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    mode: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time the places that graph ``index`` serves to their nearest facility.

    ``points`` is ``(place_lon, place_lat, facility_lon, facility_lat)``.
    Returns the time in seconds, the facility index and whether the time
    comes from the road network (or the direct walk that replaces it) per
    place of ``served``.
    """
    graph = graphs[index]
    place_lon, place_lat, facility_lon, facility_lat = points
    sites = join_sites(graph, facility_lon, facility_lat)
    trips = city_trips(graphs, index, snap, (place_lon, place_lat), (facility_lon, facility_lat), sites)

    # The network candidates come first, then the direct walk across country to the facilities
    # they link where the rule allows it, then the straight-line estimate to every facility
    # they do not link. The order makes a tie keep the network.
    options = [
        _network_nearest(route_graph, route_sites, served, starts)
        for route_graph, route_sites, starts in _routes(graph, sites, trips, snap)
    ]
    # A direct walk counts as routed, like the network trip it replaces.
    routed = len(options) + 1
    lon, lat = place_lon[served], place_lat[served]
    walk_pieces, walk_site_pieces = _links(graph, sites, trips, snap, served, walk=True)
    place_pieces, site_pieces = _links(graph, sites, trips, snap, served)
    options += [
        _nearest_by_piece(
            walk_pieces, lon, lat, (facility_lon, facility_lat, walk_site_pieces), True,
            _walk_rule(graph, trips).direct_walk_s,
        ),
        _nearest_by_piece(
            place_pieces, lon, lat, (facility_lon, facility_lat, site_pieces), False,
            lambda straight_m: estimate_route(straight_m, mode)[1],
        ),
    ]
    if _city_estimate_applies(graph, mode):
        # As in the family search: a vehicle trip that leaves the city streets may take the estimate.
        off_city = np.flatnonzero(~sites.on_graph)
        straight_m, site = nearest_site(lon, lat, facility_lon[off_city], facility_lat[off_city])
        found = site >= 0
        options.append((np.where(found, estimate_route(straight_m, mode)[1], np.inf),
                        np.where(found, off_city[np.maximum(site, 0)] if off_city.size else -1, -1)))
    option_time = np.vstack([option[0] for option in options])
    option_facility = np.vstack([option[1] for option in options])
    best = np.argmin(option_time, axis=0)
    columns = np.arange(served.size)
    time_s = option_time[best, columns]
    logger.info(
        "Graph %s served %d places with %d facilities on it (%s)", index, served.size, int(sites.on_graph.sum()), mode
    )
    if trips is not None:
        beyond = int(trips.mtc_sites.on_graph.sum())
        logger.info("Graph %s also reached %d facilities beyond it through the MTC lines", index, beyond)
    return time_s, option_facility[best, columns], (best < routed) & np.isfinite(time_s)


def _city_estimate_applies(graph: CompactGraph, mode: str) -> bool:
    """Tell whether places of ``graph`` may take the estimate to facilities off it (``CITY_ESTIMATE_MODES``)."""
    return mode in parameters.CITY_ESTIMATE_MODES and is_city_graph(graph)


def _routes(graph: CompactGraph, sites: SiteSnap, trips: CityTrips | None, snap: PlaceSnap) -> list[tuple]:
    """List the network searches for the places of ``graph``: ``(graph searched, site joins, place starts)``.

    The places of a city graph joined to the MTC lines also have the routes
    that leave the city graph (:meth:`CityTrips.routes`).
    """
    return [(graph, sites, snap), *(trips.routes() if trips is not None else [])]


def _links(
    graph: CompactGraph,
    sites: SiteSnap,
    trips: CityTrips | None,
    snap: PlaceSnap,
    places: np.ndarray,
    walk: bool = False,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Return the pieces of ``places`` and of the sites through which the road network links them.

    ``places`` must be places of ``graph``. With ``walk``, only the sites to
    which a place may walk straight under :func:`_walk_rule` are linked.
    """
    if trips is None:
        return snap.pieces(graph, places), (sites.piece, sites.main_piece)
    return trips.links(snap, places, walk)


def _walk_rule(graph: CompactGraph, trips: CityTrips | None) -> AccessRule:
    """Return the rule of the direct walk to linked sites: the MTC rule for trips that leave a city graph."""
    return access_rule_of(graph) if trips is None else trips.walk_rule


def _network_nearest(
    graph: CompactGraph, sites: SiteSnap, served: np.ndarray, snap: PlaceSnap | Starts
) -> tuple[np.ndarray, np.ndarray]:
    """Return each served place's network time (s) to its nearest site on the graph and that site.

    Pieces share no edge, so the search reaches from each site only the
    places of its pieces. ``inf`` and -1 where no site is reached.
    """
    source_site, source_node, source_egress_s = sites.sources()
    if not source_site.size:
        return np.full(served.size, np.inf), np.full(served.size, -1, dtype=np.int64)
    node_time, node_source = multi_source_times(
        reversed_adjacency(graph), source_node, source_egress_s, graph.network_limit_s
    )
    net_time, used_node = snap.times_from(node_time, served)
    reached = np.where(used_node >= 0, node_source[np.maximum(used_node, 0)], -1)
    return net_time, np.where(reached >= 0, source_site[np.maximum(reached, 0)], -1)


def _nearest_by_piece(
    place_pieces: tuple[np.ndarray, ...],
    place_lon: np.ndarray,
    place_lat: np.ndarray,
    facilities: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]],
    on_shared_piece: bool,
    time_for: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Time each place to its nearest facility by straight line, among those on or off its pieces.

    ``place_pieces`` contains the pieces each place reaches (-1 for none),
    such as its node's piece and the main piece it may also use, from
    :meth:`PlaceSnap.pieces` or :meth:`Starts.pieces`. ``facilities``
    is ``(lon, lat, pieces)`` with the pieces of each facility, such as
    ``(piece, main piece)`` from :class:`SiteSnap`. With
    ``on_shared_piece`` the candidates are the facilities that share a piece
    with the place, else all others (off the graph or on unreached pieces).
    ``time_for`` turns straight-line metres into seconds (``inf`` where the
    trip is not allowed); it must grow with distance, since only the nearest
    candidate is timed. Returns the time in seconds and the facility index
    (``inf`` and -1 when there is none).
    """
    facility_lon, facility_lat, facility_pieces = facilities
    time_s = np.full(len(place_lon), np.inf)
    facility = np.full(len(place_lon), -1, dtype=np.int64)
    for key in set(zip(*(piece.tolist() for piece in place_pieces))):
        places = np.flatnonzero(np.logical_and.reduce([piece == value for piece, value in zip(place_pieces, key)]))
        candidates = np.flatnonzero(shares_piece(key, facility_pieces) == on_shared_piece)
        if not candidates.size:
            continue
        straight_m, site = nearest_site(
            place_lon[places], place_lat[places], facility_lon[candidates], facility_lat[candidates]
        )
        time_s[places] = time_for(straight_m)
        facility[places] = np.where(np.isfinite(time_s[places]), candidates[site], -1)
    return time_s, facility


def site_place_times(
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    place_lon: np.ndarray,
    place_lat: np.ndarray,
    graphs: list[CompactGraph],
    mode: str,
    limit_s: float,
    snap: PlaceSnap | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """List every (site, place) pair whose travel time is within a limit.

    Used for planned facilities, candidate sites and catchments. The time is
    the time a person at the place needs to reach the site.

    Parameters
    ----------
    site_lon, site_lat
        Sites (facilities, planned facilities or candidate places), degrees.
    place_lon, place_lat
        Populated places, degrees.
    graphs
        Road graphs of ``mode``, as for :func:`nearest_facility`.
    mode
        ``"walk"`` or ``"drive"``.
    limit_s
        Largest travel time kept, in seconds.
    snap
        The places' graph joins, if already computed.

    Returns
    -------
    site, place, time_s
        Aligned arrays: site index, place index and travel time in seconds.
    """
    site_lon = np.atleast_1d(np.asarray(site_lon, dtype=float))
    site_lat = np.atleast_1d(np.asarray(site_lat, dtype=float))
    place_lon = np.asarray(place_lon, dtype=float)
    place_lat = np.asarray(place_lat, dtype=float)
    if snap is None:
        snap = snap_places(graphs, place_lon, place_lat)

    joins = [join_sites(graph, site_lon, site_lat) for graph in graphs]
    trips = [
        city_trips(graphs, index, snap, (place_lon, place_lat), (site_lon, site_lat), joins[index])
        for index in range(len(graphs))
    ]

    # Straight-line pairs, except where the road network links the place and the site.
    est_site, est_place, est_time = _estimate_pairs(site_lon, site_lat, place_lon, place_lat, mode, limit_s)
    keep = np.ones(est_site.size, dtype=bool)
    for index, graph in enumerate(graphs):
        mine = np.flatnonzero(snap.graph_index[est_place] == index)
        place_pieces, site_pieces = _links(graph, joins[index], trips[index], snap, est_place[mine])
        linked = shares_piece(place_pieces, tuple(piece[est_site[mine]] for piece in site_pieces))
        if _city_estimate_applies(graph, mode):
            linked &= joins[index].on_graph[est_site[mine]]  # off the streets the estimate stays a candidate
        keep[mine[linked]] = False
    parts = [(est_site[keep], est_place[keep], est_time[keep])]

    points = (site_lon, site_lat, place_lon, place_lat)
    for index, graph in enumerate(graphs):
        served = np.flatnonzero(snap.graph_index == index)
        if not served.size:
            continue
        for route_graph, sites, starts in _routes(graph, joins[index], trips[index], snap):
            if sites.on_graph.any():
                parts.append(_network_pairs(route_graph, sites, served, starts, limit_s))
        links = partial(_links, graph, joins[index], trips[index], snap, walk=True)
        parts.append(_direct_walk_pairs(_walk_rule(graph, trips[index]), links, served, points, limit_s))

    site, place, time_s = (np.concatenate([part[index] for part in parts]) for index in range(3))
    return _fastest_per_pair(site, place, time_s)


def _fastest_per_pair(
    site: np.ndarray, place: np.ndarray, time_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep one row per (site, place), the fastest: a site joined to two pieces, or walked to, gives several."""
    order = np.lexsort((time_s, place, site))
    site, place, time_s = site[order], place[order], time_s[order]
    first = np.ones(site.size, dtype=bool)
    first[1:] = (site[1:] != site[:-1]) | (place[1:] != place[:-1])
    return site[first], place[first], time_s[first]


def _estimate_pairs(
    site_lon: np.ndarray, site_lat: np.ndarray, place_lon: np.ndarray, place_lat: np.ndarray, mode: str, limit_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # The farthest straight line whose estimated time is within the limit.
    max_route_m = limit_s * parameters.kph_to_mps(parameters.ESTIMATE_SPEED_KPH[mode])
    site, place, straight_m = _pairs_within(
        site_lon, site_lat, place_lon, place_lat, max_route_m / parameters.CIRCUITY_FACTOR[mode]
    )
    time_s = estimate_route(straight_m, mode)[1]
    within = time_s <= limit_s
    return site[within], place[within], time_s[within]


def _pairs_within(
    site_lon: np.ndarray, site_lat: np.ndarray, place_lon: np.ndarray, place_lat: np.ndarray, max_straight_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """List every (site, place) pair at most ``max_straight_m`` apart, with the straight-line distance in metres."""
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if site_lon.size == 0 or place_lon.size == 0:
        return empty
    tree = cKDTree(unit_vectors(place_lon, place_lat))
    neighbours = tree.query_ball_point(unit_vectors(site_lon, site_lat), r=chord_for_distance(max_straight_m) * 1.0001)
    counts = np.array([len(found) for found in neighbours], dtype=np.int64)
    if counts.sum() == 0:
        return empty
    site = np.repeat(np.arange(site_lon.size, dtype=np.int64), counts)
    place = np.concatenate([np.asarray(found, dtype=np.int64) for found in neighbours])
    return site, place, haversine_m(site_lon[site], site_lat[site], place_lon[place], place_lat[place])


def _direct_walk_pairs(
    rule: AccessRule,
    links: Callable[[np.ndarray], tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]],
    served: np.ndarray,
    points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    limit_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """List the pairs whose direct walk across country is within the limit, where ``rule`` allows it.

    As in the family search, a place walks straight only to sites on a piece
    it reaches. ``links`` returns, for some places, their pieces and the
    sites' pieces (see :func:`_links`). ``points`` is ``(site_lon,
    site_lat, place_lon, place_lat)``.
    """
    if not rule.direct_walk:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    site_lon, site_lat, place_lon, place_lat = points
    site, column, straight_m = _pairs_within(
        site_lon, site_lat, place_lon[served], place_lat[served], rule.max_distance_m
    )
    place = served[column]
    time_s = rule.direct_walk_s(straight_m)
    place_pieces, site_pieces = links(place)
    linked = shares_piece(place_pieces, tuple(piece[site] for piece in site_pieces))
    keep = linked & (time_s <= limit_s)
    return site[keep], place[keep], time_s[keep]


def _network_pairs(
    graph: CompactGraph, sites: SiteSnap, served: np.ndarray, snap: PlaceSnap | Starts, limit_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    source_site, source_node, source_egress_s = sites.sources()
    reversed_csr = reversed_adjacency(graph)
    batch = max(1, MAX_BATCH_CELLS // max(graph.n_nodes, 1))
    site_parts, place_parts, time_parts = [], [], []
    for start in range(0, source_site.size, batch):
        chunk = slice(start, start + batch)
        node_time = dijkstra(reversed_csr, directed=True, indices=source_node[chunk], limit=limit_s)
        node_time = np.atleast_2d(node_time)
        total = snap.times_from(node_time, served)[0] + source_egress_s[chunk][:, None]
        rows, columns = np.nonzero(total <= limit_s)
        site_parts.append(source_site[chunk][rows])
        place_parts.append(served[columns])
        time_parts.append(total[rows, columns])
    return np.concatenate(site_parts), np.concatenate(place_parts), np.concatenate(time_parts)


def summarise_by_group(
    group: np.ndarray, n_groups: int, population: np.ndarray, time_s: np.ndarray, thresholds_min: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """Sum people per group (district), in all and beyond each threshold.

    Places with no reachable facility (``inf``) count as beyond every threshold.

    Returns
    -------
    dict
        ``population``, ``beyond_<T>`` for each threshold and ``unreachable``,
        each an array of length ``n_groups``, plus ``weighted_time_s``: the
        sum of people times seconds over reachable places, for mean times.
    """
    population = np.asarray(population, dtype=float)
    sums = {"population": np.bincount(group, weights=population, minlength=n_groups)}
    for minutes in thresholds_min:
        beyond = time_s > minutes * 60.0
        sums[f"beyond_{minutes}"] = np.bincount(group, weights=population * beyond, minlength=n_groups)
    reachable = np.isfinite(time_s)
    sums["unreachable"] = np.bincount(group, weights=population * ~reachable, minlength=n_groups)
    sums["reachable_population"] = np.bincount(group, weights=population * reachable, minlength=n_groups)
    sums["weighted_time_s"] = np.bincount(
        group, weights=np.where(reachable, population * np.where(reachable, time_s, 0.0), 0.0), minlength=n_groups
    )
    return sums
