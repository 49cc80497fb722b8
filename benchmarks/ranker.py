"""Ranker benchmark: held-out quality, training time and inference time.

Builds SIMULATED search sessions over the real facilities (see
matcher/training_data.py), trains the scikit-learn baseline and the PyTorch
ranker with a fixed seed, and measures on the held-out sessions NDCG@5 and
MRR of nearest-first, the baseline and the PyTorch ranker, with paired
bootstrap intervals of the NDCG@5 differences, and describes the simulated
lists (how often the choice is the nearest, how much of the utility is
travel time). It then times
scoring 200 candidates (the PyTorch model alone, and ``matcher.ranking.rank``
with its "why it is here" explanations). It does not touch the model
registry. Results go to the "Ranker" section of ``docs/benchmarks.md`` and to
``benchmarks/results/ranker.json``.

Usage::

    .venv/bin/python benchmarks/ranker.py --sessions 10000

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


def describe_sessions(sessions: list[dict]) -> dict:
    """Return what decides the simulated choices: list sizes, how often the nearest is chosen, utility spread."""
    from matcher.simulator import SIMULATION_PARAMETERS, utility

    parameters = SIMULATION_PARAMETERS
    chosen_nearest, time_spread, other_spread = [], [], []
    for session in sessions:
        minutes = np.array([candidate["travel_time_min"] for candidate in session["candidates"]], dtype=float)
        chosen_nearest.append(int(np.argmax(session["labels"])) == int(np.argmin(minutes)))
        utilities = np.array([utility(candidate, session["context"]) for candidate in session["candidates"]])
        time_term = -parameters["time_weight"] * np.log1p(minutes / parameters["time_reference_min"])
        time_spread.append(time_term.std())
        other_spread.append((utilities - time_term).std())
    return {
        "mean_candidates": float(np.mean([len(session["candidates"]) for session in sessions])),
        "urgent_share": float(np.mean([bool(session["context"]["urgent"]) for session in sessions])),
        "chosen_is_nearest_share": float(np.mean(chosen_nearest)),
        "within_list_sd_time_term": float(np.mean(time_spread)),
        "within_list_sd_other_terms": float(np.mean(other_spread)),
        # The standard deviation of a Gumbel variable of scale s is s * pi / sqrt(6).
        "noise_sd": float(parameters["noise_scale"] * np.pi / np.sqrt(6)),
    }


def subgroup_metrics(ranker, held_out: list[dict], urgent: bool) -> dict:
    """NDCG@5 of nearest-first, PyTorch and the simulator's utility on urgent or non-urgent held-out lists."""
    from matcher.ltr import evaluate_scores
    from matcher.ranker_registry import evaluate_ranker
    from matcher.simulator import utility

    group = [session for session in held_out if bool(session["context"]["urgent"]) is urgent]
    metrics = evaluate_ranker(ranker, group, ("nearest_first", "pytorch"))
    metrics["simulator_utility"] = evaluate_scores(
        [np.array([utility(candidate, session["context"]) for candidate in session["candidates"]])
         for session in group],
        [np.asarray(session["labels"]) for session in group],
    )
    return {method: round(values["ndcg_at_5"], 4) for method, values in metrics.items()} | {"lists": len(group)}


def render(result: dict) -> str:
    metrics = result["metrics"]
    rows = "\n".join(
        f"| {method} | {metrics[method]['ndcg_at_5']:.4f} | {metrics[method]['mrr']:.4f} |"
        for method in ("nearest_first", "baseline", "pytorch", "simulator_utility")
    )
    differences = "\n".join(
        f"| {name.replace('_minus_', ' minus ')} | {values['mean']:+.4f} | {values['low']:+.4f} to "
        f"{values['high']:+.4f} |"
        for name, values in result["ndcg_at_5_differences"].items()
    )
    groups = "\n".join(
        f"| {name} | {values['lists']} | {values['nearest_first']:.4f} | {values['pytorch']:.4f} | "
        f"{values['simulator_utility']:.4f} |"
        for name, values in result["by_urgency"].items()
    )
    lists = result["simulated_lists"]
    room = {name: values["simulator_utility"] - values["nearest_first"] for name, values in result["by_urgency"].items()}
    inference = result["inference_ms"]
    met = "met" if inference["pytorch_score"] < TARGET_INFERENCE_MS else "NOT met"
    gain = result["ndcg_at_5_differences"]["pytorch_minus_nearest_first"]
    beats = (all(metrics["pytorch"][name] > metrics["nearest_first"][name] for name in ("ndcg_at_5", "mrr"))
             and gain["low"] > 0)
    verdict = ("The PyTorch ranker beats nearest-first on both metrics and the interval of its NDCG@5 gain is "
               "above zero, so train_ranker would promote it over nearest-first."
               if beats else
               "The PyTorch ranker does not beat nearest-first by more than the noise, so train_ranker does "
               "not promote it over nearest-first.")
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

Paired differences of NDCG@5 on the same held-out lists, with 95 % BCa bootstrap intervals
(`scipy.stats.bootstrap`, {gain['resamples']} resamples):

| difference | mean | 95 % interval |
|---|---|---|
{differences}

NDCG@5 by urgency of the need (urgent: emergency or childbirth):

| lists | count | nearest_first | pytorch | simulator_utility |
|---|---|---|---|---|
{groups}

The simulated lists have {lists['mean_candidates']:.1f} candidates on average and {lists['urgent_share']:.0%} \
are urgent. The simulated family chose the nearest candidate in {lists['chosen_is_nearest_share']:.0%} of the \
lists. Within a list, the travel-time term of the utility has a standard deviation of \
{lists['within_list_sd_time_term']:.2f}, the other terms {lists['within_list_sd_other_terms']:.2f}, and the \
choice noise {lists['noise_sd']:.2f}. The simulator's own utility gains {room['urgent']:+.4f} NDCG@5 over \
nearest-first on urgent lists and {room['not urgent']:+.4f} on the others: that is the room a ranker has.

Training time: {result['training_s']['pytorch']:.1f} s (PyTorch, at most {result['epochs']} epochs with early \
stopping, 1 thread), {result['training_s']['baseline']:.1f} s (scikit-learn baseline); building the \
sessions took {result['training_s']['build_sessions']:.0f} s.
Inference for {INFERENCE_CANDIDATES} candidates, median of {INFERENCE_REPEATS} runs:
{inference['pytorch_score']:.2f} ms for preprocessing and PyTorch scoring (1 PyTorch thread), \
{inference['rank_with_why']:.2f} ms for `matcher.ranking.rank` with explanations of the top 10. Target \
(scoring under {TARGET_INFERENCE_MS:.0f} ms): {met}.
Raw numbers: `benchmarks/results/ranker.json`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000, help="Simulated searches to draw (default 10000).")
    parser.add_argument("--epochs", type=int, default=60, help="Most PyTorch training epochs (default 60).")
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")
    import django

    django.setup()
    from matcher import ranking
    from matcher.ltr import TrainingConfig, evaluate_scores
    from matcher.ranker_registry import evaluate_ranker, fit_ranker, paired_ndcg_difference, split_sessions
    from matcher.simulator import SIMULATION_PARAMETERS, utility
    from matcher.training_data import build_sessions

    config = TrainingConfig(epochs=arguments.epochs)
    started = time.perf_counter()
    sessions = build_sessions(arguments.sessions, config.seed)
    build_seconds = time.perf_counter() - started
    training, held_out = split_sessions(sessions, config.seed)
    ranker, timings = fit_ranker(training, config)
    metrics = evaluate_ranker(ranker, held_out)
    # Ordering by the simulator's own utility (without its noise) is the ceiling any ranker can reach here.
    metrics["simulator_utility"] = evaluate_scores(
        [np.array([utility(candidate, session["context"]) for candidate in session["candidates"]])
         for session in held_out],
        [np.asarray(session["labels"]) for session in held_out],
    )
    differences = {
        f"pytorch_minus_{reference}": paired_ndcg_difference(ranker, held_out, "pytorch", reference, config.seed)
        for reference in ("nearest_first", "baseline")
    }
    differences["baseline_minus_nearest_first"] = paired_ndcg_difference(
        ranker, held_out, "baseline", "nearest_first", config.seed)

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
        "ndcg_at_5_differences": differences,
        "by_urgency": {"urgent": subgroup_metrics(ranker, held_out, True),
                       "not urgent": subgroup_metrics(ranker, held_out, False)},
        "simulated_lists": describe_sessions(sessions),
        "simulation_parameters": SIMULATION_PARAMETERS,
        "training_s": {"pytorch": timings["pytorch_train_s"], "baseline": timings["baseline_train_s"],
                       "build_sessions": build_seconds},
        "inference_ms": inference,
        "inference_candidates": len(candidates),
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps({**result, **{method: metrics[method] for method in metrics}}, indent=2) + "\n")
    load.write_section("Ranker", render(result))
    print(render(result))


if __name__ == "__main__":
    main()
