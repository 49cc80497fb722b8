"""Build compact per-mode graphs from OpenStreetMap extracts with osmnx.

Each source file is read into an unsimplified osmnx ``MultiDiGraph``. For
each mode, the ways the mode may use are kept and weighted by travel time.
The largest strongly connected component is then stored as CSR arrays
(:class:`routing.graph.CompactGraph`).

The graph is not simplified, so every OSM vertex of a way stays a node. That
keeps per-way speeds exact and lets the nearest-node lookup snap a point to
the nearest vertex of a road, not only to the nearest junction.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from . import parameters
from .elevation import ElevationGrid, edge_grades, walk_speed_kph
from .exceptions import GraphBuildError
from .graph import CompactGraph, utm_epsg

logger = logging.getLogger(__name__)

#: Way tags that the mode filters read, on top of the osmnx defaults.
EXTRA_WAY_TAGS = ("foot", "motor_vehicle", "motorcar")


@dataclass
class EdgeTable:
    """Directed edges of one mode, keyed by OSM node id.

    ``tail``/``head`` are OSM node ids; lengths are in metres and travel times
    in seconds, one entry per directed edge.
    """

    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_network(path: Path) -> nx.MultiDiGraph:
    """Read an OSM extract into an unsimplified osmnx graph.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` (OSM XML), ``.osm.pbf`` or ``.graphml`` (saved by
        osmnx). A GraphML file is used as saved, simplified or not.

    Returns
    -------
    networkx.MultiDiGraph
        Directed graph in EPSG:4326 with one edge per drivable direction, as
        osmnx reads one-way tags (``bidirectional=False``).
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".graphml"):
        return ox.load_graphml(path)
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        with tempfile.TemporaryDirectory(prefix="geosalud-pbf-") as folder:
            xml_path = Path(folder) / "highways.osm"
            pbf_highways_to_xml(path, xml_path)
            return read_network(xml_path)
    if not (name.endswith(".osm") or name.endswith(".xml")):
        msg = f"Unsupported road network file {path.name}: use an .osm, .osm.pbf, .xml or .graphml file."
        raise GraphBuildError(msg)

    default_tags = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = sorted(set(default_tags) | set(EXTRA_WAY_TAGS))
    try:
        return ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = default_tags


def pbf_highways_to_xml(pbf_path: Path, xml_path: Path) -> int:
    """Copy the ``highway=*`` ways of an OSM PBF file, and their nodes, to OSM XML.

    osmnx reads only XML, so PBF extracts go through this step. Returns the
    number of ways written.
    """
    node_ids: set[int] = set()
    for way in osmium.FileProcessor(str(pbf_path), osmium.osm.WAY):
        if "highway" in way.tags:
            node_ids.update(node.ref for node in way.nodes)

    n_ways = 0
    writer = osmium.SimpleWriter(str(xml_path))
    try:
        for obj in osmium.FileProcessor(str(pbf_path), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in node_ids:
                writer.add_node(obj)
            elif obj.is_way() and "highway" in obj.tags:
                writer.add_way(obj)
                n_ways += 1
    finally:
        writer.close()
    logger.info("Read %d highway ways and %d nodes from %s", n_ways, len(node_ids), pbf_path.name)
    return n_ways


def _first(value):
    """Return the first element of an osmnx list attribute, or the value itself."""
    return value[0] if isinstance(value, list) else value


def _is_open(data: dict, mode_tags: tuple[str, ...]) -> bool:
    """Tell whether a way's access tags let the mode use it."""
    for tag in mode_tags:
        if _first(data.get(tag)) == "no":
            return False
    if _first(data.get("access")) not in parameters.CLOSED_ACCESS:
        return True
    return any(_first(data.get(tag)) in parameters.OPEN_ACCESS for tag in mode_tags)


def walk_allowed(data: dict) -> bool:
    """Tell whether pedestrians may use an edge, from its OSM tags."""
    highway = _first(data.get("highway"))
    if highway == "cycleway":
        return _first(data.get("foot")) in parameters.OPEN_ACCESS
    return highway in parameters.WALK_HIGHWAYS and _is_open(data, ("foot",))


def drive_allowed(data: dict) -> bool:
    """Tell whether cars may use an edge, from its OSM tags."""
    highway = _first(data.get("highway"))
    if highway not in parameters.DRIVE_SPEED_KPH:
        return False
    if _first(data.get("service")) in parameters.DRIVE_EXCLUDED_SERVICES:
        return False
    return _is_open(data, ("motor_vehicle", "motorcar"))


def mode_edges(G: nx.MultiDiGraph, mode: str, elevation: ElevationGrid | None = None) -> EdgeTable:
    """Select the edges a mode may use and weight them by travel time.

    Walking ignores one-way tags: each walkable edge is added in both
    directions. With an elevation grid, each direction gets its own speed by
    Tobler's function, so uphill is slower than downhill. Without a grid, or
    where the grid has no value, walking is at the level-ground speed. Driving keeps
    the edge directions osmnx derived from ``oneway``, with speeds from
    ``maxspeed`` where tagged and from
    :data:`routing.parameters.DRIVE_SPEED_KPH` elsewhere.
    """
    if mode not in parameters.GRAPH_MODES:
        msg = f"No graph is built for mode {mode!r}; build one of: {', '.join(parameters.GRAPH_MODES)}."
        raise GraphBuildError(msg)
    allowed = walk_allowed if mode == "walk" else drive_allowed
    kept = [(u, v, k) for u, v, k, data in G.edges(keys=True, data=True) if allowed(data)]
    if not kept:
        msg = f"The network has no edge usable for mode {mode!r}; check that the extract has highway ways."
        raise GraphBuildError(msg)

    sub = G.edge_subgraph(kept)
    tail = np.array([u for u, _, _ in kept], dtype=np.int64)
    head = np.array([v for _, v, _ in kept], dtype=np.int64)
    length_m = np.array([float(sub.edges[e]["length"]) for e in kept])

    if mode == "walk":
        grade = np.zeros(len(kept))
        if elevation is not None:
            grade = _grades(G, tail, head, length_m, elevation)
        forward_s = length_m / parameters.kph_to_mps(walk_speed_kph(grade))
        backward_s = length_m / parameters.kph_to_mps(walk_speed_kph(-grade))
        return EdgeTable(
            tail=np.concatenate([tail, head]),
            head=np.concatenate([head, tail]),
            length_m=np.concatenate([length_m, length_m]),
            travel_time_s=np.concatenate([forward_s, backward_s]),
        )

    sub = ox.add_edge_speeds(
        sub.copy(), hwy_speeds=parameters.DRIVE_SPEED_KPH, fallback=parameters.DRIVE_FALLBACK_SPEED_KPH
    )
    sub = ox.add_edge_travel_times(sub)
    travel_time_s = np.array([float(sub.edges[e]["travel_time"]) for e in kept])
    return EdgeTable(tail=tail, head=head, length_m=length_m, travel_time_s=travel_time_s)


def _grades(
    G: nx.MultiDiGraph, tail: np.ndarray, head: np.ndarray, length_m: np.ndarray, elevation: ElevationGrid
) -> np.ndarray:
    """Return the grade of each edge ``tail[i] -> head[i]`` (NaN where unknown)."""
    lon = {node: float(data["x"]) for node, data in G.nodes(data=True)}
    lat = {node: float(data["y"]) for node, data in G.nodes(data=True)}
    return edge_grades(
        elevation,
        np.array([lon[n] for n in tail]),
        np.array([lat[n] for n in tail]),
        np.array([lon[n] for n in head]),
        np.array([lat[n] for n in head]),
        length_m,
    )


def _largest_strong_component(n_nodes: int, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the nodes in the largest strongly connected component."""
    matrix = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    return labels == largest


def node_coordinates(G: nx.MultiDiGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the OSM ids (sorted), longitudes and latitudes of a graph's nodes."""
    osmids = np.array(sorted(G.nodes), dtype=np.int64)
    lon = np.array([float(G.nodes[n]["x"]) for n in osmids])
    lat = np.array([float(G.nodes[n]["y"]) for n in osmids])
    return osmids, lon, lat


def compact(
    edges: EdgeTable, nodes: tuple[np.ndarray, np.ndarray, np.ndarray], meta: dict, keep_pieces: bool = False
) -> CompactGraph:
    """Turn a mode's edge table into a CSR graph of its largest strong component.

    ``nodes`` is ``(osmid, lon, lat)`` with the ids sorted, as returned by
    :func:`node_coordinates`; it must contain every node of the edge table.
    Parallel edges between the same two nodes collapse to the fastest one,
    and self-loops are dropped because no shortest path uses them. With
    ``keep_pieces`` every node of the edge table is kept, so the graph may
    hold several unconnected pieces (the caller chose which to keep).
    """
    osmids, inverse = np.unique(np.concatenate([edges.tail, edges.head]), return_inverse=True)
    tail, head = inverse[: len(edges.tail)], inverse[len(edges.tail) :]
    if keep_pieces:
        keep_node = np.ones(len(osmids), dtype=bool)
    else:
        keep_node = _largest_strong_component(len(osmids), tail, head)

    keep_edge = keep_node[tail] & keep_node[head] & (tail != head)
    new_index = np.cumsum(keep_node) - 1
    tail, head = new_index[tail[keep_edge]], new_index[head[keep_edge]]
    travel_time_s = edges.travel_time_s[keep_edge]
    length_m = edges.length_m[keep_edge]
    osmids = osmids[keep_node]

    # Sort by row, then column, then time, and keep the first (fastest) edge of each pair.
    order = np.lexsort((travel_time_s, head, tail))
    tail, head, travel_time_s, length_m = tail[order], head[order], travel_time_s[order], length_m[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, travel_time_s, length_m = tail[first], head[first], travel_time_s[first], length_m[first]

    n_nodes = len(osmids)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    # A zero weight disappears if any sparse operation drops stored zeros, so
    # zero-length edges (duplicate vertices) get one microsecond instead.
    travel_time_s = np.maximum(travel_time_s, 1e-6)
    adjacency = csr_matrix((travel_time_s, head.astype(np.int32), indptr), shape=(n_nodes, n_nodes))

    all_osmids, all_lon, all_lat = nodes
    position = np.searchsorted(all_osmids, osmids)
    node_lon, node_lat = all_lon[position], all_lat[position]
    meta = dict(meta, crs_epsg=utm_epsg(float(np.median(node_lon)), float(np.median(node_lat))))
    return CompactGraph(
        adjacency=adjacency,
        length_m=length_m,
        node_osmid=osmids,
        node_lon=node_lon,
        node_lat=node_lat,
        meta=meta,
    )


def build_graphs(
    path: Path, modes: tuple[str, ...] = parameters.GRAPH_MODES, elevation: ElevationGrid | None = None
) -> dict[str, CompactGraph]:
    """Build the compact graph of each mode from one OSM extract.

    Parameters
    ----------
    path
        Source file, see :func:`read_network`.
    modes
        Travel modes to build.
    elevation
        Optional elevation grid for slope-aware walking times.

    Returns
    -------
    dict
        ``{mode: CompactGraph}``; each graph's ``meta`` records the source
        file name and SHA-256, the rules digest and the build time (UTC).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"Road network file not found: {path}. Check GEOSALUD['SOURCE_DATA_DIR']."
        raise GraphBuildError(msg)

    G = read_network(path)
    base_meta = {
        "source_file": path.name,
        "source_sha256": file_sha256(path),
        "rules_digest": parameters.graph_rules_digest(),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "elevation_sha256": None if elevation is None else elevation.source_sha256,
    }
    nodes = node_coordinates(G)
    graphs = {}
    for mode in modes:
        edges = mode_edges(G, mode, elevation)
        graph = compact(edges, nodes, dict(base_meta, mode=mode))
        logger.info(
            "Built %s graph from %s: %d nodes and %d edges kept, out of %d nodes with usable edges",
            mode, path.name, graph.n_nodes, graph.n_edges, len(np.unique(np.concatenate([edges.tail, edges.head]))),
        )
        graphs[mode] = graph
    return graphs
