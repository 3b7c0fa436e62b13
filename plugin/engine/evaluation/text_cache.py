"""Item text vectors encoded once per model and texts, kept in a bounded disk cache.

Tuning runs encode the same catalogue again and again; the key is a hash of
the model name and every text, so a changed text or model is a new entry. At
most :data:`MAX_ENTRIES` files are kept (the least recently used go first).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..encoder import EncoderConfig, encode

MAX_ENTRIES = 16


def default_cache_dir() -> Path:
    """``$SALEOR_PERSONALIZATION_CACHE`` or ``$XDG_CACHE_HOME``/``~/.cache``, then ``text-vectors``."""
    root = os.environ.get("SALEOR_PERSONALIZATION_CACHE")
    if root:
        return Path(root) / "text-vectors"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "saleor-personalization" / "text-vectors"


def encode_cached(
    texts: Sequence[str],
    config: EncoderConfig,
    cache_dir: Path | None,
    show_progress: bool = False,
) -> np.ndarray:
    """:func:`~..encoder.encode` ``texts``, reading and filling the cache when one is given."""
    if cache_dir is None:
        return encode(texts, config=config, show_progress=show_progress)
    digest = hashlib.sha256(config.model.encode())
    for text in texts:
        digest.update(b"\0" + text.encode())
    path = Path(cache_dir) / f"{digest.hexdigest()[:32]}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            path.touch()
            return vectors
    vectors = encode(texts, config=config, show_progress=show_progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        np.save(handle, vectors)
    partial.replace(path)
    _prune(path.parent)
    return vectors


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)
