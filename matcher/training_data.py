"""SIMULATED training sessions built on real facilities and real populated places.

The places, facilities, categories, institutions, insurance terms and
services are the real data in PostGIS. The search context (need, insurance,
mode) is drawn at random and the family's choice comes from
:mod:`matcher.simulator`, so every session is labelled ``"simulated"``.
Travel times use the straight-line estimate of :mod:`routing.estimate`
(marked ``"estimate"``), because the road graphs cover only three areas.
"""
from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
from django.contrib.gis.db.models.functions import GeometryDistance

from geoservices.models import Facility, FacilityService, InsuranceAcceptance, Need, PopulatedPlace
from routing.estimate import estimate_route, haversine_m

from .simulator import simulate_choice

logger = logging.getLogger(__name__)

#: Candidates per simulated search: the nearest facilities that pass the hard filters.
#: The search ranks 40 and shows 10; 20 keeps training fast and covers what families see.
MAX_CANDIDATES = 20
#: Simulated searches that train_ranker, evaluate_ranker and the benchmark draw by default:
#: 20 % held out gives 2,000 lists, enough for a paired bootstrap interval of about
#: ±0.007 NDCG@5 around the gain over nearest-first (benchmarks/ranker.py).
DEFAULT_SESSIONS = 10_000
#: Insurance shares drawn for simulated households (assumed, not measured).
INSURANCE_SHARES = {"sis": 0.5, "none": 0.3, "essalud": 0.15, "other": 0.05}
#: Insurance terms that pass the hard filter, as in the family search.
ACCEPTED_TERMS = ("covered", "affiliation")
#: Share of simulated searches that ask for a second need, such as prenatal care
#: and vaccination in one trip (assumed, not measured).
SECOND_NEED_SHARE = 0.3


def build_sessions(n_sessions: int, seed: int) -> list[dict]:
    """Return ``n_sessions`` SIMULATED sessions with candidates, context and labels.

    The same seed and the same database give the same sessions. Sessions
    whose hard filters leave fewer than two candidates are skipped, so fewer
    sessions may come back.
    """
    rng = np.random.default_rng(seed)
    places = list(PopulatedPlace.objects.order_by("code").values_list("location", flat=True))
    needs = list(Need.objects.order_by("code").prefetch_related("services"))
    acceptance = _acceptance_table()

    sessions = []
    for place_index in rng.choice(len(places), size=n_sessions, replace=False):
        drawn = [needs[index] for index in _draw_need_indices(rng, len(needs))]
        context = {
            "mode": "walk" if rng.random() < 0.5 else "drive",
            "urgent": any(need.is_urgent for need in drawn),
            "insurance": str(rng.choice(list(INSURANCE_SHARES), p=list(INSURANCE_SHARES.values()))),
            "needs": [need.code for need in drawn],
            "data": "simulated",
        }
        candidates = _candidates(places[place_index], drawn, context, acceptance)
        if len(candidates) < 2:
            continue
        labels = simulate_choice(candidates, context, rng)
        sessions.append({"candidates": candidates, "context": context, "labels": labels.tolist()})
    logger.info("Built %s simulated sessions from %s draws", len(sessions), n_sessions)
    return sessions


def _draw_need_indices(rng: np.random.Generator, n_needs: int) -> list[int]:
    """Draw one need, or two different ones with probability ``SECOND_NEED_SHARE``, uniformly."""
    count = 2 if rng.random() < SECOND_NEED_SHARE else 1
    return sorted(int(index) for index in rng.choice(n_needs, size=count, replace=False))


def _acceptance_table() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for institution, insurance, terms in InsuranceAcceptance.objects.values_list("institution", "insurance", "terms"):
        table[insurance][institution] = terms
    return table


def _candidates(origin, needs: list[Need], context: dict, acceptance: dict) -> list[dict]:
    """Nearby real facilities that pass the search's hard filters for these needs and insurance.

    As in ``matcher.search``, the filters (a requested service offered, insurance
    terms accepted, operating, shown to families) come before the nearest-first
    cut, so a need that only hospitals meet still gets a full list.
    """
    accepted = list(ACCEPTED_TERMS) + (["emergency_only"] if context["urgent"] else [])
    terms_by_institution = {institution: terms for institution, terms in acceptance[context["insurance"]].items()
                            if terms in accepted}
    services_by_need = {need.code: {service.code for service in need.services.all()} for need in needs}
    service_codes = set().union(*services_by_need.values())
    offering = FacilityService.objects.filter(service__code__in=service_codes, offered=True).values("facility_id")
    facilities = list(
        Facility.objects.filter(is_searchable=True, is_operating=True, id__in=offering,
                                institution__in=terms_by_institution)
        .order_by(GeometryDistance("location", origin))[:MAX_CANDIDATES]
    )
    if not facilities:
        return []
    offered = _offered_services(facilities, service_codes)

    straight_m = haversine_m(origin.x, origin.y, [f.location.x for f in facilities], [f.location.y for f in facilities])
    distance_m, travel_time_s = estimate_route(straight_m, context["mode"])
    return [
        {
            "renaes_code": facility.renaes_code,
            "travel_time_min": float(seconds) / 60.0,
            "travel_time_source": "estimate",
            "distance_km": float(metres) / 1000.0,
            "category": facility.category,
            "institution": facility.institution,
            "insurance_terms": terms_by_institution[facility.institution],
            "is_24h": "24" in facility.hours,
            "beds": facility.beds,
            "quality_flags": list(facility.quality_flags),
            "needs_met": sum(1 for services in services_by_need.values() if services & offered[facility.pk]),
            "needs_requested": len(needs),
        }
        for facility, metres, seconds in zip(facilities, distance_m, travel_time_s)
    ]


def _offered_services(facilities: list[Facility], service_codes: set[str]) -> dict[int, set[str]]:
    """Map each facility id to the requested services it offers."""
    offered: dict[int, set[str]] = defaultdict(set)
    rows = FacilityService.objects.filter(facility__in=facilities, service__code__in=service_codes, offered=True)
    for facility_id, service_code in rows.values_list("facility_id", "service__code"):
        offered[facility_id].add(service_code)
    return offered


#: Relevance of each feedback action: attended is the strongest signal, an
#: explicit "not attended" marks the result as not relevant.
FEEDBACK_LABELS = {"attended": 2, "called": 1, "routed": 1, "opened": 1, "not_attended": 0}


def feedback_sessions() -> list[dict]:
    """Return REAL sessions: the lists families were shown, labelled by their feedback.

    A result gets the strongest label of its feedback (see ``FEEDBACK_LABELS``),
    except that "not attended" overrides the others. Lists without any positive
    label are left out, because they teach a listwise loss nothing.
    """
    from .models import SearchImpression

    sessions = []
    impressions = SearchImpression.objects.filter(feedback__isnull=False).distinct().prefetch_related("feedback")
    for impression in impressions.order_by("id"):
        labels = _feedback_labels(impression)
        if max(labels, default=0) == 0 or len(labels) < 2:
            continue
        context = {**impression.context, "data": "feedback", "search_id": str(impression.token)}
        sessions.append({"candidates": impression.candidates, "context": context, "labels": labels})
    logger.info("Built %s sessions from real family feedback", len(sessions))
    return sessions


def _feedback_labels(impression) -> list[int]:
    by_code: dict[str, int] = {}
    refused: set[str] = set()
    for feedback in impression.feedback.all():
        if feedback.action == "not_attended":
            refused.add(feedback.renaes_code)
        by_code[feedback.renaes_code] = max(by_code.get(feedback.renaes_code, 0), FEEDBACK_LABELS[feedback.action])
    return [
        0 if candidate["renaes_code"] in refused else by_code.get(candidate["renaes_code"], 0)
        for candidate in impression.candidates
    ]
