"""Population over populated places, and greedy maximal coverage of sites.

The INEI register of populated places gives no population, so a district's
census population is spread evenly over its places: urban population over
urban places, rural population over rural places. The result is an estimate
of where people live, exact in its district totals and rough inside a district.

Pure NumPy and SciPy: nothing here imports Django.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix


def apportion(total: int, n_parts: int) -> np.ndarray:
    """Split a whole number of people into ``n_parts`` near-equal whole parts.

    The first ``total % n_parts`` parts get one person more, so the parts
    always sum to ``total``.

    Parameters
    ----------
    total
        People to split (0 or more).
    n_parts
        Number of parts (1 or more).

    Returns
    -------
    numpy.ndarray
        ``n_parts`` integers that sum to ``total``.
    """
    if n_parts < 1:
        msg = f"Cannot split {total} people into {n_parts} parts: give at least one part."
        raise ValueError(msg)
    if total < 0:
        msg = f"Cannot split a negative population ({total}): give 0 or more people."
        raise ValueError(msg)
    base, remainder = divmod(int(total), n_parts)
    parts = np.full(n_parts, base, dtype=np.int64)
    parts[:remainder] += 1
    return parts


def split_urban_rural(total: int, urban: int | None, rural: int | None) -> tuple[int, int]:
    """Split a district total into urban and rural people by the census shares.

    The census urban and rural counts of a few districts do not add up to the
    total (by up to 4 people), and the 2022 projection has no split at all.
    The total therefore wins: the urban share of ``urban + rural`` is applied
    to ``total`` and rounded, and the rest is rural.

    Returns
    -------
    urban_people, rural_people
        Whole numbers that sum to ``total``. Without an urban and rural count,
        everyone counts as urban, and the caller spreads them over all places.
    """
    urban = urban or 0
    rural = rural or 0
    if urban + rural == 0:
        return int(total), 0
    urban_people = int(round(total * urban / (urban + rural)))
    return urban_people, int(total) - urban_people


@dataclass(frozen=True)
class DistrictPopulation:
    """A district's people and the kinds of places they may be spread over."""

    ubigeo: str
    total: int
    urban: int | None
    rural: int | None


def distribute_population(
    districts: list[DistrictPopulation], place_ubigeo: np.ndarray, place_is_urban: np.ndarray
) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Spread each district's people over its populated places.

    Parameters
    ----------
    districts
        Districts with their population.
    place_ubigeo
        District ubigeo of each populated place (strings).
    place_is_urban
        Whether each place is urban (booleans).

    Returns
    -------
    place_population, unplaced
        Whole people per place, and per district the ``(urban, rural)`` people
        that found no place of their kind. The caller puts those on a point of
        the district polygon so that district totals stay exact.
    """
    place_ubigeo = np.asarray(place_ubigeo)
    place_is_urban = np.asarray(place_is_urban, dtype=bool)
    place_population = np.zeros(len(place_ubigeo), dtype=np.int64)
    order = np.argsort(place_ubigeo, kind="stable")
    sorted_ubigeo = place_ubigeo[order]
    unplaced: dict[str, tuple[int, int]] = {}

    for district in districts:
        start = np.searchsorted(sorted_ubigeo, district.ubigeo, side="left")
        stop = np.searchsorted(sorted_ubigeo, district.ubigeo, side="right")
        members = order[start:stop]
        urban_people, rural_people = split_urban_rural(district.total, district.urban, district.rural)
        if district.urban is None and district.rural is None:
            kinds = [(members, urban_people)]
        else:
            kinds = [
                (members[place_is_urban[members]], urban_people),
                (members[~place_is_urban[members]], rural_people),
            ]
        left = [0, 0]
        for position, (kind_members, people) in enumerate(kinds):
            if len(kind_members):
                place_population[kind_members] = apportion(people, len(kind_members))
            else:
                left[position] = people
        if any(left):
            unplaced[district.ubigeo] = (left[0], left[1])
    return place_population, unplaced


def greedy_max_coverage(cover: csr_matrix, weights: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Pick up to ``k`` candidate sites that together cover the most weight.

    The classic greedy rule: at each step take the candidate whose newly
    covered weight is largest. Coverage is submodular, so the total is at
    least ``1 - 1/e`` (about 63 %) of the best possible, and gains only shrink,
    which lets stale gains wait in a heap (lazy evaluation).

    Parameters
    ----------
    cover
        ``n_candidates x n_items`` sparse matrix; a stored non-zero at
        ``(c, i)`` means candidate ``c`` covers item ``i``.
    weights
        Weight of each item, e.g. people of a populated place (non-negative).
    k
        Number of sites to pick.

    Returns
    -------
    list of (candidate, gain)
        Chosen candidate indices in the order picked, each with the weight it
        newly covers. Stops early when no candidate adds any weight.
    """
    weights = np.asarray(weights, dtype=float)
    rows = csr_matrix(cover, dtype=bool)
    covered = np.zeros(rows.shape[1], dtype=bool)

    def gain_of(candidate: int) -> float:
        items = rows.indices[rows.indptr[candidate]:rows.indptr[candidate + 1]]
        return float(weights[items[~covered[items]]].sum())

    # Python's heap is a min-heap, so gains are stored negated; the index breaks ties.
    heap = [(-gain_of(c), c) for c in range(rows.shape[0])]
    heapq.heapify(heap)
    chosen: list[tuple[int, float]] = []
    while heap and len(chosen) < k:
        _, candidate = heapq.heappop(heap)
        gain = gain_of(candidate)
        if heap and gain < -heap[0][0]:
            heapq.heappush(heap, (-gain, candidate))
            continue
        if gain <= 0:
            break
        chosen.append((candidate, gain))
        covered[rows.indices[rows.indptr[candidate]:rows.indptr[candidate + 1]]] = True
    return chosen


def covered_weight(cover: csc_matrix | csr_matrix, weights: np.ndarray, candidates: list[int]) -> float:
    """Return the weight of the items that any of ``candidates`` covers."""
    if not candidates:
        return 0.0
    rows = csr_matrix(cover, dtype=bool)[candidates]
    items = np.unique(rows.indices)
    return float(np.asarray(weights, dtype=float)[items].sum())
