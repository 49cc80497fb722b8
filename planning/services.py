"""Compute and store coverage: the Django layer over planning.allocation and planning.access."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import F, FloatField, Func
from django.utils import timezone

from geoservices.models import Department, District, Facility, PopulatedPlace
from routing import parameters
from routing.estimate import check_mode, describe
from routing.exceptions import GraphFileError
from routing.graph import CompactGraph
from routing.models import RoadRegion
from routing.services import access_rule, load_graph

from . import access
from .allocation import DistrictPopulation, distribute_population
from .care import THRESHOLDS_MIN, check_care, facilities_for_care
from .exceptions import PlanningError
from .models import CoverageRun, DistrictCoverage, PlaceAccess, PopulationBasis

logger = logging.getLogger(__name__)

#: Degrees added around a department when looking for road graphs, so that
#: places near its border still find the graph within the access distance.
_REGION_MARGIN_DEG = 0.05

#: Data behind every coverage run, stated on the pages and in exports. These are
#: the publishers' own titles, kept in Spanish in both languages.
DATA_SOURCES = [
    "INEI, Censos Nacionales 2017: población por distrito, urbana y rural",
    "INEI, estimaciones y proyecciones de población por distrito 2022",
    "INEI, directorio de centros poblados (94 922 centros poblados con coordenadas)",
    "INEI, límites distritales del censo 2017",
    "MINSA, registro de IPRESS (RENIPRESS) y categorías según NTS 021-MINSA/DGSP",
    "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0) y red vial del MTC (PROVÍAS)",
]

#: Modes with coverage maps. Public transport is left out because its times
#: scale the driving time plus a wait, which the multi-source search does not model.
COVERAGE_MODES = ("walk", "drive")

ProgressCallback = Callable[[float, str], None]


@dataclass
class PlaceSet:
    """The populated places of some districts with their estimated people.

    Arrays are aligned; ``code`` is empty for a district's fallback point.
    ``district_index`` indexes ``district_ubigeos``.
    """

    code: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    is_urban: np.ndarray
    population: np.ndarray
    district_index: np.ndarray
    district_ubigeos: list[str]

    def __len__(self) -> int:
        return len(self.code)


@dataclass
class FacilitySet:
    """Located facilities that give one care type."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def coordinates(field: str) -> tuple[Func, Func]:
    """Return expressions for the longitude and latitude of a point field.

    Reading plain floats from PostGIS avoids building a GEOS point per row,
    which takes most of the time of loading 10^5 places.
    """
    return (
        Func(F(field), function="ST_X", output_field=FloatField()),
        Func(F(field), function="ST_Y", output_field=FloatField()),
    )


def get_department(ubigeo: str) -> Department:
    """Return the department with this 2-digit ubigeo, or raise PlanningError."""
    try:
        return Department.objects.get(ubigeo=ubigeo)
    except Department.DoesNotExist:
        known = ", ".join(Department.objects.values_list("ubigeo", flat=True))
        msg = f"Unknown department ubigeo {ubigeo!r}. Use a 2-digit INEI code: {known}."
        raise PlanningError(msg) from None


def district_population(district: District, basis: str) -> DistrictPopulation:
    """Return the people of a district on the chosen basis, with the 2017 urban and rural split."""
    total = district.population_2022 if basis == PopulationBasis.PROJECTION_2022 else district.population_2017
    return DistrictPopulation(
        ubigeo=district.ubigeo,
        total=int(total or 0),
        urban=district.population_urban_2017,
        rural=district.population_rural_2017,
    )


def load_places(department: Department, basis: str) -> PlaceSet:
    """Spread the people of a department's districts over their populated places.

    People of a district with no place of their kind (urban or rural) are put
    on a point inside the district polygon, so that district totals stay exact.
    """
    districts = list(District.objects.filter(province__department=department).order_by("ubigeo"))
    ubigeos = [district.ubigeo for district in districts]
    rows = list(
        PopulatedPlace.objects.filter(ubigeo__in=ubigeos)
        .order_by("code")
        .values_list("code", "ubigeo", "is_urban", *coordinates("location"))
    )
    code = np.array([row[0] for row in rows], dtype=object)
    place_ubigeo = np.array([row[1] for row in rows], dtype=object)
    is_urban = np.array([row[2] for row in rows], dtype=bool)
    lon = np.array([row[3] for row in rows], dtype=float)
    lat = np.array([row[4] for row in rows], dtype=float)

    population, unplaced = distribute_population(
        [district_population(district, basis) for district in districts], place_ubigeo, is_urban
    )
    extra = _fallback_points(districts, unplaced)
    if extra:
        logger.warning("%d districts of department %s have people on a fallback point", len(unplaced), department.pk)
        code = np.concatenate([code, np.array([""] * len(extra), dtype=object)])
        place_ubigeo = np.concatenate([place_ubigeo, np.array([item[0] for item in extra], dtype=object)])
        is_urban = np.concatenate([is_urban, np.array([item[1] for item in extra], dtype=bool)])
        lon = np.concatenate([lon, [item[2] for item in extra]])
        lat = np.concatenate([lat, [item[3] for item in extra]])
        population = np.concatenate([population, [item[4] for item in extra]])

    position = {ubigeo: index for index, ubigeo in enumerate(ubigeos)}
    district_index = np.array([position[ubigeo] for ubigeo in place_ubigeo], dtype=np.int64)
    return PlaceSet(code, lon, lat, is_urban, population.astype(np.int64), district_index, ubigeos)


def _fallback_points(districts: list[District], unplaced: dict[str, tuple[int, int]]) -> list[tuple]:
    by_ubigeo = {district.ubigeo: district for district in districts}
    extra = []
    for ubigeo, (urban_people, rural_people) in unplaced.items():
        point = by_ubigeo[ubigeo].geom.point_on_surface
        for is_urban, people in ((True, urban_people), (False, rural_people)):
            if people:
                extra.append((ubigeo, is_urban, point.x, point.y, people))
    return extra


def load_facilities(care: str) -> FacilitySet:
    """Return every located facility in Peru that gives ``care``.

    Facilities of the whole country are used, because people near a border
    may be closest to a facility of the next department.
    """
    rows = list(facilities_for_care(care).order_by("pk").values_list("pk", *coordinates("location")))
    return FacilitySet(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        lon=np.array([row[1] for row in rows], dtype=float),
        lat=np.array([row[2] for row in rows], dtype=float),
    )


def load_graphs(department: Department, mode: str) -> tuple[list[CompactGraph], list[str]]:
    """Load the road graphs of ``mode`` that reach into a department.

    Returns the graphs and their region slugs. A region whose graph file
    cannot be read is skipped with a warning, and its places fall back to the
    estimate.
    """
    area = department.geom.envelope.buffer(_REGION_MARGIN_DEG)
    graphs, slugs = [], []
    for region in RoadRegion.objects.filter(modes__contains=[mode], extent__intersects=area).order_by("slug"):
        try:
            graph = load_graph(region.graph_files[mode])
        except (OSError, KeyError, GraphFileError) as exc:
            logger.warning("No %s graph for road region %s, using estimates: %s", mode, region.slug, exc)
            continue
        access.set_access_rule(graph, access_rule(region.slug))
        graphs.append(graph)
        slugs.append(region.slug)
    return graphs, slugs


def run_parameters(mode: str, region_slugs: list[str]) -> dict:
    """Describe the thresholds, travel-time factors and graphs behind a run."""
    return {
        "thresholds_min": list(THRESHOLDS_MIN),
        "travel": describe(mode),
        "walk_speed_kph": parameters.WALK_SPEED_KPH,
        "road_regions": region_slugs,
        "population_method": (
            "District census population spread evenly over its populated places: urban people over "
            "urban places, rural people over rural places (estimate)."
        ),
    }


def compute_department(
    department: Department,
    care: str,
    mode: str,
    basis: str = PopulationBasis.CENSUS_2017,
    progress: ProgressCallback | None = None,
) -> tuple[CoverageRun, bool]:
    """Compute and store coverage of one department for one care type and mode.

    Parameters
    ----------
    department
        The department whose populated places are timed.
    care
        Care type code (see planning.care).
    mode
        ``"walk"`` or ``"drive"``.
    basis
        Which population to spread (a PopulationBasis value).
    progress
        Called with a fraction from 0 to 1 and a short English message.

    Returns
    -------
    run, created
        The stored run and whether it is new (False when it replaced one).
    """
    check_care(care)
    check_mode(mode)
    if mode not in COVERAGE_MODES:
        msg = f"Coverage is computed for {', '.join(COVERAGE_MODES)} only, not {mode!r}. Choose one of those modes."
        raise PlanningError(msg)
    if basis not in PopulationBasis.values:
        msg = f"Unknown population basis {basis!r}. Use one of: {', '.join(PopulationBasis.values)}."
        raise PlanningError(msg)
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()

    report(0.05, f"department {department.pk}: spreading population over places")
    places = load_places(department, basis)
    facilities = load_facilities(care)
    report(0.2, f"department {department.pk}: loading road graphs")
    graphs, slugs = load_graphs(department, mode)
    report(0.35, f"department {department.pk}: travel times of {len(places)} places")
    nearest = access.nearest_facility(places.lon, places.lat, facilities.lon, facilities.lat, graphs, mode)
    report(0.75, f"department {department.pk}: storing results")

    with transaction.atomic():
        run, created = _store_run(department, care, mode, basis, places, facilities, nearest, slugs, started)
    logger.info(
        "Coverage of department %s for %s (%s, %s): %d places, %d facilities, %d graphs in %.2f s",
        department.pk, care, mode, basis, len(places), len(facilities.ids), len(graphs), run.duration_s,
    )
    report(1.0, f"department {department.pk}: done")
    return run, created


def _store_run(department, care, mode, basis, places, facilities, nearest, slugs, started) -> tuple[CoverageRun, bool]:
    run, created = CoverageRun.objects.update_or_create(
        department=department,
        care=care,
        mode=mode,
        population_basis=basis,
        defaults={
            "computed_at": timezone.now(),
            "duration_s": 0.0,
            "place_count": len(places),
            "facility_count": len(facilities.ids),
            "parameters": run_parameters(mode, slugs),
            "sources": DATA_SOURCES,
        },
    )
    run.district_rows.all().delete()
    run.place_rows.all().delete()
    DistrictCoverage.objects.bulk_create(_district_rows(run, places, nearest), batch_size=2000)
    _insert_place_rows(run, places, facilities, nearest)
    run.duration_s = time.perf_counter() - started
    run.save(update_fields=["duration_s"])
    return run, created


def _district_rows(run: CoverageRun, places: PlaceSet, nearest: access.NearestResult) -> list[DistrictCoverage]:
    n_districts = len(places.district_ubigeos)
    sums = access.summarise_by_group(
        places.district_index, n_districts, places.population, nearest.time_s, THRESHOLDS_MIN
    )
    on_network = nearest.method == access.ROAD_NETWORK
    place_counts = np.bincount(places.district_index, minlength=n_districts)
    network_counts = np.bincount(places.district_index, weights=on_network, minlength=n_districts)
    network_people = np.bincount(places.district_index, weights=places.population * on_network, minlength=n_districts)
    rows = []
    for index, ubigeo in enumerate(places.district_ubigeos):
        reachable = sums["reachable_population"][index]
        rows.append(
            DistrictCoverage(
                run=run,
                district_id=ubigeo,
                population=round(sums["population"][index]),
                beyond_30=round(sums["beyond_30"][index]),
                beyond_60=round(sums["beyond_60"][index]),
                beyond_120=round(sums["beyond_120"][index]),
                unreachable=round(sums["unreachable"][index]),
                places=int(place_counts[index]),
                places_network=round(network_counts[index]),
                places_estimate=int(place_counts[index]) - round(network_counts[index]),
                population_network=round(network_people[index]),
                mean_travel_time_min=float(sums["weighted_time_s"][index] / reachable / 60.0) if reachable else None,
            )
        )
    return rows


def _insert_place_rows(run, places: PlaceSet, facilities: FacilitySet, nearest: access.NearestResult) -> None:
    """Insert the place rows in one statement from arrays.

    One INSERT ... SELECT over unnest() is used because building 10^5 model
    instances with GEOS points takes seconds, most of a department's job.
    """
    finite = np.isfinite(nearest.time_s)
    facility_ids = np.where(nearest.facility >= 0, facilities.ids[np.maximum(nearest.facility, 0)], -1)
    columns = [
        [code or None for code in places.code],
        [places.district_ubigeos[index] for index in places.district_index],
        places.lon.tolist(),
        places.lat.tolist(),
        places.is_urban.tolist(),
        places.population.tolist(),
        [float(value) / 60.0 if ok else None for value, ok in zip(nearest.time_s, finite)],
        [access.METHOD_NAMES[int(code)] for code in nearest.method],
        [int(value) if value >= 0 else None for value in facility_ids],
    ]
    table = connection.ops.quote_name(PlaceAccess._meta.db_table)
    sql = (
        f"INSERT INTO {table} (run_id, place_id, district_id, location, is_urban, population, "
        "travel_time_min, method, facility_id) "
        "SELECT %s, code, ubigeo, ST_SetSRID(ST_MakePoint(lon, lat), 4326), is_urban, population, minutes, "
        "method, facility FROM unnest(%s::varchar[], %s::varchar[], %s::float8[], %s::float8[], %s::boolean[], "
        "%s::integer[], %s::float8[], %s::varchar[], %s::bigint[]) "
        "AS row(code, ubigeo, lon, lat, is_urban, population, minutes, method, facility)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, *columns])
