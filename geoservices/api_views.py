"""Public API v1: the family search, place search, needs, facilities and districts."""
from django.contrib.gis.geos import Polygon
from django.utils.translation import get_language, gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from matcher.search import run_search, search_request
from ops.generation import generation_snapshot

from .models import District, Facility, Need
from .places import search_places
from .serializers import DistrictFeatureSerializer, FacilityFeatureSerializer, MatchRequestSerializer

#: Largest bounding box, in square degrees, that the facility layer serves at once.
MAX_BBOX_AREA_DEG2 = 25.0

#: Most facilities returned for one bounding box.
MAX_BBOX_FEATURES = 3000


class MatchView(APIView):
    """``POST /api/v1/match/``: facilities and programmes for a household."""

    def post(self, request):
        with generation_snapshot():
            serializer = MatchRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            return Response(run_search(search_request(serializer.validated_data)))


class PlaceSearchView(APIView):
    """``GET /api/v1/places/?q=``: districts and populated places by name."""

    def get(self, request):
        query = request.query_params.get("q", "").strip()
        if len(query) < 2:
            raise ValidationError({"q": [_("Type at least 2 letters of the place name.")]})
        return Response({"results": [_public(result) for result in search_places(query[:100])]})


def _public(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "score"}


class NeedListView(APIView):
    """``GET /api/v1/needs/``: the kinds of care a family can ask for."""

    def get(self, request):
        spanish = get_language() == "es"
        needs = Need.objects.all()
        return Response(
            {"results": [{"code": need.code, "name": need.name_es if spanish else need.name_en} for need in needs]}
        )


class FacilityListView(APIView):
    """``GET /api/v1/facilities/?bbox=minlon,minlat,maxlon,maxlat``: facilities as GeoJSON."""

    def get(self, request):
        bbox = _parse_bbox(request.query_params.get("bbox", ""))
        facilities = Facility.objects.filter(is_searchable=True, location__within=bbox).order_by("renaes_code")
        serializer = FacilityFeatureSerializer(facilities[:MAX_BBOX_FEATURES], many=True)
        return Response(serializer.data)


def _parse_bbox(raw: str) -> Polygon:
    example = "-77.05,-12.02,-76.95,-11.93"
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in raw.split(","))
    except ValueError:
        raise ValidationError(
            {"bbox": [_("bbox must be minlon,minlat,maxlon,maxlat in degrees, for example %(example)s; received %(value)r.")
                      % {"example": example, "value": raw}]}
        ) from None
    if not (min_lon < max_lon and min_lat < max_lat):
        raise ValidationError({"bbox": [_("In bbox the minimum must come before the maximum: %(value)s.") % {"value": raw}]})
    if (max_lon - min_lon) * (max_lat - min_lat) > MAX_BBOX_AREA_DEG2:
        raise ValidationError(
            {"bbox": [_("bbox %(value)s is too large; ask for at most %(area)s square degrees.")
                      % {"value": raw, "area": MAX_BBOX_AREA_DEG2}]}
        )
    return Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))


class DistrictDetailView(APIView):
    """``GET /api/v1/districts/<ubigeo>/``: a district polygon with its figures as GeoJSON."""

    def get(self, request, ubigeo: str):
        district = District.objects.select_related("province__department").filter(ubigeo=ubigeo).first()
        if district is None:
            raise NotFound(_("No district has ubigeo %(ubigeo)s.") % {"ubigeo": ubigeo})
        return Response(DistrictFeatureSerializer(district).data, status=status.HTTP_200_OK)
