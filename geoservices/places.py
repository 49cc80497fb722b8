"""Place lookups: the district under a point and name search over districts and populated places."""
from difflib import SequenceMatcher
from functools import lru_cache

from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q

from ops.generation import GenerationCache

from .models import Department, District, PopulatedPlace, Province
from .text import search_key, title_name

#: A point this close to a district (in degrees, about 3 km) counts as inside it.
#: The 2017 boundaries are generalised, so beaches and river banks fall just outside.
COAST_TOLERANCE_DEG = 0.03

#: Minimum trigram similarity for a typo-tolerant name match.
MIN_SIMILARITY = 0.3


#: The district under a point, then the nearest district within the tolerance.
#: ST_MakePoint keeps the point a plain parameter: with a geometry literal the
#: query costs ten times more, most of it in planning.
DISTRICT_AT_SQL = """
    SELECT ubigeo FROM geoservices_district
    WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    UNION ALL
    (SELECT ubigeo FROM geoservices_district
     WHERE ST_DWithin(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(tolerance)s)
     ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)
     LIMIT 1)
    LIMIT 1
"""


def districts_with_names():
    """Districts with their province and department joined, without any of their polygons.

    The polygons are large and callers only need names and codes: loading the
    department's polygon alone made each lookup ten times slower.
    """
    return District.objects.select_related("province__department").defer(
        "geom", "province__geom", "province__department__geom"
    )


#: Every district with its names, kept per process until the data changes.
_districts_by_ubigeo = GenerationCache(
    "districts", lambda: {district.ubigeo: district for district in districts_with_names()}
)


def districts_by_ubigeo() -> dict[str, District]:
    """Return every district with its names by ubigeo, from this process's copy (do not modify them)."""
    return _districts_by_ubigeo.get()


def district_at(point: Point) -> District | None:
    """Return the district that contains ``point`` (EPSG:4326), or one within the tolerance, or None."""
    with connection.cursor() as cursor:
        cursor.execute(DISTRICT_AT_SQL, {"lon": point.x, "lat": point.y, "tolerance": COAST_TOLERANCE_DEG})
        row = cursor.fetchone()
    if row is None:
        return None
    return districts_by_ubigeo().get(row[0])


def district_search_point(district: District) -> Point:
    """Return where a search "from this district" starts: its capital town, else a point inside it.

    INEI numbers the populated place that is the district capital <ubigeo>0001.
    Searching from it, not from the polygon's middle, keeps travel times
    meaningful in large rural districts where the middle is far from any town.
    """
    capital = PopulatedPlace.objects.filter(code=f"{district.ubigeo}0001").values_list("location", flat=True).first()
    if capital is not None and district_at(capital) is not None:
        return capital
    return district.anchor


def search_places(query: str, limit: int = 10) -> list[dict]:
    """Find districts and populated places by name, ignoring accents and case, tolerating typos."""
    key = search_key(query)
    if len(key) < 2:
        return []
    districts = _ranked(districts_with_names().annotate(anchor=PointOnSurface("geom")), key, limit)
    places = _ranked(PopulatedPlace.objects.all(), key, limit)
    place_districts = {
        district.ubigeo: district
        for district in districts_with_names().filter(ubigeo__in={place.ubigeo for place in places})
    }
    results = _area_results(key)
    results += [_district_result(district) for district in districts]
    results += [_place_result(place, place_districts.get(place.ubigeo)) for place in places]
    return sorted(results, key=lambda result: -result["score"])[:limit]


#: Minimum difflib ratio for a department or province name to match a query ("cuzco" and "cusco": 0.8).
MIN_AREA_RATIO = 0.8


def _area_results(key: str) -> list[dict]:
    """Match departments and provinces by name; each result points at its capital district.

    By INEI numbering, the capital district of province XXYY is XXYY01 and that
    of department XX is XX0101, so a family that types "Cusco" searches from
    the city of Cusco rather than from the middle of the department.
    """
    if len(key) < 3:
        return []
    results = []
    for kind, ubigeo, name, label in _areas():
        area_key = search_key(name)
        # Compare with the name's beginning, because people type the start of a name.
        ratio = SequenceMatcher(None, key, area_key[: len(key)]).ratio()
        if ratio < MIN_AREA_RATIO:
            continue
        capital_ubigeo = ubigeo + ("0101" if kind == "department" else "01")
        capital = District.objects.filter(ubigeo=capital_ubigeo).annotate(anchor=PointOnSurface("geom")).first()
        if capital is None:
            continue
        point = district_search_point(capital)
        results.append({
            "kind": kind,
            "ubigeo": capital_ubigeo,
            "code": ubigeo,
            "name": name,
            "label": label,
            "lat": round(point.y, 5),
            "lon": round(point.x, 5),
            # A whole department or province is what people mean when the name matches.
            "score": ratio + (1.05 if kind == "department" else 1.02),
        })
    return results


@lru_cache(maxsize=1)
def _areas() -> tuple:
    """Return (kind, ubigeo, name, label) for the 25 departments and 196 provinces, read once per process."""
    departments = [("department", d.ubigeo, d.name, d.name) for d in Department.objects.defer("geom")]
    provinces = [
        ("province", p.ubigeo, p.name, f"{p.name}, {p.department.name}")
        for p in Province.objects.select_related("department").defer("geom", "department__geom")
    ]
    return tuple(departments + provinces)


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
    point = district_search_point(district)
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
