"""Read stored coverage for maps, tables, exports and the API; aggregate unmet demand."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q, Sum

from geoservices.models import Department, District, Province, SearchRecord

from .care import THRESHOLDS_MIN
from .models import CoverageRun, DistrictCoverage

LEVELS = ("district", "province", "department")

#: Simplification tolerance of the map polygons per level, in degrees
#: (0.005 degrees is about 550 m), to keep the national map light.
SIMPLIFY_TOLERANCE_DEG = {"district": 0.005, "province": 0.01, "department": 0.02}

#: A search found nothing within reach when it returned no facility or the
#: nearest one was farther than this, in minutes.
UNMET_THRESHOLD_MIN = 60

#: Smallest group of unmet searches shown, so that no family can be singled out.
MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class AreaCoverage:
    """People of one district, province or department by travel time to the chosen care."""

    ubigeo: str
    name: str
    department: str
    population: int
    beyond: dict[int, int]
    poverty_rate: float | None
    places_network: int
    places_estimate: int

    def share_beyond(self, minutes: int) -> float | None:
        """Return the fraction (0 to 1) of people beyond ``minutes``, or None for an empty area."""
        return self.beyond[minutes] / self.population if self.population else None


def runs_for(care: str, mode: str, basis: str, department: str | None = None):
    """Return the stored runs for a care type, mode and population basis."""
    runs = CoverageRun.objects.filter(care=care, mode=mode, population_basis=basis)
    return runs.filter(department_id=department) if department else runs


def area_coverage(care: str, mode: str, basis: str, level: str, department: str | None = None) -> list[AreaCoverage]:
    """Sum stored district coverage to districts, provinces or departments.

    Only departments with a stored run appear.
    """
    rows = DistrictCoverage.objects.filter(run__in=runs_for(care, mode, basis, department))
    key, model = {
        "district": ("district_id", District),
        "province": ("district__province_id", Province),
        "department": ("district__province__department_id", Department),
    }[level]
    sums = rows.values(key).annotate(
        population_sum=Sum("population"),
        places_network_sum=Sum("places_network"),
        places_estimate_sum=Sum("places_estimate"),
        **{f"beyond_{minutes}_sum": Sum(f"beyond_{minutes}") for minutes in THRESHOLDS_MIN},
    )
    areas = {area.pk: area for area in model.objects.filter(pk__in=[row[key] for row in sums])}
    result = []
    for row in sums:
        area = areas[row[key]]
        result.append(
            AreaCoverage(
                ubigeo=area.pk,
                name=area.name,
                department=area.pk[:2],
                population=row["population_sum"] or 0,
                beyond={minutes: row[f"beyond_{minutes}_sum"] or 0 for minutes in THRESHOLDS_MIN},
                poverty_rate=area.poverty_rate,
                places_network=row["places_network_sum"] or 0,
                places_estimate=row["places_estimate_sum"] or 0,
            )
        )
    return sorted(result, key=lambda item: item.ubigeo)


def worst_areas(areas: list[AreaCoverage], minutes: int, limit: int = 20) -> list[AreaCoverage]:
    """Rank areas by the share of people beyond ``minutes``, then by how many people that is."""
    ranked = [area for area in areas if area.population]
    ranked.sort(key=lambda area: (area.share_beyond(minutes), area.beyond[minutes]), reverse=True)
    return ranked[:limit]


@lru_cache(maxsize=4)
def simplified_geometries(level: str) -> dict[str, dict]:
    """Return GeoJSON geometry per ubigeo, simplified for the web map (cached per process)."""
    model = {"district": District, "province": Province, "department": Department}[level]
    tolerance = SIMPLIFY_TOLERANCE_DEG[level]
    return {
        area.pk: json.loads(area.geom.simplify(tolerance, preserve_topology=True).geojson)
        for area in model.objects.only("ubigeo", "geom")
    }


def feature_collection(areas: list[AreaCoverage], level: str, minutes: int, metadata: dict) -> dict:
    """Build a GeoJSON FeatureCollection of areas with people beyond ``minutes``.

    ``metadata`` (care, mode, method, sources...) is added as foreign members
    of the collection, which GeoJSON readers ignore.
    """
    geometries = simplified_geometries(level)
    features = []
    for area in areas:
        share = area.share_beyond(minutes)
        features.append(
            {
                "type": "Feature",
                "id": area.ubigeo,
                "geometry": geometries.get(area.ubigeo),
                "properties": {
                    "ubigeo": area.ubigeo,
                    "name": area.name,
                    "population": area.population,
                    "population_beyond": area.beyond[minutes],
                    "share_beyond": round(share, 4) if share is not None else None,
                    "poverty_rate": area.poverty_rate,
                    "places_network": area.places_network,
                    "places_estimate": area.places_estimate,
                },
            }
        )
    return {"type": "FeatureCollection", **metadata, "features": features}


@dataclass(frozen=True)
class UnmetGroup:
    """Searches of one district and need, with those that found nothing within reach."""

    ubigeo: str
    district_name: str
    need: str
    searches: int
    unmet: int


def unmet_demand(department: str | None = None) -> list[UnmetGroup]:
    """Count family searches per district and need that found nothing within reach.

    A search is unmet when it returned no facility or its nearest facility was
    more than ``UNMET_THRESHOLD_MIN`` minutes away. Only groups of at least
    ``MIN_GROUP_SIZE`` unmet searches are returned. Smaller groups are left
    out whole, not merged, so no count below the threshold is ever shown.
    """
    records = SearchRecord.objects.exclude(ubigeo="")
    if department:
        records = records.filter(ubigeo__startswith=department)
    is_unmet = Q(results_count=0) | Q(nearest_travel_time_min__isnull=True) | Q(
        nearest_travel_time_min__gt=UNMET_THRESHOLD_MIN
    )
    searches: Counter[tuple[str, str]] = Counter()
    unmet: Counter[tuple[str, str]] = Counter()
    for queryset, counter in ((records, searches), (records.filter(is_unmet), unmet)):
        for ubigeo, needs in queryset.values_list("ubigeo", "needs").iterator():
            for need in set(needs):
                counter[(ubigeo, need)] += 1

    large_groups = [key for key, count in unmet.items() if count >= MIN_GROUP_SIZE]
    names = dict(District.objects.filter(pk__in={ubigeo for ubigeo, _need in large_groups}).values_list("pk", "name"))
    groups = [
        UnmetGroup(ubigeo, names.get(ubigeo, ubigeo), need, searches[(ubigeo, need)], unmet[(ubigeo, need)])
        for ubigeo, need in large_groups
    ]
    return sorted(groups, key=lambda group: (-group.unmet, group.ubigeo, group.need))
