"""Coverage benchmark: time to compute and store coverage for one department and for Peru.

Runs ``planning.services.compute_department`` against the loaded dev database
and reports, per case, the wall time of the whole job (spreading population,
travel times, storing rows) and of the travel-time step alone, with the peak
resident memory of the process. Writes ``benchmarks/results/coverage.json``
and the "Coverage: planning" section of ``docs/benchmarks.md``.

The runs are stored like any other ``compute_coverage`` run, so the planner
page shows them afterwards.

Usage::

    .venv/bin/python benchmarks/coverage.py --repeat 3

Needs the loaded dev database (``make run`` or ``manage.py load_data`` and
``build_graphs``).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")

import django  # noqa: E402

django.setup()

from load import machine_description, write_section  # noqa: E402

from geoservices.models import Department  # noqa: E402
from planning import access  # noqa: E402
from planning.models import PopulationBasis  # noqa: E402
from planning.services import compute_department, load_facilities, load_graphs, load_places  # noqa: E402

RESULTS_PATH = BASE_DIR / "benchmarks" / "results" / "coverage.json"

#: One department per case: Cusco has an OSM street graph, Madre de Dios none.
DEPARTMENT_CASES = [("08", "any", "walk"), ("08", "childbirth", "drive"), ("17", "any", "walk")]


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_travel_step(department: Department, care: str, mode: str) -> tuple[float, int, int]:
    """Time only the travel-time step; return seconds, places and facilities."""
    places = load_places(department, PopulationBasis.CENSUS_2017)
    facilities = load_facilities(care)
    graphs, _slugs = load_graphs(department, mode)
    started = time.perf_counter()
    access.nearest_facility(places.lon, places.lat, facilities.lon, facilities.lat, graphs, mode)
    return time.perf_counter() - started, len(places), len(facilities.ids)


def time_job(department: Department, care: str, mode: str) -> float:
    """Time one full compute-and-store run, as the job does it."""
    started = time.perf_counter()
    compute_department(department, care, mode)
    return time.perf_counter() - started


def department_case(ubigeo: str, care: str, mode: str, repeat: int) -> dict:
    department = Department.objects.get(pk=ubigeo)
    travel = [time_travel_step(department, care, mode) for _ in range(repeat)]
    jobs = [time_job(department, care, mode) for _ in range(repeat)]
    return {
        "department": ubigeo,
        "name": department.name,
        "care": care,
        "mode": mode,
        "places": travel[0][1],
        "facilities": travel[0][2],
        "road_graphs": len(load_graphs(department, mode)[0]),
        "travel_step_s": round(statistics.median(item[0] for item in travel), 3),
        "job_s": round(statistics.median(jobs), 3),
    }


def country_case(care: str, mode: str) -> dict:
    started = time.perf_counter()
    places = 0
    for department in Department.objects.order_by("ubigeo"):
        run, _created = compute_department(department, care, mode)
        places += run.place_count
    return {"care": care, "mode": mode, "departments": 25, "places": places,
            "job_s": round(time.perf_counter() - started, 2)}


def report(record: dict) -> str:
    lines = [
        f"Measured by `benchmarks/coverage.py` on {record['date']}: {record['machine']}. Raw numbers: "
        "`benchmarks/results/coverage.json`. \"Job\" is a whole `compute_coverage` run for one care type and "
        "mode (spread population, time every populated place, store district and place rows in PostGIS); "
        "\"travel step\" is the travel-time computation alone. Medians of "
        f"{record['repeat']} runs.",
        "",
        "| department | care | mode | places | facilities | road graphs | travel step (s) | job (s) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in record["departments"]:
        lines.append(
            f"| {case['name']} ({case['department']}) | {case['care']} | {case['mode']} | {case['places']} | "
            f"{case['facilities']} | {case['road_graphs']} | {case['travel_step_s']} | {case['job_s']} |"
        )
    country = record["country"]
    lines += [
        "",
        f"Whole country ({country['departments']} departments, {country['places']} places, care "
        f"{country['care']}, {country['mode']}): {country['job_s']} s in one process. "
        f"Peak resident memory of the benchmark process: {record['peak_rss_mb']:.0f} MB.",
        "",
        "Places are routed on the MTC road graph (national, departmental and rural lines). Inside the staged "
        "OpenStreetMap extracts they are routed on the city streets joined to those lines. Only places farther "
        "than the MTC access walk from any road get the straight-line estimate.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs per department case (median reported).")
    options = parser.parse_args()

    record = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "repeat": options.repeat,
        "departments": [department_case(*case, options.repeat) for case in DEPARTMENT_CASES],
        "country": country_case("any", "walk"),
    }
    record["peak_rss_mb"] = round(peak_rss_mb(), 1)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(record, indent=2) + "\n")
    write_section("Coverage: planning", report(record))
    sys.stdout.write(report(record) + "\n")


if __name__ == "__main__":
    main()
