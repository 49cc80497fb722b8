"""Routable drive graphs from the MTC road lines (Red Vial Nacional, Departamental, Vecinal).

The MTC layers are lines whose junctions do not share exact points. Building a
graph takes five steps:

1. Planned roads (``superficie == "proyectada"``) are dropped, and so are
   long straight stretches of the departmental and vecinal layers in the
   lowland Amazon departments (``drop_straight_stretches``), which carry no
   surface attribute. Each line gets a speed from its surface.
2. Each line end is joined to the nearest vertex of another line within
   ``SNAP_TOLERANCE_M``.
3. Where two lines cross and at least one of them is departmental or vecinal,
   the vertex of each line nearest the crossing is joined, if both are within
   the same tolerance. Crossings of two national lines stay unjoined, because
   an overpass looks the same as a junction in these layers and the
   overpasses of Peru are mostly where national roads cross each other.
4. Interior shape points are thinned: every junction and line end is kept,
   plus a vertex at least every ``THIN_SPACING_M`` metres along each line, and
   each edge keeps the exact length of the line between its two nodes.
5. Connected pieces shorter than ``MIN_PIECE_LENGTH_M`` of road are dropped;
   every longer piece is kept, so villages on a rural network that does not
   touch the national one still get network times within their piece.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from . import parameters
from .build import EdgeTable, compact, file_sha256
from .graph import CompactGraph

logger = logging.getLogger(__name__)

#: Metric CRS for snapping: UTM zone 18S, which spans the centre of Peru. Its
#: scale error stays under 1 % across the country, small next to the tolerance.
SNAP_CRS = 32718

#: Farthest a line end (or a crossing) is moved to meet another line. The
#: connectivity checks in data/peru/SOURCES.md found that 50-100 m joins most
#: departmental and rural roads to the national ones; 50 m avoids joining
#: roads that only pass near each other.
SNAP_TOLERANCE_M = 50.0

#: Maximum stretch of line between two kept vertices after thinning, where the
#: source has vertices that close. A point is joined to its nearest node, so
#: the walk to the road can be overstated by up to half this spacing: 150 m,
#: about 4 minutes at the off-road pace. Thinning to 300 m takes the three
#: levels from 771,204 vertices to 164,335 nodes, and a search over the whole
#: main piece then takes about 15 ms (docs/routing.md).
THIN_SPACING_M = 300.0

#: Minimum road length of a connected piece kept in the graph. Shorter pieces
#: are mostly stretches of a few hundred metres that snapping did not join to
#: anything. With 2 km the 122 pieces dropped from the staged layers hold
#: 0.2 % of the road length.
MIN_PIECE_LENGTH_M = 2_000.0

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
#: layers carry only route codes, names, province and length): the gravel
#: speed, the most common surface of those networks.
UNKNOWN_SURFACE_SPEED_KPH = SURFACE_SPEED_KPH["afirmado"]

#: Surface value of roads that exist only on paper.
PLANNED_SURFACE = "proyectada"

#: Departments (layer file names) of the lowland Amazon, where travel is by
#: river or air and the classifier lists roads that were never built.
LOWLAND_AMAZON_DEPARTMENTS = ("loreto", "madre_de_dios", "ucayali")

#: Longest straight stretch (two vertices, nothing between) of a surveyed road
#: in LOWLAND_AMAZON_DEPARTMENTS. In their national layer, which has a surface
#: attribute, all 12 straight stretches over 10 km are "proyectada" and no
#: built road has one. Surveyed lines follow bends and were simplified at
#: about 1 m, so a longer stretch is a line drawn across the forest on paper.
#: Coastal desert highways do run straight for 10-37 km, so the rule is not
#: applied outside these departments.
MAX_STRAIGHT_STRETCH_M = 10_000.0

#: Levels without a surface attribute, where the straight-stretch rule applies.
UNSURFACED_LEVELS = ("departamental", "vecinal")

#: Level of the national lines, whose crossings with each other are not joined.
NATIONAL_LEVEL = "nacional"

#: Layer file names: red_vial_<level>_<department>.geojson.
_LAYER_NAME = re.compile(r"red_vial_(?P<level>[a-z]+)_(?P<department>[a-z_]+)\.geojson$")


@dataclass(frozen=True)
class DepartmentShare:
    """Connectivity of the roads of one department (by layer file name)."""

    department: str
    nodes: int
    length_km: float
    kept_length_share: float
    connected_node_share: float
    connected_length_share: float


@dataclass(frozen=True)
class MtcReport:
    """Counts of an MTC graph build: lines, snapping, thinning and connectivity.

    ``connected_*_share`` is the share in the largest piece, ``kept_*_share``
    the share in the pieces kept (all pieces of at least
    ``MIN_PIECE_LENGTH_M``), both out of the thinned network before pieces
    are dropped.
    """

    lines: int
    planned_dropped: int
    #: Straight stretches cut by ``drop_straight_stretches``.
    straight_dropped: int
    vertices: int
    nodes: int
    edges: int
    snapped_ends: int
    joined_crossings: int
    components: int
    pieces_kept: int
    connected_node_share: float
    connected_length_share: float
    kept_node_share: float
    kept_length_share: float
    departments: list[DepartmentShare] = field(default_factory=list)


def read_lines(paths: list[Path]) -> gpd.GeoDataFrame:
    """Read MTC GeoJSON layers into one frame of single lines.

    Columns: ``superficie`` (empty where the layer has none), ``level`` and
    ``department``, both from the layer's file name.
    """
    frames = []
    for path in paths:
        frame = gpd.read_file(path)
        match = _LAYER_NAME.search(Path(path).name)
        frame["level"] = match["level"] if match else ""
        frame["department"] = match["department"] if match else ""
        frames.append(frame)
    lines = pd.concat(frames, ignore_index=True)
    surface = lines["superficie"] if "superficie" in lines else pd.Series(index=lines.index, dtype=object)
    lines = gpd.GeoDataFrame(
        {"superficie": surface.fillna(""), "level": lines["level"], "department": lines["department"]},
        geometry=lines.geometry,
        crs=frames[0].crs,
    )
    return lines.explode(index_parts=False).reset_index(drop=True)


def drop_straight_stretches(lines: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Cut out straight stretches longer than ``MAX_STRAIGHT_STRETCH_M`` from lowland Amazon lines.

    Applies only to ``UNSURFACED_LEVELS`` lines of ``LOWLAND_AMAZON_DEPARTMENTS``.
    The rest of each cut line is kept as separate single lines. Returns the
    lines and the number of stretches cut.
    """
    candidate = (lines["level"].isin(UNSURFACED_LEVELS) & lines["department"].isin(LOWLAND_AMAZON_DEPARTMENTS)).to_numpy()
    projected = shapely.get_coordinates(lines.to_crs(SNAP_CRS).geometry.values)
    lonlat, line = shapely.get_coordinates(lines.geometry.values, return_index=True)
    step_m = np.hypot(*(projected[1:] - projected[:-1]).T)
    long_step = (line[1:] == line[:-1]) & (step_m > MAX_STRAIGHT_STRETCH_M) & candidate[line[1:]]
    if not long_step.any():
        return lines, 0

    cut_lines = np.unique(line[1:][long_step])
    rows, geometries = [], []
    for index in cut_lines:
        vertex = np.flatnonzero(line == index)
        # Start a new part after each long step, then keep parts of two or more vertices.
        breaks = np.flatnonzero(long_step[vertex[:-1]]) + 1
        for part in np.split(lonlat[vertex], breaks):
            if len(part) >= 2:
                rows.append(index)
                geometries.append(shapely.linestrings(part))
    parts = gpd.GeoDataFrame(lines.drop(columns="geometry").iloc[rows], geometry=geometries, crs=lines.crs)
    kept = lines[~np.isin(np.arange(len(lines)), cut_lines)]
    return pd.concat([kept, parts], ignore_index=True), int(long_step.sum())


def speeds_kph(surface: pd.Series) -> np.ndarray:
    """Return the driving speed of each line from its surface class."""
    return surface.map(SURFACE_SPEED_KPH).fillna(UNKNOWN_SURFACE_SPEED_KPH).to_numpy(dtype=float)


@dataclass
class _Vertices:
    """Every vertex of the lines, in line order, with its line and metric position."""

    lonlat: np.ndarray
    projected: np.ndarray
    line: np.ndarray
    #: Distance along its line from the line's first vertex, in metres.
    along_m: np.ndarray

    @property
    def is_end(self) -> np.ndarray:
        is_end = np.ones(len(self.line), dtype=bool)
        is_end[1:-1] = (self.line[1:-1] != self.line[:-2]) | (self.line[1:-1] != self.line[2:])
        return is_end


def _vertices(lines: gpd.GeoDataFrame) -> _Vertices:
    lonlat, line = shapely.get_coordinates(lines.geometry.values, return_index=True)
    projected = shapely.get_coordinates(lines.to_crs(SNAP_CRS).geometry.values)
    step = np.zeros(len(line))
    step[1:] = np.hypot(*(projected[1:] - projected[:-1]).T)
    step[np.r_[True, line[1:] != line[:-1]]] = 0.0
    along_m = np.cumsum(step)
    # Restart the distance at each line's first vertex.
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
    along_m -= np.repeat(along_m[starts], np.diff(np.r_[starts, len(line)]))
    return _Vertices(lonlat=lonlat, projected=projected, line=line, along_m=along_m)


def build_mtc_graph(paths: list[Path]) -> tuple[CompactGraph, MtcReport]:
    """Build a two-way drive graph from MTC road line layers.

    Parameters
    ----------
    paths
        GeoJSON files of ``data/peru/roads_mtc/`` (any mix of levels).

    Returns
    -------
    graph, report
        Every piece of at least ``MIN_PIECE_LENGTH_M`` as one
        :class:`CompactGraph` (mode ``drive``, node ids are vertex numbers,
        not OSM ids; pieces are not joined to each other) and the counts.
    """
    lines = read_lines(paths)
    planned = (lines["superficie"] == PLANNED_SURFACE).to_numpy()
    lines = lines[~planned].reset_index(drop=True)
    lines, straight_dropped = drop_straight_stretches(lines)
    vertices = _vertices(lines)

    end_pairs = _snap_line_ends(vertices)
    crossing_pairs = _join_crossings(lines, vertices)
    node_of_vertex = _merge(len(vertices.line), [end_pairs, crossing_pairs])
    kept = _thin(vertices, node_of_vertex)

    tail, head, length_m = _thinned_edges(vertices, kept)
    edge_line = vertices.line[tail]
    speed = speeds_kph(lines["superficie"])[edge_line]
    travel_time_s = length_m / parameters.kph_to_mps(speed)
    tail, head = node_of_vertex[tail], node_of_vertex[head]

    piece, keep_piece = _pieces(len(vertices.line), tail, head, length_m)
    counts = {"planned": int(planned.sum()), "straight": straight_dropped, "snapped": len(end_pairs[0]), "crossings": len(crossing_pairs[0])}
    report = _report(lines, vertices, node_of_vertex, kept, (tail, head, length_m, edge_line), (piece, keep_piece), counts)
    keep_edge = keep_piece[piece[tail]]
    tail, head, length_m, travel_time_s = tail[keep_edge], head[keep_edge], length_m[keep_edge], travel_time_s[keep_edge]

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
        "thin_spacing_m": THIN_SPACING_M,
        "min_piece_length_m": MIN_PIECE_LENGTH_M,
    }
    node_ids = np.arange(len(vertices.line), dtype=np.int64)
    graph = compact(edges, (node_ids, vertices.lonlat[:, 0], vertices.lonlat[:, 1]), meta, keep_pieces=True)
    graph.meta["network_limit_s"] = longest_trip_bound_s(graph)
    report = replace(report, nodes=graph.n_nodes, edges=graph.n_edges)
    logger.info(
        "Built MTC graph: %d nodes, %d edges in %d pieces, %.1f %% of the road length in the largest",
        graph.n_nodes, graph.n_edges, report.pieces_kept, 100 * report.connected_length_share,
    )
    return graph, report


def _snap_line_ends(vertices: _Vertices) -> tuple[np.ndarray, np.ndarray]:
    """Pair each line end with the nearest vertex of another line within the tolerance."""
    projected, line_of_vertex = vertices.projected, vertices.line
    ends = np.flatnonzero(vertices.is_end)
    tree = cKDTree(projected)
    pairs_a, pairs_b = [], []
    for end, neighbours in zip(ends, tree.query_ball_point(projected[ends], SNAP_TOLERANCE_M)):
        others = [n for n in neighbours if line_of_vertex[n] != line_of_vertex[end]]
        if others:
            nearest = min(others, key=lambda n: np.hypot(*(projected[n] - projected[end])))
            pairs_a.append(end)
            pairs_b.append(nearest)
    return np.array(pairs_a, dtype=np.int64), np.array(pairs_b, dtype=np.int64)


def _join_crossings(lines: gpd.GeoDataFrame, vertices: _Vertices) -> tuple[np.ndarray, np.ndarray]:
    """Pair the vertices nearest each crossing of two lines, unless both lines are national.

    A crossing is joined only where each line has a vertex within the
    tolerance of the crossing point, so that an existing node represents it.
    """
    projected_lines = lines.to_crs(SNAP_CRS).geometry.values
    first, second = shapely.STRtree(projected_lines).query(projected_lines, predicate="crosses")
    level = lines["level"].to_numpy()
    wanted = (first < second) & ~((level[first] == NATIONAL_LEVEL) & (level[second] == NATIONAL_LEVEL))
    first, second = first[wanted], second[wanted]
    crossings = shapely.intersection(projected_lines[first], projected_lines[second])
    points = shapely.get_parts(crossings)
    pair = np.repeat(np.arange(len(first)), shapely.get_num_geometries(crossings))
    is_point = shapely.get_type_id(points) == 0
    xy, pair = shapely.get_coordinates(points[is_point]), pair[is_point]

    tree = cKDTree(vertices.projected)
    pairs_a, pairs_b = [], []
    for point, line_a, line_b, near in zip(xy, first[pair], second[pair], tree.query_ball_point(xy, SNAP_TOLERANCE_M)):
        vertex_a = _nearest_on_line(vertices, near, line_a, point)
        vertex_b = _nearest_on_line(vertices, near, line_b, point)
        if vertex_a is not None and vertex_b is not None:
            pairs_a.append(vertex_a)
            pairs_b.append(vertex_b)
    return np.array(pairs_a, dtype=np.int64), np.array(pairs_b, dtype=np.int64)


def _nearest_on_line(vertices: _Vertices, near: list[int], line: int, point: np.ndarray) -> int | None:
    """Return the vertex of ``line`` nearest ``point`` among the vertices ``near``, or None."""
    candidates = np.asarray(near, dtype=np.int64)
    candidates = candidates[vertices.line[candidates] == line]
    if not candidates.size:
        return None
    return int(candidates[np.argmin(np.hypot(*(vertices.projected[candidates] - point).T))])


def _merge(n_vertices: int, pair_lists: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Return the node of every vertex: joined vertices share their lowest vertex number."""
    pairs_a = np.concatenate([pairs[0] for pairs in pair_lists])
    pairs_b = np.concatenate([pairs[1] for pairs in pair_lists])
    merge = coo_matrix((np.ones(len(pairs_a)), (pairs_a, pairs_b)), shape=(n_vertices, n_vertices))
    _, labels = connected_components(merge, directed=False)
    lowest = np.full(labels.max() + 1, n_vertices, dtype=np.int64)
    np.minimum.at(lowest, labels, np.arange(n_vertices))
    return lowest[labels]


def _thin(vertices: _Vertices, node_of_vertex: np.ndarray) -> np.ndarray:
    """Choose the vertices that become nodes: ends, junctions and one at least every THIN_SPACING_M.

    Walks each line and keeps a vertex when dropping it would leave more than
    ``THIN_SPACING_M`` between the last kept vertex and the next one.
    """
    shared = np.bincount(node_of_vertex, minlength=len(node_of_vertex))[node_of_vertex] > 1
    must_keep = (vertices.is_end | shared).tolist()
    along = vertices.along_m.tolist()
    kept = [False] * len(along)
    last_kept = 0.0
    for i in range(len(along)):
        if must_keep[i] or along[i + 1] - last_kept > THIN_SPACING_M:
            kept[i] = True
            last_kept = along[i]
    return np.array(kept)


def _thinned_edges(vertices: _Vertices, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join consecutive kept vertices of each line; the length is measured along the line."""
    index = np.flatnonzero(kept)
    same_line = vertices.line[index[1:]] == vertices.line[index[:-1]]
    tail, head = index[:-1][same_line], index[1:][same_line]
    return tail, head, vertices.along_m[head] - vertices.along_m[tail]


def _pieces(n_vertices: int, tail: np.ndarray, head: np.ndarray, length_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label the connected pieces and tell which are long enough to keep.

    Returns the piece of every vertex number and, per piece, whether it has at
    least ``MIN_PIECE_LENGTH_M`` of road.
    """
    adjacency = coo_matrix((np.ones(len(tail)), (tail, head)), shape=(n_vertices, n_vertices))
    _, piece = connected_components(adjacency, directed=False)
    piece_length = np.bincount(piece[tail], weights=length_m, minlength=piece.max() + 1)
    return piece, piece_length >= MIN_PIECE_LENGTH_M
def _report(
    lines: gpd.GeoDataFrame,
    vertices: _Vertices,
    node_of_vertex: np.ndarray,
    kept: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    pieces: tuple[np.ndarray, np.ndarray],
    counts: dict[str, int],
) -> MtcReport:
    """Measure how much of the thinned network is in its largest piece and in the kept pieces.

    ``edges`` is ``(tail node, head node, length_m, line)``; the largest piece
    is the one with the most road length.
    """
    tail, _, length_m, edge_line = edges
    piece, keep_piece = pieces
    nodes = np.unique(node_of_vertex[kept])
    piece_length = np.bincount(piece[tail], weights=length_m, minlength=len(keep_piece))
    largest = int(np.argmax(piece_length))
    node_in_largest, node_kept = piece[nodes] == largest, keep_piece[piece[nodes]]
    edge_in_largest, edge_kept = piece[tail] == largest, keep_piece[piece[tail]]

    department = lines["department"].to_numpy()
    node_department = department[vertices.line[nodes]]
    edge_department = department[edge_line]
    shares = []
    for name in sorted(set(department)):
        on_nodes, on_edges = node_department == name, edge_department == name
        total_m = float(length_m[on_edges].sum())
        shares.append(
            DepartmentShare(
                department=name,
                nodes=int((on_nodes & node_kept).sum()),
                length_km=total_m / 1000.0,
                kept_length_share=_share(length_m[on_edges & edge_kept].sum(), total_m),
                connected_node_share=_share((on_nodes & node_in_largest).sum(), on_nodes.sum()),
                connected_length_share=_share(length_m[on_edges & edge_in_largest].sum(), total_m),
            )
        )
    return MtcReport(
        lines=len(lines),
        planned_dropped=counts["planned"],
        straight_dropped=counts["straight"],
        vertices=len(vertices.line),
        nodes=int(node_kept.sum()),
        edges=int(2 * edge_kept.sum()),
        snapped_ends=counts["snapped"],
        joined_crossings=counts["crossings"],
        components=len(np.unique(piece[nodes])),
        pieces_kept=len(np.unique(piece[nodes][node_kept])),
        connected_node_share=float(node_in_largest.mean()),
        connected_length_share=_share(length_m[edge_in_largest].sum(), length_m.sum()),
        kept_node_share=float(node_kept.mean()),
        kept_length_share=_share(length_m[edge_kept].sum(), length_m.sum()),
        departments=shares,
    )


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole else 0.0


def longest_trip_bound_s(graph: CompactGraph) -> float:
    """Return an upper bound on the fastest time between any two connected nodes, in seconds.

    One search from one node per piece gives each node's time from that node
    (``r``). On a two-way graph any trip within a piece takes at most
    ``2 * max r``, by the triangle inequality through that node. Rounded up to
    a whole hour, this is the graph's search limit: it calls no connected
    place unreachable and still bounds every search.
    """
    _, piece = connected_components(graph.adjacency, directed=False)
    first_node = np.unique(piece, return_index=True)[1]
    times = dijkstra(graph.adjacency, directed=True, indices=first_node, min_only=True)
    return float(3600.0 * np.ceil(2.0 * np.max(times[np.isfinite(times)]) / 3600.0))


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
        "thin_spacing_m": THIN_SPACING_M,
        "min_piece_length_m": MIN_PIECE_LENGTH_M,
        "joined_crossings": "unless both national",
        "max_straight_stretch_m": MAX_STRAIGHT_STRETCH_M,
        "straight_stretch_departments": LOWLAND_AMAZON_DEPARTMENTS,
        "walk_speed_kph": parameters.MTC_WALK_SPEED_KPH,
        "format": 2,
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
    walk = replace(
        drive, adjacency=adjacency, meta=dict(drive.meta, mode="walk"), _tree=None, _edge_keys=None, _reverse=None,
        _piece=None, _main_piece=None, _main_nodes=None, _main_tree=None, _uniform_speed=None,
    )
    walk.meta["network_limit_s"] = longest_trip_bound_s(walk)
    return walk
