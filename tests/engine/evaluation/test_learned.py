import numpy as np
from saleor_personalization.engine.evaluation import METHODS
from saleor_personalization.engine.evaluation.data import EvalDataset
from saleor_personalization.engine.evaluation.learned import (
    LearnedScorer,
    SasrecIdScorer,
    training_data,
)
from saleor_personalization.engine.evaluation.runner import evaluate
from saleor_personalization.engine.learned import ModelConfig, TrainConfig


def dataset(train_histories=None, weights=None) -> EvalDataset:
    histories = [np.array([0, 1, 2, 3]), np.array([4, 5]), np.array([1, 2, 3, 4, 5])]
    return EvalDataset(
        name="seq", item_ids=[f"i{i}" for i in range(7)], item_texts=[f"item {i}" for i in range(7)],
        histories=histories,
        history_weights=weights or [np.ones(len(h), np.float32) for h in histories],
        history_times=None, targets=np.array([4, 6, 6]),
        exclude=[np.unique(h) for h in histories], train_histories=train_histories,
    )


def test_validation_is_the_item_after_the_training_history_when_the_split_has_one():
    data = dataset(train_histories=[np.array([0, 1, 2]), np.array([4]), np.array([1, 2, 3, 4])])
    built = training_data(data, np.zeros((7, 3), np.float32))
    assert [s.items.tolist() for s in built.sequences] == [[0, 1, 2], [4], [1, 2, 3, 4]]
    assert [(c.items.tolist(), t) for c, t in built.validation] == [
        ([0, 1, 2], 3), ([4], 5), ([1, 2, 3, 4], 5)
    ]


def test_otherwise_the_newest_positive_is_held_out_and_disliked_items_are_views():
    weights = [np.array([1, 1, 1, 0], np.float32), np.ones(2, np.float32), np.ones(5, np.float32)]
    built = training_data(dataset(weights=weights), np.zeros((7, 3), np.float32))
    # User 0's newest positive is item 2 (item 3 was seen but not liked).
    assert [s.items.tolist() for s in built.sequences] == [[0, 1], [4, 5], [1, 2, 3, 4]]
    assert [(c.items.tolist(), t) for c, t in built.validation] == [([0, 1], 2), ([1, 2, 3, 4], 5)]
    assert built.validation[0][0].event_types.tolist() == [4, 4]  # purchases


def test_learned_methods_are_registered_and_run_through_the_runner():
    assert METHODS["learned"] is LearnedScorer and METHODS["sasrec-id"] is SasrecIdScorer
    tiny = TrainConfig(model=ModelConfig(dimensions=8, heads=1, layers=1, max_length=4,
                                         experts=1, text_dimensions=3),
                       epochs=2, negatives=4, batch_size=2, device="cpu", threads=1)
    scorer = SasrecIdScorer(tiny)
    assert not scorer.config.model.use_text and scorer.config.model.id_min_count == 1
    result = evaluate(dataset(), [scorer, LearnedScorer(tiny, losses=("bce",))], k=2)
    assert set(result["methods"]) == {"sasrec-id", "learned"}
    assert set(result["details"]["sasrec-id"]["losses"]) == {"bce", "sampled_softmax"}
    assert result["details"]["learned"]["chosen_loss"] == "bce"
    assert result["methods"]["learned"]["train seconds"] > 0
