"""SIMULATED family choices, to train and compare rankers until real feedback exists.

Nothing produced here is real data. Every log this module writes carries
``"data": "simulated"``, and the model registry records it in the data summary.

The simulated family picks the result with the highest random utility
(a logit choice with Gumbel noise). The utility of a facility is:

* distance decay: minus travel time over ``decay_min[mode]`` minutes;
* category: for an urgent need, plus ``urgent_category_weight`` per level
  (1 = I-1 to 8 = III-2), otherwise minus ``routine_category_weight`` per
  level, since hospitals are farther and busier for routine care;
* insurance: a bonus for "covered" and "affiliation", a penalty for
  "emergency_only" unless the need is urgent, and for "paid";
* plus ``open_24h_urgent_bonus`` for a 24-hour facility when urgent, minus
  ``quality_flag_penalty`` per data-quality flag, plus ``needs_met_weight``
  times the share of requested needs the facility meets.

The chosen facility gets relevance 2 (attended) with probability
``attend_probability``, else 1; the next two by utility are each opened
(relevance 1) with probability ``open_probability``. The weights are
assumptions chosen for this simulation, not estimates from Peruvian data.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .ranking_features import category_level

SIMULATION_PARAMETERS: dict[str, Any] = {
    "decay_min": {"walk": 20.0, "drive": 35.0},
    "urgent_category_weight": 0.45,
    "routine_category_weight": 0.08,
    "insurance_bonus": {"covered": 0.8, "affiliation": 0.5, "emergency_only": -1.5, "paid": -1.0},
    "emergency_only_urgent_bonus": 0.3,
    "open_24h_urgent_bonus": 0.8,
    "quality_flag_penalty": 0.3,
    "needs_met_weight": 1.0,
    "noise_scale": 0.7,
    "attend_probability": 0.8,
    "open_probability": 0.3,
}


def utility(candidate: Mapping[str, Any], context: Mapping[str, Any],
            parameters: Mapping[str, Any] = SIMULATION_PARAMETERS) -> float:
    """Return the deterministic part of a simulated family's utility for one facility."""
    minutes = candidate.get("travel_time_min")
    if minutes is None:
        return -math.inf
    urgent = bool(context.get("urgent"))
    mode = context.get("mode") or "walk"
    level = category_level(candidate.get("category"))
    terms = candidate.get("insurance_terms") or ""

    value = -minutes / parameters["decay_min"][mode]
    if urgent:
        value += parameters["urgent_category_weight"] * level
        value += parameters["open_24h_urgent_bonus"] * bool(candidate.get("is_24h"))
    else:
        value -= parameters["routine_category_weight"] * level
    if terms == "emergency_only" and urgent:
        value += parameters["emergency_only_urgent_bonus"]
    else:
        value += parameters["insurance_bonus"].get(terms, 0.0)
    value -= parameters["quality_flag_penalty"] * len(candidate.get("quality_flags") or [])
    requested = candidate.get("needs_requested") or 1
    value += parameters["needs_met_weight"] * min((candidate.get("needs_met") or 0) / requested, 1.0)
    return value


def simulate_choice(candidates: Sequence[Mapping[str, Any]], context: Mapping[str, Any],
                    rng: np.random.Generator,
                    parameters: Mapping[str, Any] = SIMULATION_PARAMETERS,
                    ) -> np.ndarray:
    """Return SIMULATED relevance labels (0, 1, 2) for one list of candidates."""
    base = np.array([utility(candidate, context, parameters) for candidate in candidates], dtype=float)
    noisy = base + parameters["noise_scale"] * rng.gumbel(size=base.size)
    labels = np.zeros(base.size, dtype=np.int64)
    reachable = np.isfinite(base)
    if not reachable.any():
        return labels

    order = [index for index in np.argsort(-noisy, kind="stable") if reachable[index]]
    labels[order[0]] = 2 if rng.random() < parameters["attend_probability"] else 1
    for index in order[1:3]:
        if rng.random() < parameters["open_probability"]:
            labels[index] = 1
    return labels
