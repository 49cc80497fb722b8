"""Build the road region of an uploaded OpenStreetMap extract with the routing engine's build."""
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geoservices.models import ImportRecord
from routing.exceptions import RoutingError
from routing.management.commands.build_graphs import Command as BuildGraphsCommand
from routing.regions import StagedRegion


class Command(BaseCommand):
    help = (
        "Build the walk and drive graphs of an uploaded OSM extract (.osm.pbf, .osm or .graphml) and "
        "register it as a road region, through the same build as build_graphs. The admin's road "
        "network upload runs this as a background job.\n\n"
        "Example: manage.py build_uploaded_network var/road_networks/huamanga.osm.pbf "
        "--slug huamanga --region-name 'Huamanga, Ayacucho'"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The OSM extract.")
        parser.add_argument("--slug", required=True, help="Region code, e.g. huamanga-centro.")
        parser.add_argument("--region-name", required=True, help="Region name shown to planners.")
        parser.add_argument("--osm-date", help="Date of the OpenStreetMap data, as YYYY-MM-DD.")
        parser.add_argument("--force", action="store_true", help="Rebuild even if the graph files are current.")
        parser.add_argument("--record-id", type=int, help="Audit record of the upload to mark applied or rejected.")

    def handle(self, *args, **options):
        path = Path(options["file"]).resolve()
        if not path.is_file():
            raise CommandError(f"File not found: {path}. Upload the extract again.")
        region = StagedRegion(
            slug=options["slug"],
            name=options["region_name"],
            source_file=path.name,
            osm_date=date.fromisoformat(options["osm_date"]) if options["osm_date"] else None,
        )
        builder = BuildGraphsCommand(stdout=self.stdout, stderr=self.stderr)
        build_options = {"force": options["force"], "dry_run": False}
        graph_dir = Path(settings.GEOSALUD["GRAPH_DIR"])
        try:
            outcome = builder.build_region(region, path.parent, graph_dir, build_options)
        except (RoutingError, OSError) as exc:
            _finish_record(options["record_id"], ImportRecord.Status.REJECTED, {}, [str(exc)])
            raise CommandError(f"{region.slug}: graph build failed: {exc}") from exc
        _finish_record(options["record_id"], ImportRecord.Status.APPLIED, {outcome.status: 1}, [])
        self.stdout.write(f"{region.slug}: {outcome.status}, {outcome.built} graph files built")


@transaction.atomic
def _finish_record(record_id: int | None, status: str, counts: dict, messages: list[str]) -> None:
    """Mark the upload's audit record as applied or rejected; without an id there is none."""
    record = ImportRecord.objects.select_for_update().filter(pk=record_id).first() if record_id else None
    if record is not None:
        record.status = status
        record.counts = counts
        record.messages = record.messages + messages
        record.save(update_fields=["status", "counts", "messages"])
