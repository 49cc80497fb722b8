"""The search catalogue: needs, insurance terms and searchable facilities, kept in memory.

A family search used to read these with about ten queries. They change only
when an admin edits or imports data, so each web process keeps one copy and
rebuilds it when the data generation number changes (:mod:`ops.generation`).
The copy contains about 8,000 facilities with their offered services, a few
megabytes per process.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from geoservices.models import District, Facility, FacilityService, InsuranceAcceptance, Need
from ops.generation import GenerationCache
from routing.estimate import haversine_m


@dataclass(frozen=True)
class SearchCatalogue:
    """One consistent copy of the data that family searches filter on."""

    #: Needs by code, with their services prefetched.
    needs: dict[str, Need]
    #: For each need code, the codes of the services that meet it.
    need_services: dict[str, frozenset[str]]
    #: ``{insurance: {institution: terms}}`` for every acceptance row.
    terms: dict[str, dict[str, str]]
    #: Facilities shown to families and operating, in registry order.
    facilities: list[Facility]
    lon: np.ndarray
    lat: np.ndarray
    #: For each institution, a mask over ``facilities`` of its facilities.
    of_institution: dict[str, np.ndarray]
    #: For each facility (same order), ``{service code: inferred}`` of the services it offers.
    offered: list[dict[str, bool]]
    #: For each service code, a mask over ``facilities`` of those that offer it.
    offers_service: dict[str, np.ndarray]
    district_names: dict[str, str]

    def candidates(self, service_codes: Iterable[str], institutions: Iterable[str],
                   lon: float, lat: float, limit: int) -> list[int]:
        """Return the indices of the ``limit`` facilities nearest ``(lon, lat)`` that pass the filters.

        A facility passes when it offers any of ``service_codes`` and belongs
        to one of ``institutions``. Nearest is by great-circle distance.
        """
        keep = np.zeros(len(self.facilities), dtype=bool)
        for code in service_codes:
            mask = self.offers_service.get(code)
            if mask is not None:
                keep |= mask
        of_any = np.zeros(len(self.facilities), dtype=bool)
        for institution in institutions:
            mask = self.of_institution.get(institution)
            if mask is not None:
                of_any |= mask
        keep &= of_any
        indices = np.flatnonzero(keep)
        if not len(indices):
            return []
        distance = haversine_m(lon, lat, self.lon[indices], self.lat[indices])
        order = np.argsort(distance, kind="stable")[:limit]
        return indices[order].tolist()


def _build() -> SearchCatalogue:
    needs = {need.code: need for need in Need.objects.prefetch_related("services")}
    terms: dict[str, dict[str, str]] = defaultdict(dict)
    for institution, insurance, term in InsuranceAcceptance.objects.values_list("institution", "insurance", "terms"):
        terms[insurance][institution] = term

    facilities = list(Facility.objects.filter(is_searchable=True, is_operating=True, location__isnull=False))
    position = {facility.id: index for index, facility in enumerate(facilities)}
    offered: list[dict[str, bool]] = [{} for _ in facilities]
    rows = FacilityService.objects.filter(
        offered=True, facility__is_searchable=True, facility__is_operating=True, facility__location__isnull=False
    )
    for facility_id, service_code, inferred in rows.values_list("facility_id", "service_id", "inferred"):
        offered[position[facility_id]][service_code] = inferred

    offers_service: dict[str, np.ndarray] = {}
    for index, services in enumerate(offered):
        for code in services:
            offers_service.setdefault(code, np.zeros(len(facilities), dtype=bool))[index] = True

    institution = np.array([facility.institution for facility in facilities], dtype=object)
    return SearchCatalogue(
        needs=needs,
        need_services={code: frozenset(service.code for service in need.services.all()) for code, need in needs.items()},
        terms=dict(terms),
        facilities=facilities,
        lon=np.array([facility.location.x for facility in facilities], dtype=float),
        lat=np.array([facility.location.y for facility in facilities], dtype=float),
        of_institution={name: institution == name for name in set(institution.tolist())},
        offered=offered,
        offers_service=offers_service,
        district_names=dict(District.objects.values_list("ubigeo", "name")),
    )


_catalogue = GenerationCache("search catalogue", _build)


def search_catalogue() -> SearchCatalogue:
    """Return this process's copy of the search catalogue, rebuilt if the data changed."""
    return _catalogue.get()
