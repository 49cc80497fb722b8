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
  limit, whichever is faster. Facilities off the place's graph, or on
  another piece of it (the MTC graph keeps rural road networks that no
  mapped road joins to the rest), get the straight-line estimate.

NOTE: a place is routed on one graph only. The family search also tries the
MTC graph for destinations that the origin's city graph does not reach, and
trips joining city streets and MTC lines (``routing.join``). Coverage gives
those facilities the straight-line estimate instead.

Times are in seconds. Coordinates are EPSG:4326 degrees. Nothing here imports
Django, so the module runs in benchmarks and workers without the app.
"""
from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from routing import parameters
from routing.estimate import STREET_ACCESS, AccessRule, estimate_route, haversine_m
from routing.graph import CompactGraph

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
class PlaceSnap:
    """Graph joins of the places: graph, node and walking time per place.

    Attributes
    ----------
    graph_index
        Index into the graph list of the graph that serves each place, or -1
        when no graph node is within ``MAX_ACCESS_DISTANCE_M``.
    node
        Node index in that graph (meaningless where ``graph_index`` is -1).
    access_s
        Walking time in seconds from the place to its node.
    main_node, main_access_s
        For a place whose node is on a small piece of its graph (the MTC
        lines): the nearest node of the graph's main piece and the walk to
        it, when that is within the access limit too; -1 and ``inf``
        elsewhere. The place may use either, as in the family search.
    """

    graph_index: np.ndarray
    node: np.ndarray
    access_s: np.ndarray
    main_node: np.ndarray | None = None
    main_access_s: np.ndarray | None = None

    def times_from(self, node_time: np.ndarray, served: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the faster of the two joins for the places ``served``, walk included, and the node used.

        ``node_time`` is indexed by graph node in its last axis (one row per
        source, or a single row).
        """
        node = self.node[served]
        time_s = node_time[..., node] + self.access_s[served]
        if self.main_node is None:
            return time_s, np.broadcast_to(node, time_s.shape)
        main = self.main_node[served]
        main_time_s = np.where(main >= 0, node_time[..., np.maximum(main, 0)] + self.main_access_s[served], np.inf)
        use_main = main_time_s < time_s
        return np.where(use_main, main_time_s, time_s), np.where(use_main, main, node)

    def pieces(self, graph: CompactGraph, served: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return, per place ``served``, its node's piece and the main piece it may also use (-1 if none)."""
        own = graph.piece(self.node[served])
        if self.main_node is None:
            return own, np.full(served.size, -1, dtype=np.int64)
        return own, np.where(self.main_node[served] >= 0, graph.main_piece, -1)


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


#: Access rule of each loaded graph, by ``id(graph)``; graphs without one use ``STREET_ACCESS``.
_ACCESS_RULES: dict[int, AccessRule] = {}


def set_access_rule(graph: CompactGraph, rule: AccessRule) -> None:
    """Record how points reach ``graph`` on foot (the MTC lines allow a longer walk across country)."""
    key = id(graph)
    if key not in _ACCESS_RULES:
        weakref.finalize(graph, _ACCESS_RULES.pop, key, None)
    _ACCESS_RULES[key] = rule


def access_rule_of(graph: CompactGraph) -> AccessRule:
    """Return the access rule recorded for ``graph``, else the city-street rule."""
    return _ACCESS_RULES.get(id(graph), STREET_ACCESS)


def snap_places(graphs: list[CompactGraph], lon: np.ndarray, lat: np.ndarray) -> PlaceSnap:
    """Join each place to a graph within that graph's access limit.

    City street graphs come first and the closest one wins. A graph reached by
    a longer walk across country (the MTC lines) serves only places that no
    street graph serves, as in the family search.
    """
    n_places = len(lon)
    graph_index = np.full(n_places, -1, dtype=np.int64)
    node = np.zeros(n_places, dtype=np.int64)
    best_m = np.full(n_places, np.inf)
    access_s = np.zeros(n_places)
    ordered = sorted(range(len(graphs)), key=lambda index: access_rule_of(graphs[index]).max_distance_m)
    for index in ordered:
        rule = access_rule_of(graphs[index])
        graph_node, distance_m = graphs[index].nearest_nodes(lon, lat)
        within = distance_m <= rule.max_distance_m
        if rule.max_distance_m > STREET_ACCESS.max_distance_m:
            better = within & (graph_index == -1)
        else:
            better = within & (distance_m < best_m)
        graph_index[better] = index
        node[better] = graph_node[better]
        best_m[better] = distance_m[better]
        access_s[better] = rule.leg(distance_m[better])[1]

    main_node = np.full(n_places, -1, dtype=np.int64)
    main_access_s = np.full(n_places, np.inf)
    for index, graph in enumerate(graphs):
        rule = access_rule_of(graph)
        mine = np.flatnonzero(graph_index == index)
        on_small = mine[graph.piece(node[mine]) != graph.main_piece]
        if on_small.size:
            nearest, distance_m = graph.nearest_main_nodes(lon[on_small], lat[on_small])
            within = distance_m <= rule.max_distance_m
            main_node[on_small[within]] = nearest[within]
            main_access_s[on_small[within]] = rule.leg(distance_m[within])[1]
    return PlaceSnap(graph_index, node, access_s, main_node, main_access_s)


def snap_sites(graph: CompactGraph, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join facilities or sites to one graph.

    Returns
    -------
    on_graph, node, egress_s
        Whether each site is within the access limit of a node, that node, and
        the walking time in seconds from the node to the site.
    """
    rule = access_rule_of(graph)
    node, distance_m = graph.nearest_nodes(lon, lat)
    on_graph = distance_m <= rule.max_distance_m
    return on_graph, node, rule.leg(distance_m)[1]


@dataclass(frozen=True)
class SiteSnap:
    """Joins of facilities or sites to one graph, made as the family search joins its destinations.

    Attributes
    ----------
    on_graph, node, egress_s
        As returned by :func:`snap_sites`.
    main_node, main_egress_s
        For a site on the graph whose node is on a small piece: the nearest
        node of the main piece and the walk in seconds from it, when that is
        within the access limit too; -1 and ``inf`` elsewhere. Places on the
        main piece reach the site through it.
    piece, main_piece
        The piece of ``node`` (-1 for a site off the graph), and the graph's
        main piece where ``main_node`` is set (-1 elsewhere).
    """

    on_graph: np.ndarray
    node: np.ndarray
    egress_s: np.ndarray
    main_node: np.ndarray
    main_egress_s: np.ndarray
    piece: np.ndarray
    main_piece: np.ndarray

    def sources(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the site index, graph node and egress time (s) of every join, a site possibly twice."""
        own = np.flatnonzero(self.on_graph)
        main = np.flatnonzero(self.main_node >= 0)
        return (
            np.concatenate([own, main]),
            np.concatenate([self.node[own], self.main_node[main]]),
            np.concatenate([self.egress_s[own], self.main_egress_s[main]]),
        )


def join_sites(graph: CompactGraph, lon: np.ndarray, lat: np.ndarray) -> SiteSnap:
    """Join facilities or sites to one graph, with the main-piece join of the family search."""
    rule = access_rule_of(graph)
    on_graph, node, egress_s = snap_sites(graph, lon, lat)
    main_node = np.full(len(node), -1, dtype=np.int64)
    main_egress_s = np.full(len(node), np.inf)
    on_small = np.flatnonzero(on_graph & (graph.piece(node) != graph.main_piece))
    if on_small.size:
        nearest, distance_m = graph.nearest_main_nodes(lon[on_small], lat[on_small])
        within = distance_m <= rule.max_distance_m
        main_node[on_small[within]] = nearest[within]
        main_egress_s[on_small[within]] = rule.leg(distance_m[within])[1]
    piece = np.where(on_graph, graph.piece(node), -1)
    main_piece = np.where(main_node >= 0, graph.main_piece, -1)
    return SiteSnap(on_graph, node, egress_s, main_node, main_egress_s, piece, main_piece)


def shares_piece(first: tuple, second: tuple) -> np.ndarray:
    """Tell whether two joins share a piece of a graph, so that its network links them.

    Each join is ``(piece, other piece)`` with -1 for none, as from
    :meth:`PlaceSnap.pieces` or :class:`SiteSnap`. Arrays broadcast.
    """
    shared = np.zeros(np.broadcast(*first, *second).shape, dtype=bool)
    for one in first:
        for other in second:
            one, other = np.asarray(one), np.asarray(other)
            shared |= (one >= 0) & (one == other)
    return shared


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
        Road graphs of ``mode`` that may serve the places.
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

    for index, graph in enumerate(graphs):
        served = np.flatnonzero(snap.graph_index == index)
        if served.size == 0 or facility_lon.size == 0:
            continue
        sites = join_sites(graph, facility_lon, facility_lat)
        place_pieces = snap.pieces(graph, served)
        facilities = (facility_lon, facility_lat, (sites.piece, sites.main_piece))
        rule = access_rule_of(graph)

        # Three candidates per place. The first is the network to the facilities on its
        # pieces, the second the direct walk across country to them where the graph's rule
        # allows it, the third the straight-line estimate to every other facility.
        # The order makes a tie keep the network.
        options = [
            _network_nearest(graph, sites, served, snap),
            _nearest_by_piece(place_pieces, place_lon[served], place_lat[served], facilities, True, rule.direct_walk_s),
            _nearest_by_piece(
                place_pieces, place_lon[served], place_lat[served], facilities, False,
                lambda straight_m: estimate_route(straight_m, mode)[1],
            ),
        ]
        option_time = np.vstack([option[0] for option in options])
        option_facility = np.vstack([option[1] for option in options])
        best = np.argmin(option_time, axis=0)
        columns = np.arange(served.size)
        time_s[served] = option_time[best, columns]
        facility[served] = option_facility[best, columns]
        method[served] = np.where((best < 2) & np.isfinite(time_s[served]), ROAD_NETWORK, ESTIMATE)
        logger.info(
            "Graph %s served %d places with %d facilities on it (%s)",
            index, served.size, int(sites.on_graph.sum()), mode,
        )

    facility = np.where(np.isfinite(time_s), facility, -1)
    return NearestResult(time_s=time_s, facility=facility, method=method)


def _network_nearest(
    graph: CompactGraph, sites: SiteSnap, served: np.ndarray, snap: PlaceSnap
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
    reached = node_source[used_node]
    return net_time, np.where(reached >= 0, source_site[np.maximum(reached, 0)], -1)


def _nearest_by_piece(
    place_pieces: tuple[np.ndarray, np.ndarray],
    place_lon: np.ndarray,
    place_lat: np.ndarray,
    facilities: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]],
    on_shared_piece: bool,
    time_for: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Time each place to its nearest facility by straight line, among those on or off its pieces.

    ``place_pieces`` is the piece of each place's node and the main piece it
    may also use (-1 if none), from :meth:`PlaceSnap.pieces`. ``facilities``
    is ``(lon, lat, (piece, main piece))`` from :class:`SiteSnap`. With
    ``on_shared_piece`` the candidates are the facilities that share a piece
    with the place, else all others (off the graph or on unreached pieces).
    ``time_for`` turns straight-line metres into seconds (``inf`` where the
    trip is not allowed); it must grow with distance, since only the nearest
    candidate is timed. Returns the time in seconds and the facility index
    (``inf`` and -1 when there is none).
    """
    facility_lon, facility_lat, facility_pieces = facilities
    own_piece, main_piece = place_pieces
    time_s = np.full(len(place_lon), np.inf)
    facility = np.full(len(place_lon), -1, dtype=np.int64)
    for own, main in set(zip(own_piece.tolist(), main_piece.tolist())):
        places = np.flatnonzero((own_piece == own) & (main_piece == main))
        candidates = np.flatnonzero(shares_piece((own, main), facility_pieces) == on_shared_piece)
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
        Road graphs of ``mode``.
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

    site_parts, place_parts, time_parts = [], [], []
    joins = [join_sites(graph, site_lon, site_lat) for graph in graphs]

    # Straight-line pairs, except where place and site share a graph and a piece of it.
    est_site, est_place, est_time = _estimate_pairs(site_lon, site_lat, place_lon, place_lat, mode, limit_s)
    keep = np.ones(est_site.size, dtype=bool)
    for index, sites in enumerate(joins):
        linked = shares_piece(snap.pieces(graphs[index], est_place), (sites.piece[est_site], sites.main_piece[est_site]))
        keep &= ~((snap.graph_index[est_place] == index) & linked)
    site_parts.append(est_site[keep])
    place_parts.append(est_place[keep])
    time_parts.append(est_time[keep])

    for index, graph in enumerate(graphs):
        served = np.flatnonzero(snap.graph_index == index)
        if not served.size or not joins[index].on_graph.any():
            continue
        for parts in (
            _network_pairs(graph, joins[index], served, snap, limit_s),
            _direct_walk_pairs(graph, joins[index], served, snap, (site_lon, site_lat, place_lon, place_lat), limit_s),
        ):
            site_parts.append(parts[0])
            place_parts.append(parts[1])
            time_parts.append(parts[2])

    return _fastest_per_pair(np.concatenate(site_parts), np.concatenate(place_parts), np.concatenate(time_parts))


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
    graph: CompactGraph,
    sites: SiteSnap,
    served: np.ndarray,
    snap: PlaceSnap,
    points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    limit_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """List the pairs whose direct walk across country is within the limit, on graphs whose rule allows it.

    As in the family search, a place walks straight only to sites on a piece
    it reaches. ``points`` is ``(site_lon, site_lat, place_lon, place_lat)``.
    """
    rule = access_rule_of(graph)
    if not rule.direct_walk:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    site_lon, site_lat, place_lon, place_lat = points
    site, column, straight_m = _pairs_within(
        site_lon, site_lat, place_lon[served], place_lat[served], rule.max_distance_m
    )
    place = served[column]
    time_s = rule.direct_walk_s(straight_m)
    linked = shares_piece(snap.pieces(graph, place), (sites.piece[site], sites.main_piece[site]))
    keep = linked & (time_s <= limit_s)
    return site[keep], place[keep], time_s[keep]


def _network_pairs(
    graph: CompactGraph, sites: SiteSnap, served: np.ndarray, snap: PlaceSnap, limit_s: float
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
