"""Train, compare, store and load rankers, without Django.

A session is ``{"candidates": [...], "context": {...}, "labels": [...]}``, with
candidates as described in :mod:`matcher.ranking_features`. The registry is a
folder with one sub-folder per model version::

    <registry>/<version>/scorer.pt           PyTorch weights and layer sizes
    <registry>/<version>/preprocessing.joblib fitted ColumnTransformer
    <registry>/<version>/baseline.joblib     scikit-learn baseline
    <registry>/<version>/metrics.json        held-out NDCG@5 and MRR per method
    <registry>/<version>/data_summary.json   what the model was trained on
    <registry>/current.json                  the promoted version
"""
from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor

from .eligibility import MatcherError
from .ltr import (
    Scorer,
    TrainingConfig,
    evaluate_scores,
    paired_difference_ci,
    per_list_metrics,
    score_matrix,
    train_scorer,
)
from .ranking_features import CompiledPreprocessor, feature_frame, feature_rows, group_columns, make_preprocessor

logger = logging.getLogger(__name__)

HELD_OUT_FRACTION = 0.2
METHODS = ("nearest_first", "baseline", "pytorch")


class RegistryError(MatcherError):
    """A model in the registry is missing or cannot be loaded."""


@dataclass
class Ranker:
    """A fitted preprocessing step with the PyTorch scorer and the scikit-learn baseline."""

    preprocessor: ColumnTransformer
    scorer: Scorer | None
    baseline: HistGradientBoostingRegressor | None
    version: str = "unsaved"
    metrics: dict = field(default_factory=dict)
    compiled: CompiledPreprocessor | None = None
    #: Column indices of each explanation group, computed on first use.
    groups: dict[str, list[int]] | None = None

    def explanation_groups(self) -> dict[str, list[int]]:
        """Return the columns of each explanation group (see ``group_columns``), computed once."""
        if self.groups is None:
            self.groups = group_columns(self.preprocessor)
        return self.groups

    def transform(self, candidates: list[dict], context: dict) -> np.ndarray:
        """Return the preprocessed ``[n_candidates, n_features]`` matrix."""
        if self.compiled is None:
            self.compiled = CompiledPreprocessor(self.preprocessor)
        return self.compiled.transform(feature_rows(candidates, context))

    def score(self, candidates: list[dict], context: dict, method: str = "pytorch",
              matrix: np.ndarray | None = None) -> np.ndarray:
        """Score candidates with "pytorch", "baseline" or "nearest_first" (higher is better).

        ``matrix`` is the output of :meth:`transform` when the caller already has it.
        """
        if method == "nearest_first":
            return nearest_first_scores(candidates)
        if matrix is None:
            matrix = self.transform(candidates, context)
        if method == "pytorch" and self.scorer is not None:
            return score_matrix(self.scorer, matrix)
        if method == "baseline" and self.baseline is not None:
            return self.baseline.predict(matrix)
        raise RegistryError(f"Ranker {self.version} has no {method} model; train one with manage.py train_ranker.")


def nearest_first_scores(candidates: list[dict]) -> np.ndarray:
    """Score by negative travel time; unreachable candidates score lowest."""
    return np.array([-(candidate["travel_time_min"]) if candidate.get("travel_time_min") is not None
                     else -np.inf for candidate in candidates], dtype=float)


def split_sessions(sessions: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """Split sessions into training and held-out parts, the same way for the same seed."""
    order = np.random.default_rng(seed).permutation(len(sessions))
    held_out_count = max(1, int(round(len(sessions) * HELD_OUT_FRACTION)))
    held_out = [sessions[index] for index in order[:held_out_count]]
    training = [sessions[index] for index in order[held_out_count:]]
    return training, held_out


def fit_ranker(sessions: list[dict], config: TrainingConfig) -> tuple[Ranker, dict]:
    """Fit the preprocessing, the baseline and the PyTorch scorer on training sessions.

    Returns the ranker and timings in seconds.
    """
    rows = [feature_frame(session["candidates"], session["context"]) for session in sessions]
    preprocessor = make_preprocessor()
    preprocessor.fit(pd.concat(rows, ignore_index=True))
    matrices = [preprocessor.transform(frame) for frame in rows]
    labels = [np.asarray(session["labels"], dtype=float) for session in sessions]

    started = time.perf_counter()
    baseline = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.1, random_state=config.seed)
    baseline.fit(np.concatenate(matrices), np.concatenate(labels))
    baseline_seconds = time.perf_counter() - started

    started = time.perf_counter()
    scorer = train_scorer(matrices, labels, config)
    scorer.eval()
    pytorch_seconds = time.perf_counter() - started

    timings = {"baseline_train_s": baseline_seconds, "pytorch_train_s": pytorch_seconds}
    return Ranker(preprocessor, scorer, baseline), timings


def evaluate_ranker(ranker: Ranker, sessions: list[dict], methods: tuple[str, ...] = METHODS) -> dict:
    """Return NDCG@5 and MRR of each method on ``sessions`` (normally held out)."""
    labels = [np.asarray(session["labels"]) for session in sessions]
    results = {}
    for method in methods:
        scores = [ranker.score(session["candidates"], session["context"], method) for session in sessions]
        results[method] = evaluate_scores(scores, labels)
    return results


def per_list_ndcg(ranker: Ranker, sessions: list[dict], method: str) -> np.ndarray:
    """Return the NDCG@5 of each session (with a relevant item) ordered by ``method``."""
    scores = [ranker.score(session["candidates"], session["context"], method) for session in sessions]
    return per_list_metrics(scores, [np.asarray(session["labels"]) for session in sessions])[0]


def paired_ndcg_difference(ranker: Ranker, sessions: list[dict], method: str, reference: str,
                           seed: int) -> dict:
    """NDCG@5 of ``method`` minus ``reference`` on the same lists, with a 95 % paired bootstrap interval."""
    return paired_difference_ci(per_list_ndcg(ranker, sessions, method), per_list_ndcg(ranker, sessions, reference),
                                seed)


def should_promote(candidate_metrics: dict, current_metrics: dict | None, difference: dict | None = None) -> bool:
    """Promote only when NDCG@5 and MRR both beat the current model on the same held-out lists.

    Without a current model, the new one must beat nearest-first on both.
    ``difference`` is the paired NDCG@5 difference against that reference
    (see :func:`paired_difference_ci`); when given, the lower end of its
    interval must be above zero too, so that a gain within the noise of the
    held-out lists promotes nothing.
    """
    new = candidate_metrics["pytorch"]
    reference = current_metrics if current_metrics is not None else candidate_metrics["nearest_first"]
    beats = new["ndcg_at_5"] > reference["ndcg_at_5"] and new["mrr"] > reference["mrr"]
    return beats and (difference is None or difference["low"] > 0)


def save_ranker(ranker: Ranker, registry: Path, *, metrics: dict, data_summary: dict, config: TrainingConfig) -> str:
    """Write a ranker into a new version folder and return the version name.

    The version is the training date and the first 8 hex digits of the
    SHA-256 of the scorer weights, so the same seed and data give the same digest.
    """
    state = {"state_dict": ranker.scorer.state_dict(), "n_features": ranker.scorer.n_features,
             "hidden": ranker.scorer.hidden}
    digest = hashlib.sha256(b"".join(tensor.numpy().tobytes() for tensor in state["state_dict"].values()))
    version = f"{time.strftime('%Y-%m-%d')}-{digest.hexdigest()[:8]}"
    folder = Path(registry) / version
    folder.mkdir(parents=True, exist_ok=True)

    torch.save(state, folder / "scorer.pt")
    joblib.dump(ranker.preprocessor, folder / "preprocessing.joblib")
    joblib.dump(ranker.baseline, folder / "baseline.joblib")
    _write_json(folder / "metrics.json", metrics)
    _write_json(folder / "data_summary.json", data_summary)
    _write_json(folder / "training_config.json", config.__dict__)
    logger.info("Saved ranker %s to %s", version, folder)
    return version


def promote(registry: Path, version: str) -> None:
    """Make ``version`` the ranker that searches load."""
    _write_json(Path(registry) / "current.json", {"version": version})
    logger.info("Promoted ranker %s", version)


def current_version(registry: Path) -> str | None:
    """Return the promoted version, or None when nothing was promoted."""
    pointer = Path(registry) / "current.json"
    if not pointer.exists():
        return None
    return json.loads(pointer.read_text(encoding="utf-8")).get("version")


def load_ranker(registry: Path, version: str | None = None) -> Ranker:
    """Load a version (default: the promoted one) from the registry.

    A scorer or baseline file that fails to load is left as None, so the
    caller can fall back to the other method.

    Raises
    ------
    RegistryError
        When no version is promoted or its preprocessing cannot be read.
    """
    version = version or current_version(registry)
    if version is None:
        raise RegistryError(f"No ranker is promoted in {registry}; run manage.py train_ranker.")
    folder = Path(registry) / version
    try:
        preprocessor = joblib.load(folder / "preprocessing.joblib")
    except (OSError, ValueError, EOFError) as exc:
        raise RegistryError(f"Cannot read the preprocessing of ranker {version} in {folder}: {exc}") from exc

    scorer = _load_scorer(folder / "scorer.pt", version)
    baseline = _load_baseline(folder / "baseline.joblib", version)
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    return Ranker(preprocessor, scorer, baseline, version=version, metrics=metrics)


def _load_scorer(path: Path, version: str) -> Scorer | None:
    try:
        state = torch.load(path, weights_only=True)
        scorer = Scorer(state["n_features"], state["hidden"])
        scorer.load_state_dict(state["state_dict"])
    except (OSError, RuntimeError, KeyError, EOFError, pickle.UnpicklingError) as exc:
        logger.warning("PyTorch scorer of ranker %s did not load, using the baseline: %s", version, exc)
        return None
    scorer.eval()
    return scorer


def _load_baseline(path: Path, version: str) -> HistGradientBoostingRegressor | None:
    try:
        return joblib.load(path)
    except (OSError, ValueError, EOFError) as exc:
        logger.warning("Baseline of ranker %s did not load: %s", version, exc)
        return None


def explain(ranker: Ranker, matrix: np.ndarray, rows: list[int], top: int = 2) -> dict[int, list[str]]:
    """Name the feature groups that raise each row's PyTorch score most.

    Each group's columns are set to the list's mean and the score drop is
    its contribution (occlusion). Only groups with a positive contribution
    are named, strongest first.
    """
    if ranker.scorer is None or not rows:
        return {row: [] for row in rows}
    groups = ranker.explanation_groups()
    means = matrix.mean(axis=0)
    names = list(groups)
    # One copy of each row per group, in row-major order: (row 0, group 0), (row 0, group 1), ...
    occluded = np.repeat(matrix[rows], len(names), axis=0)
    for position, name in enumerate(names):
        occluded[position::len(names), groups[name]] = means[groups[name]]
    base = score_matrix(ranker.scorer, matrix[rows])
    drops = base.repeat(len(names)) - score_matrix(ranker.scorer, occluded)
    drops = drops.reshape(len(rows), len(names))

    reasons = {}
    for position, row in enumerate(rows):
        order = np.argsort(-drops[position])
        reasons[row] = [names[index] for index in order[:top] if drops[position, index] > 1e-6]
    return reasons


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
