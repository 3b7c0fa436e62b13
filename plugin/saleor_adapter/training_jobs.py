"""Retraining the learned recommender: one run at a time, promoted only when it wins.

A run reads the shop's events and the live content space's text vectors, keeps
the newest interactions aside, trains (torch, in the training worker only), and
ranks the held-out interactions with the candidate, the live learned model and
the content profile. The candidate goes live only if it beats both on NDCG@10;
otherwise it is kept as ``rejected`` with the numbers. Its product vectors are
built beside the live ones and switched to atomically at the very end, so a
failed or killed run leaves the live model untouched.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from ..engine.learned import (
    LOSSES,
    ModelConfig,
    TrainConfig,
    TrainingData,
    evaluate_models,
    holdout_newest,
    promotion_decision,
    train_best,
)
from ..engine.learned.resources import Usage
from ..engine.ranking_model import ContentProfileModel
from ..models import EmbeddingSpace, InteractionEvent, RecommenderModel
from ..store import recommender_registry as registry
from ..store import spaces
from ..store.advisory_lock import advisory_lock
from ..store.catalog_index import current_space
from .config import PersonalizationConfig

logger = logging.getLogger(__name__)
Status = RecommenderModel.Status

# Session-level advisory lock key: one retraining at a time, shop-wide.
_TRAINING_LOCK = zlib.crc32(b"saleor_personalization.retrain_recommender")
# A queued run no worker started within this time is given up (see request_retrain).
QUEUED_EXPIRES = timedelta(hours=1)
MAX_INDEXED_DIMENSIONS = 2000  # pgvector's limit for an HNSW index on vector
_MODEL_FIELDS = {f.name for f in fields(ModelConfig)}
_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)} - {"model"}

#: ``progress(epoch, epochs, metrics)`` after each epoch (see the engine's trainer).
Progress = Callable[[int, int, dict[str, float]], None]


class TrainingError(RuntimeError):
    """A run cannot train: nothing indexed, or too little behaviour to learn from."""


@dataclass(frozen=True)
class RetrainOptions:
    """How a run splits and trains.

    ``hyperparameters`` override :class:`TrainConfig` and :class:`ModelConfig`
    fields by name (e.g. ``{"epochs": 20, "dimensions": 32}``); ``losses`` are
    trained one after the other and the better on validation is kept.
    """

    holdout_fraction: float = 0.1
    losses: tuple[str, ...] = LOSSES
    max_events: int = 2_000_000
    hyperparameters: Mapping[str, Any] | None = None

    def train_config(self) -> TrainConfig:
        values = dict(self.hyperparameters or {})
        unknown = sorted(set(values) - _MODEL_FIELDS - _TRAIN_FIELDS)
        if unknown:
            valid = ", ".join(sorted(_MODEL_FIELDS | _TRAIN_FIELDS))
            raise ValueError(f"unknown hyper-parameters {', '.join(unknown)}; valid: {valid}")
        model = ModelConfig(**{k: v for k, v in values.items() if k in _MODEL_FIELDS})
        return TrainConfig(model=model, **{k: v for k, v in values.items() if k in _TRAIN_FIELDS})


def _training_lock():
    """Try the shop-wide training lock; yields whether it is held."""
    return advisory_lock(_TRAINING_LOCK)


def pending_run() -> RecommenderModel | None:
    """The run queued (within :data:`QUEUED_EXPIRES`) or training now, if any."""
    return (
        RecommenderModel.objects.filter(
            status__in=[Status.QUEUED, Status.TRAINING],
            created_at__gte=timezone.now() - QUEUED_EXPIRES,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def request_retrain(trigger: str) -> tuple[bool, RecommenderModel]:
    """Queue a run unless one is queued or training; returns (queued now, its row).

    The task is sent when the caller's transaction commits.
    """
    from .. import tasks
    from .hooks import enqueue_on_commit

    running = pending_run()
    if running is not None:
        return False, running
    row = RecommenderModel.objects.create(status=Status.QUEUED, trigger=trigger)
    enqueue_on_commit(tasks.retrain_recommender, row.pk, trigger)
    return True, row


def retrain_due(min_new_events: int) -> bool:
    """Whether at least ``min_new_events`` events arrived since the last run read
    the events, or the live model reads another text encoder than the catalog's
    (two small queries; the count stops at ``min_new_events``)."""
    last = (
        RecommenderModel.objects.filter(last_event_id__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("last_event_id", flat=True)
        .first()
    )
    newer = InteractionEvent.objects.filter(id__gt=last or 0)
    if newer[: max(1, min_new_events)].count() >= max(1, min_new_events):
        return True
    live = RecommenderModel.objects.filter(status=Status.LIVE).values_list("text_model").first()
    content = current_space()
    stale = live is not None and content is not None and live[0] != content.model_name
    return stale and newer.exists()


def retrain(
    config: PersonalizationConfig,
    model_id: int | None = None,
    trigger: str = "schedule",
    options: RetrainOptions = RetrainOptions(),
    progress: Progress | None = None,
) -> RecommenderModel | None:
    """One run (see the module's docstring); None when another run holds the lock.

    ``model_id`` is the row :func:`request_retrain` queued (a new row otherwise).
    Any exception marks the row ``failed`` with its message and is raised again;
    vectors the run built are dropped.
    """
    with _training_lock() as held:
        if not held:
            if model_id is not None:
                RecommenderModel.objects.filter(pk=model_id, status=Status.QUEUED).update(
                    status=Status.FAILED,
                    error="not started: another training was running",
                    finished_at=timezone.now(),
                )
            logger.info("A recommender training is already running; skipped")
            return None
        _fail_interrupted(model_id)
        row = _start(model_id, trigger)
        try:
            _train_and_judge(row, options, progress)
        except BaseException as error:
            _fail(row, error)
            raise
        registry.prune()
        return RecommenderModel.objects.get(pk=row.pk)


def _fail_interrupted(model_id: int | None) -> None:
    """Rows left ``training`` by a run that died (the lock is ours, so none is running)."""
    leftover = RecommenderModel.objects.filter(status=Status.TRAINING)
    if model_id is not None:
        leftover = leftover.exclude(pk=model_id)
    for row in leftover:
        _fail(row, RuntimeError("interrupted: the worker stopped during training"))


def _start(model_id: int | None, trigger: str) -> RecommenderModel:
    now = timezone.now()
    row = None
    if model_id is not None:
        row = RecommenderModel.objects.filter(pk=model_id, status=Status.QUEUED).first()
    if row is None:
        row = RecommenderModel(trigger=trigger)
    row.status, row.started_at = Status.TRAINING, now
    row.last_event_id = InteractionEvent.objects.order_by("-id").values_list("id", flat=True).first()
    row.save()
    return row


def _fail(row: RecommenderModel, error: BaseException) -> None:
    try:
        space_id = RecommenderModel.objects.filter(pk=row.pk).values_list("space", flat=True)[0]
        RecommenderModel.objects.filter(pk=row.pk).exclude(status=Status.LIVE).update(
            status=Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
            space=None,
        )
        space = EmbeddingSpace.objects.filter(pk=space_id).first() if space_id else None
        if space is not None and space.status != EmbeddingSpace.Status.ACTIVE:
            spaces.drop_space(space)
    except Exception:  # the database may be what failed; the run's own error matters more
        logger.exception("Could not record the failure of recommender model %s", row.pk)


def _train_and_judge(
    row: RecommenderModel, options: RetrainOptions, progress: Progress | None
) -> None:
    content = current_space()
    if content is None:
        raise TrainingError("no catalog is indexed yet: the model learns from its text vectors")
    config = options.train_config()
    length = config.ensemble * config.model.dimensions + content.dimensions
    if length > MAX_INDEXED_DIMENSIONS:
        raise TrainingError(
            f"product vectors would hold {length} numbers ({config.ensemble} x "
            f"{config.model.dimensions} + {content.dimensions} of text); pgvector's HNSW index "
            f"takes at most {MAX_INDEXED_DIMENSIONS}: lower dimensions or ensemble"
        )
    events = list(
        InteractionEvent.objects.filter(id__lte=row.last_event_id or 0)
        .order_by("-id")
        .values_list("shopper_key", "product_id", "event_type", "occurred_at")[
            : options.max_events
        ]
    )
    text_vectors = {
        pid: vector
        for batch in registry.content_rows(content)
        for pid, _digest, vector in batch
    }
    before, cases, cutoff = holdout_newest(events, options.holdout_fraction)
    data = TrainingData.from_events(before, text_vectors)
    times = [event[3] for event in events]
    RecommenderModel.objects.filter(pk=row.pk).update(
        text_model=content.model_name,
        window_start=min(times) if times else None,
        window_end=max(times) if times else None,
        event_count=len(events),
        shopper_count=len({event[0] for event in events}),
        product_count=len({event[1] for event in events}),
        hyperparameters={**config.to_dict(), "losses": list(options.losses)},
    )
    with Usage() as usage:
        trained, losses = train_best(data, config, losses=options.losses, progress=progress)
    candidate = trained.ranking_model("candidate")
    models = {"candidate": candidate, "content": ContentProfileModel(content.dimensions)}
    live = registry.live_model(content.model_name)
    if live is not None:
        models["live"] = live.model
    gate = evaluate_models(models, cases, text_vectors)
    decision = promotion_decision(gate, "candidate")
    weights, description = registry.artifact_bytes(trained)
    RecommenderModel.objects.filter(pk=row.pk).update(
        hyperparameters={**trained.config.to_dict(), "losses": list(options.losses)},
        metrics={
            "gate": gate,
            "validation": _plain(trained.metrics),
            "losses": _plain(losses),
            "held_out_from": cutoff.isoformat() if cutoff else None,
        },
        decision=decision.reason,
        training_seconds=round(usage.seconds, 2),
        peak_memory_mb=round(usage.peak_mb, 1),
        artifact_weights=weights,
        artifact_description=description,
    )
    row.refresh_from_db()
    if not decision.promote:
        RecommenderModel.objects.filter(pk=row.pk).update(
            status=Status.REJECTED, finished_at=timezone.now()
        )
        return
    registry.build_space(row, candidate, content)
    RecommenderModel.objects.filter(pk=row.pk).update(finished_at=timezone.now())
    registry.go_live(row)


def _plain(values: Any) -> Any:
    """JSON-safe copies of numpy numbers in nested metrics."""
    if isinstance(values, Mapping):
        return {str(key): _plain(value) for key, value in values.items()}
    if isinstance(values, (list, tuple)):
        return [_plain(value) for value in values]
    if isinstance(values, np.generic):
        return values.item()
    return values

