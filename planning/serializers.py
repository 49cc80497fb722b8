"""Validation of the planning API's query parameters and request bodies; messages in Spanish via gettext."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from geoservices.models import Department, Facility
from geoservices.vocabulary import CATEGORIES, MODE_CHOICES

from .care import THRESHOLDS_MIN, check_care
from .exceptions import UnknownCareError
from .models import PopulationBasis
from .reports import LEVELS

#: Rough bounding box of Peru in degrees, to catch swapped or mistyped coordinates.
PERU_BOUNDS = {"min_lon": -81.5, "max_lon": -68.5, "min_lat": -18.5, "max_lat": 0.1}

#: Most sites or upgrades one scenario may add.
MAX_SCENARIO_SITES = 20

#: Most sites one suggestion may return.
MAX_SUGGESTED_SITES = 20


class CareField(serializers.CharField):
    """A care type code: any, level_i3, level_i4, level_ii1 or a service code."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return check_care(value)
        except UnknownCareError:
            raise serializers.ValidationError(
                _("Unknown care type “%(value)s”. Choose one of the care types listed on the planning page.")
                % {"value": value}
            ) from None


#: Messages of a department field that must be filled in.
DEPARTMENT_REQUIRED = {"required": _("Choose a department."), "blank": _("Choose a department.")}


class DepartmentField(serializers.CharField):
    """A department's 2-digit INEI ubigeo."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not Department.objects.filter(pk=value).exists():
            raise serializers.ValidationError(
                _("Unknown department “%(value)s”. Use its 2-digit INEI ubigeo, for example 08 for Cusco.")
                % {"value": value}
            )
        return value


class CoverageQuerySerializer(serializers.Serializer):
    """Query of the coverage map: care, mode, threshold, level and population basis."""

    care = CareField(default="any")
    mode = serializers.ChoiceField(choices=MODE_CHOICES, default="walk")
    minutes = serializers.ChoiceField(choices=THRESHOLDS_MIN, default=60)
    level = serializers.ChoiceField(choices=LEVELS, default="district")
    population = serializers.ChoiceField(choices=PopulationBasis.choices, default=PopulationBasis.CENSUS_2017)
    department = DepartmentField(required=False, allow_blank=True, default="")


class DepartmentQuerySerializer(CoverageQuerySerializer):
    """A coverage query that must name one department."""

    department = DepartmentField(error_messages=DEPARTMENT_REQUIRED)


class SuggestionQuerySerializer(DepartmentQuerySerializer):
    """Department, care, mode, threshold and the number of sites to suggest."""

    k = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SUGGESTED_SITES,
        default=5,
        error_messages={
            "min_value": _("Ask for at least 1 site."),
            "max_value": _("Ask for at most %(limit_value)s sites."),
            "invalid": _("The number of sites must be a whole number, for example 5."),
        },
    )


class SiteSerializer(serializers.Serializer):
    """A planned facility's location in degrees."""

    lon = serializers.FloatField()
    lat = serializers.FloatField()

    def validate(self, attrs):
        lon, lat = attrs["lon"], attrs["lat"]
        bounds = PERU_BOUNDS
        if not (bounds["min_lon"] <= lon <= bounds["max_lon"] and bounds["min_lat"] <= lat <= bounds["max_lat"]):
            raise serializers.ValidationError(
                _("The point (%(lon)s, %(lat)s) is outside Peru. Give longitude then latitude in degrees, "
                  "for example -71.97, -13.52.") % {"lon": lon, "lat": lat}
            )
        return attrs


class UpgradeSerializer(serializers.Serializer):
    """An existing facility and the category it would be raised to."""

    renaes_code = serializers.CharField(max_length=8)
    category = serializers.ChoiceField(choices=CATEGORIES)

    def validate_renaes_code(self, value):
        code = value.strip()
        if not code.isdigit():
            raise serializers.ValidationError(
                _("Invalid RENAES code “%(value)s”: a RENAES code has only digits, up to 8. "
                  "Copy it from the “RENAES” column of the catchments table, for example 00003659.")
                % {"value": value}
            )
        facility = Facility.objects.filter(renaes_code=code.zfill(8), location__isnull=False).first()
        if facility is None:
            raise serializers.ValidationError(
                _("No located facility has the RENAES code “%(value)s”. Check the code in the facility list.")
                % {"value": value}
            )
        return facility


def check_in_department(facility: Facility, department: str) -> None:
    """Raise a ValidationError naming the facility and its department unless it lies in ``department``.

    A scenario times the places of one department, so an upgrade elsewhere
    would be a mistyped code rather than a plan.
    """
    ubigeo = facility.spatial_ubigeo or ""
    if ubigeo.startswith(department):
        return
    names = dict(Department.objects.filter(pk__in=[department, ubigeo[:2]]).values_list("pk", "name"))
    raise serializers.ValidationError(
        {"upgrades": _(
            "RENAES code %(code)s is %(name)s, a facility of %(other)s, not of %(department)s. Enter the code "
            "of a facility of %(department)s, as listed in the table of “Show catchments”."
        ) % {
            "code": facility.renaes_code,
            "name": facility.name,
            "other": names.get(ubigeo[:2], _("an unknown department")),
            "department": names.get(department, department),
        }}
    )


class ScenarioSerializer(serializers.Serializer):
    """Body of a scenario: where to start from, new sites and upgrades."""

    department = DepartmentField(error_messages=DEPARTMENT_REQUIRED)
    care = CareField(default="any")
    mode = serializers.ChoiceField(choices=MODE_CHOICES, default="walk")
    population = serializers.ChoiceField(choices=PopulationBasis.choices, default=PopulationBasis.CENSUS_2017)
    sites = SiteSerializer(many=True, required=False, default=list)
    upgrades = UpgradeSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        if not attrs["sites"] and not attrs["upgrades"]:
            raise serializers.ValidationError(_("Place at least one new facility on the map or choose an upgrade."))
        for item in attrs["upgrades"]:
            check_in_department(item["renaes_code"], attrs["department"])
        if len(attrs["sites"]) + len(attrs["upgrades"]) > MAX_SCENARIO_SITES:
            raise serializers.ValidationError(
                _("A scenario may add at most %(limit)s facilities; remove some and try again.")
                % {"limit": MAX_SCENARIO_SITES}
            )
        return attrs


class JobRequestSerializer(serializers.Serializer):
    """Body of a request to recompute coverage of one department."""

    department = DepartmentField(error_messages=DEPARTMENT_REQUIRED)
    care = CareField(default="any")
    mode = serializers.ChoiceField(choices=MODE_CHOICES, default="walk")
    population = serializers.ChoiceField(choices=PopulationBasis.choices, default=PopulationBasis.CENSUS_2017)
