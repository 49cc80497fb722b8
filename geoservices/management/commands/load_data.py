"""Load every real data set the application needs, in dependency order."""
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from geoservices.loaders.base import LoadError
from geoservices.loaders.boundaries import load_boundaries
from geoservices.loaders.facilities import load_facilities
from geoservices.loaders.places import load_places
from geoservices.loaders.services import infer_facility_services, load_services


class Command(BaseCommand):
    help = (
        "Load districts, provinces and departments with census figures, populated places, "
        "services and needs, facilities and programmes from data/. Each loader runs in its own "
        "transaction and skips sources unchanged since its last run.\n\n"
        "Example: manage.py load_data --force"
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Reload even when the source files are unchanged.")

    def handle(self, *args, force: bool = False, verbosity: int = 1, **options):
        try:
            self._report(load_boundaries(force=force), verbosity)
            self._report(load_places(force=force), verbosity)
            services = load_services(force=force)
            facilities = load_facilities(force=force)
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        self._report(services, verbosity)
        self._report(facilities, verbosity)

        if force or not (services.sources_unchanged and facilities.sources_unchanged):
            self._report(infer_facility_services(), verbosity)
        call_command("load_programs", verbosity=verbosity)

    def _report(self, report, verbosity: int) -> None:
        if verbosity == 0:
            return
        self.stdout.write(report.summary())
        for note in report.notes:
            self.stdout.write(f"  {note}")
