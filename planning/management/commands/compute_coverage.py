"""Compute travel time to the nearest care from every populated place, per department."""
from django.core.management.base import BaseCommand, CommandError

from geoservices.models import Department
from geoservices.vocabulary import MODE_CHOICES
from ops.jobs import report_progress
from planning.care import check_care
from planning.exceptions import PlanningError
from planning.models import PopulationBasis
from planning.services import compute_department, get_department
from routing.exceptions import RoutingError


class Command(BaseCommand):
    help = (
        "Compute and store coverage (people beyond 30, 60 and 120 minutes of the nearest facility of a care "
        "type) for one department or all. Reruns replace the stored results. "
        "Example: manage.py compute_coverage --department 08 --care childbirth --mode walk; "
        "manage.py compute_coverage --department all --care any --mode drive --population projection_2022"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--department", default="all", help="2-digit INEI ubigeo of a department, or 'all' (default)."
        )
        parser.add_argument(
            "--care", default="any", help="Care type: any, level_i3, level_i4, level_ii1 or a service code."
        )
        parser.add_argument(
            "--mode", default="walk", choices=[code for code, _label in MODE_CHOICES], help="Travel mode (default walk)."
        )
        parser.add_argument(
            "--population",
            default=PopulationBasis.CENSUS_2017,
            choices=PopulationBasis.values,
            help="Population spread over places: the 2017 census (default) or the 2022 projection.",
        )
        parser.add_argument(
            "--strict", action="store_true", help="Stop at the first department that fails instead of going on."
        )

    def handle(self, *args, department="all", care="any", mode="walk", population=PopulationBasis.CENSUS_2017,
               strict=False, **options):
        try:
            check_care(care)
            departments = self._departments(department)
        except PlanningError as exc:
            raise CommandError(str(exc)) from exc

        counts = {"created": 0, "updated": 0, "failed": 0}
        total = len(departments)
        self.stdout.write(f"Computing coverage of {total} department(s) for care {care!r}, mode {mode}, {population}")
        for position, item in enumerate(departments):

            def progress(fraction, message, position=position):
                report_progress(position + fraction, total, message)

            try:
                run, created = compute_department(item, care, mode, population, progress=progress)
            except (PlanningError, RoutingError) as exc:
                counts["failed"] += 1
                self.stderr.write(f"  {item.pk} {item.name}: failed: {exc}")
                if strict:
                    raise CommandError(f"Department {item.pk} failed: {exc}. Fix it or rerun without --strict.") from exc
                continue
            counts["created" if created else "updated"] += 1
            self.stdout.write(
                f"  {item.pk} {item.name}: {run.place_count} places, {run.facility_count} facilities, "
                f"{len(run.parameters.get('road_regions', []))} road graphs, {run.duration_s:.2f} s"
            )

        summary = f"Done: {counts['created']} created, {counts['updated']} updated, 0 skipped, {counts['failed']} failed."
        self.stdout.write(self.style.SUCCESS(summary) if not counts["failed"] else self.style.WARNING(summary))
        if counts["failed"] and counts["failed"] == total:
            raise CommandError(f"All {total} department(s) failed; see the messages above.")

    def _departments(self, department: str) -> list[Department]:
        if department == "all":
            return list(Department.objects.order_by("ubigeo"))
        return [get_department(department)]
