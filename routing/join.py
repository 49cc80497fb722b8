"""Join a city street graph to the MTC road graph, for trips that leave the city extract.

The joined graph contains both graphs side by side (the MTC nodes first, then the
city nodes) plus connector edges, both ways, between each MTC node and its
nearest city node when they are at most ``parameters.JOIN_TOLERANCE_M`` apart.
A connector takes the gap at ``parameters.JOIN_SPEED_KPH`` for the mode. A
trip from a city street to a village beyond the extract then runs on the
streets, crosses at a connector and goes on along the MTC lines, and the
reverse trip runs the other way round.

Limits: the MTC lines and the OpenStreetMap ways are separate surveys, so a
connector may join a road to a street that passes under or over it; the short
tolerance keeps such joins few. Inside the extract the MTC lines stay usable,
so a trip may leave the streets for an MTC road that crosses the city.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from . import parameters
from .graph import CompactGraph, one_to_many


@dataclass(frozen=True)
class JoinedGraph:
    """An MTC graph and a city graph joined by connectors.

    Node ``i`` of the MTC graph is node ``i`` of ``graph``; node ``j`` of the
    city graph is node ``city_offset + j``.
    """

    graph: CompactGraph
    city_offset: int
    connectors: int


def connector_pairs(city: CompactGraph, mtc: CompactGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair MTC nodes with their nearest city node within the join tolerance.

    Returns the MTC node, the city node and the gap in metres of each pair.
    Only MTC nodes inside the city graph's bounding box (widened by the
    tolerance) are tried.
    """
    min_lon, min_lat, max_lon, max_lat = city.bounds()
    margin_deg = parameters.JOIN_TOLERANCE_M / 100_000.0
    inside = np.flatnonzero(
        (mtc.node_lon >= min_lon - margin_deg) & (mtc.node_lon <= max_lon + margin_deg)
        & (mtc.node_lat >= min_lat - margin_deg) & (mtc.node_lat <= max_lat + margin_deg)
    )
    if not inside.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    city_node, gap_m = city.nearest_nodes(mtc.node_lon[inside], mtc.node_lat[inside])
    close = gap_m <= parameters.JOIN_TOLERANCE_M
    return inside[close], city_node[close], gap_m[close]


def join_graphs(city: CompactGraph, mtc: CompactGraph) -> JoinedGraph:
    """Build the joined graph of one city graph and the MTC graph of the same mode.

    Parallel edges cannot arise: the connectors join nodes of different
    graphs, and each MTC node gets at most one connector.
    """
    mode = city.mode
    mtc_node, city_node, gap_m = connector_pairs(city, mtc)
    offset = mtc.n_nodes
    connector_s = np.maximum(gap_m / parameters.kph_to_mps(parameters.JOIN_SPEED_KPH[mode]), 1e-6)

    mtc_rows = np.repeat(np.arange(mtc.n_nodes), np.diff(mtc.adjacency.indptr))
    city_rows = np.repeat(np.arange(city.n_nodes), np.diff(city.adjacency.indptr))
    tail = np.concatenate([mtc_rows, city_rows + offset, mtc_node, city_node + offset])
    head = np.concatenate([mtc.adjacency.indices, city.adjacency.indices + offset, city_node + offset, mtc_node])
    time_s = np.concatenate([mtc.adjacency.data, city.adjacency.data, connector_s, connector_s])
    length_m = np.concatenate([mtc.length_m, city.length_m, gap_m, gap_m])

    n_nodes = offset + city.n_nodes
    # Sort by row, then column, so that CSR rows are ordered as graph.edge_lengths expects.
    order = np.lexsort((head, tail))
    tail, head, time_s, length_m = tail[order], head[order], time_s[order], length_m[order]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    adjacency = csr_matrix((time_s, head.astype(np.int32), indptr), shape=(n_nodes, n_nodes))
    meta = {
        "mode": mode,
        "joined": [city.meta.get("source_file"), mtc.meta.get("source_file")],
        "crs_epsg": mtc.meta["crs_epsg"],
        # A trip across the city, one connector and the MTC piece fits in the sum of the limits.
        "network_limit_s": city.network_limit_s + float(connector_s.max(initial=0.0)) + mtc.network_limit_s,
    }
    graph = CompactGraph(
        adjacency=adjacency,
        length_m=length_m,
        node_osmid=np.concatenate([mtc.node_osmid, city.node_osmid]),
        node_lon=np.concatenate([mtc.node_lon, city.node_lon]),
        node_lat=np.concatenate([mtc.node_lat, city.node_lat]),
        meta=meta,
    )
    return JoinedGraph(graph=graph, city_offset=offset, connectors=len(mtc_node))


_joined_cache: dict[tuple[int, int], tuple[weakref.ref, weakref.ref, JoinedGraph]] = {}
_joined_cache_lock = threading.Lock()


def joined_graph(city: CompactGraph, mtc: CompactGraph) -> JoinedGraph:
    """Return the joined graph of two loaded graphs, built once per pair of graph objects.

    Graph objects are replaced when their files change (see
    ``routing.services.load_graph``), so keying on them rebuilds the join then.
    """
    key = (id(city), id(mtc))
    with _joined_cache_lock:
        cached = _joined_cache.get(key)
        if cached is not None and cached[0]() is city and cached[1]() is mtc:
            return cached[2]
    joined = join_graphs(city, mtc)
    with _joined_cache_lock:
        # Drop the joins of graphs that were replaced, so a long-running process keeps one per pair.
        for stale in [k for k, (c, m, _) in _joined_cache.items() if c() is None or m() is None]:
            del _joined_cache[stale]
        _joined_cache[key] = (weakref.ref(city), weakref.ref(mtc), joined)
    return joined


def joined_legs(
    joined: JoinedGraph, source: int, targets: np.ndarray, probe_limit_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Compute graph times (s) and lengths (m) on the joined graph from one node to many.

    Node indices are those of the joined graph. Targets in another piece than
    the source get ``inf`` without a search.
    """
    graph = joined.graph
    times = np.full(len(targets), np.inf)
    lengths = np.full(len(targets), np.inf)
    same = graph.piece(targets) == graph.piece([source])
    if same.any():
        times[same], lengths[same] = one_to_many(
            graph, source, targets[same], graph.network_limit_s, probe_limit_s=probe_limit_s
        )
    return times, lengths
