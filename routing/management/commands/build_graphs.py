"""Build the road graphs of the staged OSM extracts and register their regions."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from shapely.geometry import MultiPoint

from routing import parameters
from routing.build import build_graphs, file_sha256
from routing.exceptions import GraphFileError, RoutingError
from routing.graph import CompactGraph, read_meta
from geoservices.models import Facility
from routing.matrix import FacilityMatrix, build_matrix
from routing.models import RoadRegion
from routing.mtc import (
    MIN_PIECE_LENGTH_M,
    SNAP_TOLERANCE_M,
    THIN_SPACING_M,
    MtcReport,
    build_mtc_graph,
    mtc_rules_digest,
    sources_sha256,
    walk_graph,
)
from routing.elevation import ElevationGrid
from routing.rasters import read_elevation_grid, uploaded_elevation_path
from routing.regions import MTC_NETWORK, STAGED_REGIONS, StagedRegion


@dataclass
class Outcome:
    """Result of one region: its row status and the number of graph files built."""

    status: str
    built: int = 0
    matrices: int = 0


def graph_file_name(slug: str, mode: str) -> str:
    """Return the graph file name of one region and mode."""
    return f"{slug}_{mode}.npz"


def matrix_file_name(slug: str, mode: str) -> str:
    """Return the facility matrix file name of one region and mode."""
    return f"{slug}_{mode}_facilities.npz"


def _bbox_wkt(graph: CompactGraph) -> str:
    min_lon, min_lat, max_lon, max_lat = graph.bounds()
    return (
        f"POLYGON(({min_lon} {min_lat}, {max_lon} {min_lat}, {max_lon} {max_lat}, "
        f"{min_lon} {max_lat}, {min_lon} {min_lat}))"
    )


def _margin_deg(graph: CompactGraph) -> float:
    """Return the access distance in degrees of longitude at the graph's latitude (an upper bound)."""
    lat = max(abs(graph.bounds()[1]), abs(graph.bounds()[3]))
    return float(parameters.MAX_ACCESS_DISTANCE_M / 111_320.0 / max(np.cos(np.radians(lat)), 0.1))


class Command(BaseCommand):
    help = (
        "Build the walk and drive graphs of every staged OSM extract and record each region in the "
        "database, then precompute each graph's facility travel-time matrix (run load_data first). "
        f"Also build the walk and drive graphs of the MTC road lines (national, departmental and vecinal) as "
        f"the region {MTC_NETWORK.slug} (no facility matrix: searches run Dijkstra on it). "
        "A region whose source files and graph rules are unchanged reuses its graph files and only has "
        "its database row refreshed; a matrix is rebuilt only when its graph or facilities changed.\n"
        "Example: manage.py build_graphs --region lima-sjl-canto-grande --force"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--region", action="append", choices=[r.slug for r in STAGED_REGIONS] + [MTC_NETWORK.slug],
            help="Build only this region (repeat the option for several). Default: all staged regions "
            "and the MTC road network.",
        )
        parser.add_argument("--force", action="store_true", help="Rebuild graph files even if up to date.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be built and change nothing."
        )
        parser.add_argument("--strict", action="store_true", help="Stop at the first region that fails.")

    def handle(self, *args, **options):
        source_dir = Path(settings.GEOSALUD["SOURCE_DATA_DIR"])
        graph_dir = Path(settings.GEOSALUD["GRAPH_DIR"])
        selected = [r for r in STAGED_REGIONS if not options["region"] or r.slug in options["region"]]
        summary = {
            "created": 0, "updated": 0, "skipped": 0, "failed": 0, "graph files built": 0, "facility matrices built": 0,
        }

        for region in selected:
            try:
                outcome = self.build_region(region, source_dir, graph_dir, options)
            except (RoutingError, OSError) as exc:
                summary["failed"] += 1
                self.stderr.write(f"{region.slug}: failed: {exc}")
                if options["strict"]:
                    raise CommandError(f"Stopped at region {region.slug} (--strict).") from exc
                continue
            summary[outcome.status] += 1
            summary["graph files built"] += outcome.built
            summary["facility matrices built"] += outcome.matrices

        if not options["region"] or MTC_NETWORK.slug in options["region"]:
            try:
                outcome = self.build_mtc(source_dir, graph_dir, options)
            except (RoutingError, OSError, ValueError) as exc:
                summary["failed"] += 1
                self.stderr.write(f"{MTC_NETWORK.slug}: failed: {exc}")
                if options["strict"]:
                    raise CommandError(f"Stopped at region {MTC_NETWORK.slug} (--strict).") from exc
            else:
                summary[outcome.status] += 1
                summary["graph files built"] += outcome.built
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))
        if summary["failed"]:
            raise CommandError(f"{summary['failed']} region(s) failed; see the messages above.")

    def build_mtc(self, source_dir: Path, graph_dir: Path, options) -> Outcome:
        """Build or reuse the MTC walk and drive graphs and upsert their RoadRegion row."""
        paths = sorted(
            path for level in MTC_NETWORK.levels for path in (source_dir / "roads_mtc" / level).glob("*.geojson")
        )
        if not paths:
            msg = f"No MTC road layers in {source_dir / 'roads_mtc'}. Check GEOSALUD['SOURCE_DATA_DIR']."
            raise GraphFileError(msg)
        sha256 = sources_sha256(paths)
        files = {mode: graph_dir / graph_file_name(MTC_NETWORK.slug, mode) for mode in parameters.GRAPH_MODES}
        stale = options["force"] or not all(_is_current_mtc(path, sha256) for path in files.values())

        if options["dry_run"]:
            action = "would build drive, walk" if stale else "graph files up to date"
            self.stdout.write(f"{MTC_NETWORK.slug}: {action}")
            return Outcome(status="skipped")

        if stale:
            drive, report = build_mtc_graph(paths)
            graphs = {"drive": drive, "walk": walk_graph(drive)}
            for mode, graph in graphs.items():
                graph.save(files[mode])
            self.write_mtc_report(report)
        else:
            graphs = {mode: CompactGraph.load(path) for mode, path in files.items()}
        for mode, graph in graphs.items():
            action = "built" if stale else "reused"
            self.stdout.write(f"{MTC_NETWORK.slug} {mode}: {action}, {graph.n_nodes} nodes, {graph.n_edges} edges")

        levels = ",".join(MTC_NETWORK.levels)
        region = StagedRegion(
            slug=MTC_NETWORK.slug, name=MTC_NETWORK.name, source_file=f"roads_mtc/{levels}", osm_date=None
        )
        return Outcome(status=self.register(region, sha256, graphs), built=len(graphs) if stale else 0)

    def write_mtc_report(self, report: MtcReport) -> None:
        """Print the MTC build counts: snapping, thinning, pieces and connected shares by department."""
        self.stdout.write(
            f"{MTC_NETWORK.slug}: built from {report.lines} lines ({report.planned_dropped} planned roads dropped); "
            f"{report.snapped_ends} line ends and {report.joined_crossings} crossings joined within "
            f"{SNAP_TOLERANCE_M:.0f} m; {report.vertices} vertices thinned to {report.nodes} nodes and "
            f"{report.edges} edges (a node at least every {THIN_SPACING_M:.0f} m); {report.pieces_kept} of "
            f"{report.components} pieces kept (at least {MIN_PIECE_LENGTH_M / 1000:.0f} km of road each), with "
            f"{100 * report.kept_node_share:.1f} % of the nodes and {100 * report.kept_length_share:.1f} % of the "
            f"length; the largest piece has {100 * report.connected_node_share:.1f} % of the nodes and "
            f"{100 * report.connected_length_share:.1f} % of the length"
        )
        for share in report.departments:
            self.stdout.write(
                f"  {share.department}: {share.nodes} nodes, {share.length_km:.0f} km, "
                f"{100 * share.kept_length_share:.1f} % of the length kept, in the largest piece "
                f"{100 * share.connected_node_share:.1f} % of the nodes and "
                f"{100 * share.connected_length_share:.1f} % of the length"
            )

    def build_region(self, region: StagedRegion, source_dir: Path, graph_dir: Path, options) -> Outcome:
        """Build or reuse one region's graph files and upsert its RoadRegion row."""
        source = source_dir / region.source_file
        sha256 = file_sha256(source)
        elevation = _elevation_grid(region, source_dir, graph_dir)
        elevation_sha256 = None if elevation is None else elevation.source_sha256
        files = {mode: graph_dir / graph_file_name(region.slug, mode) for mode in parameters.GRAPH_MODES}
        stale = [
            mode
            for mode, path in files.items()
            if options["force"] or not _is_current(path, sha256, elevation_sha256)
        ]

        if options["dry_run"]:
            action = f"would build {', '.join(stale)}" if stale else "graph files up to date"
            self.stdout.write(f"{region.slug}: {action}")
            return Outcome(status="skipped")

        built = build_graphs(source, tuple(stale), elevation) if stale else {}
        for mode, graph in built.items():
            graph.save(files[mode])
        graphs = {mode: built.get(mode) or CompactGraph.load(path) for mode, path in files.items()}
        for mode, graph in graphs.items():
            action = "built" if mode in built else "reused"
            self.stdout.write(f"{region.slug} {mode}: {action}, {graph.n_nodes} nodes, {graph.n_edges} edges")

        status = self.register(region, sha256, graphs)
        matrices = sum(
            self.refresh_matrix(region, graph, graph_dir / matrix_file_name(region.slug, mode), options["force"])
            for mode, graph in graphs.items()
        )
        return Outcome(status=status, built=len(built), matrices=matrices)

    def refresh_matrix(self, region: StagedRegion, graph: CompactGraph, path: Path, force: bool) -> bool:
        """Rebuild the facility matrix of one graph unless it matches the graph and the facilities.

        Returns whether the matrix was rebuilt.
        """
        locations = Facility.objects.filter(is_searchable=True, location__isnull=False).filter(
            location__dwithin=(GEOSGeometry(_bbox_wkt(graph), srid=4326), _margin_deg(graph))
        ).values_list("location", flat=True)
        lon = np.array([p.x for p in locations])
        lat = np.array([p.y for p in locations])
        target_nodes = np.empty(0, dtype=np.int64)
        if len(lon):
            nodes, distance_m = graph.nearest_nodes(lon, lat)
            target_nodes = np.unique(nodes[distance_m <= parameters.MAX_ACCESS_DISTANCE_M])

        current = None
        if path.exists() and not force:
            try:
                current = FacilityMatrix.load(path)
            except RoutingError:
                current = None
        if current is not None and current.fits(graph) and np.array_equal(current.target_nodes, target_nodes):
            return False
        build_matrix(graph, target_nodes, parameters.NETWORK_LIMIT_S).save(path)
        self.stdout.write(f"{region.slug} {graph.mode}: facility matrix built for {len(target_nodes)} facility nodes")
        return True

    @transaction.atomic
    def register(self, region: StagedRegion, sha256: str, graphs: dict[str, CompactGraph]) -> str:
        """Create or update the RoadRegion row; return created, updated or skipped."""
        lon = np.concatenate([g.node_lon for g in graphs.values()])
        lat = np.concatenate([g.node_lat for g in graphs.values()])
        hull = MultiPoint(np.column_stack([lon, lat])).convex_hull
        values = {
            "name": region.name,
            "source_file": region.source_file,
            "source_sha256": sha256,
            "osm_date": region.osm_date,
            "extent": GEOSGeometry(hull.wkt, srid=4326),
            "modes": sorted(graphs),
            "counts": {mode: {"nodes": g.n_nodes, "edges": g.n_edges} for mode, g in graphs.items()},
            "graph_files": {mode: graph_file_name(region.slug, mode) for mode in graphs},
            "built_at": max(parse_datetime(g.meta["built_at"]) for g in graphs.values()),
        }
        row = RoadRegion.objects.select_for_update().filter(slug=region.slug).first()
        if row is None:
            RoadRegion.objects.create(slug=region.slug, **values)
            return "created"
        if all(_same(getattr(row, key), value) for key, value in values.items()):
            return "skipped"
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
        return "updated"


def _is_current(path: Path, sha256: str, elevation_sha256: str | None) -> bool:
    """Tell whether a graph file exists and was built from these inputs under the current rules."""
    meta = read_meta(path)
    return (
        meta is not None
        and meta.get("source_sha256") == sha256
        and meta.get("elevation_sha256") == elevation_sha256
        and meta.get("rules_digest") == parameters.graph_rules_digest()
    )


def _elevation_grid(region: StagedRegion, source_dir: Path, graph_dir: Path) -> ElevationGrid | None:
    """Read the region's elevation grid: the one an admin loaded, else the staged one, else None."""
    uploaded = uploaded_elevation_path(graph_dir, region.slug)
    if uploaded.exists():
        return read_elevation_grid(uploaded)
    if region.elevation_file:
        return read_elevation_grid(source_dir / region.elevation_file)
    return None


def _is_current_mtc(path: Path, sha256: str) -> bool:
    """Tell whether an MTC graph file exists and was built from these layers under the current rules."""
    meta = read_meta(path)
    return meta is not None and meta.get("source_sha256") == sha256 and meta.get("rules_digest") == mtc_rules_digest()


def _same(stored, value) -> bool:
    """Compare a stored field with a new value (geometries by shape)."""
    if isinstance(value, GEOSGeometry):
        return stored is not None and stored.equals_exact(value, tolerance=1e-9)
    return stored == value
