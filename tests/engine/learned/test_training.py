from dataclasses import replace

import numpy as np
import pytest
from planted_data import START, TEXT_DIMENSIONS, events, text_vectors, tiny_config, training_data
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.learned import (
    TrainingCancelled,
    evaluate_models,
    holdout_newest,
    train,
    train_best,
)
from saleor_personalization.engine.learned.gate import HeldOutCase
from saleor_personalization.engine.ranking_model import ContentProfileModel


class PopularityModel:
    """Every shopper gets the same query: one dimension that holds the popularity."""

    name = "popularity"

    def __init__(self, counts: dict[int, int]) -> None:
        self.counts = counts
        self.dimensions = 1

    def item_vectors(self, product_ids, text_vectors):
        return np.array([[self.counts.get(p, 0)] for p in product_ids], dtype=np.float32)

    def shopper_vector(self, events, text_vectors, now=None):
        return np.ones(1, dtype=np.float32)


@pytest.fixture(scope="module")
def planted_model():
    training, cases, _ = holdout_newest(events(shoppers=160), fraction=0.15)
    data = type(training_data()).from_events(training, text_vectors())
    return train(data, tiny_config()), training, cases


def test_learns_a_planted_sequence_far_better_than_popularity_and_content(planted_model):
    model, training, cases = planted_model
    counts: dict[int, int] = {}
    for _, product, _, _ in training:
        counts[product] = counts.get(product, 0) + 1
    models = {
        "learned": model.ranking_model(),
        "content": ContentProfileModel(TEXT_DIMENSIONS),
        "popularity": PopularityModel(counts),
    }
    metrics = evaluate_models(models, cases, text_vectors(), k=3)
    assert metrics["learned"]["cases"] == len(cases) > 20
    assert metrics["learned"]["recall@3"] >= 0.9
    assert metrics["learned"]["recall@3"] > 3 * metrics["content"]["recall@3"]
    assert metrics["learned"]["recall@3"] > 3 * metrics["popularity"]["recall@3"]


def test_a_record_of_the_run_comes_with_the_weights(planted_model):
    model, _, _ = planted_model
    assert 1 <= model.metrics["epoch"] <= 25
    assert model.metrics["ndcg@10"] == max(entry["ndcg@10"] for entry in model.history)
    assert model.seconds > 0 and model.peak_memory_mb > 0
    assert model.window[0] == START and model.window[1] > START


def test_same_seed_same_model_and_metrics():
    data = training_data(shoppers=40)
    config = replace(tiny_config(dropout=0.1), epochs=3)
    first, second = train(data, config), train(data, config)
    assert first.history == second.history
    assert all(np.array_equal(first.weights[n], second.weights[n]) for n in first.weights)
    third = train(data, replace(config, seed=4))
    assert not np.array_equal(first.weights["positions.weight"], third.weights["positions.weight"])


def test_both_losses_are_reported_and_the_better_is_kept():
    data = training_data(shoppers=40)
    best, report = train_best(data, replace(tiny_config(), epochs=3))
    assert set(report) == {"bce", "sampled_softmax"}
    assert best.config.loss == max(report, key=lambda loss: report[loss]["ndcg@10"])
    assert all({"ndcg@10", "recall@10", "seconds", "peak_memory_mb"} <= set(r) for r in report.values())


def test_should_stop_cancels_training():
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(TrainingCancelled):
        train(training_data(shoppers=40), tiny_config(), should_stop=stop)


def test_progress_is_reported_every_epoch():
    seen = []
    train(training_data(shoppers=40), replace(tiny_config(), epochs=2),
          progress=lambda epoch, epochs, metrics: seen.append((epoch, epochs, set(metrics))))
    assert seen == [(1, 2, {"loss", "ndcg@10", "recall@10"}), (2, 2, {"loss", "ndcg@10", "recall@10"})]


def test_nothing_to_learn_is_a_clear_error():
    one_event_each = [("a", 100, "view", START), ("b", 101, "view", START)]
    data = type(training_data()).from_events(one_event_each, text_vectors())
    with pytest.raises(ValueError, match="no shopper has two or more events"):
        train(data, tiny_config())


def test_negatives_never_include_the_shoppers_own_positives():
    from saleor_personalization.engine.learned.batches import windows
    from saleor_personalization.engine.learned.training import _member

    data = training_data(shoppers=5)
    w = windows(data, 8)
    samples = np.array([[int(data.sequences[0].items[0]), 0], [1, 2]])
    member = _member(w.positives, np.array([0, 0]), samples)
    assert member[0, 0]
    own = set(data.sequences[0].items.tolist())
    assert member.tolist() == [[s in own for s in row] for row in samples.tolist()]


def test_held_out_case_history_is_events():
    _, cases, cutoff = holdout_newest(events(shoppers=10), fraction=0.2)
    assert cases and all(isinstance(c, HeldOutCase) for c in cases)
    assert all(isinstance(e, Event) and e.occurred_at < cutoff for c in cases for e in c.history)


def test_a_catalogue_above_the_exact_softmax_size_learns_with_sampled_negatives():
    training, cases, _ = holdout_newest(events(shoppers=160), fraction=0.15)
    data = type(training_data()).from_events(training, text_vectors())
    sampled = train(data, replace(tiny_config(), full_softmax_items=data.n_items - 1))
    metrics = evaluate_models({"learned": sampled.ranking_model()}, cases, text_vectors(), k=3)
    assert metrics["learned"]["recall@3"] >= 0.9

