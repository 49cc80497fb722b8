"""What-if questions on stored coverage: new or upgraded facilities, best new sites, catchments.

All three start from the place-level travel times of a stored CoverageRun,
so ``compute_coverage`` must have run for the department, care and mode.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db.models import Sum
from scipy.sparse import csr_matrix

from geoservices.models import District, Facility, PopulatedPlace

from . import access
from .allocation import greedy_max_coverage
from .care import THRESHOLDS_MIN, facilities_for_care, qualifying_categories
from .exceptions import CoverageNotComputedError, PlanningError
from .models import CoverageRun
from .services import coordinates, load_graphs

logger = logging.getLogger(__name__)

#: Most candidate sites scored by the site suggestion. Candidates are the
#: populated places beyond the threshold, most populous first.
MAX_CANDIDATES = 4000


@dataclass
class Baseline:
    """Place-level travel times of a stored run, as aligned arrays."""

    run: CoverageRun
    place_code: np.ndarray
    district: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    time_s: np.ndarray
    facility_id: np.ndarray


def get_run(department: str, care: str, mode: str, basis: str) -> CoverageRun:
    """Return the stored run, or raise CoverageNotComputedError saying how to compute it."""
    try:
        return CoverageRun.objects.select_related("department").get(
            department_id=department, care=care, mode=mode, population_basis=basis
        )
    except CoverageRun.DoesNotExist:
        msg = (
            f"No coverage stored for department {department}, care {care!r}, mode {mode}, {basis}. "
            f"Run `manage.py compute_coverage --department {department} --care {care} --mode {mode} "
            f"--population {basis}` or start it from the planning page."
        )
        raise CoverageNotComputedError(msg) from None


def load_baseline(run: CoverageRun) -> Baseline:
    """Read the run's place rows into arrays; unreachable places get ``inf`` seconds."""
    rows = list(
        run.place_rows.order_by("pk").values_list(
            "place_id", "district_id", *coordinates("location"), "population", "travel_time_min", "facility_id"
        )
    )
    minutes = np.array([np.inf if row[5] is None else row[5] for row in rows], dtype=float)
    return Baseline(
        run=run,
        place_code=np.array([row[0] or "" for row in rows], dtype=object),
        district=np.array([row[1] for row in rows], dtype=object),
        lon=np.array([row[2] for row in rows], dtype=float),
        lat=np.array([row[3] for row in rows], dtype=float),
        population=np.array([row[4] for row in rows], dtype=np.int64),
        time_s=minutes * 60.0,
        facility_id=np.array([-1 if row[6] is None else row[6] for row in rows], dtype=np.int64),
    )


def _district_table(baseline: Baseline, after_s: np.ndarray) -> list[dict]:
    """Sum people beyond each threshold per district, before and after."""
    ubigeos, index = np.unique(baseline.district.astype(str), return_inverse=True)
    before = access.summarise_by_group(index, len(ubigeos), baseline.population, baseline.time_s, THRESHOLDS_MIN)
    after = access.summarise_by_group(index, len(ubigeos), baseline.population, after_s, THRESHOLDS_MIN)
    table = []
    for position, ubigeo in enumerate(ubigeos):
        row = {"ubigeo": str(ubigeo), "population": int(round(before["population"][position]))}
        for minutes in THRESHOLDS_MIN:
            old = int(round(before[f"beyond_{minutes}"][position]))
            new = int(round(after[f"beyond_{minutes}"][position]))
            row[f"beyond_{minutes}_before"] = old
            row[f"beyond_{minutes}_after"] = new
            row[f"newly_within_{minutes}"] = old - new
        table.append(row)
    return table


def upgrade_sites(care: str, upgrades: list[tuple[Facility, str]]) -> tuple[list[Facility], list[dict]]:
    """Sort requested upgrades into those that add the care and those that change nothing.

    Returns
    -------
    added, unchanged
        Facilities that give ``care`` only after the upgrade, and one note per
        other request: ``{"renaes_code", "name", "category", "new_category",
        "reason"}`` with reason ``"already_gives_care"`` or
        ``"level_does_not_give_care"``.
    """
    categories = set(qualifying_categories(care))
    added, unchanged = [], []
    for facility, category in upgrades:
        if facility.category in categories and facility.is_searchable:
            unchanged.append(_upgrade_note(facility, category, reason="already_gives_care"))
        elif category not in categories:
            unchanged.append(_upgrade_note(facility, category, reason="level_does_not_give_care"))
        else:
            added.append(facility)
    return added, unchanged


def _upgrade_note(facility: Facility, new_category: str, **details) -> dict:
    return {
        "renaes_code": facility.renaes_code,
        "name": facility.name,
        "category": facility.category,
        "new_category": new_category,
        **details,
    }


def _site_effects(baseline: Baseline, site: np.ndarray, place: np.ndarray, time_s: np.ndarray, site_index: int) -> dict:
    """Count the people one site alone brings nearer, and within any threshold they were beyond."""
    mine = site == site_index
    after_s = baseline.time_s.copy()
    np.minimum.at(after_s, place[mine], time_s[mine])
    nearer = after_s < baseline.time_s
    crossed = np.zeros(after_s.size, dtype=bool)
    for minutes in THRESHOLDS_MIN:
        crossed |= (baseline.time_s > minutes * 60.0) & (after_s <= minutes * 60.0)
    return {
        "people_nearer": int(baseline.population[nearer].sum()),
        "people_newly_within": int(baseline.population[crossed].sum()),
    }


def run_scenario(run: CoverageRun, sites: list[tuple[float, float]], upgrades: list[tuple[Facility, str]]) -> dict:
    """Compute people newly within 30/60/120 minutes if facilities were added or upgraded.

    Parameters
    ----------
    run
        Stored coverage to start from.
    sites
        New facilities as ``(lon, lat)`` in EPSG:4326 degrees; each gives the run's care.
    upgrades
        Existing facilities with the category they would be raised to.

    Returns
    -------
    dict
        ``districts`` (one row per district that gains, with its name, people
        beyond each threshold before and after and ``newly_within_<T>``), ``totals``,
        ``upgrades_unchanged`` (see :func:`upgrade_sites`) and ``upgrades_without_gain``:
        one note per upgrade that gives the care but brings no one within a
        threshold on its own, with ``people_nearer``, the people it would
        bring nearer without crossing one.
    """
    baseline = load_baseline(run)
    added, unchanged = upgrade_sites(run.care, upgrades)
    added = [facility for facility in added if facility.location]
    new_category = {facility.pk: category for facility, category in upgrades}
    without_gain = []
    site_lon = np.array([lon for lon, _lat in sites] + [f.location.x for f in added], dtype=float)
    site_lat = np.array([lat for _lon, lat in sites] + [f.location.y for f in added], dtype=float)

    after_s = baseline.time_s.copy()
    if site_lon.size:
        graphs, _slugs = load_graphs(run.department, run.mode)
        limit_s = max(THRESHOLDS_MIN) * 60.0
        site, place, time_s = access.site_place_times(
            site_lon, site_lat, baseline.lon, baseline.lat, graphs, run.mode, limit_s
        )
        np.minimum.at(after_s, place, time_s)
        for position, facility in enumerate(added, start=len(sites)):
            effects = _site_effects(baseline, site, place, time_s, position)
            if not effects["people_newly_within"]:
                note = _upgrade_note(facility, new_category[facility.pk], people_nearer=effects["people_nearer"])
                without_gain.append(note)

    changed = [f"newly_within_{minutes}" for minutes in THRESHOLDS_MIN]
    districts = [row for row in _district_table(baseline, after_s) if any(row[key] for key in changed)]
    names = district_names(row["ubigeo"] for row in districts)
    for row in districts:
        row["name"] = names.get(row["ubigeo"], "")
    totals = {
        f"newly_within_{minutes}": int(sum(row[f"newly_within_{minutes}"] for row in districts))
        for minutes in THRESHOLDS_MIN
    }
    logger.info("Scenario on run %s: %d sites, %d upgrades added, %s", run.pk, len(sites), len(added), totals)
    return {
        "districts": districts,
        "totals": totals,
        "upgrades_unchanged": unchanged,
        "upgrades_without_gain": without_gain,
    }


def district_names(ubigeos) -> dict[str, str]:
    """Return the stored name of each district ubigeo. Ubigeos without a stored district are left out."""
    return dict(District.objects.filter(pk__in=set(ubigeos)).values_list("pk", "name"))


def suggest_sites(run: CoverageRun, minutes: int, k: int) -> list[dict]:
    """Suggest up to ``k`` populated places where a new facility would bring the most people within reach.

    Candidates are the populated places now beyond ``minutes`` (at most
    ``MAX_CANDIDATES``, most populous first). Each site's gain is the people
    it brings within ``minutes`` who are not already within reach of an
    earlier pick (greedy maximal coverage).

    Returns
    -------
    list of dict
        In pick order: ``code``, ``name``, ``ubigeo``, ``district_name`` (empty
        for a district without a stored polygon), ``lon``, ``lat``, ``gain``
        (people) and ``cumulative`` (people).
    """
    if minutes not in THRESHOLDS_MIN:
        msg = f"Invalid threshold {minutes} min. Use one of: {', '.join(map(str, THRESHOLDS_MIN))}."
        raise PlanningError(msg)
    baseline = load_baseline(run)
    limit_s = minutes * 60.0
    uncovered = np.flatnonzero(baseline.time_s > limit_s)
    candidates = uncovered[baseline.place_code[uncovered] != ""]
    candidates = candidates[np.argsort(-baseline.population[candidates], kind="stable")][:MAX_CANDIDATES]
    if candidates.size == 0 or uncovered.size == 0:
        return []

    graphs, _slugs = load_graphs(run.department, run.mode)
    site, place, _time = access.site_place_times(
        baseline.lon[candidates], baseline.lat[candidates], baseline.lon[uncovered], baseline.lat[uncovered],
        graphs, run.mode, limit_s,
    )
    cover = csr_matrix((np.ones(site.size, dtype=bool), (site, place)), shape=(candidates.size, uncovered.size))
    picks = greedy_max_coverage(cover, baseline.population[uncovered], k)

    codes = [baseline.place_code[candidates[index]] for index, _gain in picks]
    names = dict(PopulatedPlace.objects.filter(code__in=codes).values_list("code", "name"))
    districts = district_names(baseline.district[candidates[index]] for index, _gain in picks)
    result, cumulative = [], 0
    for index, gain in picks:
        position = candidates[index]
        cumulative += int(round(gain))
        result.append(
            {
                "code": baseline.place_code[position],
                "name": names.get(baseline.place_code[position], ""),
                "ubigeo": baseline.district[position],
                "district_name": districts.get(baseline.district[position], ""),
                "lon": round(float(baseline.lon[position]), 5),
                "lat": round(float(baseline.lat[position]), 5),
                "gain": int(round(gain)),
                "cumulative": cumulative,
            }
        )
    return result


def catchments(run: CoverageRun) -> list[dict]:
    """Compute each facility's people within 30/60/120 minutes and its load.

    A catchment counts every person of the department within the time of the
    facility, so catchments overlap. The load counts only the people whose
    nearest facility of the care type it is. People per bed is given
    where the registry lists beds.

    Returns
    -------
    list of dict
        Per facility of the care type located in the department: ``renaes_code``,
        ``name``, ``category``, ``within_<T>`` for each threshold, ``load`` and
        ``people_per_bed`` (None without bed data).
    """
    baseline = load_baseline(run)
    facilities = list(
        facilities_for_care(run.care).filter(spatial_ubigeo__startswith=run.department_id).order_by("renaes_code")
    )
    if not facilities:
        return []
    graphs, _slugs = load_graphs(run.department, run.mode)
    site, place, time_s = access.site_place_times(
        np.array([f.location.x for f in facilities]), np.array([f.location.y for f in facilities]),
        baseline.lon, baseline.lat, graphs, run.mode, max(THRESHOLDS_MIN) * 60.0,
    )
    loads = dict(
        run.place_rows.filter(facility__isnull=False).values("facility_id").annotate(people=Sum("population"))
        .values_list("facility_id", "people")
    )
    people = baseline.population[place]
    result = []
    for index, facility in enumerate(facilities):
        mine = site == index
        row = {"renaes_code": facility.renaes_code, "name": facility.name, "category": facility.category}
        for minutes in THRESHOLDS_MIN:
            row[f"within_{minutes}"] = int(people[mine & (time_s <= minutes * 60.0)].sum())
        row["load"] = int(loads.get(facility.pk, 0))
        row["beds"] = facility.beds
        row["people_per_bed"] = round(row["load"] / facility.beds, 1) if facility.beds else None
        result.append(row)
    return result

