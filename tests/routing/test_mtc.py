"""Drive graphs from the staged MTC road lines."""
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.conf import settings
from scipy.sparse.csgraph import connected_components, dijkstra

from routing import mtc
from routing.graph import one_to_many

ROADS = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "roads_mtc"
AMAZONAS = sorted(ROADS.glob("*/*_amazonas.geojson"))
NATIONAL = sorted((ROADS / "nacional").glob("*.geojson"))


@pytest.fixture(scope="module")
def amazonas():
    return mtc.build_mtc_graph(AMAZONAS)


def test_amazonas_has_three_levels():
    assert [p.parent.name for p in AMAZONAS] == ["departamental", "nacional", "vecinal"]


def test_planned_roads_dropped(amazonas):
    lines = mtc.read_lines(AMAZONAS)
    _, report = amazonas
    assert report.planned_dropped == int((lines["superficie"] == mtc.PLANNED_SURFACE).sum())
    assert report.planned_dropped > 0


def test_kept_pieces_are_long_enough(amazonas):
    graph, report = amazonas
    n_pieces, piece = connected_components(graph.adjacency, directed=True, connection="strong")
    assert n_pieces == report.pieces_kept > 1
    tail = np.repeat(np.arange(graph.n_nodes), np.diff(graph.adjacency.indptr))
    # Each road is stored once per direction.
    piece_length_m = np.bincount(piece[tail], weights=graph.length_m) / 2
    assert piece_length_m.min() >= mtc.MIN_PIECE_LENGTH_M
    assert 0 < report.connected_length_share <= report.kept_length_share <= 1
    assert 0 < report.connected_node_share <= report.kept_node_share <= 1
    assert report.nodes == graph.n_nodes
    assert report.edges == graph.n_edges
    assert [d.department for d in report.departments] == ["amazonas"]
    assert report.departments[0].nodes == graph.n_nodes


def test_thinning_keeps_lengths_and_times(amazonas, monkeypatch):
    # Node ids are source vertex numbers, so nodes of the thinned graph are also nodes of the full one.
    thinned, _ = amazonas
    monkeypatch.setattr(mtc, "THIN_SPACING_M", 0.0)
    full, _ = mtc.build_mtc_graph(AMAZONAS)
    assert thinned.n_nodes < full.n_nodes / 2
    # Thinning turns overlapping stretches of two layers (the same road drawn twice) into parallel edges
    # between the same two nodes, which collapse to the faster one. Loops shorter than the spacing become
    # self-loops, which are dropped. Neither changes a fastest time.
    assert 0.95 * full.length_m.sum() <= thinned.length_m.sum() <= full.length_m.sum()

    position = np.searchsorted(full.node_osmid, thinned.node_osmid)
    assert np.array_equal(full.node_osmid[position], thinned.node_osmid)
    sources = np.arange(0, thinned.n_nodes, thinned.n_nodes // 5)
    thinned_s = dijkstra(thinned.adjacency, indices=sources)
    full_s = dijkstra(full.adjacency, indices=position[sources])[:, position]
    assert np.allclose(thinned_s, full_s, rtol=1e-9, equal_nan=True)


def test_thinned_nodes_are_close_along_lines(amazonas):
    graph, _ = amazonas
    lines = mtc.read_lines(AMAZONAS)
    longest_source_step_m = lines.to_crs(mtc.SNAP_CRS).geometry.apply(
        lambda line: float(np.max(np.hypot(*np.diff(np.asarray(line.coords), axis=0).T)))
    )
    # An edge is longer than the spacing only where one source segment already was.
    assert np.all(graph.length_m <= np.maximum(mtc.THIN_SPACING_M, longest_source_step_m.max()) + 1e-6)
    assert np.median(graph.length_m) <= mtc.THIN_SPACING_M


def test_crossings_join_rural_roads(amazonas, monkeypatch):
    _, joined = amazonas
    assert joined.joined_crossings > 0
    monkeypatch.setattr(mtc, "_join_crossings", lambda lines, vertices: (np.zeros(0, int), np.zeros(0, int)))
    _, unjoined = mtc.build_mtc_graph(AMAZONAS)
    assert unjoined.components > joined.components


def test_search_limit_covers_every_trip(amazonas):
    graph, _ = amazonas
    limit_s = mtc.longest_trip_bound_s(graph)
    times = dijkstra(graph.adjacency, indices=np.arange(0, graph.n_nodes, 97))
    longest_s = times[np.isfinite(times)].max()
    assert longest_s <= limit_s <= 2 * longest_s + 3600


def test_snapping_joins_lines(amazonas, monkeypatch):
    _, snapped = amazonas
    monkeypatch.setattr(mtc, "SNAP_TOLERANCE_M", 0.0)
    _, unsnapped = mtc.build_mtc_graph(AMAZONAS)
    assert snapped.snapped_ends > unsnapped.snapped_ends
    assert snapped.components < unsnapped.components
    assert snapped.connected_length_share > unsnapped.connected_length_share


def test_edge_speeds_follow_surface(amazonas):
    graph, _ = amazonas
    speed_kph = graph.length_m / graph.adjacency.data * 3.6
    allowed = sorted(set(mtc.SURFACE_SPEED_KPH.values()) | {mtc.UNKNOWN_SURFACE_SPEED_KPH})
    # Edges shorter than a centimetre carry the one-microsecond floor instead of a speed.
    long_enough = graph.length_m > 0.01
    assert np.all(np.isin(np.round(speed_kph[long_enough], 6), allowed))


def test_national_network_mostly_connected():
    # Measured when this test was written: 94 % of the national road length at 50 m.
    graph, report = mtc.build_mtc_graph(NATIONAL)
    assert report.connected_length_share > 0.9
    main = np.flatnonzero(graph.piece(np.arange(graph.n_nodes)) == graph.main_piece)
    times, _ = one_to_many(graph, int(main[0]), main[::500], graph.network_limit_s)
    assert np.all(np.isfinite(times))


UCAYALI = sorted(ROADS.glob("*/*_ucayali.geojson"))


def test_purus_straight_stretches_cut():
    lines = mtc.read_lines(UCAYALI)
    kept, cut = mtc.drop_straight_stretches(lines)
    # UC-106 (Puerto Esperanza - Madre de Dios limit, Purús) is drawn with straight 10-13 km stretches.
    assert cut == 5
    projected = kept[kept["level"].isin(mtc.UNSURFACED_LEVELS)].to_crs(mtc.SNAP_CRS)
    coords, line = shapely.get_coordinates(projected.geometry.values, return_index=True)
    steps = np.hypot(*(coords[1:] - coords[:-1]).T)[line[1:] == line[:-1]]
    assert steps.max() <= mtc.MAX_STRAIGHT_STRETCH_M
    assert kept["department"].eq("ucayali").all()
    assert kept.length.sum() < lines.length.sum()


def test_straight_stretches_kept_on_national_and_coast():
    national = mtc.read_lines(sorted((ROADS / "nacional").glob("*_ucayali.geojson")))
    assert mtc.drop_straight_stretches(national)[1] == 0
    # The vecinal layer of Ica has an 11.6 km straight desert road (IC-792, Nazca) that stays.
    ica = mtc.read_lines(sorted(ROADS.glob("*/*_ica.geojson")))
    kept, cut = mtc.drop_straight_stretches(ica)
    assert cut == 0
    assert len(kept) == len(ica)


def test_lowland_national_stretches_all_planned():
    # The evidence behind MAX_STRAIGHT_STRETCH_M: every long straight stretch of a lowland national road is planned.
    paths = [ROADS / "nacional" / f"red_vial_nacional_{name}.geojson" for name in mtc.LOWLAND_AMAZON_DEPARTMENTS]
    lines = mtc.read_lines(paths)
    coords, line = shapely.get_coordinates(lines.to_crs(mtc.SNAP_CRS).geometry.values, return_index=True)
    steps = np.hypot(*(coords[1:] - coords[:-1]).T)
    long_step = (line[1:] == line[:-1]) & (steps > mtc.MAX_STRAIGHT_STRETCH_M)
    surfaces = lines["superficie"].to_numpy()[line[1:][long_step]]
    assert len(surfaces) == 12
    assert set(surfaces) == {mtc.PLANNED_SURFACE}


def test_ucayali_graph_reports_cut_stretches():
    _, report = mtc.build_mtc_graph(UCAYALI)
    assert report.straight_dropped == 5
