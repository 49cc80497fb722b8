"""Import a district, province or department layer, as the admin upload does."""
import glob
import io
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from geoservices.imports import staging
from geoservices.imports.errors import ImportRejected
from geoservices.imports.plan import ImportPlan
from geoservices.imports.services import BoundaryOptions, import_boundaries


def write_plan(command: BaseCommand, plan: ImportPlan, verbosity: int) -> None:
    """Write a plan's changes, notes and summary to the command's stdout."""
    for note in plan.notes:
        command.stdout.write(f"  {note}")
    for row in plan.rows:
        if row.action in ("created", "updated") and verbosity >= 1:
            changed = f" ({', '.join(row.changed)})" if row.changed else ""
            command.stdout.write(f"  {row.action} {row.key} {row.label.strip()}{changed}")
        for message in row.messages:
            command.stdout.write(f"  {message}")
    command.stdout.write(plan.summary())


def reject(command: BaseCommand, path: Path, exc: ImportRejected) -> CommandError:
    """Write the rejection's messages to stderr and return the error that ends the command."""
    for message in exc.messages:
        command.stderr.write(message)
    return CommandError(f"{path.name}: rejected, nothing was changed.")


def write_result(command: BaseCommand, result, verbosity: int) -> None:
    """Write the plan, then state whether it was a dry run or which import record applied it."""
    write_plan(command, result.plan, verbosity)
    if result.record is None:
        command.stdout.write("Dry run: nothing was changed. Pass --commit to apply.")
    else:
        command.stdout.write(f"Applied as import record {result.record.pk}.")


def open_layer(path: Path) -> tuple[io.BufferedIOBase, str]:
    """Open an upload; a bare .shp is zipped in memory with its sidecar files, as an admin would upload it."""
    if path.suffix.lower() != ".shp":
        return path.open("rb"), path.name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for sibling in sorted(path.parent.glob(f"{glob.escape(path.stem)}.*")):
            archive.write(sibling, sibling.name)
    buffer.seek(0)
    return buffer, f"{path.stem}.zip"


def add_job_arguments(parser) -> None:
    """Add the options the admin's background jobs pass: who asked, the upload's name, clean-up."""
    parser.add_argument("--user-id", type=int, help="Id of the staff user recorded in the audit log.")
    parser.add_argument("--upload-name", help="File name to show in messages instead of the path's name.")
    parser.add_argument("--remove-staged", action="store_true",
                        help="Remove the file's staging folder afterwards (used by admin upload jobs).")


def job_user(options: dict):
    """Return the user named by --user-id, or None."""
    return get_user_model().objects.filter(pk=options["user_id"]).first() if options["user_id"] else None


def remove_staged(path: Path, options: dict) -> None:
    """Remove the staging folder of an admin upload once its job has run."""
    if options["remove_staged"] and path.parent.parent == staging.staging_dir():
        staging.discard(path.parent.name)


class Command(BaseCommand):
    help = (
        "Import a boundary layer (zipped shapefile, GeoJSON or GeoPackage) into the districts, provinces "
        "or departments. Without --commit it only prints the diff. A layer with any failed feature is "
        "rejected whole, with the reasons, and the command exits non-zero.\n\n"
        "Example: manage.py import_boundaries data/shapefiles/distritos_ayacucho/distritos_ayacucho.shp --commit"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Zip of a shapefile, a .shp beside its sidecar files, or a .geojson/.json/.gpkg file.")
        parser.add_argument("--level", default="district", choices=["district", "province", "department"],
                            help="Boundary level of the layer (default: district).")
        parser.add_argument("--srid", type=int, help="EPSG code of the layer, overriding its .prj (e.g. 32718).")
        parser.add_argument("--encoding", help="Text encoding of the .dbf, overriding its .cpg (e.g. 1252).")
        parser.add_argument("--layer", help="Layer name inside a GeoPackage with several layers.")
        parser.add_argument("--ubigeo-field", help="Field that contains the ubigeo (default: detected).")
        parser.add_argument("--name-field", help="Field that contains the name (default: detected).")
        parser.add_argument("--commit", action="store_true", help="Apply the changes; without it nothing is written.")
        add_job_arguments(parser)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"File not found: {path}. Give the path of the zip, GeoJSON or GeoPackage.")
        choices = BoundaryOptions(
            level=options["level"], srid=options["srid"], encoding=options["encoding"], layer=options["layer"],
            ubigeo_field=options["ubigeo_field"], name_field=options["name_field"],
        )
        try:
            source, name = open_layer(path)
            with source:
                result = import_boundaries(source, options["upload_name"] or name, choices, commit=options["commit"],
                                           user=job_user(options))
        except ImportRejected as exc:
            raise reject(self, path, exc) from exc
        finally:
            remove_staged(path, options)

        write_result(self, result, options["verbosity"])
