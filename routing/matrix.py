"""Facility-by-node travel-time matrices, precomputed per graph and reused by searches.

Row ``i`` contains every node's fastest time to facility node ``target_nodes[i]``
and the length of that path. A search from a household at node ``h`` then
reads column ``h`` instead of running Dijkstra. Rows are keyed by graph node,
so a facility that moved, or was added after the matrix was built, has no row
and is routed by Dijkstra. A matrix built for an older graph is rejected by
:meth:`FacilityMatrix.fits`.

Rows are dense (every node) unless the matrix has a cutoff. Then each row is
sparse and contains only the nodes within ``cutoff_s`` of its facility, so the
matrix of a large graph stays small. A search reads a missing entry as
unknown and runs Dijkstra for it.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, issparse

from .exceptions import GraphFileError
from .graph import CompactGraph, reverse_graph, save_npz, times_and_lengths_to

#: Graph metadata that must match between a matrix and the graph it serves.
_GRAPH_KEYS = ("source_sha256", "rules_digest", "built_at", "mode")

#: Added to every stored time of a sparse row, in seconds, so that a zero time
#: (the facility's own node) stays distinct from a missing entry.
_STORED_OFFSET_S = 1.0


@dataclass
class FacilityMatrix:
    """Times (s) and path lengths (m) from every node to each facility node.

    ``travel_time_s`` and ``distance_m`` are dense ``facilities x nodes``
    arrays, or CSR matrices of the same shape when ``meta["cutoff_s"]`` is
    set. Sparse entries are stored with the offset ``_STORED_OFFSET_S``, so
    read them with :meth:`lookup`.
    """

    target_nodes: np.ndarray
    travel_time_s: np.ndarray
    distance_m: np.ndarray
    meta: dict

    def fits(self, graph: CompactGraph) -> bool:
        """Tell whether the matrix was built on this version of the graph."""
        return all(self.meta.get(key) == graph.meta.get(key) for key in _GRAPH_KEYS) and (
            self.travel_time_s.shape[1] == graph.n_nodes
        )

    def rows_for(self, nodes: np.ndarray) -> np.ndarray:
        """Return the row of each node, or -1 where the node has no row."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if len(self.target_nodes) == 0:
            return np.full(len(nodes), -1, dtype=np.int64)
        # build_matrix stores target_nodes sorted and unique.
        position = np.minimum(np.searchsorted(self.target_nodes, nodes), len(self.target_nodes) - 1)
        return np.where(self.target_nodes[position] == nodes, position, -1)

    def lookup(self, rows: np.ndarray, origin: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the times (s) and path lengths (m) from node ``origin`` to the facilities of ``rows``.

        Entries are ``inf`` beyond the matrix's search limit, and NaN where a
        cut-off matrix stores nothing (the facility is farther than the cutoff).
        """
        rows = np.asarray(rows, dtype=np.int64)
        if not issparse(self.travel_time_s):
            return self.travel_time_s[rows, origin], self.distance_m[rows, origin]

        stored_s = np.asarray(self.travel_time_s[rows, origin].todense()).ravel()
        stored_m = np.asarray(self.distance_m[rows, origin].todense()).ravel()
        known = stored_s > 0
        return (
            np.where(known, stored_s - _STORED_OFFSET_S, np.nan),
            np.where(known, stored_m - _STORED_OFFSET_S, np.nan),
        )

    def save(self, path: Path) -> None:
        """Write the matrix to ``path`` (``.npz``), replacing any file atomically."""
        if not issparse(self.travel_time_s):
            save_npz(
                path,
                self.meta,
                target_nodes=self.target_nodes,
                travel_time_s=self.travel_time_s,
                distance_m=self.distance_m,
            )
            return
        # Both sparse matrices share one structure, built together in build_matrix.
        save_npz(
            path,
            self.meta,
            target_nodes=self.target_nodes,
            indptr=self.travel_time_s.indptr,
            indices=self.travel_time_s.indices,
            travel_time_s=self.travel_time_s.data,
            distance_m=self.distance_m.data,
        )

    @classmethod
    def load(cls, path: Path) -> FacilityMatrix:
        """Read a matrix written by :meth:`save`; raise GraphFileError if unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                times, lengths = data["travel_time_s"], data["distance_m"]
                if meta.get("cutoff_s") is not None:
                    shape = (len(data["target_nodes"]), int(meta["n_nodes"]))
                    structure = (data["indices"], data["indptr"])
                    times = csr_matrix((times, *structure), shape=shape)
                    lengths = csr_matrix((lengths, *structure), shape=shape)
                return cls(target_nodes=data["target_nodes"], travel_time_s=times, distance_m=lengths, meta=meta)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            msg = f"Cannot read the matrix file {path}: {exc}. Run `manage.py build_graphs` to rebuild it."
            raise GraphFileError(msg) from exc


def build_matrix(
    graph: CompactGraph, target_nodes: np.ndarray, limit_s: float, cutoff_s: float | None = None
) -> FacilityMatrix:
    """Compute the matrix rows of the given facility nodes on one graph.

    Parameters
    ----------
    graph
        Graph of one region and mode.
    target_nodes
        Node indices of the facilities (duplicates are merged).
    limit_s
        Search limit in seconds: dense entries beyond it are ``inf``.
    cutoff_s
        If given, keep only the nodes within this many seconds of each
        facility, in sparse rows; it must not exceed ``limit_s``.
    """
    target_nodes = np.unique(np.asarray(target_nodes, dtype=np.int64))
    reverse = reverse_graph(graph)
    meta = {key: graph.meta.get(key) for key in _GRAPH_KEYS}
    meta.update(limit_s=limit_s, cutoff_s=cutoff_s, n_nodes=graph.n_nodes)
    if cutoff_s is None:
        times = np.full((len(target_nodes), graph.n_nodes), np.inf)
        lengths = np.full((len(target_nodes), graph.n_nodes), np.inf)
        for row, node in enumerate(target_nodes):
            times[row], lengths[row] = times_and_lengths_to(reverse, int(node), limit_s)
        return FacilityMatrix(target_nodes=target_nodes, travel_time_s=times, distance_m=lengths, meta=meta)

    indices, time_data, length_data = [], [], []
    indptr = np.zeros(len(target_nodes) + 1, dtype=np.int64)
    for row, node in enumerate(target_nodes):
        row_s, row_m = times_and_lengths_to(reverse, int(node), min(cutoff_s, limit_s))
        within_cutoff = np.flatnonzero(np.isfinite(row_s))
        indices.append(within_cutoff)
        time_data.append(row_s[within_cutoff] + _STORED_OFFSET_S)
        length_data.append(row_m[within_cutoff] + _STORED_OFFSET_S)
        indptr[row + 1] = indptr[row] + len(within_cutoff)
    shape = (len(target_nodes), graph.n_nodes)
    structure = (np.concatenate(indices) if indices else np.empty(0, dtype=np.int64), indptr)
    times = csr_matrix((np.concatenate(time_data) if time_data else np.empty(0), *structure), shape=shape)
    lengths = csr_matrix((np.concatenate(length_data) if length_data else np.empty(0), *structure), shape=shape)
    return FacilityMatrix(target_nodes=target_nodes, travel_time_s=times, distance_m=lengths, meta=meta)
