"""Benchmark the travel-time engine against networkx, pandana, pgRouting and bare scipy.

Usage::

    .venv/bin/python benchmarks/routing.py              # staged graphs and the 1M-node synthetic graph
    .venv/bin/python benchmarks/routing.py --side 300   # a smaller synthetic grid, for a quick run

Needs the graph files of ``manage.py build_graphs`` and the facilities of
``manage.py load_data`` in the database of ``DATABASE_URL`` (or the local
cluster). pgRouting runs when the ``pgrouting`` extension is installed
(Debian package postgresql-15-pgrouting). It works in its own database,
``<name>_routing_bench``, which the script creates and leaves in place.

Writes ``benchmarks/results/routing.json`` and the "Routing" section of
``docs/benchmarks.md``.

Two tasks are timed on each graph, with the same facility nodes for every
method:

* surface: every node's travel time to (from, on directed graphs) the nearest
  facility;
* household: one origin to all facilities, the median over several origins,
  and one origin to the facilities within the family search's radius
  (``GEOSALUD["SEARCH_RADIUS_KM"]``), which is what a search sends.

The MTC graph has thousands of facility nodes, so on it networkx runs one
Dijkstra per facility for a sample of facilities and scales the time, and
pandana and pgRouting run in a child process that is stopped after
``MANY_FACILITIES_TIMEOUT_S``.

Peak memory is the growth of the process's peak resident set while a method
runs (``VmHWM`` from /proc, reset before each method through
``/proc/self/clear_refs``), so it counts C and C++ allocations too.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")

from routing import parameters  # noqa: E402
from routing.build import EdgeTable, compact  # noqa: E402
from routing.estimate import estimate_route, haversine_m  # noqa: E402
from routing.graph import CompactGraph, nearest_source_surface, one_to_many  # noqa: E402
from routing.matrix import FacilityMatrix  # noqa: E402

RESULTS_FILE = BASE_DIR / "benchmarks" / "results" / "routing.json"
DOC_FILE = BASE_DIR / "docs" / "benchmarks.md"
SECTION_TITLE = "## Routing: travel-time engine"
HOUSEHOLD_ORIGINS = 25
SYNTHETIC_FACILITIES = 30
NX_PER_FACILITY_SAMPLE = 3
#: Time allowed to a third-party library on the synthetic graph before it is reported as unfinished.
BIG_GRAPH_TIMEOUT_S = 900.0
#: Facility nodes above which a graph is sampled like the synthetic one (the MTC graph has thousands).
MANY_FACILITIES = 200
#: Time allowed to pandana or pgRouting on a graph with many facilities.
MANY_FACILITIES_TIMEOUT_S = 600.0


def _read_status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    msg = f"{field} missing from /proc/self/status; this benchmark needs Linux."
    raise RuntimeError(msg)


def measure(function, repeat: int = 1) -> tuple[float, float, object]:
    """Run ``function`` ``repeat`` times; return median seconds, peak extra MB and the last result."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    baseline_kb = _read_status_kb("VmRSS")
    seconds = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    peak_mb = max(_read_status_kb("VmHWM") - baseline_kb, 0) / 1024
    return statistics.median(seconds), peak_mb, result


def to_networkx(graph: CompactGraph) -> nx.DiGraph:
    """Copy a compact graph into a networkx DiGraph with ``travel_time`` weights."""
    coo = graph.adjacency.tocoo()
    G = nx.DiGraph()
    G.add_nodes_from(range(graph.n_nodes))
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()), weight="travel_time")
    return G


def synthetic_graph(side: int, seed: int = 20261204) -> CompactGraph:
    """Build a ``side x side`` street grid of about 100 m blocks around Huamanga.

    Block lengths vary by up to 30 %, speeds are drawn from the street and
    avenue limits, and 5 % of the streets are missing, so that paths are not
    all straight. It is a stand-in for scale only, not a real network.
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side)
    tail = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    head = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(tail)) > 0.05
    tail, head = tail[keep], head[keep]
    length_m = 100.0 * (1.0 + 0.3 * rng.random(len(tail)))
    speed_kph = rng.choice([30.0, 30.0, 30.0, 50.0], size=len(tail))
    travel_time_s = length_m / (speed_kph / 3.6)
    edges = EdgeTable(
        tail=np.concatenate([tail, head]),
        head=np.concatenate([head, tail]),
        length_m=np.concatenate([length_m, length_m]),
        travel_time_s=np.concatenate([travel_time_s, travel_time_s]),
    )
    rows, cols = np.divmod(np.arange(side * side), side)
    lat = -13.16 + rows * 0.0009
    lon = -74.22 + cols * 0.0009 / np.cos(np.radians(13.16))
    return compact(edges, (ids.ravel(), lon, lat), {"mode": "synthetic", "source_file": f"grid {side}x{side}"})


def staged_graphs() -> list[tuple[str, CompactGraph, np.ndarray]]:
    """Load the staged graphs and the nodes of the registry facilities on them."""
    import django

    django.setup()
    from django.conf import settings

    from geoservices.models import Facility
    from routing.models import RoadRegion
    from routing.regions import MTC_NETWORK

    graph_dir = Path(settings.GEOSALUD["GRAPH_DIR"])
    graphs = []
    for region in RoadRegion.objects.order_by("slug"):
        locations = [
            f.location for f in Facility.objects.filter(is_searchable=True, location__within=region.extent)
        ]
        max_access_m = (
            parameters.MTC_MAX_ACCESS_DISTANCE_M if region.slug == MTC_NETWORK.slug else parameters.MAX_ACCESS_DISTANCE_M
        )
        for mode, file_name in sorted(region.graph_files.items()):
            graph = CompactGraph.load(graph_dir / file_name)
            graph.meta["path"] = str(graph_dir / file_name)
            nodes, distance_m = graph.nearest_nodes([p.x for p in locations], [p.y for p in locations])
            facility_nodes = np.unique(nodes[distance_m <= max_access_m])
            graphs.append((f"{region.slug} {mode}", graph, facility_nodes))
    return graphs


def engine_household(graph: CompactGraph, origin: int, facilities: np.ndarray):
    """Query one origin as routing.services does: facilities on the origin's piece, with the probe limit.

    The probe uses the straight-line estimate of the graph's mode (walking
    for the synthetic grid), as a search does.
    """
    facilities = facilities[graph.piece(facilities) == graph.piece([origin])[0]]
    straight_m = haversine_m(
        graph.node_lon[origin], graph.node_lat[origin], graph.node_lon[facilities], graph.node_lat[facilities]
    )
    mode = graph.mode if graph.mode in parameters.MODES else "walk"
    _, estimate_s = estimate_route(straight_m, mode)
    probe_s = 3.0 * float(estimate_s.max(initial=0.0)) + parameters.PROBE_MARGIN_S
    return one_to_many(graph, origin, facilities, graph.network_limit_s, probe_limit_s=probe_s)


def within_search_radius(graph: CompactGraph, origin: int, facilities: np.ndarray) -> np.ndarray:
    """Return the facility nodes within the family search's radius of the origin, as a search sends them."""
    from django.conf import settings

    straight_m = haversine_m(
        graph.node_lon[origin], graph.node_lat[origin], graph.node_lon[facilities], graph.node_lat[facilities]
    )
    return facilities[straight_m <= settings.GEOSALUD["SEARCH_RADIUS_KM"] * 1000.0]


def bench_python_methods(graph: CompactGraph, facilities: np.ndarray, origins: np.ndarray, big: bool) -> dict:
    """Time the engine, bare scipy and networkx on one graph."""
    results = _engine_methods(graph, facilities, origins, big)
    surface, _ = nearest_source_surface(graph, facilities)
    results.update(_networkx_methods(graph, facilities, origins, big, surface))
    return results


def _engine_methods(graph: CompactGraph, facilities: np.ndarray, origins: np.ndarray, big: bool = False) -> dict:
    """Time this engine and bare scipy on one graph."""
    results = {}
    if "path" in graph.meta:
        # Loading includes the first nearest-node lookup, which builds the k-d tree.
        seconds, peak, _ = measure(lambda: CompactGraph.load(graph.meta["path"]).nearest_nodes(-75.0, -10.0), 5)
        results["load"] = {"seconds": seconds, "peak_mb": peak}

    # Sub-millisecond calls on the small graphs vary with the load of the shared machine, so they get more repeats.
    repeat = 5
    if big:
        repeat = 1
    elif graph.n_nodes < 10_000:
        repeat = 51
    seconds, peak, (surface, _) = measure(lambda: nearest_source_surface(graph, facilities), repeat=repeat)
    results["engine surface"] = {"seconds": seconds, "peak_mb": peak}
    # The floor returns the same facts as the engine: each node's time and its nearest facility node.
    seconds, peak, (floor, _, _) = measure(
        lambda: dijkstra(
            graph.adjacency, directed=True, indices=facilities, min_only=True, return_predecessors=True
        ),
        repeat=repeat,
    )
    results["scipy surface"] = {"seconds": seconds, "peak_mb": peak}
    if not np.allclose(surface, floor):
        raise RuntimeError("The engine surface differs from the scipy floor; the benchmark is invalid.")

    household = [measure(lambda o=o: engine_household(graph, int(o), facilities)) for o in origins]
    results["engine household"] = {
        "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household)
    }
    nearby = [(int(o), within_search_radius(graph, int(o), facilities)) for o in origins]
    household = [measure(lambda o=o, near=near: engine_household(graph, o, near)) for o, near in nearby if near.size]
    if household:
        results["engine household (search radius)"] = {
            "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household),
            "facilities": statistics.median(near.size for _, near in nearby if near.size),
        }
    graph_path = Path(graph.meta["path"]) if "path" in graph.meta else None
    matrix_path = None if graph_path is None else graph_path.with_name(graph_path.stem + "_facilities.npz")
    if matrix_path is not None and matrix_path.exists():
        matrix = FacilityMatrix.load(matrix_path)
        if matrix.fits(graph) and np.all(matrix.rows_for(facilities) >= 0):

            def from_matrix(origin):
                rows = matrix.rows_for(facilities)
                return matrix.travel_time_s[rows, origin], matrix.distance_m[rows, origin]

            household = [measure(lambda o=o: from_matrix(int(o))) for o in origins]
            results["engine household (matrix)"] = {
                "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household)
            }
    household = [measure(lambda o=o: dijkstra(graph.adjacency, indices=int(o))) for o in origins]
    results["scipy household"] = {
        "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household)
    }
    return results


def _networkx_methods(
    graph: CompactGraph, facilities: np.ndarray, origins: np.ndarray, big: bool, surface: np.ndarray
) -> dict:
    """Time networkx on one graph and check its surface against the engine's."""
    results = {}
    _, build_peak, G = measure(lambda: to_networkx(graph))
    sources = facilities[:: max(1, len(facilities) // NX_PER_FACILITY_SAMPLE)][:NX_PER_FACILITY_SAMPLE] if big else facilities

    def per_facility():
        best = {}
        for source in sources.tolist():
            for node, value in nx.single_source_dijkstra_path_length(G, source, weight="travel_time").items():
                if value < best.get(node, np.inf):
                    best[node] = value
        return best

    seconds, peak, _ = measure(per_facility)
    entry = {"seconds": seconds * len(facilities) / len(sources), "peak_mb": peak}
    if big:
        entry["note"] = f"measured on {len(sources)} facilities and scaled to {len(facilities)}"
    results["networkx per-facility surface"] = entry
    seconds, peak, nx_surface = measure(
        lambda: nx.multi_source_dijkstra_path_length(G, set(facilities.tolist()), weight="travel_time")
    )
    results["networkx multi-source surface"] = {"seconds": seconds, "peak_mb": peak}
    sample = np.flatnonzero(np.isfinite(surface))[:: max(1, graph.n_nodes // 1000)]
    if not np.allclose(surface[sample], [nx_surface[int(n)] for n in sample]):
        raise RuntimeError("networkx and the engine disagree on the surface; the benchmark is invalid.")

    household = [
        measure(lambda o=o: nx.single_source_dijkstra_path_length(G, int(o), weight="travel_time"))
        for o in origins[: 5 if big else len(origins)]
    ]
    results["networkx household"] = {
        "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household)
    }
    results["networkx graph copy"] = {"seconds": None, "peak_mb": build_peak}
    return results


def bench_pandana(graph: CompactGraph, facilities: np.ndarray, origins: np.ndarray) -> dict:
    """Time pandana (contraction hierarchies) on one graph; setup is timed apart."""
    import pandas as pd
    import pandana

    coo = graph.adjacency.tocoo()
    nodes = pd.DataFrame({"x": graph.node_lon, "y": graph.node_lat})
    edges = pd.DataFrame({"from": coo.row, "to": coo.col, "travel_time": coo.data})
    seconds, peak, network = measure(
        lambda: pandana.Network(nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["travel_time"]], twoway=False)
    )
    results = {"pandana setup": {"seconds": seconds, "peak_mb": peak}}
    max_s = graph.network_limit_s

    def surface():
        network.set_pois("facility", max_s, 1, graph.node_lon[facilities], graph.node_lat[facilities])
        return network.nearest_pois(max_s, "facility", num_pois=1)

    seconds, peak, _ = measure(surface)
    results["pandana surface"] = {"seconds": seconds, "peak_mb": peak}
    household = [
        measure(lambda o=o: network.shortest_path_lengths([int(o)] * len(facilities), facilities.tolist()))
        for o in origins
    ]
    results["pandana household"] = {
        "seconds": statistics.median(h[0] for h in household), "peak_mb": max(h[1] for h in household)
    }
    return results


def bench_in_child(function, timeout_s: float, *args) -> dict:
    """Run a benchmark function in a forked child process, stopping it after ``timeout_s``.

    Returns the function's results, or one entry saying that it did not finish.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(function(*args)))
    child.start()
    child.join(timeout_s)
    if child.is_alive():
        child.terminate()
        child.join()
        name = function.__name__.removeprefix("bench_")
        return {f"{name} setup": {"seconds": None, "peak_mb": None, "note": f"did not finish within {timeout_s:.0f} s"}}
    return queue.get()


def bench_pgrouting(graph: CompactGraph, facilities: np.ndarray, origins: np.ndarray) -> dict:
    """Time pgRouting on one graph, in a scratch table of the benchmark database."""
    import io

    import psycopg2
    from django.conf import settings

    database = settings.DATABASES["default"]
    params = {
        "host": database["HOST"], "port": database["PORT"], "user": database["USER"],
        "password": database["PASSWORD"],
    }
    bench_db = f"{database['NAME']}_routing_bench"
    admin = psycopg2.connect(dbname=database["NAME"], **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_db])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{bench_db}"')
    admin.close()

    connection = psycopg2.connect(dbname=bench_db, **params)
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE")
    cursor.execute("DROP TABLE IF EXISTS bench_edges")
    cursor.execute("CREATE TABLE bench_edges (id bigint, source bigint, target bigint, cost float8)")
    coo = graph.adjacency.tocoo()
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([np.arange(coo.nnz), coo.row, coo.col, coo.data]), fmt=["%d", "%d", "%d", "%.9f"], delimiter="\t")
    buffer.seek(0)
    cursor.copy_from(buffer, "bench_edges", columns=("id", "source", "target", "cost"))
    cursor.execute("ANALYZE bench_edges")

    edges_sql = "SELECT id, source, target, cost FROM bench_edges"
    starts = "{" + ",".join(str(int(f)) for f in facilities) + "}"

    def surface():
        cursor.execute(
            "SELECT count(*) FROM pgr_drivingDistance(%s, %s::bigint[], %s, directed => true, equicost => true)",
            [edges_sql, starts, graph.network_limit_s],
        )
        return cursor.fetchone()[0]

    seconds, peak, _ = measure(surface)
    results = {"pgrouting surface": {"seconds": seconds, "peak_mb": None, "note": "includes reading the edges"}}

    def household(origin):
        cursor.execute(
            "SELECT count(*) FROM pgr_dijkstraCost(%s, %s::bigint, %s::bigint[], directed => true)",
            [edges_sql, int(origin), starts],
        )
        return cursor.fetchone()[0]

    timings = [measure(lambda o=o: household(o))[0] for o in origins[:5]]
    results["pgrouting household"] = {"seconds": statistics.median(timings), "peak_mb": None}
    cursor.execute("DROP TABLE bench_edges")
    connection.close()
    return results


def pgrouting_available() -> bool:
    """Tell whether the pgrouting extension can be created on the database server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'")
        return cursor.fetchone() is not None


def run(side: int) -> dict:
    """Run every method on every graph and return the JSON record (no synthetic graph when side is 0)."""
    rng = np.random.default_rng(7)
    cases = staged_graphs()
    if side:
        synthetic = synthetic_graph(side)
        synthetic_facilities = np.unique(rng.choice(synthetic.n_nodes, size=SYNTHETIC_FACILITIES, replace=False))
        cases.append((f"synthetic grid {synthetic.n_nodes:,} nodes", synthetic, synthetic_facilities))
    with_pgrouting = pgrouting_available()

    records = []
    for name, graph, facilities in cases:
        big = graph.n_nodes > 200_000
        many = len(facilities) > MANY_FACILITIES
        origins = rng.choice(graph.n_nodes, size=HOUSEHOLD_ORIGINS, replace=False)
        print(f"{name}: {graph.n_nodes} nodes, {graph.n_edges} edges, {len(facilities)} facilities", flush=True)
        methods = bench_python_methods(graph, facilities, origins, big or many)
        if big:
            # pandana's contraction hierarchy of a 1M-node grid can run for tens of minutes on 2 cores.
            methods.update(bench_in_child(bench_pandana, BIG_GRAPH_TIMEOUT_S, graph, facilities, origins))
        elif many:
            methods.update(bench_in_child(bench_pandana, MANY_FACILITIES_TIMEOUT_S, graph, facilities, origins[:5]))
        else:
            methods.update(bench_pandana(graph, facilities, origins))
        if with_pgrouting and many:
            methods.update(bench_in_child(bench_pgrouting, MANY_FACILITIES_TIMEOUT_S, graph, facilities, origins))
        elif with_pgrouting:
            methods.update(bench_pgrouting(graph, facilities, origins))
        records.append(
            {
                "name": name, "nodes": graph.n_nodes, "edges": graph.n_edges, "facilities": len(facilities),
                "measured": date.today().isoformat(), "methods": methods,
            }
        )
    return {
        "date": date.today().isoformat(),
        "machine": machine_description(),
        "pgrouting": with_pgrouting,
        "graphs": records,
    }


#: Entries that --engine-only measures again.
ENGINE_METHODS = (
    "load", "engine surface", "scipy surface", "engine household", "engine household (search radius)",
    "engine household (matrix)", "scipy household",
)


def rerun_engine(previous: dict) -> dict:
    """Measure the engine and scipy entries of the staged graphs again, keeping the other entries."""
    rng = np.random.default_rng(7)
    records = {g["name"]: g for g in previous["graphs"]}
    for name, graph, facilities in staged_graphs():
        if name not in records:
            continue
        origins = rng.choice(graph.n_nodes, size=HOUSEHOLD_ORIGINS, replace=False)
        measured = _engine_methods(graph, facilities, origins)
        methods = {key: value for key, value in records[name]["methods"].items() if key not in ENGINE_METHODS}
        records[name] = dict(records[name], methods={**measured, **methods}, engine_measured=date.today().isoformat())
        print(f"{name}: engine entries measured again", flush=True)
    return dict(previous, graphs=list(records.values()))


def machine_description() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = _read_meminfo_kb("MemTotal") / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GB RAM, Python {platform.python_version()}, {platform.system()}"


def _read_meminfo_kb(field: str) -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _ratio(method: dict | None, engine: dict) -> str:
    if not method or method.get("seconds") is None:
        return "n/a"
    return f"{method['seconds'] / engine['seconds']:.1f}x"


def _cell(method: dict | None) -> str:
    if method and method.get("seconds") is None and method.get("note"):
        return method["note"]
    if not method or method.get("seconds") is None:
        return "n/a"
    peak = method.get("peak_mb")
    memory = "" if peak is None else f", {peak:.0f} MB"
    seconds = method["seconds"]
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs{memory}"
    return f"{seconds * 1000:.1f} ms{memory}"


def _radius_cell(method: dict | None) -> str:
    if not method:
        return "n/a"
    return f"{_cell(method)} ({method['facilities']:.0f} facilities)"


def markdown(record: dict) -> str:
    """Render the Routing section of docs/benchmarks.md."""
    lines = [
        SECTION_TITLE,
        "",
        f"Measured by `benchmarks/routing.py` on {record['date']}: {record['machine']}. Raw numbers: "
        "`benchmarks/results/routing.json`. Each cell is wall time and the growth of peak resident memory "
        "while the method ran; the ratio is to this engine. The surface is every node's time from the "
        "nearest facility; the household query is one origin to all facilities (median over origins). "
        "pandana's columns leave out its contraction-hierarchy setup, which is timed apart in the JSON. The "
        "search-radius column sends only the facilities within the family search's radius of the origin "
        "(median count in brackets), as a search does. The "
        "synthetic graph is a seeded street grid of about 100 m blocks, a stand-in for scale, not a real network. "
        "Other sessions shared the machine, so timings vary by tens of percent between runs.",
        "",
        "| graph | nodes | facilities | engine surface | scipy floor | networkx per facility | networkx multi-source | pandana | pgRouting |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for graph in record["graphs"]:
        m = graph["methods"]
        engine = m["engine surface"]
        cells = [
            _cell(engine),
            f"{_cell(m['scipy surface'])} ({_ratio(m['scipy surface'], engine)})",
            f"{_cell(m['networkx per-facility surface'])} ({_ratio(m['networkx per-facility surface'], engine)})",
            f"{_cell(m['networkx multi-source surface'])} ({_ratio(m['networkx multi-source surface'], engine)})",
            f"{_cell(m.get('pandana surface') or m.get('pandana setup'))} ({_ratio(m.get('pandana surface'), engine)})",
            f"{_cell(m.get('pgrouting surface'))} ({_ratio(m.get('pgrouting surface'), engine)})",
        ]
        lines.append(f"| {graph['name']} | {graph['nodes']:,} | {graph['facilities']} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "| graph | graph load | engine household (matrix) | engine household (Dijkstra) | engine household, search radius (Dijkstra) | scipy household (times only) | networkx household | pandana household | pgRouting household |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for graph in record["graphs"]:
        m = graph["methods"]
        engine = m["engine household"]
        cells = [
            _cell(m.get("load")),
            _cell(m.get("engine household (matrix)")),
            _cell(engine),
            _radius_cell(m.get("engine household (search radius)")),
            f"{_cell(m['scipy household'])} ({_ratio(m['scipy household'], engine)})",
            f"{_cell(m['networkx household'])} ({_ratio(m['networkx household'], engine)})",
            f"{_cell(m.get('pandana household'))} ({_ratio(m.get('pandana household'), engine)})",
            f"{_cell(m.get('pgrouting household'))} ({_ratio(m.get('pgrouting household'), engine)})",
        ]
        lines.append(f"| {graph['name']} | " + " | ".join(cells) + " |")

    graphs_by_note: dict[tuple[str, str], list[str]] = {}
    for graph in record["graphs"]:
        for name, method in graph["methods"].items():
            if method.get("note"):
                graphs_by_note.setdefault((name, method["note"]), []).append(graph["name"])
    notes = [
        f"* {name}: {note} ({'all graphs' if len(graphs) == len(record['graphs']) else ', '.join(graphs)})."
        for (name, note), graphs in graphs_by_note.items()
    ]
    again = [g["name"] for g in record["graphs"] if g.get("engine_measured")]
    if again:
        notes.append(
            f"* engine and scipy entries: measured again with `--engine-only` on "
            f"{record['graphs'][0].get('engine_measured', record['date'])}, after the full run, with the household "
            f"probe of each graph's mode and 51 repeats of the sub-millisecond surfaces ({', '.join(again)})."
        )
    lines += ["", *notes, "", _targets(record), ""]
    return "\n".join(lines)


def _targets(record: dict) -> str:
    """State each target of the engine and whether this run met it."""
    floor_missed = [
        g["name"]
        for g in record["graphs"]
        if g["methods"]["engine surface"]["seconds"] > 1.5 * g["methods"]["scipy surface"]["seconds"]
    ]
    nx_missed = [g for g in record["graphs"] if _networkx_ratio(g, "engine surface") < 100]
    floor_ok, nx_ok = not floor_missed, not nx_missed
    staged = [g for g in record["graphs"] if not g["name"].startswith("synthetic")]
    household_missed = [g["name"] for g in staged if _household_s(g) >= 0.005]
    load_ok = all(g["methods"]["load"]["seconds"] < 1.0 for g in staged if "load" in g["methods"])
    verdict = {True: "met", False: "NOT met"}

    def missed(names: list[str]) -> str:
        return f" (missed on {', '.join(names)})" if names else ""

    floor_ratios = ", ".join(f"{g['name']} {_networkx_ratio(g, 'scipy surface'):.0f}x" for g in nx_missed)
    floor_note = f"; where missed, bare scipy is only {floor_ratios} faster than networkx" if nx_missed else ""
    return (
        f"Targets: surface within 1.5x of the scipy floor: {verdict[floor_ok]}{missed(floor_missed)}; at least "
        f"100x faster than one networkx Dijkstra per facility: {verdict[nx_ok]}{missed([g['name'] for g in nx_missed])}"
        f"{floor_note}; household query under 5 ms median on the staged graphs (through the facility matrix "
        f"where there is one, else Dijkstra to the facilities within the search radius): "
        f"{verdict[not household_missed]}{missed(household_missed)}; graph load under 1 s: {verdict[load_ok]}."
        + ("" if record["pgrouting"] else " pgRouting was not installed, so its columns are empty.")
    )


def _networkx_ratio(graph: dict, method: str) -> float:
    return graph["methods"]["networkx per-facility surface"]["seconds"] / graph["methods"][method]["seconds"]


def _household_s(graph: dict) -> float:
    """Return the household time a search meets: from the matrix, else the search-radius Dijkstra."""
    methods = graph["methods"]
    chosen = methods.get("engine household (matrix)") or methods.get("engine household (search radius)")
    return (chosen or methods["engine household"])["seconds"]


def write_section(text: str) -> None:
    """Replace the Routing section of docs/benchmarks.md, leaving the other sections as they are."""
    current = DOC_FILE.read_text() if DOC_FILE.exists() else "# Benchmarks\n"
    start = current.find(SECTION_TITLE)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION_TITLE))
        updated = current[:start] + text + ("" if end < 0 else "\n" + current[end + 1 :])
    DOC_FILE.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1000, help="Side of the synthetic grid, in nodes (default 1000, about 1M nodes).")
    parser.add_argument(
        "--keep-others", action="store_true",
        help="Keep the records of graphs not measured in this run (for example the synthetic graph with "
        "--side 0) from the existing results file; each record states the date it was measured.",
    )
    parser.add_argument(
        "--engine-only", action="store_true",
        help="Measure only this engine and bare scipy on the staged graphs and replace those entries in the "
        "existing results file, keeping the networkx, pandana and pgRouting entries of the last full run.",
    )
    parser.add_argument(
        "--render-only", action="store_true",
        help="Rewrite the docs/benchmarks.md section from the existing results file without measuring.",
    )
    args = parser.parse_args()
    if args.render_only:
        write_section(markdown(json.loads(RESULTS_FILE.read_text())))
        return
    if args.engine_only:
        record = rerun_engine(json.loads(RESULTS_FILE.read_text()))
        RESULTS_FILE.write_text(json.dumps(record, indent=2) + "\n")
        write_section(markdown(record))
        print(markdown(record))
        return
    record = run(args.side)
    if args.keep_others and RESULTS_FILE.exists():
        previous = json.loads(RESULTS_FILE.read_text())
        measured = {g["name"] for g in record["graphs"]}
        record["graphs"] += [
            dict(g, measured=g.get("measured", previous["date"])) for g in previous["graphs"] if g["name"] not in measured
        ]
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(record, indent=2) + "\n")
    write_section(markdown(record))
    print(markdown(record))


if __name__ == "__main__":
    main()
