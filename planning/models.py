"""Stored coverage: travel time from each populated place to the nearest care, per district."""
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from geoservices.models import Department, District, Facility, PopulatedPlace
from geoservices.vocabulary import MODE_CHOICES


class PopulationBasis(models.TextChoices):
    """Population figures that are spread over the populated places."""

    CENSUS_2017 = "census_2017", _("2017 census")
    PROJECTION_2022 = "projection_2022", _("2022 INEI projection")


class CoverageRun(models.Model):
    """One computation of coverage for a department, a care type and a travel mode.

    A rerun with the same keys replaces the previous results in one transaction.
    """

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="coverage_runs")
    care = models.CharField(_("care type"), max_length=40)
    mode = models.CharField(_("travel mode"), max_length=8, choices=MODE_CHOICES)
    population_basis = models.CharField(
        _("population"), max_length=16, choices=PopulationBasis.choices, default=PopulationBasis.CENSUS_2017
    )
    computed_at = models.DateTimeField(_("computed at"))
    duration_s = models.FloatField(_("duration (s)"))
    place_count = models.PositiveIntegerField(_("places"))
    facility_count = models.PositiveIntegerField(_("facilities of this care type"))
    parameters = models.JSONField(
        _("parameters"), default=dict, help_text=_("Thresholds, speeds, factors and road graphs used.")
    )
    sources = models.JSONField(_("data sources"), default=list)

    class Meta:
        ordering = ["department", "care", "mode"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "care", "mode", "population_basis"], name="unique_coverage_run"
            )
        ]
        permissions = [("access_planning", _("Can use the planning pages and API"))]
        verbose_name = _("coverage run")
        verbose_name_plural = _("coverage runs")

    def __str__(self) -> str:
        return f"{self.department_id} {self.care} {self.mode} {self.population_basis}"


class DistrictCoverage(models.Model):
    """People of one district by travel time to the nearest facility of the run's care type.

    People counts are estimates: whole people of the district's census figure
    spread evenly over its populated places (see planning.allocation).
    """

    run = models.ForeignKey(CoverageRun, on_delete=models.CASCADE, related_name="district_rows")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="coverage_rows")
    population = models.PositiveIntegerField(_("population"))
    beyond_30 = models.PositiveIntegerField(_("people beyond 30 min"))
    beyond_60 = models.PositiveIntegerField(_("people beyond 60 min"))
    beyond_120 = models.PositiveIntegerField(_("people beyond 120 min"))
    unreachable = models.PositiveIntegerField(_("people with no facility reached"))
    places = models.PositiveIntegerField(_("places"))
    places_network = models.PositiveIntegerField(_("places timed on the road network"))
    places_estimate = models.PositiveIntegerField(_("places timed by the straight-line estimate"))
    population_network = models.PositiveIntegerField(_("people timed on the road network"))
    mean_travel_time_min = models.FloatField(_("mean travel time (min)"), null=True, blank=True)

    class Meta:
        ordering = ["district"]
        constraints = [models.UniqueConstraint(fields=["run", "district"], name="unique_district_coverage")]
        verbose_name = _("district coverage")
        verbose_name_plural = _("district coverage")

    def beyond(self, minutes: int) -> int:
        """Return the people beyond ``minutes`` (30, 60 or 120)."""
        return getattr(self, f"beyond_{minutes}")


class PlaceAccess(models.Model):
    """Travel time from one populated place (or a district's fallback point) to the nearest care.

    ``place`` is empty for the point on a district polygon that carries people
    of a district with no populated place of their kind (urban or rural).
    """

    class Method(models.TextChoices):
        ROAD_NETWORK = "road_network", _("road network")
        ESTIMATE = "estimate", _("straight-line estimate")

    run = models.ForeignKey(CoverageRun, on_delete=models.CASCADE, related_name="place_rows")
    place = models.ForeignKey(PopulatedPlace, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    location = models.PointField(srid=4326)
    is_urban = models.BooleanField()
    population = models.PositiveIntegerField(_("estimated people"))
    travel_time_min = models.FloatField(_("travel time (min)"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    facility = models.ForeignKey(Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["run", "district"])]
        verbose_name = _("place access")
        verbose_name_plural = _("place access")
