"""Evaluate the promoted ranker on SIMULATED held-out sessions."""
from django.core.management.base import BaseCommand, CommandError

from matcher.ltr import TrainingConfig
from matcher.ranker_registry import RegistryError, evaluate_ranker, load_ranker, split_sessions
from matcher import ranking
from matcher.training_data import DEFAULT_SESSIONS, build_sessions


class Command(BaseCommand):
    help = (
        "Print NDCG@5 and MRR of nearest-first, the scikit-learn baseline and the PyTorch ranker on the "
        "held-out part of SIMULATED sessions (same seed, same sessions as train_ranker). "
        "Example: python manage.py evaluate_ranker --model-version 2026-12-04-1a2b3c4d"
    )

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS,
                            help=f"Simulated searches to draw (default {DEFAULT_SESSIONS}).")
        parser.add_argument("--seed", type=int, default=TrainingConfig().seed, help="Seed used by train_ranker.")
        parser.add_argument("--model-version", help="Registry version to evaluate (default: the promoted one).")

    def handle(self, *args, **options):
        try:
            ranker = load_ranker(ranking.REGISTRY_DIR, options["model_version"])
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc

        sessions = build_sessions(options["sessions"], options["seed"])
        _, held_out = split_sessions(sessions, options["seed"])
        methods = ["nearest_first"] + [name for name, model in (("baseline", ranker.baseline),
                                                                 ("pytorch", ranker.scorer)) if model is not None]
        metrics = evaluate_ranker(ranker, held_out, tuple(methods))
        self.stdout.write(f"Ranker {ranker.version} on {len(held_out)} simulated held-out sessions:")
        for method, values in metrics.items():
            self.stdout.write(f"  {method}: NDCG@5 {values['ndcg_at_5']:.4f}, MRR {values['mrr']:.4f} "
                              f"({values['lists']} lists)")
