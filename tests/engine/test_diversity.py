import numpy as np
import pytest
from saleor_personalization.engine.diversity import mmr


def unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


VECTORS = np.stack([unit(1, 0), unit(1, 0.05), unit(0, 1)])
RELEVANCE = np.array([0.9, 0.89, 0.5])


def test_no_diversity_keeps_relevance_order():
    assert mmr(RELEVANCE, VECTORS, 3, 0.0) == [0, 1, 2]


def test_diversity_promotes_a_different_item_over_a_near_duplicate():
    # Step 2 gains: item 1 = 0.5*0.89 - 0.5*0.9988 < item 2 = 0.5*0.5 - 0.5*0.
    assert mmr(RELEVANCE, VECTORS, 2, 0.5) == [0, 2]


def test_k_larger_than_pool_and_validation():
    assert mmr(RELEVANCE, VECTORS, 10, 0.3) == [0, 2, 1]
    with pytest.raises(ValueError, match="diversity"):
        mmr(RELEVANCE, VECTORS, 2, 1.5)
    assert mmr(np.array([]), np.zeros((0, 2)), 3, 0.2) == []
