"""Joins of populated places and facilities to road graphs, by each graph's access rule.

Each loaded graph has an access rule (``routing.estimate.AccessRule``), recorded
here with :func:`set_access_rule`: city street graphs allow a 2 km walk, the
MTC road lines a longer walk across country. Places join one graph
(:func:`snap_places`). Facilities and planned sites join every graph whose
limit they are within (:func:`join_sites`). Both may also join the main piece
of a graph with several pieces, as the family search (``routing.services``)
joins its origin and destinations.

Coordinates are EPSG:4326 degrees and walks are in seconds. Nothing here
imports Django.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from routing.estimate import STREET_ACCESS, AccessRule
from routing.graph import CompactGraph


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

    Each join is a tuple of pieces with -1 for none, such as ``(piece, main
    piece)`` from :meth:`PlaceSnap.pieces` or :class:`SiteSnap`, and the two
    joins share a piece when any piece of one is a piece of the other.
    Arrays broadcast.
    """
    shared = np.zeros(np.broadcast(*first, *second).shape, dtype=bool)
    for one in first:
        for other in second:
            one, other = np.asarray(one), np.asarray(other)
            shared |= (one >= 0) & (one == other)
    return shared
