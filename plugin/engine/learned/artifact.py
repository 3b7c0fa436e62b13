"""Saving and loading a trained model: ``weights.npz`` plus ``model.json`` (numpy only).

``model.json`` holds the format version, the training and model
hyper-parameters, the validation metrics, the training time, peak memory,
data window and the product-id to id-embedding-row mapping; ``weights.npz``
the float32 arrays the numpy forward pass reads.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from .config import ModelConfig, TrainConfig
from .model import TrainedModel

FORMAT = "saleor-personalization/sequential-recommender"
VERSION = 1
WEIGHTS, CONFIG = "weights.npz", "model.json"


class ArtifactError(ValueError):
    """A model folder is missing a file or was written by another format version."""


def save(model: TrainedModel, folder: str | Path) -> Path:
    """Write the model into ``folder`` (created if missing); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / WEIGHTS, **model.weights)
    description = {
        "format": FORMAT,
        "version": VERSION,
        "train_config": model.config.to_dict(),
        "metrics": model.metrics,
        "history": model.history,
        "window": [when.isoformat() if when else None for when in model.window],
        "seconds": model.seconds,
        "peak_memory_mb": model.peak_memory_mb,
        "extra": model.extra,
        "id_rows": {str(product): row for product, row in model.id_rows.items()},
    }
    (folder / CONFIG).write_text(json.dumps(description, indent=1), encoding="utf-8")
    return folder


def load(folder: str | Path) -> TrainedModel:
    """Read a model written by :func:`save`."""
    folder = Path(folder)
    for name in (WEIGHTS, CONFIG):
        if not (folder / name).is_file():
            raise ArtifactError(f"{folder / name}: missing; expected a folder written by save()")
    description = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    if description.get("format") != FORMAT or description.get("version") != VERSION:
        raise ArtifactError(
            f"{folder / CONFIG}: format {description.get('format')!r} version "
            f"{description.get('version')!r}; expected {FORMAT!r} version {VERSION}"
        )
    with np.load(folder / WEIGHTS) as arrays:
        weights = {name: arrays[name] for name in arrays.files}
    return TrainedModel(
        config=_train_config(description["train_config"]),
        weights=weights,
        id_rows={int(product): int(row) for product, row in description["id_rows"].items()},
        metrics=description["metrics"],
        history=description["history"],
        window=tuple(  # type: ignore[arg-type]
            datetime.fromisoformat(when) if when else None for when in description["window"]
        ),
        seconds=description["seconds"],
        peak_memory_mb=description["peak_memory_mb"],
        extra=description.get("extra", {}),
    )


def _train_config(values: dict[str, Any]) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    # Artifacts written before ensembles existed hold one model.
    settings = {"ensemble": 1, **{k: v for k, v in values.items() if k in known and k != "model"}}
    return TrainConfig(model=ModelConfig.from_dict(values["model"]), **settings)
