"""Storing a family search: its coarse record for planners and its shown list for the ranker.

Both rows go to PostgreSQL in one statement string, inside one transaction,
so a search costs three round trips to the database (begin, insert, commit)
instead of five, and either both rows are stored or neither.
"""
from __future__ import annotations

import datetime
import json
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction

from geoservices.models import Need, SearchRecord
from matcher.models import SearchImpression

if TYPE_CHECKING:
    from matcher.search import SearchRequest

#: Age bands kept in search records instead of exact ages.
AGE_BANDS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 17, "6-17"), (18, 59, "18-59"), (60, 200, "60+"))

#: Ranking features kept per shown result, so that feedback can train the ranker.
IMPRESSION_KEYS = (
    "travel_time_min", "travel_time_source", "distance_km", "category", "institution", "insurance_terms",
    "is_24h", "beds", "quality_flags", "needs_met", "needs_requested",
)

# A search record and its shown list are statistics: with synchronous_commit
# off, a server crash may lose the last fraction of a second of them, but
# never half of one. The flush wait was about 3 ms of a 20-30 ms search on
# the load benchmark's machine. Feedback and uploads keep full durability.
_STORE_SQL = f"""
SET LOCAL synchronous_commit TO OFF;
INSERT INTO {SearchRecord._meta.db_table}
    (created_on, ubigeo, coarse_location, needs, insurance, sisfoh, mode, household_size, age_bands,
     has_pregnant_member, results_count, nearest_travel_time_min, rule_versions)
VALUES (%(created_on)s, %(ubigeo)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(needs)s::varchar[],
        %(insurance)s, %(sisfoh)s, %(mode)s, %(household_size)s, %(age_bands)s::varchar[],
        %(has_pregnant_member)s, %(results_count)s, %(nearest_travel_time_min)s, %(rule_versions)s::jsonb);
INSERT INTO {SearchImpression._meta.db_table} (token, created_on, context, candidates, model_version)
VALUES (%(token)s::uuid, %(created_on)s, %(context)s::jsonb, %(candidates)s::jsonb, %(model_version)s)
"""


def store_search(request: SearchRequest, ranked: list[dict], needs: list[Need], programmes: list[dict]) -> uuid.UUID:
    """Store the search record and the shown list; return the shown list's token.

    Nothing identifies the household: no names, a rounded location, age
    bands instead of ages, and ranking features without ages or location.
    """
    token = uuid.uuid4()
    # DateField(auto_now_add) takes the server's local date (Lima); so does this.
    params = {"created_on": datetime.date.today(), "token": str(token)}
    params |= _record_values(request, ranked, programmes)
    params |= _impression_values(request, ranked, needs)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_STORE_SQL, params)
    return token


def _age_band(age: int) -> str:
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def _record_values(request: SearchRequest, ranked: list[dict], programmes: list[dict]) -> dict:
    """Return the search record's columns: a coarse, non-identifying summary of the search."""
    decimals = settings.GEOSALUD["SEARCH_LOCATION_DECIMALS"]
    reachable = [item["travel"].minutes for item in ranked if item["travel"].minutes is not None]
    return {
        "ubigeo": request.district.ubigeo,
        "lon": round(request.point.x, decimals),
        "lat": round(request.point.y, decimals),
        "needs": list(request.needs),
        "insurance": request.insurance,
        "sisfoh": request.sisfoh,
        "mode": request.mode,
        "household_size": len(request.household),
        "age_bands": sorted({_age_band(member["age"]) for member in request.household}),
        "has_pregnant_member": any(member.get("pregnant") for member in request.household),
        "results_count": len(ranked),
        "nearest_travel_time_min": min(reachable) if reachable else None,
        "rule_versions": json.dumps({programme["code"]: programme.get("rule_version") for programme in programmes}),
    }


def _impression_values(request: SearchRequest, ranked: list[dict], needs: list[Need]) -> dict:
    """Return the shown list's columns: the ranking features of each result, without the household."""
    candidates = [
        {"renaes_code": item["facility"].renaes_code, "rank": rank, **{key: item[key] for key in IMPRESSION_KEYS}}
        for rank, item in enumerate(ranked, start=1)
    ]
    context = {
        "mode": request.mode,
        "urgent": any(need.is_urgent for need in needs),
        "insurance": request.insurance,
        "needs": request.needs,
    }
    return {
        "context": json.dumps(context),
        "candidates": json.dumps(candidates),
        "model_version": ranked[0]["model_version"] if ranked else "",
    }
