"""Chain contraction of a road graph, for fast searches from one node to a few.

Most nodes of a road graph lie inside a road, away from any junction. The MTC
graph keeps a node at least every 300 m, so 96 % of its nodes only carry a road
through. An OpenStreetMap city graph keeps the shape points of its streets
(70-77 % of the Cusco nodes, 51-65 % of San Juan de Lurigancho's). A search from a household only has to settle the
junctions. :func:`build_chains` keeps the *core* nodes, which are all nodes
except those that a road passes through in both directions, and replaces each
run of pass-through nodes between two core nodes (a *chain*) by one edge each
way. :func:`chain_one_to_many` enters the core graph from the two ends of the
source's chain, searches it, and leaves it along each target's chain. Its
times are those of a search on the whole graph; on the MTC graph it settles
about 25 times fewer nodes.

Each chain runs from its *head* to its *tail* (both core nodes, possibly the
same one for a loop). A node on a chain knows its chain, its place along it
and the time and length from the head to it and from it back to the head.

Nothing here imports Django or :mod:`routing.graph`; arrays are CSR parts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: Weight of an edge from the virtual source that would otherwise be zero:
#: SciPy may read an explicit zero in a sparse matrix as no edge at all.
_MIN_ENTRY_S = 1e-9

#: Factor by which a search widens a probe that left targets unfinished.
PROBE_GROWTH = 2.0


@dataclass(frozen=True)
class Chains:
    """A road graph's core graph and the chains of pass-through nodes between core nodes."""

    #: Travel times between core nodes, indexed by core position.
    core: csr_matrix
    #: Length in metres of each core edge, aligned with ``core.data``.
    core_length_m: np.ndarray
    #: ``tail * n_core + head`` of each core edge, ascending (CSR order), to look edges up.
    core_keys: np.ndarray
    #: Core position of each node, -1 for a node on a chain.
    core_position: np.ndarray
    #: Chain of each node, -1 for a core node.
    chain: np.ndarray
    #: Place of each chain node along its chain, counted from the head (1 is next to it).
    place: np.ndarray
    #: Per node: time (s) and length (m) from its chain's head to it, and from it back to the head.
    from_head_s: np.ndarray
    to_head_s: np.ndarray
    from_head_m: np.ndarray
    to_head_m: np.ndarray
    #: Per chain: core positions of its head and tail, and its whole time and length each way.
    head: np.ndarray
    tail: np.ndarray
    forward_s: np.ndarray
    backward_s: np.ndarray
    forward_m: np.ndarray
    backward_m: np.ndarray

    @property
    def n_core(self) -> int:
        return self.core.shape[0]

    def exits(self, node: int) -> list[tuple[int, float, float]]:
        """Return ``(core position, time s, length m)`` of each way from ``node`` into the core graph."""
        if self.core_position[node] >= 0:
            return [(int(self.core_position[node]), 0.0, 0.0)]
        chain = self.chain[node]
        to_head = (int(self.head[chain]), float(self.to_head_s[node]), float(self.to_head_m[node]))
        to_tail = (int(self.tail[chain]), float(self.forward_s[chain] - self.from_head_s[node]),
                   float(self.forward_m[chain] - self.from_head_m[node]))
        return [to_head, to_tail]

    def entries(self, nodes: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return, per node, both core positions it is entered from, with the time and length to it.

        Returns ``(head, time from head, length from head, tail, time from
        tail, length from tail)``; a core node is its own head and tail, at 0.
        """
        chain = self.chain[nodes]
        on_chain = chain >= 0
        safe = np.where(on_chain, chain, 0)
        own = self.core_position[nodes]
        head = np.where(on_chain, self.head[safe], own)
        tail = np.where(on_chain, self.tail[safe], own)
        from_head_s = np.where(on_chain, self.from_head_s[nodes], 0.0)
        from_head_m = np.where(on_chain, self.from_head_m[nodes], 0.0)
        from_tail_s = np.where(on_chain, self.backward_s[safe] - self.to_head_s[nodes], 0.0)
        from_tail_m = np.where(on_chain, self.backward_m[safe] - self.to_head_m[nodes], 0.0)
        return head, from_head_s, from_head_m, tail, from_tail_s, from_tail_m


def pass_through_nodes(adjacency: csr_matrix) -> np.ndarray:
    """Mark the nodes that a road passes through both ways: two neighbours, an edge each way to each.

    A node at a one-way street, a junction, a dead end or with a loop edge
    stays a core node.
    """
    n_nodes = adjacency.shape[0]
    indptr, indices = adjacency.indptr, adjacency.indices
    reverse = adjacency.T.tocsr()
    reverse.sort_indices()
    two_out = np.diff(indptr) == 2
    two_in = np.diff(reverse.indptr) == 2
    candidate = np.flatnonzero(two_out & two_in)
    first, second = indices[indptr[candidate]], indices[indptr[candidate] + 1]
    first_in, second_in = reverse.indices[reverse.indptr[candidate]], reverse.indices[reverse.indptr[candidate] + 1]
    # CSR rows are sorted, so equal neighbour sets list their members in the same order.
    simple = (first != second) & (first != candidate) & (second != candidate)
    both_ways = (first == first_in) & (second == second_in)
    passing = np.zeros(n_nodes, dtype=bool)
    passing[candidate[simple & both_ways]] = True
    return passing


def _walk_chains(adjacency: csr_matrix, passing: np.ndarray) -> list[list[int]]:
    """List every chain as its nodes from head to tail, ends included.

    Chains are walked from each core node into each pass-through neighbour.
    A ring of pass-through nodes with no core node on it gets one of its
    nodes made core (``passing`` is updated in place).
    """
    indptr = adjacency.indptr
    first = adjacency.indices[np.minimum(indptr[:-1], len(adjacency.indices) - 1)].tolist()
    second = adjacency.indices[np.minimum(indptr[:-1] + 1, len(adjacency.indices) - 1)].tolist()
    is_passing = passing.tolist()
    seen = bytearray(len(is_passing))
    chains: list[list[int]] = []

    def walk(start: int, step: int) -> None:
        nodes = [start]
        previous, current = start, step
        while is_passing[current]:
            seen[current] = 1
            nodes.append(current)
            previous, current = current, (second[current] if first[current] == previous else first[current])
        nodes.append(current)
        chains.append(nodes)

    for node in np.flatnonzero(~passing).tolist():
        for neighbour in adjacency.indices[indptr[node]:indptr[node + 1]].tolist():
            if is_passing[neighbour] and not seen[neighbour]:
                walk(node, neighbour)
    for node in range(len(is_passing)):
        if is_passing[node] and not seen[node]:
            # A ring without a junction: this node becomes its head and tail.
            is_passing[node] = False
            passing[node] = False
            walk(node, first[node])
    return chains


def build_chains(adjacency: csr_matrix, length_m: np.ndarray) -> Chains:
    """Contract the pass-through nodes of a graph (CSR times in seconds, lengths aligned with its data)."""
    adjacency = adjacency.tocsr()
    adjacency.sort_indices()
    n_nodes = adjacency.shape[0]
    passing = pass_through_nodes(adjacency)
    walked = _walk_chains(adjacency, passing)

    core_node = np.flatnonzero(~passing)
    core_position = np.full(n_nodes, -1, dtype=np.int32)
    core_position[core_node] = np.arange(core_node.size)

    sequence, chain_of_step = _flatten(walked)
    step_s, step_m = _edge_values(adjacency, length_m, sequence[:-1], sequence[1:])
    back_s, back_m = _edge_values(adjacency, length_m, sequence[1:], sequence[:-1])
    inside = chain_of_step[:-1] == chain_of_step[1:]  # consecutive pairs within one chain
    per_chain = _ChainSums(chain_of_step[:-1][inside], len(walked))
    from_head_s = per_chain.cumulative(step_s[inside])
    from_head_m = per_chain.cumulative(step_m[inside])
    to_head_s = per_chain.cumulative(back_s[inside])
    to_head_m = per_chain.cumulative(back_m[inside])

    # Node of each step: the second node of each in-chain pair; the chain's tail is a core node.
    step_node = sequence[1:][inside]
    on_chain = passing[step_node]
    chain = np.full(n_nodes, -1, dtype=np.int32)
    place = np.zeros(n_nodes, dtype=np.int32)
    node_values = [np.zeros(n_nodes) for _ in range(4)]
    nodes = step_node[on_chain]
    chain[nodes] = chain_of_step[:-1][inside][on_chain]
    place[nodes] = per_chain.rank()[on_chain]
    for target, values in zip(node_values, (from_head_s, to_head_s, from_head_m, to_head_m)):
        target[nodes] = values[on_chain]

    ends = np.array([(nodes[0], nodes[-1]) for nodes in walked], dtype=np.int64).reshape(-1, 2)
    heads = core_position[ends[:, 0]]
    tails = core_position[ends[:, 1]]
    totals = [per_chain.total(values) for values in (step_s[inside], back_s[inside], step_m[inside], back_m[inside])]
    core, core_length_m = _core_graph(adjacency, length_m, core_position, heads, tails, totals)
    core_rows = np.repeat(np.arange(core.shape[0], dtype=np.int64), np.diff(core.indptr))
    core_keys = core_rows * core.shape[0] + core.indices
    return Chains(core, core_length_m, core_keys, core_position, chain, place, *node_values, heads, tails, *totals)


def _flatten(walked: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the chains' node lists, with the chain number of every entry."""
    if not walked:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sizes = np.array([len(nodes) for nodes in walked], dtype=np.int64)
    sequence = np.fromiter((node for nodes in walked for node in nodes), dtype=np.int64, count=int(sizes.sum()))
    return sequence, np.repeat(np.arange(len(walked), dtype=np.int64), sizes)


def _edge_values(adjacency: csr_matrix, length_m: np.ndarray, tail: np.ndarray, head: np.ndarray):
    """Return the time and length of the edges ``tail[i] -> head[i]``, NaN where there is no such edge."""
    n_nodes = adjacency.shape[0]
    rows = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(adjacency.indptr))
    keys = rows * n_nodes + adjacency.indices
    requested = tail * n_nodes + head
    position = np.minimum(np.searchsorted(keys, requested), max(len(keys) - 1, 0))
    found = keys[position] == requested if len(keys) else np.zeros(len(requested), dtype=bool)
    return np.where(found, adjacency.data[position], np.nan), np.where(found, length_m[position], np.nan)


class _ChainSums:
    """Running sums of per-step values within each chain, steps listed chain after chain."""

    def __init__(self, step_chain: np.ndarray, n_chains: int) -> None:
        self.step_chain = step_chain
        self.n_chains = n_chains
        starts = np.ones(len(step_chain), dtype=bool)
        starts[1:] = step_chain[1:] != step_chain[:-1]
        self.start_index = np.flatnonzero(starts)

    def cumulative(self, values: np.ndarray) -> np.ndarray:
        running = np.cumsum(values)
        before = np.concatenate([[0.0], running])[self.start_index]
        return running - np.repeat(before, np.diff(np.append(self.start_index, len(values))))

    def rank(self) -> np.ndarray:
        return np.arange(len(self.step_chain)) - np.repeat(
            self.start_index, np.diff(np.append(self.start_index, len(self.step_chain)))
        ) + 1

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.step_chain, weights=values, minlength=self.n_chains)


def _core_graph(adjacency, length_m, core_position, heads, tails, totals) -> tuple[csr_matrix, np.ndarray]:
    """Build the core graph: edges between core nodes, and one edge each way per chain.

    Of parallel edges between two core nodes only the fastest is kept, with
    its length. Loops (a chain from a node back to itself) are dropped.
    """
    forward_s, backward_s, forward_m, backward_m = totals
    n_nodes = adjacency.shape[0]
    rows = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(adjacency.indptr))
    direct = (core_position[rows] >= 0) & (core_position[adjacency.indices] >= 0)
    row = np.concatenate([core_position[rows[direct]], heads, tails])
    col = np.concatenate([core_position[adjacency.indices[direct]], tails, heads])
    time_s = np.concatenate([adjacency.data[direct], forward_s, backward_s])
    metres = np.concatenate([length_m[direct], forward_m, backward_m])
    keep = row != col
    row, col, time_s, metres = row[keep], col[keep], time_s[keep], metres[keep]
    order = np.lexsort((time_s, col, row))
    row, col, time_s, metres = row[order], col[order], time_s[order], metres[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    n_core = int(core_position.max()) + 1 if core_position.size else 0
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row[first], minlength=n_core))])
    core = csr_matrix((time_s[first], col[first].astype(np.int32), indptr.astype(np.int32)), shape=(n_core, n_core))
    return core, metres[first]


def chain_one_to_many(
    chains: Chains,
    source: int,
    targets: np.ndarray,
    limit_s: float = np.inf,
    probe_limit_s: float | None = None,
    speed_mps: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Compute fastest times (s) and their lengths (m) from one node to many, on the core graph.

    Same contract as ``routing.graph.one_to_many``. A search first limited to
    ``probe_limit_s`` is widened by ``PROBE_GROWTH`` until every target is
    settled or the limit reaches ``limit_s``. Targets beyond ``limit_s`` get
    ``inf``. With ``speed_mps`` (a graph whose edges share one speed) the
    lengths come from the times.
    """
    targets = np.asarray(targets, dtype=np.int64)
    exits = chains.exits(int(source))
    search_graph, root = _search_graph(chains, exits)
    entries = chains.entries(targets)
    limit = limit_s if probe_limit_s is None else min(probe_limit_s, limit_s)
    while True:
        dist, predecessors = dijkstra(search_graph, directed=True, indices=root, limit=limit, return_predecessors=True)
        times, way = _arrivals(chains, dist, int(source), targets, entries)
        # A time within the limit is final: any other way in would pass a node beyond it.
        if limit >= limit_s or (times <= limit).all():
            break
        limit = min(PROBE_GROWTH * limit, limit_s)
    times[times > limit_s] = np.inf
    reached = np.isfinite(times)
    lengths = np.full(len(targets), np.inf)
    if speed_mps is not None:
        lengths[reached] = times[reached] * speed_mps
    else:
        lengths[reached] = _lengths(chains, predecessors, root, exits, int(source), targets, entries, way)[reached]
    return times, lengths


#: Ways into a target: from its chain's head, from its tail, or along the source's own chain.
_BY_HEAD, _BY_TAIL, _ALONG_CHAIN = 0, 1, 2


def _search_graph(chains: Chains, exits: list[tuple[int, float, float]]) -> tuple[csr_matrix, int]:
    """Return the graph to search and its root: the core itself, or the core plus a virtual source.

    The virtual source (the last row) has an edge to each core node the
    source's chain leads to, weighted by the time along the chain.
    """
    if len(exits) == 1 and exits[0][1] == 0.0:
        return chains.core, exits[0][0]
    best: dict[int, float] = {}
    for position, time_s, _ in exits:
        best[position] = min(best.get(position, np.inf), max(time_s, _MIN_ENTRY_S))
    core = chains.core
    n_core = core.shape[0]
    indptr = np.append(core.indptr, core.indptr[-1] + len(best))
    indices = np.append(core.indices, np.fromiter(best.keys(), dtype=np.int32))
    data = np.append(core.data, np.fromiter(best.values(), dtype=float))
    return csr_matrix((data, indices, indptr), shape=(n_core + 1, n_core + 1)), n_core


def _arrivals(chains: Chains, dist: np.ndarray, source: int, targets: np.ndarray, entries) -> tuple[np.ndarray, np.ndarray]:
    """Return each target's time and how it is reached (``_BY_HEAD``, ``_BY_TAIL`` or ``_ALONG_CHAIN``)."""
    head, from_head_s, _, tail, from_tail_s, _ = entries
    by_head = dist[head] + from_head_s
    by_tail = dist[tail] + from_tail_s
    way = np.where(by_tail < by_head, _BY_TAIL, _BY_HEAD)
    times = np.minimum(by_head, by_tail)
    along_s, _ = _along_source_chain(chains, source, targets)
    shorter = along_s <= times
    return np.where(shorter, along_s, times), np.where(shorter, _ALONG_CHAIN, way)


def _along_source_chain(chains: Chains, source: int, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time and length from the source to targets on its own chain without leaving it (``inf`` elsewhere)."""
    times = np.full(len(targets), np.inf)
    lengths = np.full(len(targets), np.inf)
    chain = chains.chain[source]
    if chain < 0:
        return times, lengths
    same = np.flatnonzero(chains.chain[targets] == chain)
    ahead = chains.place[targets[same]] >= chains.place[source]
    nodes = targets[same]
    times[same] = np.where(ahead, chains.from_head_s[nodes] - chains.from_head_s[source],
                           chains.to_head_s[source] - chains.to_head_s[nodes])
    lengths[same] = np.where(ahead, chains.from_head_m[nodes] - chains.from_head_m[source],
                             chains.to_head_m[source] - chains.to_head_m[nodes])
    return times, lengths


def _lengths(chains, predecessors, root, exits, source, targets, entries, way) -> np.ndarray:
    """Length in metres of the path each target is reached by (only meaningful where it is reached)."""
    head, _, from_head_m, tail, _, from_tail_m = entries
    entry = np.where(way == _BY_TAIL, tail, head)
    core_m = _tree_lengths(chains, predecessors, root, exits, np.unique(entry[way != _ALONG_CHAIN]))
    lengths = np.array([core_m.get(node, np.inf) for node in entry.tolist()])
    lengths += np.where(way == _BY_TAIL, from_tail_m, from_head_m)
    _, along_m = _along_source_chain(chains, source, targets)
    return np.where(way == _ALONG_CHAIN, along_m, lengths)


def _tree_lengths(chains: Chains, predecessors: np.ndarray, root: int, exits, nodes: np.ndarray) -> dict[int, float]:
    """Path length from the search root to each core node of ``nodes``, along the search's tree.

    Walks back from each node until a node of known length, so the tree is
    visited once along the union of the paths. An edge from the virtual
    source has the length along the source's chain.
    """
    virtual_m: dict[int, float] = {}
    for position, _, length_m in exits:
        virtual_m[position] = min(virtual_m.get(position, np.inf), length_m)
    n_core = chains.n_core
    known: dict[int, float] = {root: 0.0}
    parent_of = memoryview(np.ascontiguousarray(predecessors))
    for node in nodes.tolist():
        walked = []
        while node not in known and node >= 0:
            walked.append(node)
            node = parent_of[node]
        if node < 0 or not walked:
            continue  # not reached, or already known
        walked.reverse()  # from the node nearest the root to the target
        children = np.array(walked, dtype=np.int64)
        parents = np.array([parent_of[child] for child in walked], dtype=np.int64)
        steps = np.empty(len(walked))
        from_virtual = parents == n_core
        steps[from_virtual] = [virtual_m[child] for child in children[from_virtual].tolist()]
        keys = parents[~from_virtual] * n_core + children[~from_virtual]
        steps[~from_virtual] = chains.core_length_m[np.searchsorted(chains.core_keys, keys)]
        for child, length in zip(walked, (known[node] + np.cumsum(steps)).tolist()):
            known[child] = length
    return known
