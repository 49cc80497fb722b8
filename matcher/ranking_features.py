"""Features of a search result for the rankers, and their scikit-learn preprocessing.

A candidate is a dict that the search builds for a facility that passed the
hard filters. The keys read here are:

``travel_time_min`` (float or None when unreachable), ``travel_time_source``
("road_network" or "estimate"), ``distance_km``, ``category`` (MINSA, "I-1" to
"III-E"), ``institution``, ``insurance_terms`` ("covered", "affiliation",
"emergency_only" or "paid"), ``is_24h``, ``beds`` (None when unknown),
``quality_flags`` (list of codes), ``needs_met`` and ``needs_requested``
(counts). The search context adds ``mode`` ("walk"/"drive") and ``urgent``
(an emergency or childbirth need).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

#: Travel time, in minutes, given to an unreachable facility before scaling.
UNREACHABLE_TRAVEL_TIME_MIN = 600.0

NUMERIC_FEATURES = [
    "log_travel_time_min",
    "log_extra_min_vs_nearest",
    "log_time_ratio_vs_nearest",
    "travel_time_order",
    "unreachable",
    "is_estimate",
    "urgent",
    "category_level",
    "urgent_x_category_level",
    "has_physician",
    "is_hospital",
    "urgent_x_is_hospital",
    "beds_log",
    "beds_unknown",
    "is_24h",
    "urgent_x_is_24h",
    "quality_flag_count",
    "needs_met_fraction",
]
CATEGORICAL_FEATURES = ["insurance_terms", "mode"]
FEATURE_COLUMNS = NUMERIC_FEATURES + CATEGORICAL_FEATURES

#: Feature groups used to explain a rank: each group is switched off together.
EXPLANATION_GROUPS = {
    "travel_time": ["log_travel_time_min", "log_extra_min_vs_nearest", "log_time_ratio_vs_nearest",
                    "travel_time_order", "unreachable", "is_estimate"],
    "category": ["category_level", "urgent_x_category_level", "has_physician", "is_hospital",
                 "urgent_x_is_hospital"],
    "size": ["beds_log", "beds_unknown"],
    "open_24h": ["is_24h", "urgent_x_is_24h"],
    "data_quality": ["quality_flag_count"],
    "needs_met": ["needs_met_fraction"],
    "insurance": ["insurance_terms"],
}

_ROMAN_BASE = {"I": 0, "II": 4, "III": 6}
#: Category level from which a physician is on the staff (I-2): NTS 021-MINSA/DGSP-V.03
#: lets an I-1 post run with other health professionals only.
PHYSICIAN_LEVEL = 2
#: Category level from which a facility is a hospital (II-1).
HOSPITAL_LEVEL = 5


def category_level(category: str | None) -> float:
    """Return the complexity level of a MINSA category, 1 (I-1) to 8 (III-2, III-E).

    Level II-E counts as II-2 and III-E as III-2, as specialised facilities of
    that level. An empty or unknown category returns 0.
    """
    if not category or "-" not in category:
        return 0.0
    roman, sublevel = category.split("-", 1)
    if roman not in _ROMAN_BASE:
        return 0.0
    if sublevel == "E":
        step = 2
    elif sublevel.isdigit():
        step = int(sublevel)
    else:
        step = 0
    return float(_ROMAN_BASE[roman] + step)


def candidate_features(candidate: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Return the feature row of one candidate in one search context."""
    minutes = candidate.get("travel_time_min")
    unreachable = minutes is None
    level = category_level(candidate.get("category"))
    urgent = float(bool(context.get("urgent")))
    is_hospital = float(level >= HOSPITAL_LEVEL)
    beds = candidate.get("beds")
    is_24h = float(bool(candidate.get("is_24h")))
    requested = candidate.get("needs_requested") or 1
    return {
        "log_travel_time_min": math.log1p(UNREACHABLE_TRAVEL_TIME_MIN if unreachable else max(minutes, 0.0)),
        "unreachable": float(unreachable),
        "is_estimate": float(candidate.get("travel_time_source") == "estimate"),
        "urgent": urgent,
        "category_level": level,
        "urgent_x_category_level": urgent * level,
        "has_physician": float(level >= PHYSICIAN_LEVEL),
        "is_hospital": is_hospital,
        "urgent_x_is_hospital": urgent * is_hospital,
        "beds_log": math.log1p(beds) if beds is not None else 0.0,
        "beds_unknown": float(beds is None),
        "is_24h": is_24h,
        "urgent_x_is_24h": urgent * is_24h,
        "quality_flag_count": float(len(candidate.get("quality_flags") or [])),
        "needs_met_fraction": min((candidate.get("needs_met") or 0) / requested, 1.0),
        "insurance_terms": candidate.get("insurance_terms") or "unknown",
        "mode": context.get("mode") or "walk",
    }


def feature_rows(candidates: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return one feature dict per candidate.

    Three features compare a candidate with the rest of its list: the extra
    minutes over the nearest candidate, the log of the ratio of the two travel
    times (each plus one minute) and the position by travel time (0 for the
    nearest, scaled to 0..1 by the list length).
    """
    rows = [candidate_features(candidate, context) for candidate in candidates]
    minutes = [row_minutes if row_minutes is not None else UNREACHABLE_TRAVEL_TIME_MIN
               for row_minutes in (candidate.get("travel_time_min") for candidate in candidates)]
    nearest = min(minutes) if minutes else 0.0
    positions = np.argsort(np.argsort(minutes, kind="stable"), kind="stable")
    scale = max(len(candidates) - 1, 1)
    for row, row_minutes, position in zip(rows, minutes, positions):
        row["log_extra_min_vs_nearest"] = math.log1p(max(row_minutes - nearest, 0.0))
        row["log_time_ratio_vs_nearest"] = math.log1p(row_minutes) - math.log1p(nearest)
        row["travel_time_order"] = float(position) / scale
    return rows


def feature_frame(candidates: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> pd.DataFrame:
    """Return one feature row per candidate, columns in ``FEATURE_COLUMNS`` order."""
    return pd.DataFrame(feature_rows(candidates, context), columns=FEATURE_COLUMNS)


def make_preprocessor() -> ColumnTransformer:
    """Build the unfitted ColumnTransformer shared by the PyTorch ranker and the baseline.

    Numbers are imputed with the median and standardised; codes are one-hot
    encoded, and a code unseen in training encodes as all zeros.
    """
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [("numeric", numeric, NUMERIC_FEATURES), ("categorical", categorical, CATEGORICAL_FEATURES)],
        verbose_feature_names_out=False,
    )


def group_columns(preprocessor: ColumnTransformer) -> dict[str, list[int]]:
    """Map each explanation group to its column indices in the transformed matrix."""
    names = list(preprocessor.get_feature_names_out())
    groups: dict[str, list[int]] = {}
    for group, features in EXPLANATION_GROUPS.items():
        groups[group] = [
            index for index, name in enumerate(names)
            if name in features or any(name.startswith(f"{feature}_") for feature in features
                                       if feature in CATEGORICAL_FEATURES)
        ]
    return groups


class CompiledPreprocessor:
    """The arithmetic of a fitted :func:`make_preprocessor` in plain numpy, for fast scoring.

    scikit-learn's per-call input checks cost milliseconds on a 200-row list,
    which is most of the scoring budget. This class copies the fitted medians,
    means, scales and categories, and gives the same matrix as
    ``preprocessor.transform(feature_frame(...))``.
    """

    def __init__(self, preprocessor: ColumnTransformer) -> None:
        numeric = preprocessor.named_transformers_["numeric"]
        imputer, scaler = numeric.steps[0][1], numeric.steps[1][1]
        self.medians = imputer.statistics_.astype(float)
        self.means = scaler.mean_.astype(float)
        self.scales = scaler.scale_.astype(float)
        encoder = preprocessor.named_transformers_["categorical"]
        self.category_columns: list[dict[Any, int]] = []
        offset = len(NUMERIC_FEATURES)
        for categories in encoder.categories_:
            self.category_columns.append({value: offset + index for index, value in enumerate(categories)})
            offset += len(categories)
        self.n_columns = offset

    def transform(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Return the ``[len(rows), n_columns]`` matrix for rows from :func:`feature_rows`."""
        numeric = np.array([[row[name] for name in NUMERIC_FEATURES] for row in rows], dtype=float)
        numeric = np.where(np.isnan(numeric), self.medians, numeric)
        matrix = np.zeros((len(rows), self.n_columns))
        matrix[:, :len(NUMERIC_FEATURES)] = (numeric - self.means) / self.scales
        for row_index, row in enumerate(rows):
            for name, columns in zip(CATEGORICAL_FEATURES, self.category_columns):
                column = columns.get(row[name])
                if column is not None:
                    matrix[row_index, column] = 1.0
        return matrix
