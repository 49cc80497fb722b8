"""Places (INEI boundaries, populated places) and health facilities."""
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from .vocabulary import INSTITUTION_CHOICES


class Department(models.Model):
    """An INEI department (2-digit ubigeo)."""

    ubigeo = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80)
    geom = models.MultiPolygonField(srid=4326)
    poverty_rate = models.FloatField(null=True, blank=True, help_text=_("Percent of people in poverty."))

    class Meta:
        ordering = ["ubigeo"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Province(models.Model):
    """An INEI province (4-digit ubigeo)."""

    ubigeo = models.CharField(max_length=4, primary_key=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="provinces")
    name = models.CharField(max_length=80)
    geom = models.MultiPolygonField(srid=4326)
    poverty_rate = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["ubigeo"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """An INEI district as drawn for the 2017 census, with census figures."""

    ubigeo = models.CharField(max_length=6, primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(max_length=80)
    capital = models.CharField(max_length=80, blank=True)
    geom = models.MultiPolygonField(srid=4326)
    population_2017 = models.PositiveIntegerField(null=True, blank=True)
    population_urban_2017 = models.PositiveIntegerField(null=True, blank=True)
    population_rural_2017 = models.PositiveIntegerField(null=True, blank=True)
    population_2022 = models.PositiveIntegerField(null=True, blank=True, help_text=_("INEI projection."))
    poverty_rate = models.FloatField(null=True, blank=True, help_text=_("Percent, INEI poverty map 2018."))
    extreme_poverty_rate = models.FloatField(null=True, blank=True, help_text=_("Percent, INEI 2013."))
    search_name = models.CharField(max_length=200, db_index=True, help_text=_("Lower-case, unaccented."))

    class Meta:
        ordering = ["ubigeo"]
        indexes = [GinIndex(fields=["search_name"], name="district_name_trgm", opclasses=["gin_trgm_ops"])]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return f"{self.name} ({self.ubigeo})"


class PopulatedPlace(models.Model):
    """An INEI populated place (centro poblado); the register gives no population."""

    code = models.CharField(max_length=10, primary_key=True)
    # Plain code, not a foreign key: 18 districts created after 2017 have places but no polygon.
    ubigeo = models.CharField(max_length=6, db_index=True)
    name = models.CharField(max_length=120)
    search_name = models.CharField(max_length=120, db_index=True)
    is_urban = models.BooleanField()
    location = models.PointField(srid=4326)

    class Meta:
        ordering = ["code"]
        indexes = [GinIndex(fields=["search_name"], name="place_name_trgm", opclasses=["gin_trgm_ops"])]
        verbose_name = _("populated place")
        verbose_name_plural = _("populated places")

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """A health facility (IPRESS) identified by its RENAES code."""

    renaes_code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=8, blank=True, help_text=_("MINSA category, I-1 to III-E."))
    institution = models.CharField(max_length=24, choices=INSTITUTION_CHOICES, blank=True)
    classification = models.CharField(max_length=200, blank=True)
    facility_type = models.CharField(max_length=80, blank=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=80, blank=True)
    hours = models.CharField(max_length=200, blank=True, help_text=_("Opening hours as the registry gives them."))
    is_operating = models.BooleanField(default=True)
    beds = models.PositiveIntegerField(null=True, blank=True)
    declared_ubigeo = models.CharField(max_length=6, blank=True)
    spatial_ubigeo = models.CharField(max_length=6, blank=True, db_index=True)
    location = models.PointField(srid=4326, null=True, blank=True)
    sources = ArrayField(models.CharField(max_length=24), default=list)
    quality_flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    serums_difficulty = models.CharField(max_length=4, blank=True)
    is_searchable = models.BooleanField(
        default=False,
        db_index=True,
        help_text=_("Shown to families: has a name, a category, a valid location and is operating."),
    )

    class Meta:
        ordering = ["renaes_code"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return f"{self.name or self.renaes_code} ({self.category or '?'})"


class Service(models.Model):
    """A kind of care a facility may offer (prenatal care, childbirth, ...)."""

    code = models.CharField(max_length=40, primary_key=True)
    name_es = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    categories = ArrayField(
        models.CharField(max_length=8),
        default=list,
        help_text=_("Categories that must offer it under MINSA's categorisation norm."),
    )
    basis = models.TextField(blank=True, help_text=_("Why these categories, with the source."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.code


class FacilityService(models.Model):
    """Whether one facility offers one service, inferred or corrected by an admin."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="facilities")
    offered = models.BooleanField(default=True)
    inferred = models.BooleanField(
        default=True, help_text=_("Inferred from the category; false once an admin has confirmed or corrected it.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facility", "service"], name="unique_facility_service")]
        verbose_name = _("facility service")
        verbose_name_plural = _("facility services")


class Need(models.Model):
    """A kind of care a family requests, met by one or more services."""

    code = models.CharField(max_length=40, primary_key=True)
    name_es = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    services = models.ManyToManyField(Service, related_name="needs")
    is_urgent = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.code


class InsuranceAcceptance(models.Model):
    """The terms on which an institution's facilities accept one insurance."""

    TERMS = [
        ("covered", _("Covered by the insurance")),
        ("affiliation", _("Free after affiliating to SIS at the facility")),
        ("paid", _("Attended for a fee")),
        ("emergency_only", _("Emergencies only")),
    ]
    institution = models.CharField(max_length=24, choices=INSTITUTION_CHOICES)
    insurance = models.CharField(max_length=16)
    terms = models.CharField(max_length=16, choices=TERMS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "insurance"], name="unique_institution_insurance")
        ]
        verbose_name = _("insurance acceptance")
        verbose_name_plural = _("insurance acceptance")


class DataLoad(models.Model):
    """A record of one loader run, so that reruns on unchanged files are skipped."""

    loader = models.CharField(max_length=60, unique=True)
    source_sha256 = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data load")
        verbose_name_plural = _("data loads")


class SearchRecord(models.Model):
    """A family search kept as a coarse, non-identifying record for planners.

    No names, ID numbers or exact locations are stored: the location is
    rounded (``GEOSALUD["SEARCH_LOCATION_DECIMALS"]``) and ages are kept as bands.
    """

    created_on = models.DateField(auto_now_add=True, db_index=True)
    ubigeo = models.CharField(max_length=6, blank=True, db_index=True)
    coarse_location = models.PointField(srid=4326, null=True, blank=True)
    needs = ArrayField(models.CharField(max_length=40), default=list)
    insurance = models.CharField(max_length=16)
    sisfoh = models.CharField(max_length=16)
    mode = models.CharField(max_length=8)
    household_size = models.PositiveSmallIntegerField()
    age_bands = ArrayField(models.CharField(max_length=8), default=list)
    has_pregnant_member = models.BooleanField(default=False)
    results_count = models.PositiveSmallIntegerField()
    nearest_travel_time_min = models.FloatField(null=True, blank=True)
    rule_versions = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("search record")
        verbose_name_plural = _("search records")


# Staff imports and family data reports live in their own module; importing
# them here registers them with the geoservices app.
from .imports.models import DataReport, ImportRecord  # noqa: E402,F401
