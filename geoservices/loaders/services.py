"""Load needs, services and insurance acceptance, and infer each facility's services.

The registry lists no services, so each facility is assumed to offer what
MINSA's categorisation norm requires of its category (``data/services/services.json``),
except that specialised institutes get only specialised services plus those
the file lists for their RENAES code.
Rows an admin has confirmed or corrected (``inferred=False``) are never touched.
"""
import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from geoservices.models import Facility, FacilityService, InsuranceAcceptance, Need, Service

from .base import LoadReport, files_sha256, is_unchanged, record_load

logger = logging.getLogger(__name__)

LOADER = "services"


def services_file() -> Path:
    return Path(settings.DATA_DIR) / "services" / "services.json"


def load_services(force: bool = False) -> LoadReport:
    """Load services, needs and insurance acceptance from ``data/services/services.json``."""
    path = services_file()
    sha256 = files_sha256([path])
    report = LoadReport(LOADER)
    if not force and is_unchanged(LOADER, sha256):
        report.sources_unchanged = True
        return report

    content = json.loads(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        _load_service_rows(content["services"], report)
        _load_needs(content["needs"], report)
        _load_insurance(content["insurance_acceptance"], report)
        record_load(LOADER, sha256, report)
    logger.info("%s", report.summary())
    return report


def _load_service_rows(rows: list[dict], report: LoadReport) -> None:
    for row in rows:
        _, created = Service.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_es": row["name_es"],
                "name_en": row["name_en"],
                "categories": row["categories"],
                "basis": row["basis"],
            },
        )
        report.created += int(created)
        report.updated += int(not created)


def _load_needs(rows: list[dict], report: LoadReport) -> None:
    for order, row in enumerate(rows):
        first_service = Service.objects.get(code=row["services"][0])
        need, created = Need.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_es": first_service.name_es,
                "name_en": first_service.name_en,
                "is_urgent": row["urgent"],
                "sort_order": order,
            },
        )
        need.services.set(Service.objects.filter(code__in=row["services"]))
        report.created += int(created)
        report.updated += int(not created)


def _load_insurance(table: dict, report: LoadReport) -> None:
    for institution, terms_by_insurance in table.items():
        if institution.startswith("_"):
            continue
        for insurance, terms in terms_by_insurance.items():
            _, created = InsuranceAcceptance.objects.update_or_create(
                institution=institution, insurance=insurance, defaults={"terms": terms}
            )
            report.created += int(created)
            report.updated += int(not created)


def infer_facility_services() -> LoadReport:
    """Derive ``FacilityService`` rows from each facility's category and the per-facility list.

    Specialised institutes (by registry classification) are inferred as the
    specialised category of their level, so they get no general services.
    Inferred rows are rebuilt; rows an admin has set (``inferred=False``) stay.
    """
    report = LoadReport("facility_services")
    categories_by_service = dict(Service.objects.values_list("code", "categories"))
    rules = json.loads(services_file().read_text(encoding="utf-8"))
    specialised = frozenset(rules["specialised"]["classifications"])
    listed = _listed_services(rules["facility_services"], set(categories_by_service))
    facilities = Facility.objects.filter(~Q(category="") | Q(renaes_code__in=listed)).values_list(
        "id", "renaes_code", "category", "classification"
    )
    with transaction.atomic():
        manual = set(FacilityService.objects.filter(inferred=False).values_list("facility_id", "service_id"))
        deleted, _ = FacilityService.objects.filter(inferred=True).delete()
        rows = []
        for facility_id, code, category, classification in facilities:
            category = inference_category(category, classification, specialised)
            offered = {service for service, categories in categories_by_service.items() if category in categories}
            rows += [
                FacilityService(facility_id=facility_id, service_id=service, offered=True, inferred=True)
                for service in sorted(offered | listed.get(code, set()))
                if (facility_id, service) not in manual
            ]
        FacilityService.objects.bulk_create(rows, batch_size=5000)
    report.created = len(rows)
    report.notes.append(f"{deleted} inferred rows replaced, {len(manual)} admin rows kept")
    logger.info("%s", report.summary())
    return report


def inference_category(category: str, classification: str, specialised: frozenset[str]) -> str:
    """Return the category whose services a facility is assumed to offer.

    A facility classified as a specialised institute with a general level II
    or III category (``III-2``) is treated as ``III-E`` (or ``II-E``).
    """
    level, _, _ = category.partition("-")
    if classification in specialised and level in ("II", "III"):
        return f"{level}-E"
    return category


def _listed_services(entries: list[dict], known: set[str]) -> dict[str, set[str]]:
    """Return the services listed per RENAES code, rejecting unknown service codes."""
    listed = {}
    for entry in entries:
        unknown = set(entry["services"]) - known
        if unknown:
            msg = f"services.json lists unknown services {sorted(unknown)} for {entry['renaes_code']}."
            raise ValueError(msg)
        listed[entry["renaes_code"]] = set(entry["services"])
    return listed
