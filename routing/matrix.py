"""Facility-by-node travel-time matrices, precomputed per graph and reused by searches.

Row ``i`` contains every node's fastest time to facility node ``target_nodes[i]``
and the length of that path. A search from a household at node ``h`` then
reads column ``h`` instead of running Dijkstra. Rows are keyed by graph node,
so a facility that moved, or was added after the matrix was built, has no row
and is routed by Dijkstra. A matrix built for an older graph is rejected by
:meth:`FacilityMatrix.fits`.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .exceptions import GraphFileError
from .graph import CompactGraph, reverse_graph, save_npz, times_and_lengths_to

#: Graph metadata that must match between a matrix and the graph it serves.
_GRAPH_KEYS = ("source_sha256", "rules_digest", "built_at", "mode")


@dataclass
class FacilityMatrix:
    """Times (s) and path lengths (m) from every node to each facility node."""

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

    def save(self, path: Path) -> None:
        """Write the matrix to ``path`` (``.npz``), replacing any file atomically."""
        save_npz(
            path,
            self.meta,
            target_nodes=self.target_nodes,
            travel_time_s=self.travel_time_s,
            distance_m=self.distance_m,
        )

    @classmethod
    def load(cls, path: Path) -> FacilityMatrix:
        """Read a matrix written by :meth:`save`; raise GraphFileError if unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(
                    target_nodes=data["target_nodes"],
                    travel_time_s=data["travel_time_s"],
                    distance_m=data["distance_m"],
                    meta=json.loads(str(data["meta"])),
                )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            msg = f"Cannot read the matrix file {path}: {exc}. Run `manage.py build_graphs` to rebuild it."
            raise GraphFileError(msg) from exc


def build_matrix(graph: CompactGraph, target_nodes: np.ndarray, limit_s: float) -> FacilityMatrix:
    """Compute the matrix rows of the given facility nodes on one graph.

    Parameters
    ----------
    graph
        Graph of one region and mode.
    target_nodes
        Node indices of the facilities (duplicates are merged).
    limit_s
        Cutoff in seconds: entries beyond it are ``inf``.
    """
    target_nodes = np.unique(np.asarray(target_nodes, dtype=np.int64))
    reverse = reverse_graph(graph)
    times = np.full((len(target_nodes), graph.n_nodes), np.inf)
    lengths = np.full((len(target_nodes), graph.n_nodes), np.inf)
    for row, node in enumerate(target_nodes):
        times[row], lengths[row] = times_and_lengths_to(reverse, int(node), limit_s)
    meta = {key: graph.meta.get(key) for key in _GRAPH_KEYS}
    meta["limit_s"] = limit_s
    return FacilityMatrix(target_nodes=target_nodes, travel_time_s=times, distance_m=lengths, meta=meta)
