"""Routing API: isochrones around a place or a facility, and route lines, as GeoJSON."""
import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from geoservices.models import Facility

from . import parameters
from .routes import route_feature
from .services import DEFAULT_ISOCHRONE_MINUTES, isochrones

#: Largest isochrone threshold served, in minutes.
MAX_ISOCHRONE_MINUTES = 240


class IsochroneQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/routing/isochrones/``: a place or a facility, a mode and thresholds."""

    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    renaes_code = serializers.CharField(required=False, max_length=8)
    mode = serializers.ChoiceField(choices=parameters.MODES, default="walk")
    minutes = serializers.CharField(required=False, default=",".join(map(str, DEFAULT_ISOCHRONE_MINUTES)))

    def validate_minutes(self, value: str) -> list[int]:
        try:
            minutes = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise serializers.ValidationError(
                gettext_lazy("Invalid minutes %(value)s: give whole minutes separated by commas, e.g. 15,30,60.")
                % {"value": value}
            ) from None
        if not minutes or any(m < 1 or m > MAX_ISOCHRONE_MINUTES for m in minutes):
            raise serializers.ValidationError(
                gettext_lazy("Invalid minutes %(value)s: each value must be between 1 and %(max)s.")
                % {"value": value, "max": MAX_ISOCHRONE_MINUTES}
            )
        return minutes

    def validate(self, data: dict) -> dict:
        has_point = "lat" in data and "lon" in data
        if not has_point and "renaes_code" not in data:
            raise serializers.ValidationError(
                gettext_lazy("Give either lat and lon in decimal degrees, or the renaes_code of a facility.")
            )
        return data


class IsochroneView(APIView):
    """``GET /api/v1/routing/isochrones/``: areas from which a place is reached within N minutes."""

    def get(self, request):
        serializer = IsochroneQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data

        if "renaes_code" in query:
            facility = Facility.objects.filter(renaes_code=query["renaes_code"], location__isnull=False).first()
            if facility is None:
                raise NotFound(
                    _("No facility with RENAES code %(code)s and a location. Check the code.")
                    % {"code": query["renaes_code"]}
                )
            origin = (facility.location.x, facility.location.y)
        else:
            origin = (query["lon"], query["lat"])

        collection = isochrones(origin, query["mode"], query["minutes"])
        if collection is None:
            raise ValidationError(
                {
                    "location": [
                        _(
                            "There is no road network near this place, so no isochrones: they need a city "
                            "street map within %(max_m)s m or an MTC road within %(max_km)s km."
                        )
                        % {
                            "max_m": int(parameters.MAX_ACCESS_DISTANCE_M),
                            "max_km": int(parameters.MTC_MAX_ACCESS_DISTANCE_M / 1000),
                        }
                    ]
                }
            )
        return Response(collection)


#: Route query parameters in degrees, with the largest absolute value each may take.
_ROUTE_COORDINATES = (("from_lat", 90), ("from_lon", 180), ("to_lat", 90), ("to_lon", 180))


def _route_query(params) -> tuple[dict, dict]:
    """Read the route query: coordinates in decimal degrees and the mode.

    Returns the values and the errors, each error naming the parameter, the
    value and the fix.
    """
    values, errors = {}, {}
    for name, limit in _ROUTE_COORDINATES:
        raw = params.get(name, "").strip()
        if not raw:
            errors[name] = [_("Missing %(name)s: give it in decimal degrees, for example -12.05.") % {"name": name}]
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > limit:
            errors[name] = [
                _("Invalid %(name)s %(value)s: give a number of decimal degrees between -%(limit)s and %(limit)s.")
                % {"name": name, "value": raw, "limit": limit}
            ]
            continue
        values[name] = value

    mode = params.get("mode", "walk")
    if mode not in parameters.MODES:
        errors["mode"] = [
            _("Invalid mode %(value)s: use one of %(modes)s.") % {"value": mode, "modes": ", ".join(parameters.MODES)}
        ]
    values["mode"] = mode
    return values, errors


class RouteView(APIView):
    """``GET /api/v1/routing/route/``: the route line between two places as a GeoJSON Feature."""

    def get(self, request):
        query, errors = _route_query(request.query_params)
        if errors:
            raise ValidationError(errors)
        feature = route_feature(
            (query["from_lon"], query["from_lat"]), (query["to_lon"], query["to_lat"]), query["mode"]
        )
        return Response(feature)
