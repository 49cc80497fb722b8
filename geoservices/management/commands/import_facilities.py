"""Import a facility registry table, as the admin upload does."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geoservices.imports.errors import ImportRejected
from geoservices.imports.services import import_facilities

from .import_boundaries import add_job_arguments, job_user, reject, remove_staged, write_result


class Command(BaseCommand):
    help = (
        "Import a facility registry (the MINSA IPRESS registry, the SERUMS list or the RENIPRESS "
        "coordinates, as CSV or .xlsx) by RENAES code. Without --commit it only prints the diff. Rows "
        "with swapped, missing or zero coordinates, points outside their district, repeated codes or "
        "unreadable hours are imported with quality flags; --strict rejects the file instead.\n\n"
        "Example: manage.py import_facilities ipress_minsa.csv --commit"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or .xlsx table, or a zip that contains one.")
        parser.add_argument("--strict", action="store_true",
                            help="Reject the whole file when any row has a problem.")
        parser.add_argument("--commit", action="store_true", help="Apply the changes; without it nothing is written.")
        add_job_arguments(parser)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"File not found: {path}. Give the path of the CSV or .xlsx table.")
        try:
            with path.open("rb") as source:
                result = import_facilities(source, options["upload_name"] or path.name, strict=options["strict"],
                                           commit=options["commit"], user=job_user(options))
        except ImportRejected as exc:
            raise reject(self, path, exc) from exc
        finally:
            remove_staged(path, options)

        write_result(self, result, options["verbosity"])
