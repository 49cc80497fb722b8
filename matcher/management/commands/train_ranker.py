"""Train the result ranker on SIMULATED family choices plus any real feedback, and promote it if it wins."""
import time

from django.core.management.base import BaseCommand, CommandError

from matcher.ltr import TrainingConfig, paired_difference_ci
from matcher.ranker_registry import (
    RegistryError,
    evaluate_ranker,
    fit_ranker,
    load_ranker,
    per_list_ndcg,
    promote,
    save_ranker,
    should_promote,
    split_sessions,
)
from matcher import ranking
from matcher.simulator import SIMULATION_PARAMETERS
from matcher.training_data import DEFAULT_SESSIONS, build_sessions, feedback_sessions


class Command(BaseCommand):
    help = (
        "Train the PyTorch ranker and the scikit-learn baseline on SIMULATED family choices over the real "
        "facilities plus the result lists that families gave feedback on, evaluate them on held-out "
        "sessions, save them under data/models/ranker/ and promote the new model only if its NDCG@5 "
        "and MRR beat the current one (or nearest-first) and the 95% paired bootstrap interval of the "
        "NDCG@5 gain is above zero. "
        "Example: python manage.py train_ranker --sessions 10000 --seed 20261204"
    )

    def add_arguments(self, parser):
        defaults = TrainingConfig()
        parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS,
                            help=f"Simulated searches to draw (default {DEFAULT_SESSIONS}).")
        parser.add_argument("--seed", type=int, default=defaults.seed, help="Seed for data, split and training.")
        parser.add_argument("--epochs", type=int, default=defaults.epochs, help="Most training epochs; early stopping on a validation split "
                                 "usually ends sooner (default 60).")
        parser.add_argument("--loss", choices=["listnet", "ranknet"], default=defaults.loss,
                            help="Listwise (listnet) or pairwise (ranknet) loss.")
        parser.add_argument("--no-promote", action="store_true", help="Save the model but never promote it.")

    def handle(self, *args, **options):
        if options["sessions"] < 20:
            raise CommandError(f"--sessions {options['sessions']} is too few; use 20 or more.")
        config = TrainingConfig(seed=options["seed"], epochs=options["epochs"], loss=options["loss"])

        self.stdout.write(f"Building {options['sessions']} simulated sessions (seed {config.seed})...")
        sessions = build_sessions(options["sessions"], config.seed)
        real = feedback_sessions()
        self.stdout.write(f"  {len(real)} sessions from real family feedback")
        sessions += real
        training, held_out = split_sessions(sessions, config.seed)
        self.stdout.write(f"  {len(training)} training and {len(held_out)} held-out sessions (simulated)")

        ranker, timings = fit_ranker(training, config)
        metrics = evaluate_ranker(ranker, held_out)
        for method, values in metrics.items():
            self.stdout.write(f"  {method}: NDCG@5 {values['ndcg_at_5']:.4f}, MRR {values['mrr']:.4f}")

        current_metrics, reference_ndcg = self._current_metrics(held_out)
        if reference_ndcg is None:
            reference_ndcg = per_list_ndcg(ranker, held_out, "nearest_first")
        difference = paired_difference_ci(per_list_ndcg(ranker, held_out, "pytorch"), reference_ndcg, config.seed)
        reference_name = "nearest_first" if current_metrics is None else "current"
        self.stdout.write(f"  NDCG@5 pytorch minus {reference_name}: {difference['mean']:+.4f} "
                          f"(95% CI {difference['low']:+.4f} to {difference['high']:+.4f}, "
                          f"{difference['lists']} lists)")

        promoted = should_promote(metrics, current_metrics, difference) and not options["no_promote"]
        summary = _data_summary(sessions, training, held_out, config)
        version = save_ranker(ranker, ranking.REGISTRY_DIR, config=config, data_summary=summary,
                              metrics={**metrics, **timings, "promoted": promoted,
                                       "current_on_same_held_out": current_metrics,
                                       "ndcg_at_5_difference": {**difference, "reference": reference_name}})
        if promoted:
            promote(ranking.REGISTRY_DIR, version)
            ranking.reset_ranker_cache()
        self.stdout.write(f"Saved ranker {version}; {'promoted' if promoted else 'not promoted'}. "
                          f"Training took {timings['pytorch_train_s']:.1f} s (PyTorch) and "
                          f"{timings['baseline_train_s']:.1f} s (baseline).")

    def _current_metrics(self, held_out):
        """Return the promoted model's metrics and per-list NDCG@5 on ``held_out``, or (None, None)."""
        try:
            current = load_ranker(ranking.REGISTRY_DIR)
        except RegistryError:
            return None, None
        if current.scorer is None:
            return None, None
        self.stdout.write(f"  current ranker {current.version} on the same held-out sessions:")
        try:
            values = evaluate_ranker(current, held_out, methods=("pytorch",))["pytorch"]
        except (ValueError, KeyError, RuntimeError) as exc:
            # A model saved with other features cannot score these lists; the new one replaces it.
            self.stdout.write(f"  current ranker {current.version} cannot score the new features ({exc}); "
                              "comparing with nearest-first instead.")
            return None, None
        self.stdout.write(f"  current: NDCG@5 {values['ndcg_at_5']:.4f}, MRR {values['mrr']:.4f}")
        return values, per_list_ndcg(current, held_out, "pytorch")


def _data_summary(sessions, training, held_out, config):
    label_counts = {"0": 0, "1": 0, "2": 0}
    for session in sessions:
        for label in session["labels"]:
            label_counts[str(label)] += 1
    real = sum(1 for session in sessions if session["context"].get("data") == "feedback")
    return {
        "data": "simulated" if real == 0 else "simulated+feedback",
        "note": "Family choices are SIMULATED (matcher/simulator.py) except the sessions from real feedback; "
                "facilities and places are real.",
        "sessions": len(sessions),
        "feedback_sessions": real,
        "training_sessions": len(training),
        "held_out_sessions": len(held_out),
        "candidates": sum(len(session["candidates"]) for session in sessions),
        "label_counts": label_counts,
        "seed": config.seed,
        "simulation_parameters": SIMULATION_PARAMETERS,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
