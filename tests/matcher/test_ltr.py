"""Ranking losses and metrics on hand-computed tensors, features, and deterministic training."""
import math

import numpy as np
import pytest
import torch

from matcher.ltr import (
    TrainingConfig,
    evaluate_scores,
    listnet_loss,
    ndcg_at_k,
    pad_lists,
    ranknet_loss,
    reciprocal_rank,
    train_scorer,
)
from matcher.ranker_registry import evaluate_ranker, fit_ranker, split_sessions
from matcher.ranking_features import category_level, feature_frame
from matcher.simulator import simulate_choice, utility

# -(0.7311 ln 0.7311 + 0.2689 ln 0.2689): softmax([1, 0]) against itself.
LISTNET_TWO_ITEMS = 0.5822


def test_listnet_loss_hand_computed():
    scores = torch.tensor([[1.0, 0.0]])
    relevance = torch.tensor([[1.0, 0.0]])
    mask = torch.tensor([[True, True]])

    assert listnet_loss(scores, relevance, mask).item() == pytest.approx(LISTNET_TWO_ITEMS, abs=1e-4)


def test_listnet_loss_ignores_padding():
    scores = torch.tensor([[1.0, 0.0, 5.0]])
    relevance = torch.tensor([[1.0, 0.0, 2.0]])
    mask = torch.tensor([[True, True, False]])

    assert listnet_loss(scores, relevance, mask).item() == pytest.approx(LISTNET_TWO_ITEMS, abs=1e-4)


def test_listnet_loss_skips_lists_without_relevance():
    scores = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    relevance = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    mask = torch.ones(2, 2, dtype=torch.bool)

    assert listnet_loss(scores, relevance, mask).item() == pytest.approx(LISTNET_TWO_ITEMS, abs=1e-4)


def test_ranknet_loss_hand_computed():
    relevance = torch.tensor([[1.0, 0.0]])
    mask = torch.tensor([[True, True]])

    right_order = ranknet_loss(torch.tensor([[2.0, 0.0]]), relevance, mask).item()
    wrong_order = ranknet_loss(torch.tensor([[0.0, 2.0]]), relevance, mask).item()

    assert right_order == pytest.approx(math.log1p(math.exp(-2.0)), abs=1e-5)
    assert wrong_order == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-5)


def test_ndcg_hand_computed():
    # DCG = 3/log2(3) + 1/log2(4) = 2.3928; ideal = 3/1 + 1/log2(3) = 3.6309.
    assert ndcg_at_k(np.array([0, 2, 1]), k=5) == pytest.approx(0.6590, abs=1e-4)
    assert ndcg_at_k(np.array([2, 1, 0]), k=5) == pytest.approx(1.0)
    assert ndcg_at_k(np.array([0, 0, 0]), k=5) == 0.0


def test_ndcg_cuts_at_k():
    assert ndcg_at_k(np.array([0, 0, 1]), k=2) == 0.0


def test_reciprocal_rank():
    assert reciprocal_rank(np.array([0, 0, 1])) == pytest.approx(1 / 3)
    assert reciprocal_rank(np.array([2, 0])) == 1.0
    assert reciprocal_rank(np.array([0, 0])) == 0.0


def test_evaluate_scores_keeps_ties_in_order():
    metrics = evaluate_scores([np.array([1.0, 1.0, 0.0])], [np.array([0, 1, 0])])

    assert metrics["mrr"] == pytest.approx(0.5)
    assert metrics["lists"] == 1


@pytest.mark.parametrize(("category", "level"), [
    ("I-1", 1), ("I-4", 4), ("II-1", 5), ("II-2", 6), ("II-E", 6), ("III-1", 7), ("III-E", 8), ("", 0), ("X-1", 0),
])
def test_category_level(category, level):
    assert category_level(category) == level


def make_candidate(rng, index):
    """A made-up candidate for unit tests (not real facility data)."""
    return {
        "renaes_code": f"{index:08d}",
        "travel_time_min": float(rng.uniform(2, 90)),
        "travel_time_source": "estimate",
        "distance_km": 1.0,
        "category": str(rng.choice(["I-1", "I-2", "I-3", "I-4", "II-1", "III-1"])),
        "institution": str(rng.choice(["minsa", "gobierno_regional", "essalud"])),
        "insurance_terms": str(rng.choice(["covered", "affiliation", "emergency_only"])),
        "is_24h": bool(rng.random() < 0.3),
        "beds": None if rng.random() < 0.5 else int(rng.integers(0, 200)),
        "quality_flags": [],
        "needs_met": 1,
        "needs_requested": 1,
    }


def make_sessions(n_sessions, seed):
    rng = np.random.default_rng(seed)
    sessions = []
    for _ in range(n_sessions):
        candidates = [make_candidate(rng, index) for index in range(int(rng.integers(3, 12)))]
        context = {"mode": "walk", "urgent": bool(rng.random() < 0.3), "insurance": "sis"}
        sessions.append({"candidates": candidates, "context": context,
                         "labels": simulate_choice(candidates, context, rng).tolist()})
    return sessions


def test_feature_frame_compares_within_list():
    rng = np.random.default_rng(1)
    candidates = [make_candidate(rng, index) for index in range(3)]
    candidates[1]["travel_time_min"] = None

    frame = feature_frame(candidates, {"mode": "walk", "urgent": False})

    nearest = int(np.argmin([candidates[0]["travel_time_min"], candidates[2]["travel_time_min"]])) * 2
    assert frame.loc[nearest, "log_extra_min_vs_nearest"] == 0.0
    assert frame.loc[nearest, "travel_time_order"] == 0.0
    assert frame.loc[1, "unreachable"] == 1.0
    assert frame.loc[1, "travel_time_order"] == 1.0


def test_simulated_choice_never_picks_unreachable():
    rng = np.random.default_rng(7)
    candidates = [make_candidate(rng, index) for index in range(4)]
    for candidate in candidates[1:]:
        candidate["travel_time_min"] = None

    labels = simulate_choice(candidates, {"mode": "walk"}, rng)

    assert labels[0] > 0
    assert labels[1:].tolist() == [0, 0, 0]
    assert utility(candidates[1], {"mode": "walk"}) == -math.inf


def test_training_is_deterministic_with_seed():
    sessions = make_sessions(30, seed=3)
    config = TrainingConfig(seed=11, epochs=3, batch_lists=8)

    first, _ = fit_ranker(sessions, config)
    second, _ = fit_ranker(sessions, config)
    other_seed, _ = fit_ranker(sessions, TrainingConfig(seed=12, epochs=3, batch_lists=8))

    first_weights = list(first.scorer.state_dict().values())
    second_weights = list(second.scorer.state_dict().values())
    assert all(torch.equal(a, b) for a, b in zip(first_weights, second_weights))
    assert not all(torch.equal(a, b) for a, b in zip(first_weights, other_seed.scorer.state_dict().values()))


def test_training_lowers_listnet_loss():
    sessions = make_sessions(40, seed=5)
    ranker, _ = fit_ranker(sessions, TrainingConfig(seed=1, epochs=15, batch_lists=8))
    matrices = [ranker.transform(session["candidates"], session["context"]) for session in sessions]
    untrained = train_scorer(matrices, [np.asarray(session["labels"]) for session in sessions],
                             TrainingConfig(seed=1, epochs=0))

    features, relevance, mask = pad_lists(matrices, [np.asarray(session["labels"]) for session in sessions])
    with torch.no_grad():
        trained_loss = listnet_loss(ranker.scorer(features), relevance, mask).item()
        untrained_loss = listnet_loss(untrained(features), relevance, mask).item()
    assert trained_loss < untrained_loss


def test_early_stopping_keeps_best_epoch(caplog):
    sessions = make_sessions(120, seed=8)
    ranker, _ = fit_ranker(sessions, TrainingConfig(seed=2, epochs=200, batch_lists=16, patience=3))

    messages = [record.getMessage() for record in caplog.records if "kept epoch" in record.getMessage()]
    assert len(messages) == 1
    ran = int(messages[0].split("ran ")[1].split(" ")[0])
    kept = int(messages[0].split("kept epoch ")[1].split(" ")[0])
    assert ran < 200  # stopped early
    assert ran - kept == 3  # exactly ``patience`` epochs after the best one
    assert kept >= 1


def test_training_restores_thread_count():
    before = torch.get_num_threads()

    fit_ranker(make_sessions(20, seed=4), TrainingConfig(seed=1, epochs=2, batch_lists=8, threads=1))

    assert torch.get_num_threads() == before


def test_urgent_lists_prefer_hospitals_in_simulator():
    near_post = {"travel_time_min": 20.0, "category": "I-2", "is_24h": False, "insurance_terms": "covered",
                 "needs_met": 1, "needs_requested": 1}
    farther_hospital = {**near_post, "travel_time_min": 35.0, "category": "II-1", "is_24h": True}

    urgent = {"mode": "walk", "urgent": True}
    routine = {"mode": "walk", "urgent": False}
    assert utility(farther_hospital, urgent) > utility(near_post, urgent)
    assert utility(farther_hospital, routine) < utility(near_post, routine)


def test_ranker_learns_beyond_travel_time():
    # In these made-up lists insurance terms and 24-hour opening vary between candidates, so the
    # simulated choice depends on more than travel time and nearest-first is not the best order.
    training, held_out = split_sessions(make_sessions(300, seed=21), seed=5)

    ranker, _ = fit_ranker(training, TrainingConfig(seed=1, epochs=30, batch_lists=16))
    metrics = evaluate_ranker(ranker, held_out)

    assert metrics["pytorch"]["ndcg_at_5"] > metrics["nearest_first"]["ndcg_at_5"] + 0.03
    assert metrics["pytorch"]["mrr"] > metrics["nearest_first"]["mrr"] + 0.03
