"""The five-user dataset shared by the method and runner tests."""

import numpy as np
from saleor_personalization.engine.evaluation.data import EvalDataset

# Five users, five items. User 4 saw item 4 but did not like it (weight 0).
# Positive user sets per item: 0 {u0, u1, u4}, 1 {u0, u2}, 2 {u1, u2}, 3 {u3}, 4 {}.
HISTORIES = [[0, 1], [0, 2], [1, 2], [3], [0, 4]]
WEIGHTS = [[1, 1], [1, 1], [1, 1], [1], [1, 0]]
TARGETS = [2, 1, 3, 0, 1]


def tiny_dataset() -> EvalDataset:
    return EvalDataset(
        name="tiny",
        item_ids=["a", "b", "c", "d", "e"],
        item_texts=[""] * 5,
        histories=[np.array(h) for h in HISTORIES],
        history_weights=[np.array(w, dtype=np.float32) for w in WEIGHTS],
        history_times=None,
        targets=np.array(TARGETS),
        exclude=[np.array(sorted(set(h))) for h in HISTORIES],
        protocol="Tiny protocol.",
    )
