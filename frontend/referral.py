"""The referral slip: one facility and the household's programmes, from a shared search."""
from django.utils.translation import get_language, gettext as _
from rest_framework.exceptions import ErrorDetail

from geoservices.models import Need
from geoservices.phones import phone_links
from geoservices.serializers import MatchRequestSerializer
from matcher.duration_text import LONG_TRIP_MIN, format_distance, format_duration
from matcher.search import run_search, search_request
from ops.generation import generation_snapshot

from .exceptions import SharedSearchError


def first_error_message(errors) -> str:
    """Return the first message of a DRF error structure (dict, list or detail)."""
    while isinstance(errors, (dict, list)) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors) if isinstance(errors, (str, ErrorDetail)) else ""


def run_shared_search(body: dict) -> dict:
    """Validate a search request as the match API does and run it.

    Returns the same body as ``POST /api/v1/match/``, in the active language.

    Raises
    ------
    SharedSearchError
        With the API's own message when the request is invalid.
    """
    with generation_snapshot():
        serializer = MatchRequestSerializer(data=body)
        if not serializer.is_valid():
            raise SharedSearchError(
                _("The search in the link is not valid: %(error)s") % {"error": first_error_message(serializer.errors)}
            )
        # The family already searched; reopening the link for a slip is not a new search.
        return run_search(search_request(serializer.validated_data), record=False)


def build_referral(body: dict, renaes_code: str) -> dict:
    """Return the slip's content: the chosen facility, the search and the programmes to apply for.

    Parameters
    ----------
    body
        A search request as ``POST /api/v1/match/`` takes it.
    renaes_code
        The facility the family chose; it must be among the search's results.
        An empty code picks the first result.
    """
    result = run_shared_search(body)
    facilities = result["facilities"]
    if not facilities:
        raise SharedSearchError(_("This search found no facility, so there is nothing to put on a slip."))
    if renaes_code:
        chosen = [facility for facility in facilities if facility["renaes_code"] == renaes_code]
        if not chosen:
            raise SharedSearchError(
                _("The facility %(code)s is not among the results of this search. Go back to the results and "
                  "choose one of them.") % {"code": renaes_code}
            )
        facility = chosen[0]
    else:
        facility = facilities[0]
    # Only programmes the household qualifies for, so that the slip fits one page
    # and lists only documents that matter; the results page shows the others.
    programs = [program for program in result["programs"] if program["status"] == "eligible"]
    return {
        "facility": facility,
        "phones": phone_links(facility.get("phone"), (facility.get("district") or {}).get("ubigeo")),
        "search": result["search"],
        "district_name": (facility.get("district") or {}).get("name") or result["search"]["district"]["name"],
        "programs": [dict(program, status_label=status_label(program["status"])) for program in programs],
        "document_groups": documents_by_programme(programs),
        # Only the care the chosen facility offers, so that the slip does not read as a referral for the rest.
        "need_names": need_names([code for code in body.get("needs", []) if code in facility["needs_met"]]),
        "travel_summary": travel_summary(facility, result["search"]),
    }


def status_label(status: str) -> str:
    """Return the family-facing label of a programme status."""
    if status == "eligible":
        return _("Qualifies")
    if status == "likely":
        return _("Probably qualifies")
    return _("Does not seem to qualify")


def documents_by_programme(programs: list[dict]) -> list[dict]:
    """Group the documents to bring under the programme that requires them.

    Returns ``[{"programme": name, "documents": [...]}, ...]``. A document
    already listed under an earlier programme is not repeated, and a
    programme left with no document of its own is left out.
    """
    listed: set[str] = set()
    groups = []
    for program in programs:
        documents = [document for document in dict.fromkeys(program.get("documents", [])) if document not in listed]
        listed.update(documents)
        if documents:
            groups.append({"programme": program["name"], "documents": documents})
    return groups


def need_names(codes: list[str]) -> list[str]:
    """Return the names of the requested needs in the active language."""
    field = "name_en" if get_language().startswith("en") else "name_es"
    names = dict(Need.objects.filter(code__in=codes).values_list("code", field))
    return [names[code] for code in codes if code in names]


def travel_summary(facility: dict, search: dict) -> str:
    """Describe the trip in one sentence: time, distance, mode and how the time was obtained."""
    mode = _("walking") if search.get("mode") == "walk" else _("by vehicle")
    source = _("by the road network") if facility.get("travel_time_source") == "road_network" else _(
        "straight-line estimate")
    minutes = facility.get("travel_time_min")
    if minutes is None:
        return _("Travel time unknown. Ask locally how to get there.")
    summary = _("About %(duration)s %(mode)s (%(distance)s), %(source)s.") % {
        "duration": format_duration(minutes),
        "mode": mode,
        "distance": format_distance(facility["distance_km"]),
        "source": source,
    }
    if minutes > LONG_TRIP_MIN:
        summary += " " + long_trip_notice()
    return summary


def long_trip_notice() -> str:
    """Warn that roads take more than half a day, so the family should ask about river or air transport."""
    return _("Over roads this trip takes more than %(hours)s hours. Ask at your local health post or "
             "municipality how to get there by river or air.") % {"hours": LONG_TRIP_MIN // 60}
