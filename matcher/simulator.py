"""SIMULATED family choices, to train and compare rankers until real feedback exists.

Nothing produced here is real data. Every log this module writes carries
``"data": "simulated"``, and the model registry records it in the data summary.

The simulated family picks the result with the highest random utility, a
multinomial logit choice with Gumbel noise of scale ``noise_scale``. The
deterministic part of the utility of one facility is the sum of:

* travel time, on a log scale: ``-time_weight * ln(1 + minutes / time_reference_min)``.
  A log scale means that 30 extra minutes weigh more on a 20-minute trip than
  on a 4-hour one, so in remote places other terms can win over a small
  difference in time;
* for an urgent need (emergency, childbirth): ``urgent_level_weight`` per
  category level above I-1 (I-1 = 1 to III-2 = 8) and ``urgent_24h_bonus`` for
  a facility open 24 hours, as families bypass nearer small centres for a
  hospital that can take the case at any hour;
* for any other need: ``physician_bonus`` for category I-2 and above, because
  the MINSA categorisation norm NTS 021-MINSA/DGSP-V.03 (cited in
  ``data/services/services.json``) lets an I-1 post run without a physician,
  and ``routine_hospital_penalty`` for a hospital (II-1 and above), for its
  queues and appointment delays;
* insurance terms: ``terms_utility`` (covered care is preferred, free
  affiliation at the facility costs a visit's paperwork, and "emergencies
  only" means paying once the emergency is over);
* ``quality_flag_penalty`` per data-quality flag and ``needs_met_weight``
  times the share of the requested needs that the facility meets.

The chosen facility gets relevance 2 (attended) with probability
``attend_probability``, else 1. The next two by noisy utility are each opened
(relevance 1) with probability ``open_probability``.

Every weight is an assumption of this simulation, chosen to be plausible and
not fitted to any Peruvian data, and not tuned to favour a model. The
behaviours they stand for (bypassing small posts for hospitals when the need
is urgent, preferring covered and 24-hour care, the log-scale cost of time)
are stated as assumptions in ``docs/matcher.md``, without a source.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .ranking_features import HOSPITAL_LEVEL, PHYSICIAN_LEVEL, category_level

SIMULATION_PARAMETERS: dict[str, Any] = {
    "time_weight": 2.5,
    "time_reference_min": 15.0,
    "urgent_level_weight": 0.5,
    "urgent_24h_bonus": 1.0,
    "physician_bonus": 0.6,
    "routine_hospital_penalty": 0.5,
    "terms_utility": {"covered": 0.0, "affiliation": -0.3, "emergency_only": -1.0, "paid": -1.5},
    "quality_flag_penalty": 0.3,
    "needs_met_weight": 1.0,
    "noise_scale": 1.0,
    "attend_probability": 0.8,
    "open_probability": 0.3,
}


def utility(candidate: Mapping[str, Any], context: Mapping[str, Any],
            parameters: Mapping[str, Any] = SIMULATION_PARAMETERS) -> float:
    """Return the deterministic part of a simulated family's utility for one facility.

    An unreachable facility (``travel_time_min`` None) returns minus infinity.
    """
    minutes = candidate.get("travel_time_min")
    if minutes is None:
        return -math.inf
    value = -parameters["time_weight"] * math.log1p(max(minutes, 0.0) / parameters["time_reference_min"])
    value += _category_utility(candidate, bool(context.get("urgent")), parameters)
    value += parameters["terms_utility"].get(candidate.get("insurance_terms") or "", 0.0)
    value -= parameters["quality_flag_penalty"] * len(candidate.get("quality_flags") or [])
    requested = candidate.get("needs_requested") or 1
    value += parameters["needs_met_weight"] * min((candidate.get("needs_met") or 0) / requested, 1.0)
    return value


def _category_utility(candidate: Mapping[str, Any], urgent: bool, parameters: Mapping[str, Any]) -> float:
    level = category_level(candidate.get("category"))
    if urgent:
        value = parameters["urgent_level_weight"] * max(level - 1.0, 0.0)
        return value + parameters["urgent_24h_bonus"] * bool(candidate.get("is_24h"))
    value = parameters["physician_bonus"] * (level >= PHYSICIAN_LEVEL)
    return value - parameters["routine_hospital_penalty"] * (level >= HOSPITAL_LEVEL)


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
