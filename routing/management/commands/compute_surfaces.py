"""Compute the nearest-facility surface of a department on every road graph that covers it."""
from __future__ import annotations

import numpy as np
import shapely
import shapely.wkb
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from geoservices.models import Department, Facility
from ops.jobs import report_progress
from routing import parameters
from routing.exceptions import GraphFileError
from routing.graph import CompactGraph
from routing.models import RoadRegion, SurfaceNode, SurfaceRun
from routing.services import access_rule, load_graph
from routing.surfaces import nearest_facility_times

#: Rows written per INSERT.
BATCH_SIZE = 5_000


class Command(BaseCommand):
    help = (
        "Compute every road graph node's travel time to its nearest searchable facility, for the nodes inside "
        "one department, on each road region whose extent meets the department, and store the result in "
        "PostGIS (SurfaceRun and SurfaceNode). Times include the walk from the facility's node to the facility, "
        "not the walk to the node. A rerun replaces the department's surfaces for that mode. Run build_graphs "
        "first. Registered as the job compute_surfaces, so departments can be spread over Celery workers.\n"
        "Example: manage.py compute_surfaces --department 05 --mode walk"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--department", required=True, action="append",
            help="Two-digit INEI ubigeo of the department, e.g. 05 for Ayacucho (repeat for several).",
        )
        parser.add_argument(
            "--mode", choices=parameters.GRAPH_MODES, default="walk", help="Graph to use (default: walk)."
        )
        parser.add_argument("--strict", action="store_true", help="Stop at the first region that fails.")

    def handle(self, *args, department, mode, strict, **options):
        summary = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
        departments = []
        for ubigeo in department:
            found = Department.objects.filter(ubigeo=ubigeo).first()
            if found is None:
                raise CommandError(f"Unknown department {ubigeo!r}: give a two-digit INEI ubigeo such as 05.")
            departments.append(found)

        for position, found in enumerate(departments):
            regions = RoadRegion.objects.filter(modes__contains=[mode], extent__intersects=found.geom)
            for region in regions.order_by("slug"):
                try:
                    status = self.compute(found, region, mode)
                except (GraphFileError, OSError, KeyError) as exc:
                    summary["failed"] += 1
                    self.stderr.write(f"{found.ubigeo} {region.slug} {mode}: failed: {exc}")
                    if strict:
                        raise CommandError(f"Stopped at region {region.slug} (--strict).") from exc
                    continue
                summary[status] += 1
            report_progress(position + 1, len(departments), f"department {found.ubigeo} done")
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))
        if summary["failed"]:
            raise CommandError(f"{summary['failed']} surface(s) failed; see the messages above.")

    def compute(self, department: Department, region: RoadRegion, mode: str) -> str:
        """Compute and store one surface; return created, updated or skipped (no node inside)."""
        graph = load_graph(region.graph_files[mode])
        inside = _nodes_inside(graph, department)
        if not len(inside):
            self.stdout.write(f"{department.ubigeo} {region.slug} {mode}: no graph node inside, skipped")
            return "skipped"

        rule = access_rule(region.slug)
        facilities = list(
            Facility.objects.filter(is_searchable=True, location__isnull=False).values_list("id", "location")
        )
        lon = np.array([location.x for _, location in facilities])
        lat = np.array([location.y for _, location in facilities])
        facility_nodes, egress_m = graph.nearest_nodes(lon, lat)
        on_graph = egress_m <= rule.max_distance_m
        _, egress_s = rule.leg(egress_m[on_graph])
        times_s, nearest = nearest_facility_times(
            graph, facility_nodes[on_graph], egress_s, graph.network_limit_s
        )
        facility_ids = np.array([facility_id for facility_id, _ in facilities])[on_graph]

        values = {
            "computed_at": timezone.now(),
            "parameters": {
                "graph_file": region.graph_files[mode],
                "graph_built_at": graph.meta.get("built_at"),
                "network_limit_s": graph.network_limit_s,
                "egress_walk_speed_kph": rule.speed_kph,
                "egress_circuity_factor": rule.circuity_factor,
                "max_egress_distance_m": rule.max_distance_m,
                "facilities_on_graph": int(on_graph.sum()),
            },
            "nodes": len(inside),
            "reached": int(np.isfinite(times_s[inside]).sum()),
        }
        with transaction.atomic():
            run, created = SurfaceRun.objects.update_or_create(
                department=department, region=region, mode=mode, defaults=values
            )
            run.surface_nodes.all().delete()
            SurfaceNode.objects.bulk_create(
                (
                    SurfaceNode(
                        run=run,
                        node=int(node),
                        location=Point(float(graph.node_lon[node]), float(graph.node_lat[node]), srid=4326),
                        travel_time_s=float(times_s[node]) if np.isfinite(times_s[node]) else None,
                        facility_id=int(facility_ids[nearest[node]]) if nearest[node] >= 0 else None,
                    )
                    for node in inside
                ),
                batch_size=BATCH_SIZE,
            )
        self.stdout.write(
            f"{department.ubigeo} {region.slug} {mode}: {values['nodes']} nodes, {values['reached']} reach a "
            f"facility within {graph.network_limit_s / 3600:.0f} h"
        )
        return "created" if created else "updated"


def _nodes_inside(graph: CompactGraph, department: Department) -> np.ndarray:
    """Return the indices of the graph nodes inside the department's boundary."""
    boundary = shapely.wkb.loads(bytes(department.geom.wkb))
    min_lon, min_lat, max_lon, max_lat = boundary.bounds
    candidates = np.flatnonzero(
        (graph.node_lon >= min_lon) & (graph.node_lon <= max_lon)
        & (graph.node_lat >= min_lat) & (graph.node_lat <= max_lat)
    )
    points = shapely.points(graph.node_lon[candidates], graph.node_lat[candidates])
    return candidates[shapely.contains(boundary, points)]
