"""The learned sequential recommender (SASRec-style, text plus id item representations).

Training (:func:`train`, :func:`train_best`) needs torch and imports it only when
called; everything else here (configs, :class:`TrainingData`, the artifact, the
numpy forward pass, :class:`LearnedModel`, the promotion gate) is numpy only, so
serving never loads torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .artifact import ArtifactError, load, save
from .config import LOSSES, ModelConfig, TrainConfig
from .data import ShopperSequence, TrainingData
from .gate import GateDecision, HeldOutCase, evaluate_models, holdout_newest, promotion_decision
from .model import LearnedModel, TrainedModel, TrainingCancelled
from .numpy_encoder import NumpyEncoder

if TYPE_CHECKING:
    from .training import Progress


def train(
    dataset: TrainingData,
    config: TrainConfig = TrainConfig(),
    *,
    progress: "Progress | None" = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainedModel:
    """Train one model (see :func:`.training.train`); imports torch on first call."""
    from .training import train as train_with_torch

    return train_with_torch(dataset, config, progress=progress, should_stop=should_stop)


def train_best(
    dataset: TrainingData,
    config: TrainConfig = TrainConfig(),
    *,
    losses: tuple[str, ...] = LOSSES,
    progress: "Progress | None" = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[TrainedModel, dict[str, dict[str, float]]]:
    """Train once per loss, keep the best on validation NDCG@10 (see :func:`.training.train_best`)."""
    from .training import train_best as train_best_with_torch

    return train_best_with_torch(
        dataset, config, losses=losses, progress=progress, should_stop=should_stop
    )


__all__ = [
    "LOSSES",
    "ArtifactError",
    "GateDecision",
    "HeldOutCase",
    "LearnedModel",
    "ModelConfig",
    "NumpyEncoder",
    "ShopperSequence",
    "TrainConfig",
    "TrainedModel",
    "TrainingCancelled",
    "TrainingData",
    "evaluate_models",
    "holdout_newest",
    "load",
    "promotion_decision",
    "save",
    "train",
    "train_best",
]
