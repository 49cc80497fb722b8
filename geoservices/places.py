"""Place lookups: the district under a point and name search over districts and populated places."""
from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Q

from .models import District, PopulatedPlace
from .text import search_key, title_name

#: A point this close to a district (in degrees, about 3 km) counts as inside it.
#: The 2017 boundaries are generalised, so beaches and river banks fall just outside.
COAST_TOLERANCE_DEG = 0.03

#: Minimum trigram similarity for a typo-tolerant name match.
MIN_SIMILARITY = 0.3


def district_at(point: Point) -> District | None:
    """Return the district that contains ``point`` (EPSG:4326), or one within the tolerance, or None."""
    # The polygons are large and not needed by callers, so they stay in the database.
    districts = District.objects.select_related("province__department").defer("geom")
    district = districts.filter(geom__covers=point).first()
    if district is not None:
        return district
    return districts.filter(geom__dwithin=(point, COAST_TOLERANCE_DEG)).first()


def search_places(query: str, limit: int = 10) -> list[dict]:
    """Find districts and populated places by name, ignoring accents and case, tolerating typos."""
    key = search_key(query)
    if len(key) < 2:
        return []
    districts = _ranked(
        District.objects.select_related("province__department").annotate(anchor=PointOnSurface("geom")).defer("geom"),
        key,
        limit,
    )
    places = _ranked(PopulatedPlace.objects.all(), key, limit)
    place_districts = {
        district.ubigeo: district
        for district in District.objects.filter(ubigeo__in={place.ubigeo for place in places})
        .select_related("province__department")
        .defer("geom")
    }
    results = [_district_result(district) for district in districts]
    results += [_place_result(place, place_districts.get(place.ubigeo)) for place in places]
    return sorted(results, key=lambda result: -result["score"])[:limit]


def _ranked(queryset, key: str, limit: int) -> list:
    matches = (
        queryset.annotate(similarity=TrigramSimilarity("search_name", key))
        .filter(Q(search_name__startswith=key) | Q(search_name__contains=f" {key}") | Q(similarity__gte=MIN_SIMILARITY))
        .order_by("-similarity", "search_name")
    )
    results = list(matches[:limit])
    for item in results:
        # Prefix matches first: people type the beginning of a name.
        item.score = item.similarity + (1.0 if item.search_name.startswith(key) else 0.0)
    return results


def _district_label(district: District) -> str:
    province = district.province
    return f"{district.name}, {province.name}, {province.department.name}"


def _district_result(district: District) -> dict:
    point = district.anchor
    return {
        "kind": "district",
        "ubigeo": district.ubigeo,
        "code": district.ubigeo,
        "name": district.name,
        "label": _district_label(district),
        "lat": round(point.y, 5),
        "lon": round(point.x, 5),
        "score": district.score + 0.01,
    }


def _place_result(place: PopulatedPlace, district: District | None) -> dict:
    name = title_name(place.name)
    label = f"{name}, {_district_label(district)}" if district else name
    return {
        "kind": "place",
        "ubigeo": place.ubigeo,
        "code": place.code,
        "name": name,
        "label": label,
        "lat": round(place.location.y, 5),
        "lon": round(place.location.x, 5),
        "score": place.score,
    }
