"""Stored coverage, catchments and planned sites agree with the family search on real places.

Each check recomputes coverage with the command the planning page runs, then
times the same place with ``routing.services.travel_times``, the engine of
the family search, on the real data and road graphs of the test database.
"""
import numpy as np
import pytest
from django.core.management import call_command

from geoservices.models import Facility, PopulatedPlace
from planning import access, scenarios
from planning.care import facilities_for_care
from planning.models import CoverageRun, DistrictCoverage, PlaceAccess, PopulationBasis
from planning.services import get_department, load_facilities, load_graphs, load_places
from routing import parameters, services
from routing.estimate import OFFROAD_ACCESS, STREET_ACCESS, haversine_m

pytestmark = pytest.mark.django_db

#: Largest gap in minutes allowed between a stored coverage time and the
#: family search. Both run the same rules on the same graphs, so the gap is
#: rounding only.
TOLERANCE_MIN = 0.05

#: Facilities farther than this straight line from a place are not timed by
#: the search in these tests: a walk beyond it takes far longer than the
#: times compared here.
SEARCH_RADIUS_M = 15_000.0

#: Cusco districts whose own health post the coverage map used to skip.
CUSCO_DISTRICTS = {"081208": "Lucre", "080309": "Zurite", "081307": "Yucay", "080305": "Huarocondo"}

#: Ayacucho districts of the city and next to it.
AYACUCHO_DISTRICTS = {"050101": "Ayacucho", "050104": "Carmen Alto", "050110": "San Juan Bautista"}

#: RENAES code of the Hospital Regional de Ayacucho "Miguel Angel Mariscal Llerena".
AYACUCHO_HOSPITAL = "00003543"

#: Slug of the OpenStreetMap street graph of central Cusco.
CUSCO_STREETS = "cusco-centro"

#: Facilities farther than this straight line from a place on the Cusco
#: street graph are not timed by the search in these tests, per mode. The
#: nearest facility of every such place is within it.
CITY_SEARCH_RADIUS_M = {"walk": 15_000.0, "drive": 30_000.0}

#: (mode, populated place on the Cusco street graph, RENAES code of its
#: nearest facility of any kind, which lies beyond the street graph). Queñuapata
#: (Poroy) is 0.7 km from P.S. Poroy. From Santa Bárbara (Santiago) the
#: nearest by car is the Pucuto police post, 22 km away over the MTC lines.
BEYOND_STREETS_CASES = [("walk", "0801030013", "00002299"), ("drive", "0801070016", "00011747")]


def _recompute(department: str, care: str) -> CoverageRun:
    call_command("compute_coverage", department=department, care=care, mode="walk", verbosity=0)
    return CoverageRun.objects.get(department_id=department, care=care, mode="walk", population_basis="census_2017")


def _search_minutes(lon: float, lat: float, care: str) -> tuple[float, Facility]:
    """Return the family search's walking time to the nearest facility of ``care`` and that facility."""
    facilities = [f for f in facilities_for_care(care) if f.location is not None]
    f_lon = np.array([f.location.x for f in facilities])
    f_lat = np.array([f.location.y for f in facilities])
    near = np.flatnonzero(haversine_m(lon, lat, f_lon, f_lat) <= SEARCH_RADIUS_M)
    assert near.size, f"no facility of {care} within {SEARCH_RADIUS_M} m of ({lon}, {lat})"
    times = services.travel_times((lon, lat), [(f_lon[i], f_lat[i]) for i in near], "walk")
    minutes = [t.minutes if t.minutes is not None else np.inf for t in times]
    best = int(np.argmin(minutes))
    return minutes[best], facilities[near[best]]


def _main_place(run: CoverageRun, ubigeo: str) -> PlaceAccess:
    return run.place_rows.filter(district_id=ubigeo, place__isnull=False).order_by("-population", "place_id").first()


@pytest.fixture
def cusco_run(db):
    return _recompute("08", "any")


@pytest.fixture
def ayacucho_run(db):
    return _recompute("05", "childbirth")


#: (department, care, district) of the places compared with the family search.
TOWN_CASES = [("08", "any", ubigeo) for ubigeo in sorted(CUSCO_DISTRICTS)] + [
    ("05", "childbirth", ubigeo) for ubigeo in sorted(AYACUCHO_DISTRICTS)
]


@pytest.mark.parametrize(("department", "care", "ubigeo"), TOWN_CASES)
def test_town_time_matches_search(db, department, care, ubigeo):
    row = _main_place(_recompute(department, care), ubigeo)
    search_min, facility = _search_minutes(row.location.x, row.location.y, care)

    assert row.travel_time_min == pytest.approx(search_min, abs=TOLERANCE_MIN)
    assert row.facility_id == facility.pk


def test_lucre_reaches_own_health_post(cusco_run):
    # The main populated place of Lucre is about 120 m from P.S. LUCRE and
    # 2.6 km from the nearest MTC road node.
    place = (-71.7367, -13.6338)
    graphs, _slugs = load_graphs(get_department("08"), "walk")
    facilities = list(facilities_for_care("any"))
    lon = np.array([f.location.x for f in facilities])
    lat = np.array([f.location.y for f in facilities])

    result = access.nearest_facility(np.array([place[0]]), np.array([place[1]]), lon, lat, graphs, "walk")
    search_min, facility = _search_minutes(*place, "any")

    assert "LUCRE" in facility.name
    assert result.time_s[0] / 60 == pytest.approx(search_min, abs=TOLERANCE_MIN)
    assert facilities[int(result.facility[0])].pk == facility.pk
    assert result.method[0] == access.ROAD_NETWORK


def test_cusco_districts_not_all_beyond_hour(cusco_run):
    rows = DistrictCoverage.objects.filter(run=cusco_run, district_id__in=CUSCO_DISTRICTS)
    for row in rows:
        assert row.beyond_60 < row.population, CUSCO_DISTRICTS[row.district_id]


def test_ayacucho_district_partly_within_half_hour(ayacucho_run):
    row = DistrictCoverage.objects.get(run=ayacucho_run, district_id="050101")
    assert row.beyond_30 < row.population


def test_regional_hospital_catchment_not_empty(ayacucho_run):
    rows = {row["renaes_code"]: row for row in scenarios.catchments(ayacucho_run)}
    hospital = rows[AYACUCHO_HOSPITAL]
    assert hospital["within_30"] > 0
    assert hospital["within_60"] >= hospital["within_30"]


@pytest.mark.parametrize(("run_fixture", "department"), [("ayacucho_run", "05"), ("cusco_run", "08")])
def test_catchment_times_match_stored_times(request, run_fixture, department):
    # For every place within 2 hours of a facility, the fastest pair of the
    # catchment search is the stored time to the nearest facility. Cusco has
    # places on the street graph and on the MTC lines, Ayacucho on the MTC lines only.
    run = request.getfixturevalue(run_fixture)
    baseline = scenarios.load_baseline(run)
    facilities = list(facilities_for_care(run.care))
    graphs, _slugs = load_graphs(get_department(department), "walk")
    limit_s = 120 * 60.0
    site, place, time_s = access.site_place_times(
        np.array([f.location.x for f in facilities]), np.array([f.location.y for f in facilities]),
        baseline.lon, baseline.lat, graphs, "walk", limit_s,
    )
    fastest = np.full(baseline.lon.size, np.inf)
    np.minimum.at(fastest, place, time_s)
    within = baseline.time_s <= limit_s

    assert within.any()
    assert np.unique(np.column_stack([site, place]), axis=0).shape[0] == site.size
    np.testing.assert_allclose(fastest[within], baseline.time_s[within], rtol=1e-6)
    assert np.all(np.isinf(fastest[~within]))


def test_suggested_sites_are_beyond_threshold(ayacucho_run):
    # A suggested site is a populated place that the family search also
    # times beyond the threshold from every facility of the care type.
    picks = scenarios.suggest_sites(ayacucho_run, 30, 3)
    assert picks
    for pick in picks:
        search_min, _facility = _search_minutes(pick["lon"], pick["lat"], "childbirth")
        assert search_min > 30 - TOLERANCE_MIN, pick["name"]


@pytest.mark.parametrize(("mode", "place_code", "renaes_code"), BEYOND_STREETS_CASES)
def test_street_place_routed_beyond_streets(db, mode, place_code, renaes_code):
    location = PopulatedPlace.objects.get(code=place_code).location
    facility = Facility.objects.get(renaes_code=renaes_code)
    graphs, slugs = load_graphs(get_department("08"), mode)
    lon, lat = np.array([location.x]), np.array([location.y])
    f_lon, f_lat = np.array([facility.location.x]), np.array([facility.location.y])

    snap = access.snap_places(graphs, lon, lat)
    assert slugs[snap.graph_index[0]] == CUSCO_STREETS
    assert not access.join_sites(graphs[slugs.index(CUSCO_STREETS)], f_lon, f_lat).on_graph[0]

    result = access.nearest_facility(lon, lat, f_lon, f_lat, graphs, mode)
    _site, _place, pair_s = access.site_place_times(f_lon, f_lat, lon, lat, graphs, mode, 4 * 3600.0)
    searched = services.travel_times((location.x, location.y), [(facility.location.x, facility.location.y)], mode)[0]

    assert searched.source == services.ROAD_NETWORK
    assert searched.region == "peru-mtc"
    assert result.method[0] == access.ROAD_NETWORK
    assert result.time_s[0] / 60 == pytest.approx(searched.minutes, abs=TOLERANCE_MIN)
    assert pair_s.size == 1
    assert pair_s[0] / 60 == pytest.approx(searched.minutes, abs=TOLERANCE_MIN)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_street_places_match_search(db, mode):
    # Every place on the Cusco street graph, against the family search's
    # nearest facility among those within the radius.
    places = load_places(get_department("08"), PopulationBasis.CENSUS_2017)
    facilities = load_facilities("any")
    graphs, slugs = load_graphs(get_department("08"), mode)
    city = graphs[slugs.index(CUSCO_STREETS)]
    snap = access.snap_places(graphs, places.lon, places.lat)
    result = access.nearest_facility(places.lon, places.lat, facilities.lon, facilities.lat, graphs, mode, snap)
    on_streets = np.flatnonzero(snap.graph_index == slugs.index(CUSCO_STREETS))
    off_streets = ~access.join_sites(city, facilities.lon, facilities.lat).on_graph

    assert on_streets.size > 100
    beyond = off_streets[result.facility[on_streets]]
    routed_beyond = beyond & (result.method[on_streets] == access.ROAD_NETWORK)
    if mode in parameters.CITY_ESTIMATE_MODES:
        # By vehicle, a trip beyond the streets may take the estimate (no city streets on the MTC lines).
        assert (beyond & (result.method[on_streets] == access.ESTIMATE)).any()
    else:
        # Some places are nearest to a facility beyond the streets and reach it over the road network.
        assert routed_beyond.any()
    for index in on_streets:
        lon, lat = places.lon[index], places.lat[index]
        near = np.flatnonzero(haversine_m(lon, lat, facilities.lon, facilities.lat) <= CITY_SEARCH_RADIUS_M[mode])
        times = services.travel_times((lon, lat), list(zip(facilities.lon[near], facilities.lat[near])), mode)
        minutes = [t.minutes if t.minutes is not None else np.inf for t in times]
        best = int(np.argmin(minutes))
        assert result.time_s[index] / 60 == pytest.approx(minutes[best], abs=TOLERANCE_MIN), places.code[index]
        assert result.facility[index] == near[best], places.code[index]
        method = access.ROAD_NETWORK if times[best].source == services.ROAD_NETWORK else access.ESTIMATE
        assert result.method[index] == method, places.code[index]


def test_cusco_catchments_and_suggestions(cusco_run):
    rows = scenarios.catchments(cusco_run)
    picks = scenarios.suggest_sites(cusco_run, 30, 2)

    assert any(row["within_30"] > 0 for row in rows)
    assert all(row["within_60"] >= row["within_30"] for row in rows)
    assert picks


def test_direct_walk_rule():
    straight_m = np.array([100.0, OFFROAD_ACCESS.max_distance_m, OFFROAD_ACCESS.max_distance_m + 1])
    walk_s = OFFROAD_ACCESS.direct_walk_s(straight_m)

    np.testing.assert_allclose(walk_s[:2], OFFROAD_ACCESS.leg(straight_m[:2])[1])
    assert np.isinf(walk_s[2])
    assert np.all(np.isinf(STREET_ACCESS.direct_walk_s(straight_m)))
