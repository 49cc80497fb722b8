"""Learning to rank with PyTorch: a small scoring network, listwise and pairwise losses, metrics.

Lists of different lengths are padded to one length ``L`` and carry a
boolean ``mask`` that is True for real candidates. Relevance labels are
graded: 0 (ignored), 1 (opened or called), 2 (routed to or attended).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
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


def evaluate_scores(score_lists: list[np.ndarray], relevance_lists: list[np.ndarray], k: int = 5) -> dict:
    """Mean NDCG@k and MRR of lists ordered by descending score.

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
    return {f"ndcg_at_{k}": float(np.mean(ndcgs)) if ndcgs else 0.0,
            "mrr": float(np.mean(reciprocal_ranks)) if reciprocal_ranks else 0.0,
            "lists": len(ndcgs)}


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
    epochs: int = 60
    batch_lists: int = 32
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    hidden: int = 32
    loss: str = "listnet"


def train_scorer(matrices: list[np.ndarray], labels: list[np.ndarray], config: TrainingConfig) -> Scorer:
    """Train a Scorer on preprocessed lists with Adam, deterministically for a seed.

    Parameters
    ----------
    matrices
        One ``[n_candidates, n_features]`` array per search, already transformed.
    labels
        One relevance array per search.
    config
        Seed, epochs, batch size, learning rate and loss ("listnet" or "ranknet").
    """
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    features, relevance, mask = pad_lists(matrices, labels)
    model = Scorer(features.shape[-1], config.hidden)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_function = {"listnet": listnet_loss, "ranknet": ranknet_loss}[config.loss]

    started = time.perf_counter()
    for epoch in range(config.epochs):
        order = torch.randperm(features.shape[0], generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_lists):
            batch = order[start:start + config.batch_lists]
            optimiser.zero_grad()
            loss = loss_function(model(features[batch]), relevance[batch], mask[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        if epoch == 0 or (epoch + 1) % 20 == 0:
            logger.info("Epoch %s/%s: mean %s loss %.4f", epoch + 1, config.epochs, config.loss,
                        total / len(order))
    logger.info("Trained on %s lists in %.1f s", len(matrices), time.perf_counter() - started)
    return model


def score_matrix(model: Scorer, matrix: np.ndarray) -> np.ndarray:
    """Score the rows of one preprocessed ``[n_candidates, n_features]`` matrix."""
    with torch.no_grad():
        return model(torch.as_tensor(matrix, dtype=torch.float32)).numpy()
