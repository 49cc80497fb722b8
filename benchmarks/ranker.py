"""Ranker benchmark: held-out quality, training time and inference time.

Builds SIMULATED search sessions over the real facilities (see
matcher/training_data.py), trains the scikit-learn baseline and the PyTorch
ranker with a fixed seed, and measures on the held-out sessions NDCG@5 and
MRR of nearest-first, the baseline and the PyTorch ranker. It then times
scoring 200 candidates (the PyTorch model alone, and ``matcher.ranking.rank``
with its "why it is here" explanations). It does not touch the model
registry. Results go to the "Ranker" section of ``docs/benchmarks.md`` and to
``benchmarks/results/ranker.json``.

Usage::

    .venv/bin/python benchmarks/ranker.py --sessions 800

Needs the loaded dev database (``make run`` or ``manage.py load_data``).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import load  # noqa: E402  (sibling benchmark module: report helpers)

RESULT_PATH = load.BASE_DIR / "benchmarks" / "results" / "ranker.json"
INFERENCE_CANDIDATES = 200
INFERENCE_REPEATS = 200
TARGET_INFERENCE_MS = 5.0


def time_ms(function, repeats: int) -> float:
    """Return the median wall time of ``function()`` in milliseconds."""
    function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def inference_candidates(sessions: list[dict]) -> tuple[list[dict], dict]:
    """Return 200 real-facility candidates gathered from several sessions, with one context."""
    candidates = []
    for session in sessions:
        candidates.extend(session["candidates"])
        if len(candidates) >= INFERENCE_CANDIDATES:
            break
    return candidates[:INFERENCE_CANDIDATES], sessions[0]["context"]


def render(result: dict) -> str:
    metrics = result["metrics"]
    rows = "\n".join(
        f"| {method} | {metrics[method]['ndcg_at_5']:.4f} | {metrics[method]['mrr']:.4f} |"
        for method in ("nearest_first", "baseline", "pytorch", "simulator_utility")
    )
    inference = result["inference_ms"]
    met = "met" if inference["pytorch_score"] < TARGET_INFERENCE_MS else "NOT met"
    beats = all(metrics["pytorch"][name] > metrics["nearest_first"][name] for name in ("ndcg_at_5", "mrr"))
    verdict = ("The PyTorch ranker beats nearest-first on both metrics, so train_ranker would promote it."
               if beats else
               "The PyTorch ranker does not beat nearest-first on both metrics, so train_ranker does not "
               "promote it and searches keep ranking nearest first. Nearest-first is within "
               f"{metrics['simulator_utility']['ndcg_at_5'] - metrics['nearest_first']['ndcg_at_5']:.4f} "
               "NDCG@5 of the ceiling, because in these simulated choices travel time outweighs the other "
               "factors for most candidate lists.")
    return f"""
Measured by `benchmarks/ranker.py` on {result['date']}: {result['machine']}, while other test runs shared
the machine. The family choices are SIMULATED (`matcher/simulator.py`) over real facilities and real
populated places, so these figures compare methods on the simulator's behaviour, not on real families.
{result['sessions']} sessions ({result['held_out_sessions']} held out), seed {result['seed']}.

| method | NDCG@5 (held out) | MRR (held out) |
|---|---|---|
{rows}

`simulator_utility` orders each list by the simulator's own noise-free utility: it is the ceiling that any
ranker can reach on these logs, not a method the search can use. {verdict}

Training time: {result['training_s']['pytorch']:.1f} s (PyTorch, {result['epochs']} epochs), \
{result['training_s']['baseline']:.1f} s (scikit-learn baseline).
Inference for {INFERENCE_CANDIDATES} candidates, median of {INFERENCE_REPEATS} runs:
{inference['pytorch_score']:.2f} ms for preprocessing and PyTorch scoring (1 PyTorch thread), {inference['rank_with_why']:.2f} ms for
`matcher.ranking.rank` with explanations of the top 10. Target (scoring under {TARGET_INFERENCE_MS:.0f} ms): {met}.
Raw numbers: `benchmarks/results/ranker.json`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=800, help="Simulated searches to draw (default 800).")
    parser.add_argument("--epochs", type=int, default=60, help="PyTorch training epochs (default 60).")
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")
    import django

    django.setup()
    from matcher import ranking
    from matcher.ltr import TrainingConfig, evaluate_scores
    from matcher.ranker_registry import evaluate_ranker, fit_ranker, split_sessions
    from matcher.simulator import utility
    from matcher.training_data import build_sessions

    config = TrainingConfig(epochs=arguments.epochs)
    sessions = build_sessions(arguments.sessions, config.seed)
    training, held_out = split_sessions(sessions, config.seed)
    ranker, timings = fit_ranker(training, config)
    metrics = evaluate_ranker(ranker, held_out)
    # Ordering by the simulator's own utility (without its noise) is the ceiling any ranker can reach here.
    metrics["simulator_utility"] = evaluate_scores(
        [np.array([utility(candidate, session["context"]) for candidate in session["candidates"]])
         for session in held_out],
        [np.asarray(session["labels"]) for session in held_out],
    )

    candidates, context = inference_candidates(sessions)
    # Score as a search does: the ranker in the cache, PyTorch threads set by matcher.ranking.
    ranking.configure_inference()
    ranking._cache["ranker"] = ranker
    inference = {
        "pytorch_score": time_ms(lambda: ranker.score(candidates, context), INFERENCE_REPEATS),
        "rank_with_why": time_ms(lambda: ranking.rank(candidates, context), INFERENCE_REPEATS),
    }
    ranking.reset_ranker_cache()

    result = {
        "date": datetime.date.today().isoformat(),
        "machine": load.machine_description(),
        "data": "simulated",
        "sessions": len(sessions),
        "held_out_sessions": len(held_out),
        "seed": config.seed,
        "epochs": config.epochs,
        "metrics": metrics,
        "training_s": {"pytorch": timings["pytorch_train_s"], "baseline": timings["baseline_train_s"]},
        "inference_ms": inference,
        "inference_candidates": len(candidates),
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps({**result, **{method: metrics[method] for method in metrics}}, indent=2) + "\n")
    load.write_section("Ranker", render(result))
    print(render(result))


if __name__ == "__main__":
    main()
