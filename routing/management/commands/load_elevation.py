"""Load an elevation grid for a road region, so that its walking times follow the slope."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from routing.exceptions import RoutingError
from routing.models import RoadRegion
from routing.rasters import read_elevation_grid, uploaded_elevation_path
from routing.regions import MTC_NETWORK, STAGED_REGIONS
from routing.services import load_graph

#: Smallest share of a region's walking nodes the grid must cover. Below it the
#: grid is most likely for another place, or in the wrong axis order.
MIN_COVERED_SHARE = 0.5


class Command(BaseCommand):
    help = (
        "Check an elevation GeoTIFF (EPSG:4326, north-up, metres) against a road region's walking graph, keep "
        "it in the graph folder, and rebuild the region's graphs with it, so walking follows Tobler's hiking "
        f"function there. The grid must cover at least {MIN_COVERED_SHARE:.0%} of the region's walking nodes. "
        "Regions built from uploaded extracts are rebuilt with build_uploaded_network instead.\n"
        "Example: manage.py load_elevation var/elevation/cusco_30m.tif --region cusco-centro"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The elevation GeoTIFF.")
        parser.add_argument("--region", required=True, help="Slug of the road region, e.g. cusco-centro.")
        parser.add_argument("--dry-run", action="store_true", help="Check the grid and change nothing.")

    def handle(self, *args, file, region, dry_run, **options):
        row = RoadRegion.objects.filter(slug=region).first()
        if row is None:
            known = ", ".join(RoadRegion.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown road region {region!r}. Known regions: {known}.")
        if region == MTC_NETWORK.slug:
            raise CommandError(
                f"The region {region} is walked without slope: its lines cover all of Peru and no national grid "
                "is staged. Load grids for city regions instead."
            )

        path = Path(file)
        try:
            grid = read_elevation_grid(path)
        except RoutingError as exc:
            raise CommandError(str(exc)) from exc
        graph = load_graph(row.graph_files["walk"])
        covered = float(np.mean(np.isfinite(grid.sample(graph.node_lon, graph.node_lat))))
        self.stdout.write(f"{path.name}: covers {covered:.1%} of the {graph.n_nodes} walking nodes of {region}")
        if covered < MIN_COVERED_SHARE:
            raise CommandError(
                f"The grid {path.name} covers {covered:.1%} of the walking nodes of {region}, less than "
                f"{MIN_COVERED_SHARE:.0%}. Check that it is the grid of this region, in EPSG:4326 degrees."
            )
        if dry_run:
            self.stdout.write("Dry run: nothing changed.")
            return

        target = uploaded_elevation_path(Path(settings.GEOSALUD["GRAPH_DIR"]), region)
        _copy_atomically(path, target)
        self.stdout.write(f"Kept as {target}")
        if region in {staged.slug for staged in STAGED_REGIONS}:
            call_command("build_graphs", region=[region], stdout=self.stdout, stderr=self.stderr)
        else:
            self.stdout.write(
                f"{region} was built from an uploaded extract: rebuild it with build_uploaded_network to use the grid."
            )


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file, so readers never see half a grid."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".tmp")
    os.close(handle)
    try:
        shutil.copyfile(source, tmp_name)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
