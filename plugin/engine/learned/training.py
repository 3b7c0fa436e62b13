"""Training the learned recommender: :func:`train` and :func:`train_best`.

Next-item prediction at every position of every training window, with
negative sampling: ``bce`` scores each positive against uniform catalogue
negatives; ``sampled_softmax`` ranks it among the batch's other targets plus
uniform catalogue items, each logit corrected by the log of its sampling
probability (logQ), or among all items when the catalogue is small enough
(``full_softmax_items``). A shopper's own positives are never negatives. After
every epoch the model ranks all items for the validation cases; training
stops when NDCG@10 has not improved for ``patience`` epochs and the best
epoch's weights are kept. Same seed, same data, same device: same model.

Torch is imported here only; serving uses :mod:`.numpy_encoder`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from scipy import sparse
from torch.nn import functional as F

from .batches import Windows, pad_left, padded_cases, windows
from .config import EVENT_TYPES, LOSSES, TrainConfig
from .data import ShopperSequence, TrainingData
from .ensemble import combined_weights
from .model import TrainedModel, TrainingCancelled
from .resources import Usage
from .torch_model import SequentialRecommender

logger = logging.getLogger(__name__)

#: Batches cut from one length-sorted chunk of shuffled windows.
_BUCKET_BATCHES = 16

#: ``progress(epoch, epochs, metrics)`` after each epoch.
Progress = Callable[[int, int, dict[str, float]], None]


def train(
    dataset: TrainingData,
    config: TrainConfig = TrainConfig(),
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainedModel:
    """Train one model; raises :class:`TrainingCancelled` when ``should_stop()`` says so.

    The result holds the best epoch's weights, its validation metrics
    (``ndcg@10``, ``recall@10``), training seconds and peak memory.
    """
    if dataset.n_items == 0 or not any(len(s) >= 2 for s in dataset.sequences):
        raise ValueError("nothing to learn: no shopper has two or more events")
    if config.model.use_text and dataset.text_vectors.shape[1] != config.model.text_dimensions:
        config = replace(
            config, model=replace(config.model, text_dimensions=dataset.text_vectors.shape[1])
        )
    if config.ensemble > 1:
        return _grow_ensemble(dataset, config, [], progress, should_stop)
    return _train_one(dataset, config, progress, should_stop)


def _train_one(
    dataset: TrainingData,
    config: TrainConfig,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
) -> TrainedModel:
    with Usage() as usage:
        result = _Trainer(dataset, config).run(progress, should_stop)
    return replace(result, seconds=round(usage.seconds, 2), peak_memory_mb=round(usage.peak_mb, 1))


def _grow_ensemble(
    dataset: TrainingData,
    config: TrainConfig,
    members: list[TrainedModel],
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
) -> TrainedModel:
    """Train the members still missing (member ``i`` with seed ``seed + i``), then
    join them into one model scored on the validation cases as it is served."""
    members = list(members)
    total = config.epochs * config.ensemble
    for index in range(len(members), config.ensemble):
        def member_progress(epoch: int, _epochs: int, metrics: dict, index=index) -> None:
            if progress is not None:
                progress(index * config.epochs + epoch, total, {"member": index + 1, **metrics})

        member_config = replace(config, seed=config.seed + index, ensemble=1)
        members.append(_train_one(dataset, member_config, member_progress, should_stop))
    first = members[0]
    if any(member.id_rows != first.id_rows for member in members):
        raise RuntimeError("ensemble members disagree on their id embeddings")
    joined = TrainedModel(
        config=replace(first.config, seed=config.seed, ensemble=len(members)),
        weights=combined_weights([member.weights for member in members]),
        id_rows=first.id_rows,
        metrics={},
        history=[
            {"member": index + 1, **entry}
            for index, member in enumerate(members) for entry in member.history
        ],
        window=first.window,
        seconds=round(sum(member.seconds for member in members), 2),
        peak_memory_mb=max(member.peak_memory_mb for member in members),
    )
    metrics = served_metrics(joined, dataset)
    return replace(joined, metrics={
        **metrics, "members": [member.metrics for member in members],
    })


def served_metrics(model: TrainedModel, dataset: TrainingData) -> dict[str, float]:
    """Validation NDCG@10 and Recall@10 of ``model``'s numpy forward pass (the cases
    :class:`_Trainer` validates on, history excluded)."""
    cases = validation_cases(dataset, model.config)
    if not cases:
        return {"ndcg@10": 0.0, "recall@10": 0.0}
    encoder = model.encoder()
    use_text = model.config.model.use_text
    text = dataset.text_vectors if use_text else None
    ids = np.asarray(dataset.item_ids)
    items = encoder.item_vectors(list(ids), text)
    ranks = []
    for case, target in cases:
        # The encoder keeps the newest max_length events itself.
        query = encoder.shopper_vector(
            list(ids[case.items]), [EVENT_TYPES[t - 1] for t in case.event_types],
            None if text is None else text[case.items],
        )
        scores = items @ query if query is not None else np.zeros(len(items), np.float32)
        scores[case.items] = -np.inf
        ranks.append(int((scores > scores[target]).sum()))
    return _top10_metrics(np.asarray(ranks))


def _top10_metrics(ranks: np.ndarray) -> dict[str, float]:
    """NDCG@10 and Recall@10 of targets ranked at ``ranks`` (0 = first)."""
    hits = ranks < 10
    gains = np.where(hits, 1.0 / np.log2(ranks + 2.0), 0.0)
    return {
        "ndcg@10": round(float(gains.mean()), 5), "recall@10": round(float(hits.mean()), 5)
    }


def validation_cases(
    dataset: TrainingData, config: TrainConfig, rng: np.random.Generator | None = None
) -> list[tuple[ShopperSequence, int]]:
    """The validation cases training judges epochs on: at most ``validation_users``,
    drawn first from the seed's generator (or ``rng``, when it has drawn nothing yet)."""
    cases = dataset.validation
    if len(cases) > config.validation_users:
        rng = rng if rng is not None else np.random.default_rng(config.seed)
        picked = np.sort(rng.choice(len(cases), config.validation_users, replace=False))
        cases = [cases[i] for i in picked]
    return cases


def train_best(
    dataset: TrainingData,
    config: TrainConfig = TrainConfig(),
    *,
    losses: tuple[str, ...] = LOSSES,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[TrainedModel, dict[str, dict[str, float]]]:
    """Train once per loss; keep the best validation NDCG@10 and report every loss.

    For an ensemble, the losses are compared on its first member; only the better
    loss trains the other members.
    """
    single = replace(config, ensemble=1)
    trained = [
        train(dataset, replace(single, loss=loss), progress=progress, should_stop=should_stop)
        for loss in losses
    ]
    report = {
        model.config.loss: {
            **model.metrics, "seconds": model.seconds, "peak_memory_mb": model.peak_memory_mb
        }
        for model in trained
    }
    best = max(trained, key=lambda model: model.metrics["ndcg@10"])
    if config.ensemble > 1:
        best = _grow_ensemble(
            dataset, replace(best.config, ensemble=config.ensemble), [best], progress, should_stop
        )
    return best, report


class _Trainer:
    def __init__(self, data: TrainingData, config: TrainConfig) -> None:
        self.data, self.config = data, config
        torch.manual_seed(config.seed)
        torch.set_num_threads(max(1, config.threads))
        self.rng = np.random.default_rng(config.seed)
        self.device = torch.device(
            config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        )
        model_config = config.model
        counts = data.item_counts()
        eligible = counts >= model_config.id_min_count if model_config.use_ids else counts < 0
        id_rows = np.zeros(data.n_items, dtype=np.int64)
        id_rows[eligible] = np.arange(1, int(eligible.sum()) + 1)
        self.id_rows = id_rows
        self.model = SequentialRecommender(
            model_config, torch.from_numpy(data.text_vectors), torch.from_numpy(id_rows)
        ).to(self.device)
        self.windows: Windows = windows(data, model_config.max_length)
        targets = np.concatenate([np.zeros(0, np.int64), *(w[1:] for w in self.windows.items)])
        frequency = np.bincount(targets, minlength=data.n_items).astype(np.float64)
        self.target_share = frequency / max(frequency.sum(), 1.0)
        self.exact_softmax = data.n_items <= config.full_softmax_items
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.validation = validation_cases(data, config, self.rng)

    def run(
        self, progress: Progress | None, should_stop: Callable[[], bool] | None
    ) -> TrainedModel:
        best_ndcg, best_epoch, best_state, best_metrics = -1.0, 0, None, {}
        history = []
        for epoch in range(1, self.config.epochs + 1):
            loss = self._epoch(should_stop)
            metrics = {"loss": round(loss, 5), **self.validate()}
            history.append({"epoch": epoch, **metrics})
            if progress is not None:
                progress(epoch, self.config.epochs, metrics)
            if metrics["ndcg@10"] > best_ndcg:
                best_ndcg, best_epoch, best_metrics = metrics["ndcg@10"], epoch, metrics
                best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            elif epoch - best_epoch >= self.config.patience:
                break
        assert best_state is not None
        self.model.load_state_dict(best_state)
        item_ids = self.data.item_ids
        return TrainedModel(
            config=self.config,
            weights=self.model.export(),
            id_rows={int(item_ids[i]): int(r) for i, r in enumerate(self.id_rows) if r},
            metrics={"ndcg@10": best_metrics["ndcg@10"], "recall@10": best_metrics["recall@10"],
                     "epoch": best_epoch},
            history=history,
            window=self.data.window,
        )

    def _epoch(self, should_stop: Callable[[], bool] | None) -> float:
        self.model.train()
        losses = []
        for batch in self._batches():
            if should_stop is not None and should_stop():
                raise TrainingCancelled("training was asked to stop")
            loss = self._step(batch)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def _batches(self) -> list[np.ndarray]:
        """Shuffled batches of windows of similar length (less padding to compute)."""
        size = self.config.batch_size
        order = self.rng.permutation(len(self.windows.items))
        lengths = self.windows.lengths
        batches = []
        for start in range(0, len(order), size * _BUCKET_BATCHES):
            chunk = order[start:start + size * _BUCKET_BATCHES]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i:i + size] for i in range(0, len(chunk), size)]
        return [batches[i] for i in self.rng.permutation(len(batches))]

    def _step(self, batch: np.ndarray) -> torch.Tensor:
        w = self.windows
        length = max(len(w.items[i]) for i in batch) - 1
        sequences = [w.items[i] for i in batch]
        inputs = pad_left([s[:-1] for s in sequences], length, -1)
        types = pad_left([w.types[i][:-1] for i in batch], length, 0)
        targets = pad_left([s[1:] for s in sequences], length, -1)
        real = targets >= 0
        owners = w.owner[batch]
        flat_targets = targets[real]
        flat_owner = np.repeat(np.arange(len(batch)), real.sum(axis=1))
        n_items, negatives = self.data.n_items, self.config.negatives
        if self.config.loss == "bce":
            sampled = self.rng.integers(
                0, n_items, size=(len(flat_targets), self.config.bce_negatives)
            )
        elif self.exact_softmax:
            sampled = candidates = np.arange(n_items)
        else:
            sampled = self.rng.integers(0, n_items, size=negatives)
            candidates = np.unique(np.concatenate([flat_targets, sampled]))
        # Each distinct item is represented once per step.
        needed = [inputs[inputs >= 0], flat_targets, np.ravel(sampled)]
        rows = np.unique(np.concatenate(needed))
        reps = self.model.item_representations(torch.from_numpy(rows).to(self.device))
        local = np.full(n_items, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        input_rows = np.maximum(local[np.maximum(inputs, 0)], 0)
        gathered = reps[torch.from_numpy(input_rows).to(self.device)]
        hidden = self.model.encode(
            torch.from_numpy(inputs).to(self.device),
            torch.from_numpy(types).to(self.device),
            representations=gathered,
        )
        input_tensor = torch.from_numpy(inputs).to(self.device)
        query = self.model.queries(input_tensor, hidden)[torch.from_numpy(real).to(self.device)]
        vectors = self.model.match_vectors(torch.from_numpy(rows).to(self.device), reps)
        tau = self.config.model.temperature
        positives = w.positives[owners]
        if self.config.loss == "bce":
            target_vectors = vectors[torch.from_numpy(local[flat_targets]).to(self.device)]
            positive_logit = (query * target_vectors).sum(-1) / tau
            negative_vectors = vectors[torch.from_numpy(local[sampled]).to(self.device)]
            negative_logits = torch.einsum("pd,pkd->pk", query, negative_vectors) / tau
            allowed = ~_member(positives, flat_owner, sampled)
            allowed_t = torch.from_numpy(allowed).to(self.device)
            negative_loss = F.binary_cross_entropy_with_logits(
                negative_logits, torch.zeros_like(negative_logits), reduction="none"
            )
            negative_loss = (negative_loss * allowed_t).sum(-1) / allowed_t.sum(-1).clamp(min=1)
            positive_loss = F.binary_cross_entropy_with_logits(
                positive_logit, torch.ones_like(positive_logit), reduction="none"
            )
            return (positive_loss + negative_loss).mean()
        candidate_vectors = vectors[torch.from_numpy(local[candidates]).to(self.device)]
        logits = query @ candidate_vectors.T / tau
        if not self.exact_softmax:
            # Expected times each candidate is drawn: as a batch target, or uniformly.
            drawn = len(flat_targets) * self.target_share[candidates] + negatives / n_items
            logits = logits - torch.from_numpy(np.log(drawn).astype(np.float32)).to(self.device)
        owned = positives[:, candidates].toarray()[flat_owner] > 0
        is_target = candidates[None, :] == flat_targets[:, None]
        logits = logits.masked_fill(torch.from_numpy(owned & ~is_target).to(self.device), -1e9)
        labels = torch.from_numpy(np.searchsorted(candidates, flat_targets)).to(self.device)
        return F.cross_entropy(logits, labels)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Recall@10 and NDCG@10 over all items for the validation cases (history excluded)."""
        if not self.validation:
            return {"ndcg@10": 0.0, "recall@10": 0.0}
        self.model.eval()
        all_rows = torch.arange(self.data.n_items, device=self.device)
        items = self.model.item_vectors(all_rows)
        ranks = []
        for start in range(0, len(self.validation), 512):
            chunk = self.validation[start:start + 512]
            inputs, types = padded_cases([case for case, _ in chunk], self.config.model.max_length)
            shoppers = self.model.shopper_vectors(
                torch.from_numpy(inputs).to(self.device), torch.from_numpy(types).to(self.device)
            )
            scores = (shoppers @ items.T).cpu().numpy()
            for row, (case, _) in enumerate(chunk):
                scores[row, case.items] = -np.inf
            targets = np.array([target for _, target in chunk])
            target_scores = scores[np.arange(len(chunk)), targets][:, None]
            ranks.append((scores > target_scores).sum(axis=1))
        self.model.train()
        return _top10_metrics(np.concatenate(ranks))


def _member(matrix: sparse.csr_matrix, owner: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``matrix[owner[p], items[p, k]] > 0`` for every position ``p`` and sample ``k``."""
    rows = np.repeat(owner, items.shape[1])
    values = np.asarray(matrix[rows, items.ravel()]).ravel()
    return (values > 0).reshape(items.shape)
