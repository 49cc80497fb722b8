"""train_ranker and evaluate_ranker on simulated sessions over the real facilities in PostGIS."""
import json

import pytest
from django.core.management import CommandError, call_command

from matcher import ranking
from matcher.models import Feedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setattr(ranking, "REGISTRY_DIR", tmp_path)
    ranking.reset_ranker_cache()
    yield tmp_path
    ranking.reset_ranker_cache()


@pytest.mark.parametrize("command", ["load_programs", "train_ranker", "evaluate_ranker"])
def test_command_help_has_example(command, capsys):
    with pytest.raises(SystemExit):
        call_command(command, "--help")

    assert "Example: python manage.py" in capsys.readouterr().out


def test_evaluate_without_model_names_the_fix(registry):
    with pytest.raises(CommandError, match="run manage.py train_ranker"):
        call_command("evaluate_ranker")


def test_too_few_sessions_rejected(registry):
    with pytest.raises(CommandError, match="--sessions 5 is too few"):
        call_command("train_ranker", sessions=5)


def test_train_ranker_saves_simulated_model(registry, capsys):
    # Browser tests may have committed feedback; without it, every session is simulated.
    Feedback.objects.all().delete()
    call_command("train_ranker", sessions=40, epochs=2, no_promote=True)

    versions = [path for path in registry.iterdir() if path.is_dir()]
    assert len(versions) == 1
    summary = json.loads((versions[0] / "data_summary.json").read_text())
    metrics = json.loads((versions[0] / "metrics.json").read_text())
    assert summary["data"] == "simulated"
    assert summary["held_out_sessions"] >= 1
    assert set(metrics) >= {"nearest_first", "baseline", "pytorch", "promoted"}
    assert metrics["promoted"] is False
    assert not (registry / "current.json").exists()
    assert "not promoted" in capsys.readouterr().out


def test_same_seed_gives_same_model(registry):
    call_command("train_ranker", sessions=40, epochs=2, no_promote=True, verbosity=0)
    call_command("train_ranker", sessions=40, epochs=2, no_promote=True, verbosity=0)

    versions = [path.name for path in registry.iterdir() if path.is_dir()]
    assert len(versions) == 1  # the version name carries the digest of the weights


def test_evaluate_named_version(registry, capsys):
    call_command("train_ranker", sessions=40, epochs=2, no_promote=True, verbosity=0)
    version = next(path.name for path in registry.iterdir() if path.is_dir())
    capsys.readouterr()

    call_command("evaluate_ranker", sessions=40, model_version=version)

    output = capsys.readouterr().out
    assert f"Ranker {version} on" in output
    for method in ("nearest_first", "baseline", "pytorch"):
        assert f"  {method}: NDCG@5" in output
