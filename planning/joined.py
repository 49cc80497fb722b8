"""Joins for the coverage trips that leave a city street graph for the MTC lines.

The family search (``routing.services.travel_times``) routes a trip from a
place on a city street graph in this order, and coverage follows it:

* A facility within the street walk of a city node is routed on the city
  graph alone. City graphs are one strongly connected piece
  (``routing.build`` keeps the largest one), so every place of the graph
  reaches it.
* Any other facility within the walk across country of an MTC node is
  routed beyond the city graph, when the place is within that walk of an
  MTC node too. One route starts at the place's city node, after its
  street walk, on the joined graph of :mod:`routing.join` (MTC nodes first,
  then the city nodes from ``city_offset``). The other starts at the
  place's MTC node, or at the nearest node of the MTC main piece, after its
  walk across country, on the MTC lines alone. Both reach the facility from
  its MTC node, or from the node of the main piece, with the walk across
  country. The faster route counts.
* Under the MTC rule the place may also walk straight across country to
  such a facility, up to the MTC walk, when that is faster.

This module builds those joins. :mod:`planning.access` runs the searches.
Nothing here imports Django.

NOTE: a facility on a small piece of the MTC graph that may also walk to
the main piece is reached through whichever of its two joins is faster. The
family search picks one of them by the piece of the origin's MTC node. On
the joined graph the city streets can link MTC pieces, so coverage may find
a shorter trip to such a facility than the family search.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from routing.estimate import STREET_ACCESS, AccessRule
from routing.graph import CompactGraph
from routing.join import JoinedGraph, joined_graph

from .snapping import PlaceSnap, SiteSnap, access_rule_of, join_sites, snap_places


def is_city_graph(graph: CompactGraph) -> bool:
    """Tell whether a graph is reached by the street walk (an OpenStreetMap city graph)."""
    return access_rule_of(graph).max_distance_m <= STREET_ACCESS.max_distance_m


def mtc_graph(graphs: list[CompactGraph]) -> CompactGraph | None:
    """Return the first graph reached by a walk across country (the MTC lines), or None."""
    return next((graph for graph in graphs if not is_city_graph(graph)), None)


@dataclass(frozen=True)
class Starts:
    """Nodes of one graph where each place may start, with the walk to each.

    ``node`` and ``access_s`` have one row per place and one column per kind
    of start. An unused start is -1 with ``inf``.
    """

    node: np.ndarray
    access_s: np.ndarray

    def times_from(self, node_time: np.ndarray, served: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the fastest start of each place ``served``, walk included, and its node.

        ``node_time`` is indexed by graph node in its last axis, as for
        :meth:`planning.snapping.PlaceSnap.times_from`. The node is -1 where
        no start reaches a node of ``node_time`` in finite time.
        """
        node = self.node[served]
        time_s = np.where(node >= 0, node_time[..., np.maximum(node, 0)] + self.access_s[served], np.inf)
        best = np.argmin(time_s, axis=-1)[..., None]
        fastest = np.take_along_axis(time_s, best, axis=-1)[..., 0]
        used = np.take_along_axis(np.broadcast_to(node, time_s.shape), best, axis=-1)[..., 0]
        return fastest, np.where(np.isfinite(fastest), used, -1)

    def pieces(self, graph: CompactGraph, served: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return the piece of each start of the places ``served``, -1 where unused."""
        node = self.node[served]
        return tuple(
            np.where(node[:, column] >= 0, graph.piece(np.maximum(node[:, column], 0)), -1)
            for column in range(node.shape[1])
        )


#: One search beyond the city graph: the graph, the sites' joins to it and the places' starts on it.
Route = tuple[CompactGraph, SiteSnap, Starts]


@dataclass(frozen=True)
class CityTrips:
    """Places of one city graph and sites, joined for the trips that leave the city graph.

    Attributes
    ----------
    city, joined, mtc
        The city graph, its joined graph with the MTC lines
        (``routing.join.JoinedGraph.graph``) and the MTC graph.
    joined_starts
        The city node of each place on the joined graph (one column), for
        places within the walk across country of an MTC node.
    mtc_starts
        The nearest MTC node and the nearest node of the MTC main piece (two
        columns), for the same places.
    city_sites
        The sites' joins to the city graph.
    joined_sites, mtc_sites
        The MTC joins of the sites off the city graph, on the joined graph
        and on the MTC graph: the nodes are the same, the pieces differ.
        Sites on the city graph have none, because they are routed on the
        city graph alone.
    walk_rule
        The MTC access rule, under which a place may walk straight to the
        sites of ``mtc_sites``.
    """

    city: CompactGraph
    joined: CompactGraph
    mtc: CompactGraph
    joined_starts: Starts
    mtc_starts: Starts
    city_sites: SiteSnap
    joined_sites: SiteSnap
    mtc_sites: SiteSnap
    walk_rule: AccessRule

    def routes(self) -> list[Route]:
        """Return the searches beyond the city graph: from the city node on the joined graph, and on the MTC lines."""
        return [(self.joined, self.joined_sites, self.joined_starts), (self.mtc, self.mtc_sites, self.mtc_starts)]

    def links(
        self, snap: PlaceSnap, places: np.ndarray, walk: bool = False
    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """Return the pieces of ``places`` and of the sites through which some route links them.

        ``places`` must be places of the city graph. The pieces of the three
        graphs are numbered apart (city, then joined, then MTC), so that a
        piece of one graph never matches a piece of another. With ``walk``,
        only the sites off the city graph are linked: those a place may walk
        straight to under ``walk_rule``.
        """
        joined_offset = self.city.n_nodes
        mtc_offset = joined_offset + self.joined.n_nodes
        place_pieces = (
            self.city.piece(snap.node[places]),
            *(_shift(piece, joined_offset) for piece in self.joined_starts.pieces(self.joined, places)),
            *(_shift(piece, mtc_offset) for piece in self.mtc_starts.pieces(self.mtc, places)),
        )
        site_pieces = (
            _shift(self.joined_sites.piece, joined_offset),
            _shift(self.joined_sites.main_piece, joined_offset),
            _shift(self.mtc_sites.piece, mtc_offset),
            _shift(self.mtc_sites.main_piece, mtc_offset),
        )
        if not walk:
            site_pieces = (self.city_sites.piece, self.city_sites.main_piece, *site_pieces)
        return place_pieces, site_pieces


def _shift(piece: np.ndarray, offset: int) -> np.ndarray:
    return np.where(piece >= 0, piece + offset, -1)


def city_trips(
    graphs: list[CompactGraph],
    index: int,
    snap: PlaceSnap,
    places: tuple[np.ndarray, np.ndarray],
    sites: tuple[np.ndarray, np.ndarray],
    city_sites: SiteSnap,
) -> CityTrips | None:
    """Join the places of city graph ``graphs[index]``, and the sites, for the trips that leave it.

    ``places`` and ``sites`` are ``(lon, lat)`` arrays in degrees, and
    ``city_sites`` contains the sites' joins to the city graph. Returns None
    when ``graphs[index]`` is not a city graph, when no MTC graph is in
    ``graphs`` or when the city graph serves no place.
    """
    city = graphs[index]
    mtc = mtc_graph(graphs)
    if mtc is None or not is_city_graph(city) or not np.any(snap.graph_index == index):
        return None
    joined = joined_graph(city, mtc)
    joined_starts, mtc_starts = _join_places(joined, mtc, snap, index, places)
    mtc_sites = _off_city(join_sites(mtc, *sites), ~city_sites.on_graph)
    joined_sites = replace(
        mtc_sites,
        piece=np.where(mtc_sites.on_graph, joined.graph.piece(mtc_sites.node), -1),
        main_piece=np.where(mtc_sites.main_node >= 0, joined.graph.piece(np.maximum(mtc_sites.main_node, 0)), -1),
    )
    return CityTrips(
        city, joined.graph, mtc, joined_starts, mtc_starts, city_sites, joined_sites, mtc_sites, access_rule_of(mtc)
    )


def _join_places(
    joined: JoinedGraph, mtc: CompactGraph, snap: PlaceSnap, index: int, places: tuple[np.ndarray, np.ndarray]
) -> tuple[Starts, Starts]:
    """Set the starts of the places of graph ``index`` that are within the walk across country of an MTC node.

    Returns their city node on the joined graph and their two MTC joins.
    """
    lon, lat = places
    served = np.flatnonzero(snap.graph_index == index)
    on_mtc = snap_places([mtc], lon[served], lat[served])
    within = on_mtc.graph_index == 0
    rows = served[within]

    joined_node = np.full((len(lon), 1), -1, dtype=np.int64)
    joined_access_s = np.full((len(lon), 1), np.inf)
    joined_node[rows, 0] = joined.city_offset + snap.node[rows]
    joined_access_s[rows, 0] = snap.access_s[rows]

    mtc_node = np.full((len(lon), 2), -1, dtype=np.int64)
    mtc_access_s = np.full((len(lon), 2), np.inf)
    mtc_node[rows] = np.column_stack([on_mtc.node[within], on_mtc.main_node[within]])
    mtc_access_s[rows] = np.column_stack([on_mtc.access_s[within], on_mtc.main_access_s[within]])
    return Starts(joined_node, joined_access_s), Starts(mtc_node, mtc_access_s)


def _off_city(mtc_sites: SiteSnap, off_city: np.ndarray) -> SiteSnap:
    """Keep the MTC joins of the sites off the city graph."""
    on_graph = mtc_sites.on_graph & off_city
    main_node = np.where(off_city, mtc_sites.main_node, -1)
    return replace(
        mtc_sites,
        on_graph=on_graph,
        main_node=main_node,
        main_egress_s=np.where(main_node >= 0, mtc_sites.main_egress_s, np.inf),
        piece=np.where(on_graph, mtc_sites.piece, -1),
        main_piece=np.where(main_node >= 0, mtc_sites.main_piece, -1),
    )
