"""Django side of the ranker: load the promoted model once and order search candidates.

The search calls :func:`rank` with the facilities that passed its hard
filters. The ranker only reorders them: it never adds or drops one.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from django.utils.translation import gettext_lazy as _, ngettext

from .ranker_registry import Ranker, RegistryError, explain, load_ranker, nearest_first_scores

logger = logging.getLogger(__name__)

#: Folder of the model registry (override with GEOSALUD_RANKER_DIR).
REGISTRY_DIR = Path(os.environ.get("GEOSALUD_RANKER_DIR", Path(settings.DATA_DIR) / "models" / "ranker"))
#: Results that get a "why it is here" explanation, from the top.
EXPLAINED_RESULTS = 10
#: PyTorch threads for scoring. A 200 x 40 matrix gains nothing from parallel
#: kernels, and on a busy 2-core server extra threads raised the median
#: scoring time of 200 candidates from about 1 ms to 16-40 ms.
INFERENCE_THREADS = 1

#: Texts for the feature groups that raise a result's score most.
#: The travel-time text is written per result by :func:`_travel_time_text`,
#: because it names how many of the other shown results take longer.
WHY_TEXTS = {
    "travel_time": _("Shorter travel time than most results."),
    "category": _("Its category suits the care you need."),
    "size": _("A larger facility, by its number of beds."),
    "open_24h": _("Open 24 hours according to the registry."),
    "data_quality": _("Its registry data has no known problems."),
    "needs_met": _("Offers the care you asked for."),
    "insurance": _("Its terms for your insurance are favourable."),
}

_lock = threading.Lock()
_cache: dict[str, Ranker | None] = {}


def reset_ranker_cache() -> None:
    """Forget the loaded ranker, so the next search loads the promoted one again."""
    with _lock:
        _cache.clear()


def configure_inference() -> None:
    """Set the PyTorch thread count for scoring (process-wide, see ``INFERENCE_THREADS``)."""
    torch.set_num_threads(INFERENCE_THREADS)


def get_ranker() -> Ranker | None:
    """Return the promoted ranker, or None when none loads (searches then rank nearest first)."""
    with _lock:
        if "ranker" not in _cache:
            configure_inference()
            try:
                _cache["ranker"] = load_ranker(REGISTRY_DIR)
                logger.info("Loaded ranker %s from %s", _cache["ranker"].version, REGISTRY_DIR)
            except RegistryError as exc:
                logger.warning("No ranker loaded, ranking nearest first: %s", exc)
                _cache["ranker"] = None
        return _cache["ranker"]


def rank(candidates: list[dict], context: dict, shown_count: int | None = None) -> list[dict]:
    """Order candidates that passed the hard filters, best first.

    Parameters
    ----------
    candidates
        Dicts with the keys of :mod:`matcher.ranking_features` (travel_time_min,
        travel_time_source, category, institution, insurance_terms, is_24h,
        beds, quality_flags, needs_met, needs_requested); other keys are kept.
    context
        ``mode`` ("walk"/"drive"), ``urgent`` (bool) and ``insurance``.
    shown_count
        How many results from the top the family sees (all when None). The
        travel-time explanation compares a result with these only.

    Returns
    -------
    list of dict
        Shallow copies of the same candidates, reordered, each with
        ``rank_score``, ``ranking_method`` ("pytorch", "baseline" or
        "nearest_first"), ``model_version``, ``why_codes`` and ``why``
        (translated texts). Unreachable candidates stay last.
    """
    if not candidates:
        return []
    ranker = get_ranker()
    method, scores, matrix = _scores(ranker, candidates, context)
    order = sorted(range(len(candidates)),
                   key=lambda index: (candidates[index].get("travel_time_min") is None, -scores[index]))

    why_codes: dict[int, list[str]] = {}
    if method == "pytorch":
        why_codes = explain(ranker, matrix, order[:EXPLAINED_RESULTS])

    version = ranker.version if ranker is not None and method != "nearest_first" else "nearest_first"
    shown_minutes = [candidates[index].get("travel_time_min") for index in order[:shown_count]]
    ranked = []
    for index in order:
        slower = _slower_shown_count(candidates[index], shown_minutes)
        codes = [code for code in why_codes.get(index, [])
                 if _why_text_holds(code, candidates[index], slower, len(shown_minutes) - 1)]
        texts = [_travel_time_text(slower, len(shown_minutes) - 1) if code == "travel_time" else str(WHY_TEXTS[code])
                 for code in codes]
        ranked.append({**candidates[index], "rank_score": float(scores[index]), "ranking_method": method,
                       "model_version": version, "why_codes": codes, "why": texts})
    return ranked


def _slower_shown_count(candidate: dict, shown_minutes: list[float | None]) -> int:
    """Count the shown results that take longer than ``candidate`` (unreachable ones included)."""
    minutes = candidate.get("travel_time_min")
    if minutes is None:
        return 0
    return sum(1 for other in shown_minutes if other is None or other > minutes)


def _travel_time_text(slower: int, others: int) -> str:
    if slower == others:
        return ngettext(
            "Shorter travel time than the other result.",
            "Shorter travel time than all the other %(others)d results.",
            others,
        ) % {"others": others}
    return ngettext(
        "Shorter travel time than %(slower)d of the other %(others)d result.",
        "Shorter travel time than %(slower)d of the other %(others)d results.",
        others,
    ) % {"slower": slower, "others": others}


def _why_text_holds(code: str, candidate: dict, slower: int, others: int) -> bool:
    """Check a "why it is here" text against the candidate's own data.

    Occlusion compares a candidate with the list's mean, so a group can raise
    a score without its text being literally true (one data-quality flag
    below a list mean of two is not "no known problems"). Such codes are
    dropped. The travel-time text needs more than half of the other shown
    results to take longer.
    """
    if code == "travel_time":
        return candidate.get("travel_time_min") is not None and slower * 2 > others
    if code == "open_24h":
        return bool(candidate.get("is_24h"))
    if code == "data_quality":
        return not candidate.get("quality_flags")
    if code == "needs_met":
        return (candidate.get("needs_met") or 0) > 0
    if code == "insurance":
        return candidate.get("insurance_terms") in ("covered", "affiliation")
    if code == "size":
        return candidate.get("beds") is not None
    return True


def _scores(ranker: Ranker | None, candidates: list[dict], context: dict) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Score with the PyTorch model, else the baseline, else nearest first.

    Returns the method, the scores and the preprocessed matrix (None for nearest first).
    """
    if ranker is not None:
        try:
            matrix = ranker.transform(candidates, context)
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("Ranker %s could not preprocess the candidates, ranking nearest first: %s",
                         ranker.version, exc)
            matrix = None
        for method, model in (("pytorch", ranker.scorer), ("baseline", ranker.baseline)):
            if model is None or matrix is None:
                continue
            try:
                return method, ranker.score(candidates, context, method, matrix), matrix
            except (ValueError, RuntimeError) as exc:
                logger.error("Ranker %s failed with %s, falling back: %s", ranker.version, method, exc)
    return "nearest_first", nearest_first_scores(candidates), None
