import numpy as np
import pytest
from saleor_personalization.engine.evaluation.data import EvalDataset


def test_eval_dataset_checks_per_user_lengths():
    with pytest.raises(ValueError, match="exclude has 1 entries, expected 2"):
        EvalDataset(
            name="x",
            item_ids=["a"],
            item_texts=[""],
            histories=[np.array([0]), np.array([0])],
            history_weights=[np.ones(1), np.ones(1)],
            history_times=None,
            targets=np.array([0, 0]),
            exclude=[np.array([0])],
        )
