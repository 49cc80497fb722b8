"""The family search: candidates, hard filters, travel times, ranking and programmes.

This module is the thin Django layer that joins the data in PostGIS with the
routing engine and the eligibility rules. Hard filters (the facility offers a
requested service, accepts the household's insurance, is operating and is
shown to families) are applied before ranking, so a ranker can only reorder
facilities that passed them.
"""
from dataclasses import dataclass
import datetime
import logging

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext as _

from geoservices.models import District, Need
from geoservices.phones import phone_links
from geoservices.vocabulary import INSTITUTION_CHOICES
from matcher.catalogue import SearchCatalogue, search_catalogue
from matcher.duration_text import format_distance, format_duration
from matcher.search_store import store_search

logger = logging.getLogger(__name__)

#: Facilities sent to the routing engine, nearest first by straight line.
CANDIDATE_POOL = 40

#: Insurance terms that count as "accepts the insurance" for family results.
ACCEPTED_TERMS = ("covered", "affiliation")

@dataclass(frozen=True)
class SearchRequest:
    """A validated family search."""

    point: Point
    district: District
    household: list[dict]
    needs: list[str]
    insurance: str
    sisfoh: str
    mode: str
    #: First day of the month of the household's CSE, when the family gave it.
    #: It only feeds the eligibility rules and is never stored.
    cse_month: datetime.date | None = None


def search_request(data: dict) -> SearchRequest:
    """Build a SearchRequest from ``MatchRequestSerializer.validated_data``."""
    return SearchRequest(
        point=data["location"]["point"],
        district=data["location"]["district"],
        household=[dict(member) for member in data["household"]],
        needs=data["needs"],
        insurance=data["insurance"],
        sisfoh=data["sisfoh"],
        mode=data["mode"],
        cse_month=data.get("cse_month"),
    )


def run_search(request: SearchRequest, *, record: bool = True) -> dict:
    """Run a family search and return the API response body.

    Returns ``{"facilities": [...], "programs": [...], "search": {...}}`` with
    texts in the active language. With ``record`` false (for example when a
    shared link is reopened to print a slip), no search record or shown list
    is stored and the response has no search id.
    """
    catalogue = search_catalogue()
    # In the catalogue's order (the needs' sort order), as the query it replaces returned them.
    needs = [need for code, need in catalogue.needs.items() if code in request.needs]
    candidates = _candidates(request, needs, catalogue)
    facilities = _with_travel_times(request, candidates)
    shown_count = settings.GEOSALUD["MAX_RESULTS"]
    ranked = _rank(facilities, request, needs, shown_count)[:shown_count]
    # Only the district and counts: the household itself is never logged.
    logger.info(
        "Search in district %s (%s): %d candidates passed the filters, %d returned",
        request.district.ubigeo, request.mode, len(candidates), len(ranked),
    )
    programmes = _programmes(request)
    method_texts = _MethodTexts(request.mode, _region_names(ranked))
    district_names = catalogue.district_names
    body = {
        "facilities": [
            _facility_output(item, rank, method_texts, district_names) for rank, item in enumerate(ranked, start=1)
        ],
        "programs": programmes,
        "search": {
            "location": {"lat": round(request.point.y, 5), "lon": round(request.point.x, 5)},
            "district": {"ubigeo": request.district.ubigeo, "name": request.district.name},
            "mode": request.mode,
        },
    }
    if record:
        # Stored last, so that a search that fails on the way is not recorded as a returned result.
        body["search"]["id"] = str(store_search(request, ranked, needs, programmes))
    return body


@dataclass(frozen=True)
class RegionText:
    """The sentence naming a road region's data, and whether that data is an OpenStreetMap city extract."""

    source: str
    is_city_streets: bool


def _region_names(ranked: list[dict]) -> dict[str, RegionText]:
    """Map the road regions used by the results to the sentence naming their data."""
    from routing.services import road_regions

    slugs = {item["travel"].region for item in ranked if item["travel"].region}
    return {
        region.slug: RegionText(
            _region_source_text(region.name, region.source_file), region.source_file.startswith("osm_network/")
        )
        for region in road_regions() if region.slug in slugs
    }


def _region_source_text(name: str, source_file: str) -> str:
    """Name the road data behind a time: an OpenStreetMap extract or the MTC road lines."""
    if source_file.startswith("osm_network/"):
        return _("OpenStreetMap road network of %(region)s.") % {"region": name}
    return _("Official road network: %(region)s (MTC road lines, with the walk off-road to the nearest road).") % {
        "region": name
    }


def _accepted_terms(request: SearchRequest, needs: list[Need], catalogue: SearchCatalogue) -> dict[str, str]:
    """Map each institution that accepts the household's insurance to its terms."""
    terms = set(ACCEPTED_TERMS)
    if any(need.is_urgent for need in needs):
        # Every facility must attend an emergency (Ley 27604), whatever the insurance.
        terms.add("emergency_only")
    by_institution = catalogue.terms.get(request.insurance, {})
    return {institution: term for institution, term in by_institution.items() if term in terms}


def _candidates(request: SearchRequest, needs: list[Need], catalogue: SearchCatalogue) -> list[dict]:
    """Facilities that pass the hard filters, the nearest ``CANDIDATE_POOL`` by straight line."""
    terms_by_institution = _accepted_terms(request, needs, catalogue)
    services_of = catalogue.need_services
    service_codes = set().union(*(services_of[need.code] for need in needs))
    indices = catalogue.candidates(
        service_codes, terms_by_institution.keys(), request.point.x, request.point.y, CANDIDATE_POOL
    )
    candidates = []
    for index in indices:
        facility = catalogue.facilities[index]
        offered = {code: inferred for code, inferred in catalogue.offered[index].items() if code in service_codes}
        candidates.append({
            "facility": facility,
            # The catalogue's floats: reading the GEOS point costs more than the rest of the dict.
            "lon": float(catalogue.lon[index]),
            "lat": float(catalogue.lat[index]),
            "terms": terms_by_institution[facility.institution],
            "met_needs": [need for need in needs if not services_of[need.code].isdisjoint(offered)],
            "inferred": any(offered.values()),
        })
    return candidates


def _with_travel_times(request: SearchRequest, candidates: list[dict]) -> list[dict]:
    from routing.services import travel_times

    destinations = [(item["lon"], item["lat"]) for item in candidates]
    times = travel_times((request.point.x, request.point.y), destinations, request.mode)
    for item, travel in zip(candidates, times):
        item["travel"] = travel
        item["mode"] = request.mode
    return candidates


def _rank(candidates: list[dict], request: SearchRequest, needs: list[Need], shown_count: int) -> list[dict]:
    """Order the filtered candidates with the promoted ranker (nearest first when none loads)."""
    from matcher.ranking import rank

    features = [
        {
            **item,
            "travel_time_min": item["travel"].minutes,
            "travel_time_source": item["travel"].source,
            "distance_km": item["travel"].distance_km,
            "category": item["facility"].category,
            "institution": item["facility"].institution,
            "insurance_terms": item["terms"],
            "is_24h": "24" in item["facility"].hours,
            "beds": item["facility"].beds,
            "quality_flags": item["facility"].quality_flags,
            "needs_met": len(item["met_needs"]),
            "needs_requested": len(needs),
        }
        for item in candidates
    ]
    context = {"mode": request.mode, "urgent": any(need.is_urgent for need in needs), "insurance": request.insurance}
    return rank(features, context, shown_count=shown_count)


def _need_name(need: Need) -> str:
    return need.name_es if get_language() == "es" else need.name_en


def _terms_reason(terms: str) -> str:
    reasons = {
        "covered": _("Accepts your insurance."),
        "affiliation": _("Attends people without insurance and can affiliate you to SIS for free."),
        "emergency_only": _("With your insurance, it attends emergencies only."),
    }
    return reasons[terms]


def _travel_reason(item: dict, mode: str) -> str:
    travel = item["travel"]
    if travel.minutes is None:
        return _("Not reachable over the road network from your place; ask locally how to get there.")
    mode_text = {"walk": _("walking"), "drive": _("by vehicle"), "transit": _("by public transport")}[mode]
    # The distance is rounded from the API's two-decimal value, as the results page rounds it.
    return _("About %(duration)s %(how)s (%(distance)s).") % {
        "duration": format_duration(travel.minutes), "how": mode_text,
        "distance": format_distance(round(travel.distance_km, 2)),
    }


def _method_text(travel, mode: str, region_names: dict[str, RegionText]) -> str:
    """Say how a travel time was obtained, with the speeds and the walk to the road behind it.

    Only the walk of the road data that gave the time is described: the walk
    to city streets for an OpenStreetMap extract, the walk across country for
    the MTC roads.
    """
    from routing.services import estimate_description

    description = estimate_description(mode)
    if travel.source != "road_network":
        return description["estimate"]
    region = region_names.get(travel.region)
    if region is None:
        return " ".join([travel.region or "", description["network_speed"], description["access"]]).strip()
    if region.is_city_streets:
        access = _("The time includes the walk from your place to the nearest street (up to %(max_m)s m, "
                   "at %(speed)s km/h).") % {
            "max_m": number_format(description["max_access_distance_m"], 0),
            "speed": number_format(description["access_walk_speed_kph"], 1),
        }
    else:
        access = _("The time includes the walk across country from your place to the nearest MTC road "
                   "(up to %(max_km)s km, at %(speed)s km/h).") % {
            "max_km": number_format(description["mtc_max_access_distance_m"] / 1000, 0),
            "speed": number_format(description["offroad_walk_speed_kph"], 1),
        }
    return " ".join([region.source, description["network_speed"], access])


class _MethodTexts:
    """The method sentence of each kind of travel time in one search, composed once per kind."""

    def __init__(self, mode: str, region_names: dict[str, RegionText]) -> None:
        self.mode = mode
        self.region_names = region_names
        self._texts: dict[tuple[str, str | None], str] = {}

    def text(self, travel) -> str:
        key = (travel.source, travel.region)
        if key not in self._texts:
            self._texts[key] = _method_text(travel, self.mode, self.region_names)
        return self._texts[key]


def _facility_output(item: dict, rank: int, method_texts: _MethodTexts, district_names: dict[str, str]) -> dict:
    facility = item["facility"]
    travel = item["travel"]
    mode = item["mode"]
    needs_text = ", ".join(_need_name(need) for need in item["met_needs"])
    reasons = [_("Offers: %(needs)s.") % {"needs": needs_text}, _terms_reason(item["terms"])]
    if "24" in facility.hours:
        reasons.append(_("Open 24 hours according to the registry."))
    reasons.append(_travel_reason(item, mode))
    reasons.extend(reason for reason in item.get("why", []) if reason not in reasons)
    institution_labels = dict(INSTITUTION_CHOICES)
    return {
        "renaes_code": facility.renaes_code,
        "name": facility.name,
        "category": facility.category,
        "institution": facility.institution,
        "institution_label": str(institution_labels.get(facility.institution, facility.institution)),
        "address": facility.address,
        "phone": facility.phone,
        "phones": phone_links(facility.phone, facility.spatial_ubigeo),
        "hours": facility.hours,
        "location": {"lat": round(item["lat"], 6), "lon": round(item["lon"], 6)},
        "travel_time_min": None if travel.minutes is None else round(travel.minutes, 1),
        "travel_time_source": travel.source,
        "travel_time_method": method_texts.text(travel),
        "distance_km": round(travel.distance_km, 2),
        "rank": rank,
        "reasons": reasons,
        "services_inferred": item["inferred"],
        # Codes behind the "Offers" reason and the insurance reason, for pages that fold the reasons.
        "needs_met": [need.code for need in item["met_needs"]],
        "insurance_terms": item["terms"],
        "ranking_method": item["ranking_method"],
        "model_version": item["model_version"],
        "district": {"ubigeo": facility.spatial_ubigeo, "name": district_names.get(facility.spatial_ubigeo, "")},
    }


def _programmes(request: SearchRequest) -> list[dict]:
    from matcher.services import evaluate_programmes

    return evaluate_programmes(
        request.household,
        insurance=request.insurance,
        sisfoh=request.sisfoh,
        ubigeo=request.district.ubigeo,
        language=get_language() or "es",
        cse_month=request.cse_month,
    )
