"""Load INEI departments, provinces and districts with census and poverty figures."""
import logging

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction
import geopandas as gpd
import pandas as pd

from geoservices.models import Department, District, Province
from geoservices.text import DEPARTMENT_NAMES, search_key, title_name

from .base import LoadError, LoadReport, files_sha256, is_unchanged, record_load, source_dir, upsert_counts

logger = logging.getLogger(__name__)

LOADER = "boundaries"


def _paths() -> dict:
    base = source_dir()
    return {
        "districts": [
            base / "boundaries" / "peru_distritos_1874_part1_dep01-12.geojson",
            base / "boundaries" / "peru_distritos_1874_part2_dep13-25.geojson",
        ],
        "provinces": base / "boundaries" / "peru_provincias_196.geojson",
        "departments": base / "boundaries" / "peru_departamentos_25.geojson",
        "census": base / "population_poverty" / "distritos_censo2017_nbi_pobreza.csv",
        "projection": base / "population_poverty" / "distritos_poblacion_2007_2022.csv",
        "district_poverty": base / "population_poverty" / "ubigeo_distrito_pobreza_idh.csv",
        "province_poverty": base / "population_poverty" / "ubigeo_provincia_pobreza_idh.csv",
        "department_poverty": base / "population_poverty" / "ubigeo_departamento_pobreza_idh.csv",
    }


def _all_files(paths: dict) -> list:
    files = []
    for value in paths.values():
        files.extend(value if isinstance(value, list) else [value])
    return files


def _multipolygon(shapely_geom) -> MultiPolygon:
    geom = GEOSGeometry(memoryview(shapely_geom.wkb), srid=4326)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=4326)
    if geom.geom_type != "MultiPolygon":
        raise LoadError(f"Expected a polygon layer, found {geom.geom_type}.")
    return geom


def _read_csv(path, key: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={key: str}, keep_default_na=False, na_values=[""])
    return frame.set_index(key)


def _float_or_none(value):
    return None if pd.isna(value) else float(value)


def _int_or_none(value):
    return None if pd.isna(value) else int(round(float(value)))


def load_boundaries(force: bool = False) -> LoadReport:
    """Load the 25 departments, 196 provinces and 1,874 districts, with census figures.

    Population comes from the 2017 census (total, urban, rural) and INEI's 2022
    projection; poverty rates from INEI's poverty maps. Reruns on unchanged
    files do nothing unless ``force`` is set.
    """
    paths = _paths()
    sha256 = files_sha256(_all_files(paths))
    report = LoadReport(LOADER)
    if not force and is_unchanged(LOADER, sha256):
        report.sources_unchanged = True
        return report

    with transaction.atomic():
        _load_departments(paths, report)
        _load_provinces(paths, report)
        _load_districts(paths, report)
        record_load(LOADER, sha256, report)
    logger.info("%s", report.summary())
    return report


def _load_departments(paths: dict, report: LoadReport) -> None:
    layer = gpd.read_file(paths["departments"])
    poverty = _read_csv(paths["department_poverty"], "inei")
    for row in layer.itertuples():
        ubigeo = str(row.ubigeo_dep).zfill(2)
        rate = poverty["pct_pobreza_total"].get(ubigeo + "0000")
        _, created = Department.objects.update_or_create(
            ubigeo=ubigeo,
            defaults={
                "name": DEPARTMENT_NAMES.get(ubigeo, title_name(row.departamento)),
                "geom": _multipolygon(row.geometry),
                "poverty_rate": _float_or_none(rate),
            },
        )
        report.created += int(created)
        report.updated += int(not created)


def _load_provinces(paths: dict, report: LoadReport) -> None:
    layer = gpd.read_file(paths["provinces"])
    poverty = _read_csv(paths["province_poverty"], "inei")
    for row in layer.itertuples():
        ubigeo = str(row.ubigeo_prov).zfill(4)
        _, created = Province.objects.update_or_create(
            ubigeo=ubigeo,
            defaults={
                "department_id": ubigeo[:2],
                "name": title_name(row.provincia),
                "geom": _multipolygon(row.geometry),
                "poverty_rate": _float_or_none(poverty["pct_pobreza_total"].get(ubigeo + "00")),
            },
        )
        report.created += int(created)
        report.updated += int(not created)


def _load_districts(paths: dict, report: LoadReport) -> None:
    layer = pd.concat([gpd.read_file(path) for path in paths["districts"]], ignore_index=True)
    census = _read_csv(paths["census"], "UBIGEO")
    projection = _read_csv(paths["projection"], "ubigeo")
    poverty = _read_csv(paths["district_poverty"], "inei")

    existing = {district.ubigeo: district for district in District.objects.all()}
    incoming = {}
    for row in layer.itertuples():
        ubigeo = str(row.ubigeo).zfill(6)
        name = (projection["distrito"].get(ubigeo) or title_name(row.distrito)).strip()
        incoming[ubigeo] = District(
            ubigeo=ubigeo,
            province_id=ubigeo[:4],
            name=name,
            capital=title_name(row.capital) if isinstance(row.capital, str) else "",
            geom=_multipolygon(row.geometry),
            population_2017=_int_or_none(census["POBTOTAL"].get(ubigeo)),
            population_urban_2017=_int_or_none(census["POBURBANA"].get(ubigeo)),
            population_rural_2017=_int_or_none(census["POBRURAL"].get(ubigeo)),
            population_2022=_int_or_none(projection["pob_proyectada_2022"].get(ubigeo)),
            poverty_rate=_float_or_none(poverty["pct_pobreza_total"].get(ubigeo)),
            extreme_poverty_rate=_float_or_none(poverty["pct_pobreza_extrema"].get(ubigeo)),
            search_name=search_key(name),
        )

    created, updated, unchanged = upsert_counts(
        {key: _district_signature(value) for key, value in existing.items()},
        {key: _district_signature(value) for key, value in incoming.items()},
    )
    District.objects.bulk_create(
        incoming.values(),
        update_conflicts=True,
        unique_fields=["ubigeo"],
        update_fields=[field.name for field in District._meta.concrete_fields if field.name != "ubigeo"],
        batch_size=500,
    )
    report.created += created
    report.updated += updated
    report.unchanged += unchanged


def _district_signature(district: District) -> tuple:
    return (
        district.name,
        district.population_2017,
        district.population_2022,
        district.poverty_rate,
        district.geom.wkb.hex() if district.geom else None,
    )
