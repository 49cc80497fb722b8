"""Nearest-facility surfaces: every graph node's travel time to its nearest facility.

A facility is reached from its graph node by a walked egress leg, so each
facility enters the search with its own head start (the leg's time). The
search runs once, from a virtual node joined to every facility node by an
edge weighing that facility's egress time, on the transposed graph so that
the times are times *to* the facilities.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.sparse.csgraph import dijkstra

from .graph import CompactGraph

#: Smallest weight of a virtual edge, in seconds: sparse matrices drop explicit zeros.
_MIN_OFFSET_S = 1e-6


def nearest_facility_times(
    graph: CompactGraph, facility_nodes: np.ndarray, egress_s: np.ndarray, limit_s: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Compute every node's fastest time to its nearest facility.

    Parameters
    ----------
    graph
        Graph of one region and mode.
    facility_nodes
        Node index of each facility (several facilities may share a node).
    egress_s
        Walking time in seconds from each facility's node to the facility.
    limit_s
        Search no further than this travel time, in seconds.

    Returns
    -------
    travel_time_s, nearest
        Per node: the time in seconds (``inf`` beyond ``limit_s``, and for
        every node when there is no facility) and the position in
        ``facility_nodes`` of the nearest facility (-1 where unreached).
    """
    n_nodes = graph.n_nodes
    facility_nodes = np.asarray(facility_nodes, dtype=np.int64)
    egress_s = np.asarray(egress_s, dtype=float)
    if len(facility_nodes) == 0:
        return np.full(n_nodes, np.inf), np.full(n_nodes, -1, dtype=np.int64)

    # Where facilities share a node, only the one with the shortest egress can be nearest.
    order = np.lexsort((egress_s, facility_nodes))
    first = np.ones(len(order), dtype=bool)
    first[1:] = facility_nodes[order][1:] != facility_nodes[order][:-1]
    kept = order[first]  # positions of the facilities that enter the search

    transposed = graph.adjacency.transpose().tocsr()
    virtual_row = csr_matrix(
        (np.maximum(egress_s[kept], _MIN_OFFSET_S), (np.zeros(len(kept), dtype=np.int64), facility_nodes[kept])),
        shape=(1, n_nodes),
    )
    augmented = vstack([hstack([transposed, csr_matrix((n_nodes, 1))]), hstack([virtual_row, csr_matrix((1, 1))])])
    times, predecessors = dijkstra(
        augmented.tocsr(), directed=True, indices=n_nodes, limit=limit_s, return_predecessors=True
    )
    times, predecessors = times[:n_nodes], predecessors[:n_nodes]

    facility_of_node = np.full(n_nodes, -1, dtype=np.int64)
    facility_of_node[facility_nodes[kept]] = kept
    nearest = np.full(n_nodes, -1, dtype=np.int64)
    # Each node inherits the facility of its predecessor; predecessors are nearer to the root.
    for node in np.argsort(times, kind="stable"):
        if not np.isfinite(times[node]):
            break
        parent = predecessors[node]
        nearest[node] = facility_of_node[node] if parent == n_nodes else nearest[parent]
    return times, nearest
