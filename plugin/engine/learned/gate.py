"""The promotion gate: rank held-out newest interactions with every model, compare.

:func:`holdout_newest` keeps the newest share of a shop's events aside,
:func:`evaluate_models` ranks each held-out case's next product with any
:class:`~..ranking_model.RankingModel` (full ranking over the candidates, the
shopper's history excluded, exactly the serving dot products), and
:func:`promotion_decision` says whether a candidate beats every rival.
Numpy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ..events import Event
from ..ranking_model import RankingModel
from .data import EventTuple


@dataclass(frozen=True)
class HeldOutCase:
    """A shopper's events before the cut-off and the first new product after it."""

    history: list[Event]
    target: int


def holdout_newest(
    events: Iterable[EventTuple], fraction: float = 0.1
) -> tuple[list[EventTuple], list[HeldOutCase], datetime | None]:
    """Split events at the time before which ``1 - fraction`` of them happened.

    Returns the events before the cut-off (to train on), one case per shopper
    with events on both sides (history before the cut-off; target the first
    product after it that is not in that history), and the cut-off itself.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be between 0 and 1; got {fraction}")
    ordered = sorted(events, key=lambda event: event[3])
    if not ordered:
        return [], [], None
    cutoff = ordered[min(len(ordered) - 1, int(len(ordered) * (1.0 - fraction)))][3]
    before = [event for event in ordered if event[3] < cutoff]
    histories: dict[str, list[Event]] = {}
    for shopper, product, kind, when in before:
        histories.setdefault(shopper, []).append(Event(shopper, int(product), kind, when))
    cases: dict[str, HeldOutCase] = {}
    for shopper, product, _, when in ordered:
        history = histories.get(shopper)
        if when < cutoff or not history or shopper in cases:
            continue
        if all(event.product_id != product for event in history):
            cases[shopper] = HeldOutCase(history, int(product))
    return before, list(cases.values()), cutoff


def evaluate_models(
    models: Mapping[str, RankingModel],
    cases: Sequence[HeldOutCase],
    text_vectors: Mapping[int, np.ndarray],
    k: int = 10,
) -> dict[str, dict[str, float]]:
    """Recall@k, NDCG@k and MRR of each model over ``cases``.

    Candidates are the products with a text vector; cases whose target has none
    are skipped. Ties go to the lower candidate position.
    """
    product_ids = sorted(text_vectors)
    position = {product: index for index, product in enumerate(product_ids)}
    usable = [case for case in cases if case.target in position]
    if not usable or not product_ids:
        return {name: {f"recall@{k}": 0.0, f"ndcg@{k}": 0.0, "mrr": 0.0, "cases": 0}
                for name in models}
    text = np.stack([np.asarray(text_vectors[p], np.float32) for p in product_ids])
    results = {}
    for name, model in models.items():
        items = model.item_vectors(product_ids, text)
        ranks = []
        for case in usable:
            query = model.shopper_vector(case.history, text_vectors)
            scores = items @ query if query is not None else np.zeros(len(product_ids))
            seen = [position[e.product_id] for e in case.history if e.product_id in position]
            scores = scores.astype(np.float64)
            scores[seen] = -np.inf
            target = position[case.target]
            better = scores > scores[target]
            ranks.append(int(better.sum() + (scores[:target] == scores[target]).sum()))
        ranks_array = np.asarray(ranks)
        hit = ranks_array < k
        results[name] = {
            f"recall@{k}": round(float(hit.mean()), 4),
            f"ndcg@{k}": round(float(np.where(hit, 1 / np.log2(ranks_array + 2.0), 0).mean()), 4),
            "mrr": round(float((1.0 / (ranks_array + 1.0)).mean()), 4),
            "cases": len(usable),
        }
    return results


@dataclass(frozen=True)
class GateDecision:
    """Whether the candidate goes live, why, and the numbers it was judged on."""

    promote: bool
    reason: str
    metrics: dict[str, dict[str, float]]


def promotion_decision(
    metrics: Mapping[str, Mapping[str, float]],
    candidate: str,
    metric: str = "ndcg@10",
    margin: float = 0.0,
) -> GateDecision:
    """Promote ``candidate`` only if its ``metric`` beats every other model by more than ``margin``."""
    if candidate not in metrics:
        raise ValueError(f"no metrics for candidate {candidate!r}; have {', '.join(metrics)}")
    mine = metrics[candidate][metric]
    rivals = {name: values[metric] for name, values in metrics.items() if name != candidate}
    losing = [name for name, value in rivals.items() if not mine > value + margin]
    if losing:
        reason = f"{metric} {mine:.4f} does not beat " + ", ".join(
            f"{name} ({rivals[name]:.4f})" for name in losing
        )
    else:
        reason = f"{metric} {mine:.4f} beats " + (
            ", ".join(f"{name} ({value:.4f})" for name, value in rivals.items()) or "no rival"
        )
    return GateDecision(not losing, reason, {name: dict(v) for name, v in metrics.items()})
