"""Routable drive graphs from the MTC road lines (Red Vial Nacional, Departamental, Vecinal).

The MTC layers are lines whose junctions do not share exact points. The graph
takes each line's vertices in order as nodes and joins a line's two ends to
the nearest vertex of another line within ``SNAP_TOLERANCE_M``. Crossings
where neither line ends are not joined, because an overpass looks the same as
a junction in these layers. Planned roads (``superficie == "proyectada"``) are
dropped, and speeds follow the surface.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import parameters
from .build import EdgeTable, compact, file_sha256
from .graph import CompactGraph

logger = logging.getLogger(__name__)

#: Metric CRS for snapping: UTM zone 18S, which spans the centre of Peru. Its
#: scale error stays under 1 % across the country, small next to the tolerance.
SNAP_CRS = 32718

#: Farthest a line end is moved to meet another line. The connectivity checks
#: in data/peru/SOURCES.md found that 50-100 m joins most departmental and
#: rural roads to the national ones; 50 m avoids joining roads that only pass
#: near each other.
SNAP_TOLERANCE_M = 50.0

#: Average driving speed by MTC surface class. These are assumptions for
#: Andean and Amazonian roads with curves, slopes and villages, well below the
#: 100 km/h highway limit, and slower on worse surfaces.
SURFACE_SPEED_KPH = {
    "asfaltado": 60.0,  # paved
    "solucion_basica": 50.0,  # basic sealed surface
    "afirmado": 35.0,  # gravel
    "sin_afirmar": 25.0,  # unsurfaced
    "trocha": 20.0,  # track
}

#: Speed where a layer has no surface attribute (the departmental and vecinal
#: layers): the gravel speed, the most common surface of those networks.
UNKNOWN_SURFACE_SPEED_KPH = SURFACE_SPEED_KPH["afirmado"]

#: Surface value of roads that exist only on paper.
PLANNED_SURFACE = "proyectada"


@dataclass(frozen=True)
class MtcReport:
    """Counts of an MTC graph build: lines, snapping and connectivity."""

    lines: int
    planned_dropped: int
    nodes: int
    snapped_ends: int
    components: int
    connected_node_share: float
    connected_length_share: float


def read_lines(paths: list[Path]) -> gpd.GeoDataFrame:
    """Read MTC GeoJSON layers into one frame of single lines with a speed each."""
    frames = [gpd.read_file(path) for path in paths]
    lines = pd.concat(frames, ignore_index=True)
    surface = lines["superficie"] if "superficie" in lines else pd.Series(index=lines.index, dtype=object)
    lines = gpd.GeoDataFrame({"superficie": surface.fillna("")}, geometry=lines.geometry, crs=frames[0].crs)
    return lines.explode(index_parts=False).reset_index(drop=True)


def speeds_kph(surface: pd.Series) -> np.ndarray:
    """Return the driving speed of each line from its surface class."""
    return surface.map(SURFACE_SPEED_KPH).fillna(UNKNOWN_SURFACE_SPEED_KPH).to_numpy(dtype=float)


def build_mtc_graph(paths: list[Path]) -> tuple[CompactGraph, MtcReport]:
    """Build a two-way drive graph from MTC road line layers.

    Parameters
    ----------
    paths
        GeoJSON files of ``data/peru/roads_mtc/`` (any mix of levels).

    Returns
    -------
    graph, report
        The largest connected component as a :class:`CompactGraph` (mode
        ``drive``, node ids are vertex numbers, not OSM ids) and the counts.
    """
    lines = read_lines(paths)
    planned = lines["superficie"] == PLANNED_SURFACE
    lines = lines[~planned].reset_index(drop=True)

    coords, line_of_vertex = shapely.get_coordinates(lines.geometry.values, return_index=True)
    projected = shapely.get_coordinates(lines.to_crs(SNAP_CRS).geometry.values)
    n_vertices = len(coords)

    # Consecutive vertices of the same line form the edges.
    same_line = line_of_vertex[1:] == line_of_vertex[:-1]
    tail = np.flatnonzero(same_line)
    head = tail + 1
    length_m = np.hypot(*(projected[head] - projected[tail]).T)
    speed = speeds_kph(lines["superficie"])[line_of_vertex[tail]]
    travel_time_s = length_m / (speed / 3.6)

    node_of_vertex, snapped = _snap_line_ends(projected, line_of_vertex)
    tail, head = node_of_vertex[tail], node_of_vertex[head]
    report = _connectivity(n_vertices, node_of_vertex, tail, head, length_m, len(lines), int(planned.sum()), snapped)

    edges = EdgeTable(
        tail=np.concatenate([tail, head]),
        head=np.concatenate([head, tail]),
        length_m=np.concatenate([length_m, length_m]),
        travel_time_s=np.concatenate([travel_time_s, travel_time_s]),
    )
    meta = {
        "mode": "drive",
        "source_file": ",".join(sorted(Path(p).name for p in paths)),
        "source_sha256": sources_sha256(paths),
        "rules_digest": mtc_rules_digest(),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "snap_tolerance_m": SNAP_TOLERANCE_M,
    }
    graph = compact(edges, (np.arange(n_vertices, dtype=np.int64), coords[:, 0], coords[:, 1]), meta)
    logger.info(
        "Built MTC graph: %d nodes, %d edges, %.1f %% of the road length connected",
        graph.n_nodes, graph.n_edges, 100 * report.connected_length_share,
    )
    return graph, report


def _snap_line_ends(projected: np.ndarray, line_of_vertex: np.ndarray) -> tuple[np.ndarray, int]:
    """Merge each line end with the nearest vertex of another line within the tolerance.

    Returns the node number of every vertex (merged vertices share the lowest
    vertex number) and the number of line ends that were joined.
    """
    n_vertices = len(projected)
    is_end = np.ones(n_vertices, dtype=bool)
    is_end[1:-1] = (line_of_vertex[1:-1] != line_of_vertex[:-2]) | (line_of_vertex[1:-1] != line_of_vertex[2:])
    ends = np.flatnonzero(is_end)

    tree = cKDTree(projected)
    pairs_a, pairs_b = [], []
    for end, neighbours in zip(ends, tree.query_ball_point(projected[ends], SNAP_TOLERANCE_M)):
        others = [n for n in neighbours if line_of_vertex[n] != line_of_vertex[end]]
        if others:
            nearest = min(others, key=lambda n: np.hypot(*(projected[n] - projected[end])))
            pairs_a.append(end)
            pairs_b.append(nearest)

    merge = coo_matrix((np.ones(len(pairs_a)), (pairs_a, pairs_b)), shape=(n_vertices, n_vertices))
    _, labels = connected_components(merge, directed=False)
    # Name each merged group after its lowest vertex number.
    lowest = np.full(labels.max() + 1, n_vertices, dtype=np.int64)
    np.minimum.at(lowest, labels, np.arange(n_vertices))
    return lowest[labels], len(pairs_a)


def _connectivity(
    n_vertices: int,
    node_of_vertex: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    length_m: np.ndarray,
    n_lines: int,
    n_planned: int,
    n_snapped: int,
) -> MtcReport:
    """Measure how much of the snapped network is in its largest connected piece."""
    adjacency = coo_matrix((np.ones(len(tail)), (tail, head)), shape=(n_vertices, n_vertices))
    n_components, labels = connected_components(adjacency, directed=False)
    nodes = np.unique(node_of_vertex)
    largest = np.bincount(labels[nodes]).argmax()
    return MtcReport(
        lines=n_lines,
        planned_dropped=n_planned,
        nodes=len(nodes),
        snapped_ends=n_snapped,
        components=len(np.unique(labels[nodes])),
        connected_node_share=float(np.mean(labels[nodes] == largest)),
        connected_length_share=float(length_m[labels[tail] == largest].sum() / length_m.sum()),
    )


def sources_sha256(paths: list[Path]) -> str:
    """Return one SHA-256 digest over the sorted layer files, so any changed layer changes it."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def mtc_rules_digest() -> str:
    """Return a short hash of the rules that shape an MTC graph (speeds, snapping, format)."""
    rules = {
        "surface_speed_kph": SURFACE_SPEED_KPH,
        "unknown_surface_speed_kph": UNKNOWN_SURFACE_SPEED_KPH,
        "snap_tolerance_m": SNAP_TOLERANCE_M,
        "walk_speed_kph": parameters.MTC_WALK_SPEED_KPH,
        "format": 1,
    }
    return hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]


def walk_graph(drive: CompactGraph) -> CompactGraph:
    """Derive the walking graph of the MTC lines from their drive graph.

    Pedestrians walk the same lines in both directions (the drive graph is
    already two-way) at ``MTC_WALK_SPEED_KPH`` on level ground, because no
    national elevation grid is staged.
    """
    speed_mps = parameters.kph_to_mps(parameters.MTC_WALK_SPEED_KPH)
    adjacency = drive.adjacency.copy()
    # The one-microsecond floor keeps zero-length edges stored, as in build.compact.
    adjacency.data = np.maximum(drive.length_m / speed_mps, 1e-6)
    return replace(
        drive, adjacency=adjacency, meta=dict(drive.meta, mode="walk"), _tree=None, _edge_keys=None, _reverse=None
    )
