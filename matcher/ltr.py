"""Learning to rank with PyTorch: a small scoring network, listwise and pairwise losses, metrics.

Lists of different lengths are padded to one length ``L`` and carry a
boolean ``mask`` that is True for real candidates. Relevance labels are
graded: 0 (ignored), 1 (opened or called), 2 (routed to or attended).
"""
from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

logger = logging.getLogger(__name__)

#: Score given to padding so that it never wins a softmax.
PAD_SCORE = -1e9


class Scorer(nn.Module):
    """A multilayer perceptron that scores each candidate from its feature vector."""

    def __init__(self, n_features: int, hidden: int = 32) -> None:
        super().__init__()
        self.n_features = n_features
        self.hidden = hidden
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden // 2), nn.ReLU(),
            nn.Linear(hidden // 2, 1),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Score candidates: features ``[..., n_features]`` to scores ``[...]``."""
        return self.net(features).squeeze(-1)


def listnet_loss(scores: torch.Tensor, relevance: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """ListNet top-one cross-entropy, averaged over lists.

    Parameters
    ----------
    scores, relevance, mask
        Tensors of shape ``[B, L]``; padded positions have ``mask`` False.
        A list whose relevance is all zero contributes nothing.

    Returns
    -------
    torch.Tensor
        Scalar loss: ``-sum(softmax(relevance) * log_softmax(scores))`` per list.
    """
    scores = scores.masked_fill(~mask, PAD_SCORE)
    target_logits = relevance.float().masked_fill(~mask, PAD_SCORE)
    target = torch.softmax(target_logits, dim=-1)
    per_list = -(target * torch.log_softmax(scores, dim=-1)).sum(dim=-1)
    has_signal = ((relevance > 0) & mask).any(dim=-1)
    if not has_signal.any():
        return scores.sum() * 0.0
    return per_list[has_signal].mean()


def ranknet_loss(scores: torch.Tensor, relevance: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """RankNet pairwise logistic loss, averaged over ordered pairs.

    Every pair ``(i, j)`` in a list with ``relevance[i] > relevance[j]`` adds
    ``log(1 + exp(-(s_i - s_j)))``. Shapes as in :func:`listnet_loss`.
    """
    difference = scores.unsqueeze(-1) - scores.unsqueeze(-2)
    preferred = relevance.unsqueeze(-1) > relevance.unsqueeze(-2)
    valid = preferred & mask.unsqueeze(-1) & mask.unsqueeze(-2)
    if not valid.any():
        return scores.sum() * 0.0
    return nn.functional.softplus(-difference[valid]).mean()


def dcg_at_k(relevance_in_rank_order: np.ndarray, k: int) -> float:
    """Discounted cumulative gain with gain ``2^rel - 1`` and discount ``log2(rank + 1)``."""
    relevance = np.asarray(relevance_in_rank_order, dtype=float)[:k]
    discounts = np.log2(np.arange(2, relevance.size + 2))
    return float(((2.0 ** relevance - 1.0) / discounts).sum())


def ndcg_at_k(relevance_in_rank_order: np.ndarray, k: int = 5) -> float:
    """NDCG@k of one ranked list; 0.0 when the list has no relevant item."""
    ideal = dcg_at_k(np.sort(np.asarray(relevance_in_rank_order, dtype=float))[::-1], k)
    return dcg_at_k(relevance_in_rank_order, k) / ideal if ideal > 0 else 0.0


def reciprocal_rank(relevance_in_rank_order: np.ndarray) -> float:
    """Return one over the position of the first relevant item (0.0 when there is none)."""
    hits = np.flatnonzero(np.asarray(relevance_in_rank_order) > 0)
    return 1.0 / (hits[0] + 1) if hits.size else 0.0


def per_list_metrics(score_lists: list[np.ndarray], relevance_lists: list[np.ndarray],
                     k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Return the NDCG@k and reciprocal rank of each list ordered by descending score.

    Ties keep the input order (a stable sort), so nearest-first ties stay in
    travel-time order. Lists without any relevant item are left out.
    """
    ndcgs, reciprocal_ranks = [], []
    for scores, relevance in zip(score_lists, relevance_lists):
        relevance = np.asarray(relevance)
        if not (relevance > 0).any():
            continue
        order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
        ndcgs.append(ndcg_at_k(relevance[order], k))
        reciprocal_ranks.append(reciprocal_rank(relevance[order]))
    return np.asarray(ndcgs, dtype=float), np.asarray(reciprocal_ranks, dtype=float)


def evaluate_scores(score_lists: list[np.ndarray], relevance_lists: list[np.ndarray], k: int = 5) -> dict:
    """Mean NDCG@k and MRR of lists ordered by descending score (see :func:`per_list_metrics`)."""
    ndcgs, reciprocal_ranks = per_list_metrics(score_lists, relevance_lists, k)
    return {f"ndcg_at_{k}": float(ndcgs.mean()) if ndcgs.size else 0.0,
            "mrr": float(reciprocal_ranks.mean()) if reciprocal_ranks.size else 0.0,
            "lists": int(ndcgs.size)}


def paired_difference_ci(first: np.ndarray, second: np.ndarray, seed: int,
                         confidence: float = 0.95, resamples: int = 2000) -> dict:
    """Mean of ``first - second`` over the same lists, with a paired bootstrap interval.

    Uses ``scipy.stats.bootstrap`` (BCa) on the per-list differences, so the
    interval accounts for the pairing. Returns ``mean``, ``low``, ``high``,
    ``confidence``, ``lists`` and ``resamples``.
    """
    differences = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    result = stats.bootstrap((differences,), np.mean, confidence_level=confidence, n_resamples=resamples,
                             method="BCa", rng=np.random.default_rng(seed))
    interval = result.confidence_interval
    return {"mean": float(differences.mean()), "low": float(interval.low), "high": float(interval.high),
            "confidence": confidence, "lists": int(differences.size), "resamples": resamples}


def pad_lists(matrices: list[np.ndarray], labels: list[np.ndarray]) -> tuple[torch.Tensor, ...]:
    """Stack lists of candidates into padded tensors.

    Returns ``features [B, L, F]``, ``relevance [B, L]`` and ``mask [B, L]``.
    """
    length = max(matrix.shape[0] for matrix in matrices)
    n_features = matrices[0].shape[1]
    features = torch.zeros(len(matrices), length, n_features)
    relevance = torch.zeros(len(matrices), length)
    mask = torch.zeros(len(matrices), length, dtype=torch.bool)
    for index, (matrix, label) in enumerate(zip(matrices, labels)):
        size = matrix.shape[0]
        features[index, :size] = torch.as_tensor(matrix, dtype=torch.float32)
        relevance[index, :size] = torch.as_tensor(label, dtype=torch.float32)
        mask[index, :size] = True
    return features, relevance, mask


@dataclass
class TrainingConfig:
    """Settings of :func:`train_scorer`; the defaults are the ones the registry models use."""

    seed: int = 20261204
    #: Most passes over the training lists; early stopping usually ends sooner.
    epochs: int = 60
    batch_lists: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    hidden: int = 32
    loss: str = "listnet"
    #: Share of the training lists kept aside to pick the epoch (0 turns early stopping off).
    validation_fraction: float = 0.15
    #: Epochs without a better validation NDCG@5 before training stops.
    patience: int = 8
    #: PyTorch threads while training. A batch of 64 lists of 20 candidates gains nothing
    #: from parallel kernels, and one thread keeps the run reproducible and the other core free.
    threads: int = 1


def train_scorer(matrices: list[np.ndarray], labels: list[np.ndarray], config: TrainingConfig) -> Scorer:
    """Train a Scorer on preprocessed lists with Adam, deterministically for a seed.

    A seeded ``validation_fraction`` of the lists is held back. After each
    epoch the model is scored on it, and the weights of the epoch with the
    best validation NDCG@5 are kept. Training stops after ``patience`` epochs
    without improvement, or after ``epochs`` epochs.

    Parameters
    ----------
    matrices
        One ``[n_candidates, n_features]`` array per search, already transformed.
    labels
        One relevance array per search.
    config
        Seed, epochs, batch size, learning rate, loss ("listnet" or "ranknet")
        and early-stopping settings.
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _train(matrices, labels, config)
    finally:
        torch.set_num_threads(previous_threads)


def _train(matrices: list[np.ndarray], labels: list[np.ndarray], config: TrainingConfig) -> Scorer:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    features, relevance, mask = pad_lists(matrices, labels)
    training, validation = _validation_split(features.shape[0], config, generator)
    model = Scorer(features.shape[-1], config.hidden)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_function = {"listnet": listnet_loss, "ranknet": ranknet_loss}[config.loss]

    started = time.perf_counter()
    best_ndcg, best_state, best_epoch = -1.0, copy.deepcopy(model.state_dict()), 0
    epochs_run = 0
    for epoch in range(config.epochs):
        epochs_run = epoch + 1
        model.train()
        order = training[torch.randperm(len(training), generator=generator)]
        for start in range(0, len(order), config.batch_lists):
            batch = order[start:start + config.batch_lists]
            optimiser.zero_grad()
            loss = loss_function(model(features[batch]), relevance[batch], mask[batch])
            loss.backward()
            optimiser.step()
        if validation is None:
            best_state, best_epoch = copy.deepcopy(model.state_dict()), epoch + 1
            continue
        ndcg = _padded_ndcg(model, features[validation], relevance[validation], mask[validation])
        if ndcg > best_ndcg:
            best_ndcg, best_state, best_epoch = ndcg, copy.deepcopy(model.state_dict()), epoch + 1
        elif epoch + 1 - best_epoch >= config.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    logger.info("Trained on %s lists in %.1f s: ran %s epochs, kept epoch %s (validation NDCG@5 %.4f)",
                len(training), time.perf_counter() - started, epochs_run, best_epoch, best_ndcg)
    return model


def _validation_split(n_lists: int, config: TrainingConfig,
                      generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Return training and validation list indices, with no validation part for tiny sets or a zero fraction."""
    order = torch.randperm(n_lists, generator=generator)
    n_validation = int(round(n_lists * config.validation_fraction))
    if n_validation < 5 or n_lists - n_validation < 5:
        return order, None
    return order[n_validation:], order[:n_validation]


def _padded_ndcg(model: Scorer, features: torch.Tensor, relevance: torch.Tensor, mask: torch.Tensor) -> float:
    """Mean NDCG@5 of padded lists, padding ranked last."""
    model.eval()
    with torch.no_grad():
        scores = model(features).masked_fill(~mask, PAD_SCORE).numpy()
    lengths = mask.sum(dim=-1).tolist()
    return evaluate_scores([row[:size] for row, size in zip(scores, lengths)],
                           [row[:size] for row, size in zip(relevance.numpy(), lengths)])["ndcg_at_5"]


def score_matrix(model: Scorer, matrix: np.ndarray) -> np.ndarray:
    """Score the rows of one preprocessed ``[n_candidates, n_features]`` matrix."""
    with torch.no_grad():
        return model(torch.as_tensor(matrix, dtype=torch.float32)).numpy()
