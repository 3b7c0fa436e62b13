"""Small synthetic data with a planted sequential pattern, and a tiny model config."""

from datetime import UTC, datetime, timedelta

import numpy as np
from saleor_personalization.engine.learned import ModelConfig, TrainConfig, TrainingData

N_ITEMS = 30
TEXT_DIMENSIONS = 16
START = datetime(2025, 1, 1, tzinfo=UTC)


def successor() -> np.ndarray:
    """The planted rule: after product ``i`` a shopper takes ``successor()[i]``."""
    return np.random.default_rng(7).permutation(N_ITEMS)


def text_vectors() -> dict[int, np.ndarray]:
    """Random unit text vectors: the text says nothing about the pattern."""
    vectors = np.random.default_rng(8).normal(size=(N_ITEMS, TEXT_DIMENSIONS))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return {100 + item: vectors[item].astype(np.float32) for item in range(N_ITEMS)}


def events(shoppers: int = 120, length: int = 6, seed: int = 9) -> list[tuple]:
    """``(shopper, product id, event type, time)`` tuples following the planted rule."""
    rng = np.random.default_rng(seed)
    after = successor()
    out = []
    for shopper in range(shoppers):
        item = int(rng.integers(N_ITEMS))
        for step in range(length):
            kind = "view" if step % 2 else "purchase"
            out.append((f"s{shopper}", 100 + item, kind, START + timedelta(days=step, minutes=shopper)))
            item = int(after[item])
    return out


def training_data(**options) -> TrainingData:
    return TrainingData.from_events(events(**options), text_vectors())


def tiny_config(**model_options) -> TrainConfig:
    model = ModelConfig(
        **{
            "dimensions": 16, "text_dimensions": TEXT_DIMENSIONS, "layers": 1, "heads": 2,
            "max_length": 8, "experts": 2, "dropout": 0.0, "text_dropout": 0.0,
            "id_min_count": 1, "content_weight": 0.0, **model_options,
        }
    )
    return TrainConfig(
        model=model, epochs=25, batch_size=32, negatives=16, learning_rate=1e-2,
        patience=25, seed=3, device="cpu", threads=1, ensemble=1,
    )
