from collections.abc import Callable

import numpy as np
import pytest
from saleor_personalization.engine.documents import content_hash
from saleor_personalization.store import DjangoStore, activate, create_space, ensure_index


def unit_rows(count: int, dims: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dims)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def unit_vectors() -> Callable[[int, int, int], np.ndarray]:
    return unit_rows


@pytest.fixture
def precise_vector() -> np.ndarray:
    """float32 values that a text literal of 7 significant digits would change."""
    vector = np.array(
        [1 / 3, np.nextafter(np.float32(0.1), 1), 0.123456789, np.nextafter(np.float32(0.5), 1)],
        dtype=np.float32,
    )
    assert all(np.float32(f"{x:.7g}") != x for x in vector)
    return vector


@pytest.fixture
def make_space(db) -> Callable:
    """Create a space filled with random unit vectors for product ids 1..count."""

    def make(count: int, dims: int, *, model: str = "test-model", seed: int = 0, active: bool = True):
        space = create_space(model, dims)
        vectors = unit_rows(count, dims, seed)
        store = DjangoStore(space)
        store.upsert_vectors(
            [(pid, content_hash(str(pid)), vectors[pid - 1]) for pid in range(1, count + 1)]
        )
        ensure_index(space)
        if active:
            space = activate(space)
        return space, vectors

    return make
