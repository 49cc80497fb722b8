"""Validation of API input and GeoJSON output for places and facilities.

Every message names the rejected value and how to fix it, in the
request's language (Spanish by default).
"""
import datetime
import re

from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .models import District, Facility, PopulatedPlace
from .places import district_at, district_search_point
from .vocabulary import FAMILY_MODE_CHOICES, INSURANCE_CHOICES, SEX_CHOICES, SISFOH_CHOICES

MAX_AGE = 120
MAX_HOUSEHOLD_SIZE = 20


def validate_need_codes(needs: list[str]) -> list[str]:
    """Return ``needs`` unchanged, or raise a ValidationError naming the unknown codes and the valid ones."""
    from matcher.catalogue import search_catalogue  # matcher builds on geoservices, so import late

    known = search_catalogue().needs.keys()
    unknown = [need for need in needs if need not in known]
    if unknown:
        raise serializers.ValidationError(
            _("Unknown need: %(needs)s. Valid needs: %(valid)s.")
            % {"needs": ", ".join(unknown), "valid": ", ".join(sorted(known))}
        )
    return needs


class LocationSerializer(serializers.Serializer):
    """A point (lat, lon), a district ubigeo or a populated place code."""

    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    ubigeo = serializers.RegexField(
        r"^\d{6}$", required=False, error_messages={"invalid": _("A ubigeo has 6 digits, for example 150132.")}
    )
    place_code = serializers.RegexField(
        r"^\d{10}$",
        required=False,
        error_messages={"invalid": _("A populated place code has 10 digits, for example 0101010001.")},
    )

    def validate(self, attrs):
        has_point = "lat" in attrs or "lon" in attrs
        given = [name for name, present in (
            ("lat/lon", has_point), ("ubigeo", "ubigeo" in attrs), ("place_code", "place_code" in attrs)
        ) if present]
        if len(given) != 1:
            raise serializers.ValidationError(
                _("Give exactly one of: lat and lon, ubigeo, or place_code (received: %(given)s).")
                % {"given": ", ".join(given) or "-"}
            )
        if has_point:
            return self._validate_point(attrs)
        if "ubigeo" in attrs:
            return self._validate_ubigeo(attrs["ubigeo"])
        return self._validate_place(attrs["place_code"])

    def _validate_point(self, attrs):
        if "lat" not in attrs or "lon" not in attrs:
            raise serializers.ValidationError(_("Give both lat and lon, in decimal degrees."))
        point = Point(attrs["lon"], attrs["lat"], srid=4326)
        district = district_at(point)
        if district is None:
            raise serializers.ValidationError(
                _("The point lat %(lat)s, lon %(lon)s is outside Peru. Mark a place inside Peru on the map.")
                % {"lat": attrs["lat"], "lon": attrs["lon"]}
            )
        return {"point": point, "district": district}

    def _validate_ubigeo(self, ubigeo):
        district = (
            District.objects.filter(ubigeo=ubigeo)
            .annotate(anchor=PointOnSurface("geom"))
            .defer("geom")
            .first()
        )
        if district is not None:
            district.anchor = district_search_point(district)
        if district is None:
            raise serializers.ValidationError(
                _("No district has ubigeo %(ubigeo)s. Pick a district from the list or mark your place on the map.")
                % {"ubigeo": ubigeo}
            )
        return {"point": district.anchor, "district": district}

    def _validate_place(self, code):
        place = PopulatedPlace.objects.filter(code=code).first()
        if place is None:
            raise serializers.ValidationError(
                _("No populated place has code %(code)s. Pick a place from the list.") % {"code": code}
            )
        district = district_at(place.location)
        if district is None:
            raise serializers.ValidationError(
                _("The populated place %(name)s has no district on the map. Mark your place on the map instead.")
                % {"name": place.name}
            )
        return {"point": place.location, "district": district}


class AgeField(serializers.IntegerField):
    """A member's age in whole years, 0 to ``MAX_AGE``, with messages that repeat the typed value."""

    #: Typed values longer than this are cut in messages, so that an error stays one line.
    MAX_SHOWN_CHARACTERS = 20

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {
            "required": _("Give the age of each member."),
            "null": _("Give the age of each member."),
        })
        # The limits stay on the field for the OpenAPI schema; to_internal_value checks them first.
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_AGE)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        shown = str(data)[: self.MAX_SHOWN_CHARACTERS]
        try:
            age = super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                _("The age “%(value)s” is not a whole number of years. Write it without decimals, for example 27.")
                % {"value": shown}
            ) from None
        if age < 0:
            raise serializers.ValidationError(
                _("The age %(value)s is below 0. Write 0 for babies under one year.") % {"value": shown}
            )
        if age > MAX_AGE:
            raise serializers.ValidationError(
                _("The age %(value)s is above %(max)s. Check the age you typed.") % {"value": shown, "max": MAX_AGE}
            )
        return age


class MemberSerializer(serializers.Serializer):
    """One household member. Names and ID numbers are neither asked nor accepted."""

    age = AgeField()
    sex = serializers.ChoiceField(choices=SEX_CHOICES, required=False, allow_null=True)
    pregnant = serializers.BooleanField(required=False, allow_null=True, default=None)
    pregnancy_weeks = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=42)
    postpartum_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=365)
    disability = serializers.BooleanField(required=False, allow_null=True, default=None)
    chronic_illness = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs.get("pregnant") and attrs.get("sex") == "M":
            raise serializers.ValidationError(_("A member marked as pregnant must not be marked as male."))
        if attrs.get("pregnant") and not 10 <= attrs["age"] <= 55:
            raise serializers.ValidationError(
                _("Age %(age)s is unusual for a pregnancy. Check the age or the pregnancy mark.")
                % {"age": attrs["age"]}
            )
        return attrs


#: Oldest CSE month accepted, in years before today: an older month is taken as a typing error.
CSE_MAX_AGE_YEARS = 20
_CSE_MONTH_FORMATS = (re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),
                      re.compile(r"^(?P<month>\d{1,2})/(?P<year>\d{4})$"))


@extend_schema_field({"type": "string", "pattern": r"^(\d{4}-\d{1,2}|\d{1,2}/\d{4})$", "example": "2024-03",
                      "nullable": True})
class CseMonthField(serializers.Field):
    """Month and year of the household's SISFOH classification (CSE), as "YYYY-MM" or "MM/YYYY".

    Returns the first day of that month. A month after the current one (in
    Lima) or more than ``CSE_MAX_AGE_YEARS`` years back is rejected.
    """

    def to_internal_value(self, data):
        text = str(data).strip()
        if not text:
            return None
        match = next((found for pattern in _CSE_MONTH_FORMATS if (found := pattern.match(text))), None)
        if match is None or not 1 <= int(match["month"]) <= 12:
            raise serializers.ValidationError(
                _("“%(value)s” is not a month and year. Write the month of the CSE like 03/2024.") % {"value": text}
            )
        month = datetime.date(int(match["year"]), int(match["month"]), 1)
        today = timezone.localdate()
        if month > today.replace(day=1):
            raise serializers.ValidationError(
                _("The CSE date %(value)s is in the future. Write the month and year in which the household "
                  "was classified, or leave it empty.") % {"value": month.strftime("%m/%Y")}
            )
        if month.year < today.year - CSE_MAX_AGE_YEARS:
            raise serializers.ValidationError(
                _("The CSE date %(value)s is more than %(years)s years ago. Check the year, or leave it empty.")
                % {"value": month.strftime("%m/%Y"), "years": CSE_MAX_AGE_YEARS}
            )
        return month

    def to_representation(self, value):
        return value.strftime("%Y-%m")


class MatchRequestSerializer(serializers.Serializer):
    """The family search: where the household lives, who it is, and what care it needs."""

    location = LocationSerializer()
    household = MemberSerializer(many=True, allow_empty=False, max_length=MAX_HOUSEHOLD_SIZE)
    needs = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False, max_length=13)
    insurance = serializers.ChoiceField(choices=INSURANCE_CHOICES, default="none")
    sisfoh = serializers.ChoiceField(choices=SISFOH_CHOICES, default="unknown")
    cse_month = CseMonthField(
        required=False, allow_null=True, default=None,
        help_text="Month of the household's SISFOH classification (CSE), YYYY-MM or MM/YYYY; optional.",
    )
    mode = serializers.ChoiceField(choices=FAMILY_MODE_CHOICES, default="walk")

    default_error_messages = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].error_messages["empty"] = _("Add at least one household member.")
        self.fields["needs"].error_messages["empty"] = _("Choose at least one kind of care.")

    def validate_needs(self, needs):
        return list(dict.fromkeys(validate_need_codes(needs)))


class FacilityFeatureSerializer(GeoFeatureModelSerializer):
    """A searchable facility as a GeoJSON feature."""

    class Meta:
        model = Facility
        geo_field = "location"
        id_field = "renaes_code"
        fields = ("renaes_code", "name", "category", "institution", "address", "phone", "hours", "spatial_ubigeo")


class DistrictFeatureSerializer(GeoFeatureModelSerializer):
    """A district polygon with its census and poverty figures."""

    province = serializers.CharField(source="province.name")
    department = serializers.CharField(source="province.department.name")

    class Meta:
        model = District
        geo_field = "geom"
        id_field = "ubigeo"
        fields = (
            "ubigeo", "name", "capital", "province", "department", "population_2017", "population_urban_2017",
            "population_rural_2017", "population_2022", "poverty_rate", "extreme_poverty_rate",
        )
