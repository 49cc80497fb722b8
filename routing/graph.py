"""Compact road graphs: CSR arrays, node coordinates and shortest-path queries.

A :class:`CompactGraph` is one travel mode of one region. Edges are stored as
a ``scipy.sparse`` CSR matrix of travel times in seconds, with edge lengths in
metres in an array aligned with the matrix data. Nodes have their OSM id,
EPSG:4326 coordinates and projected UTM coordinates for nearest-node lookups.
The whole graph saves to and loads from one ``.npz`` file without pickling.
"""
from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyproj
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from . import parameters
from .chains import PROBE_GROWTH, Chains, build_chains, chain_one_to_many
from .estimate import haversine_m
from .exceptions import GraphFileError

logger = logging.getLogger(__name__)

#: Arrays stored in a graph file, besides the JSON metadata.
_ARRAYS = ("indptr", "indices", "travel_time_s", "length_m", "node_osmid", "node_lon", "node_lat")


def save_npz(path: Path, meta: dict, **arrays: np.ndarray) -> None:
    """Write arrays and JSON metadata to an ``.npz`` file, replacing any file atomically.

    The file is written under a temporary name and then renamed, so that a
    process reading the old file never reads a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as tmp:
            np.savez(tmp, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
        # mkstemp creates the file private (0600); these files are not secret.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def utm_epsg(lon: float, lat: float) -> int:
    """Return the EPSG code of the WGS 84 UTM zone that contains a point."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32700 if lat < 0 else 32600) + zone


@dataclass
class CompactGraph:
    """One travel mode of one region as CSR arrays.

    Attributes
    ----------
    adjacency
        ``n x n`` CSR matrix; entry ``(u, v)`` is the travel time in seconds of
        the fastest edge from node ``u`` to node ``v``.
    length_m
        Length in metres of each edge, aligned with ``adjacency.data``.
    node_osmid, node_lon, node_lat
        OSM node id and EPSG:4326 coordinates of each node.
    meta
        JSON-serialisable facts about the build: ``mode``, ``source_sha256``,
        ``rules_digest``, ``crs_epsg`` and so on.
    """

    adjacency: csr_matrix
    length_m: np.ndarray
    node_osmid: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    meta: dict
    _tree: cKDTree | None = field(default=None, repr=False)
    _transformer: pyproj.Transformer | None = field(default=None, repr=False)
    _edge_keys: np.ndarray | None = field(default=None, repr=False)
    _reverse: csr_matrix | None = field(default=None, repr=False)
    _piece: np.ndarray | None = field(default=None, repr=False)
    _main_piece: int | None = field(default=None, repr=False)
    _main_nodes: np.ndarray | None = field(default=None, repr=False)
    _main_tree: cKDTree | None = field(default=None, repr=False)
    #: Cached :meth:`chains`; False once built and found not worth using.
    _chains: Chains | bool | None = field(default=None, repr=False)
    #: Cached :attr:`uniform_speed_mps`; NaN once checked and found not uniform.
    _uniform_speed: float | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return self.adjacency.shape[0]

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return self.adjacency.nnz

    @property
    def mode(self) -> str:
        """Travel mode the edge weights are for."""
        return self.meta["mode"]

    @property
    def network_limit_s(self) -> float:
        """Longest network time searched on this graph, in seconds.

        The MTC graphs record a bound on their longest trip at build time
        (see :func:`routing.mtc.longest_trip_bound_s`); the city graphs use
        ``parameters.NETWORK_LIMIT_S``.
        """
        return float(self.meta.get("network_limit_s") or parameters.NETWORK_LIMIT_S)

    def piece(self, nodes: np.ndarray) -> np.ndarray:
        """Return the connected piece of each node, edge directions ignored.

        City graphs are one piece. The MTC graph keeps many: two nodes in
        different pieces have no path between them in either direction, so a
        trip between them is not served by this graph. The labels are
        computed once per graph.
        """
        if self._piece is None:
            _, self._piece = connected_components(self.adjacency, directed=True, connection="weak")
        return self._piece[np.asarray(nodes, dtype=np.int64)]

    @property
    def uniform_speed_mps(self) -> float | None:
        """Speed in m/s shared by every edge of positive length, or None when speeds differ.

        On such a graph (the MTC walking graph, a city walking graph without
        slopes) a path's length is its time times the speed, so no path needs
        to be traced. Zero-length edges keep a one-microsecond time
        (``build.compact``) and are left out of the check.
        """
        if self._uniform_speed is None:
            positive = self.length_m > 0
            speeds = self.length_m[positive] / self.adjacency.data[positive]
            uniform = speeds.size and np.allclose(speeds, speeds[0], rtol=1e-9, atol=0.0)
            self._uniform_speed = float(speeds[0]) if uniform else float("nan")
        return None if math.isnan(self._uniform_speed) else self._uniform_speed

    @property
    def main_piece(self) -> int:
        """Label of the piece with the most nodes."""
        if self._main_piece is None:
            self.piece(np.zeros(0, dtype=np.int64))
            self._main_piece = int(np.bincount(self._piece).argmax())
        return self._main_piece

    def chains(self) -> Chains | None:
        """Return the graph's chain contraction (:mod:`routing.chains`), or None where it saves little.

        Built on first use: 0.1 s for the MTC graph, whose core keeps 4 % of
        its nodes. A graph whose core keeps most nodes is searched whole.
        """
        if self._chains is None:
            chains = build_chains(self.adjacency, self.length_m)
            useful = chains.n_core <= CHAIN_CORE_SHARE * self.n_nodes
            self._chains = chains if useful else False
        return self._chains or None

    def nearest_main_nodes(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Find the nearest node of the main piece to each point, as :meth:`nearest_nodes` does for all nodes."""
        if self._main_tree is None:
            self._main_nodes = np.flatnonzero(self.piece(np.arange(self.n_nodes)) == self.main_piece)
            self._main_tree = cKDTree(self._projected(self.node_lon[self._main_nodes], self.node_lat[self._main_nodes]))
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        _, position = self._main_tree.query(self._projected(lon, lat))
        node = self._main_nodes[np.asarray(position, dtype=np.int64)]
        return node, haversine_m(lon, lat, self.node_lon[node], self.node_lat[node])

    def bounds(self) -> tuple[float, float, float, float]:
        """Return ``(min_lon, min_lat, max_lon, max_lat)`` of the nodes."""
        return (
            float(self.node_lon.min()),
            float(self.node_lat.min()),
            float(self.node_lon.max()),
            float(self.node_lat.max()),
        )

    def _projected(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        if self._transformer is None:
            epsg = int(self.meta["crs_epsg"])
            self._transformer = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
        x, y = self._transformer.transform(lon, lat)
        return np.column_stack([x, y])

    def nearest_nodes(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Find the nearest node of each point.

        Parameters
        ----------
        lon, lat
            Point coordinates in EPSG:4326 degrees (scalars or 1-d arrays).

        Returns
        -------
        node, distance_m
            Node index of each point and its great-circle distance in metres.
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        if self._tree is None:
            self._tree = cKDTree(self._projected(self.node_lon, self.node_lat))
        _, node = self._tree.query(self._projected(lon, lat))
        node = np.asarray(node, dtype=np.int64)
        distance_m = haversine_m(lon, lat, self.node_lon[node], self.node_lat[node])
        return node, distance_m

    def save(self, path: Path) -> None:
        """Write the graph to ``path`` (``.npz``), replacing any file atomically."""
        save_npz(
            path,
            self.meta,
            indptr=self.adjacency.indptr,
            indices=self.adjacency.indices,
            travel_time_s=self.adjacency.data,
            length_m=self.length_m,
            node_osmid=self.node_osmid,
            node_lon=self.node_lon,
            node_lat=self.node_lat,
        )

    @classmethod
    def load(cls, path: Path) -> CompactGraph:
        """Read a graph written by :meth:`save`.

        Raises
        ------
        GraphFileError
            If the file is missing, is not a graph file or lacks an array.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in _ARRAYS}
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            msg = f"Cannot read the graph file {path}: {exc}. Run `manage.py build_graphs` to rebuild it."
            raise GraphFileError(msg) from exc

        n_nodes = len(arrays["node_osmid"])
        adjacency = csr_matrix(
            (arrays["travel_time_s"], arrays["indices"], arrays["indptr"]), shape=(n_nodes, n_nodes)
        )
        return cls(
            adjacency=adjacency,
            length_m=arrays["length_m"],
            node_osmid=arrays["node_osmid"],
            node_lon=arrays["node_lon"],
            node_lat=arrays["node_lat"],
            meta=meta,
        )


def read_meta(path: Path) -> dict | None:
    """Return the metadata of a stored graph, or None if it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def edge_lengths(graph: CompactGraph, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Look up the length in metres of the stored edges ``tail[i] -> head[i]``.

    Every pair must be an edge of the graph. The lookup relies on the builder
    storing each CSR row sorted by column, so that ``row * n + column`` grows
    along the matrix data.
    """
    n_nodes = graph.n_nodes
    if graph._edge_keys is None:
        rows = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(graph.adjacency.indptr))
        graph._edge_keys = rows * n_nodes + graph.adjacency.indices
    position = np.searchsorted(graph._edge_keys, np.asarray(tail, dtype=np.int64) * n_nodes + head)
    return graph.length_m[position]


#: Up to this many targets, :func:`path_lengths` walks back from each target
#: instead of folding the whole tree: a household's few dozen facilities touch
#: a few thousand tree nodes, while the tree of a long search contains about 10^5.
FEW_TARGETS = 256


def path_lengths(
    graph: CompactGraph, predecessors: np.ndarray, targets: np.ndarray, times: np.ndarray | None = None
) -> np.ndarray:
    """Sum edge lengths along a shortest-path tree, from the root to each target.

    Parameters
    ----------
    graph
        The graph the tree was computed on.
    predecessors
        Predecessor array from ``scipy.sparse.csgraph.dijkstra`` (negative
        for the root and for unreached nodes).
    targets
        Reached node indices whose path length is wanted.
    times
        Optional travel times of the same search. Nodes slower than the
        slowest target cannot be on a path to a target, so the tree fold
        skips them.

    Returns
    -------
    numpy.ndarray
        Path length in metres per target (0 for the root).
    """
    targets = np.asarray(targets, dtype=np.int64)
    if len(targets) <= FEW_TARGETS:
        return _walked_lengths(graph, predecessors, targets)
    return _folded_lengths(graph, predecessors, targets, times)


def _walked_lengths(graph: CompactGraph, predecessors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Path lengths found by walking from each target towards the root.

    A walk stops at the first node whose length is already known, so every
    tree node on some target's path is visited once.
    """
    known: dict[int, float] = {}
    parent_of = memoryview(np.ascontiguousarray(predecessors))  # item reads give Python ints, fast
    for target in targets.tolist():
        chain = []
        node = target
        while node >= 0 and node not in known:
            chain.append(node)
            node = parent_of[node]
        if not chain:
            continue
        base = known.get(node, 0.0)
        chain.reverse()  # now from the node nearest the root to the target
        nodes = np.array(chain, dtype=np.int64)
        parents = predecessors[nodes].astype(np.int64)
        steps = np.zeros(len(nodes))
        has_parent = parents >= 0
        steps[has_parent] = edge_lengths(graph, parents[has_parent], nodes[has_parent])
        for chain_node, length in zip(chain, (base + np.cumsum(steps)).tolist()):
            known[chain_node] = length
    return np.array([known[target] for target in targets.tolist()], dtype=float)


def _folded_lengths(
    graph: CompactGraph, predecessors: np.ndarray, targets: np.ndarray, times: np.ndarray | None
) -> np.ndarray:
    """Path lengths found by pointer doubling over the whole tree.

    Each round adds the length up to a node's current ancestor and jumps to
    that ancestor's ancestor, so the number of rounds is the base-2 logarithm
    of the deepest path. Suits many targets (a whole surface).
    """
    ancestor = predecessors.astype(np.int64)
    ancestor[ancestor < 0] = -1
    if times is not None and targets.size:
        ancestor[times > times[targets].max()] = -1
    active = np.flatnonzero(ancestor >= 0)
    length_m = np.zeros(len(ancestor))
    length_m[active] = edge_lengths(graph, ancestor[active], active)

    # Invariant: length_m[v] is the path length from ancestor[v] to v.
    active = active[ancestor[ancestor[active]] >= 0]
    while active.size:
        jump = ancestor[active]
        length_m[active] += length_m[jump]
        ancestor[active] = ancestor[jump]
        active = active[ancestor[ancestor[active]] >= 0]
    return length_m[targets]


#: Largest share of a graph's nodes that may stay in its chain contraction's core
#: for :func:`one_to_many` to search the core (Ventanilla's small street graph keeps 98 %).
CHAIN_CORE_SHARE = 0.8


def one_to_many(
    graph: CompactGraph,
    source: int,
    targets: np.ndarray,
    limit_s: float = np.inf,
    probe_limit_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Compute fastest network times and their lengths from one node to many.

    Parameters
    ----------
    graph
        Graph to search.
    source
        Node index of the origin.
    targets
        Node indices of the destinations.
    limit_s
        Search no further than this travel time, in seconds.
    probe_limit_s
        Optional shorter limit tried first, in seconds. While it leaves a
        target unreached, the search is run again with the limit doubled, up
        to ``limit_s`` (by ``PROBE_GROWTH``). A good probe saves most of the
        work when the targets are near the source.

    Returns
    -------
    travel_time_s, distance_m
        Per target: time of the fastest path in seconds and its length in
        metres. Both are ``inf`` for a target not reached within ``limit_s``.

    Notes
    -----
    A graph whose chain contraction pays (:meth:`CompactGraph.chains`) is
    searched on its core graph, with the same results.
    """
    targets = np.asarray(targets, dtype=np.int64)
    speed_mps = graph.uniform_speed_mps
    chains = graph.chains()
    if chains is not None:
        return chain_one_to_many(chains, int(source), targets, limit_s, probe_limit_s, speed_mps)
    return whole_graph_one_to_many(graph, source, targets, limit_s, probe_limit_s)


def whole_graph_one_to_many(
    graph: CompactGraph,
    source: int,
    targets: np.ndarray,
    limit_s: float = np.inf,
    probe_limit_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`one_to_many` on every node of the graph, without its chain contraction."""
    targets = np.asarray(targets, dtype=np.int64)
    speed_mps = graph.uniform_speed_mps
    trace = speed_mps is None
    limit = limit_s if probe_limit_s is None else min(probe_limit_s, limit_s)
    while True:
        result = dijkstra(graph.adjacency, directed=True, indices=int(source), limit=limit, return_predecessors=trace)
        times = result[0] if trace else result
        if limit >= limit_s or np.isfinite(times[targets]).all():
            break
        # Widen step by step: a search costs about its area, so doubling the
        # limit costs at most a third more than the last search, while a
        # jump to ``limit_s`` would cover the whole graph.
        limit = min(PROBE_GROWTH * limit, limit_s)

    target_times = times[targets]
    reached = np.isfinite(target_times)
    distance_m = np.full(len(targets), np.inf)
    if trace:
        distance_m[reached] = path_lengths(graph, result[1], targets[reached], times)
    else:
        distance_m[reached] = target_times[reached] * speed_mps
    return target_times, distance_m


def nearest_source_surface(
    graph: CompactGraph, sources: np.ndarray, limit_s: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Compute, for every node, the travel time to its nearest source node.

    One multi-source Dijkstra run: with facilities as sources on a symmetric
    (walking) graph this is each node's time to the nearest facility. On a
    directed graph it is the time *from* the nearest source; pass the
    transposed graph for times *to* it.

    Parameters
    ----------
    graph
        Graph to search.
    sources
        Node indices of the sources (for example facility nodes).
    limit_s
        Search no further than this travel time, in seconds.

    Returns
    -------
    travel_time_s, nearest
        Per node: time in seconds (``inf`` beyond ``limit_s``) and the position
        in ``sources`` of the nearest source (-1 where unreached).
    """
    sources = np.asarray(sources, dtype=np.int64)
    times, _, nearest_node = dijkstra(
        graph.adjacency, directed=True, indices=sources, limit=limit_s, min_only=True, return_predecessors=True
    )
    # Several sources may share a node; the last one written is reported.
    position_of_node = np.full(graph.n_nodes + 1, -1, dtype=np.int64)
    position_of_node[sources] = np.arange(len(sources))
    # Unreached nodes have nearest_node == -9999; index n maps them to -1.
    return times, position_of_node[np.where(nearest_node >= 0, nearest_node, graph.n_nodes)]


def times_to(graph: CompactGraph, target: int, limit_s: float = np.inf) -> np.ndarray:
    """Compute every node's travel time *to* one node, in seconds (``inf`` beyond ``limit_s``).

    Runs Dijkstra on the transposed graph, which is built once per graph and
    kept, because one-way streets and slopes make times to a place differ
    from times from it.
    """
    if graph._reverse is None:
        graph._reverse = graph.adjacency.transpose().tocsr()
        graph._reverse.sort_indices()
    return dijkstra(graph._reverse, directed=True, indices=int(target), limit=limit_s)


def reverse_graph(graph: CompactGraph) -> CompactGraph:
    """Return the transposed graph, with edge lengths carried along.

    Shortest paths on it run against the edge directions: a search from a
    place gives every node's time *to* that place.
    """
    n_edges = graph.n_edges
    # Transpose edge positions instead of weights, then look the weights up.
    positions = csr_matrix(
        (np.arange(1, n_edges + 1, dtype=np.float64), graph.adjacency.indices, graph.adjacency.indptr),
        shape=graph.adjacency.shape,
    )
    transposed = positions.transpose().tocsr()
    transposed.sort_indices()
    order = transposed.data.astype(np.int64) - 1
    adjacency = csr_matrix(
        (graph.adjacency.data[order], transposed.indices, transposed.indptr), shape=graph.adjacency.shape
    )
    return CompactGraph(
        adjacency=adjacency,
        length_m=graph.length_m[order],
        node_osmid=graph.node_osmid,
        node_lon=graph.node_lon,
        node_lat=graph.node_lat,
        meta=dict(graph.meta, reversed=True),
    )


def times_and_lengths_to(
    reverse: CompactGraph, target: int, limit_s: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Compute every node's fastest time to ``target`` and that path's length.

    Parameters
    ----------
    reverse
        The transposed graph, from :func:`reverse_graph`.
    target
        Node index of the destination.
    limit_s
        Search no further than this travel time, in seconds.

    Returns
    -------
    travel_time_s, distance_m
        Per node, in seconds and metres; ``inf`` beyond ``limit_s``.
    """
    times, predecessors = dijkstra(
        reverse.adjacency, directed=True, indices=int(target), limit=limit_s, return_predecessors=True
    )
    reached = np.flatnonzero(np.isfinite(times))
    distance_m = np.full(reverse.n_nodes, np.inf)
    distance_m[reached] = path_lengths(reverse, predecessors, reached)
    return times, distance_m


def shortest_path(graph: CompactGraph, source: int, target: int, limit_s: float = np.inf) -> np.ndarray:
    """Return the node indices of the fastest path from ``source`` to ``target``.

    The path starts with ``source`` and ends with ``target``. It is empty
    when ``target`` is not reached within ``limit_s`` seconds.
    """
    times, predecessors = dijkstra(
        graph.adjacency, directed=True, indices=int(source), limit=limit_s, return_predecessors=True
    )
    if not np.isfinite(times[target]):
        return np.empty(0, dtype=np.int64)

    nodes = [int(target)]
    while nodes[-1] != source:
        nodes.append(int(predecessors[nodes[-1]]))
    return np.array(nodes[::-1], dtype=np.int64)
