from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from planted_data import START, text_vectors, tiny_config, training_data
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.learned import load, save, train, train_best
from saleor_personalization.engine.learned.ensemble import (
    EnsembleEncoder,
    combined_weights,
    member_weights,
)
from saleor_personalization.engine.learned.model import TrainedModel
from saleor_personalization.engine.learned.training import served_metrics
from saleor_personalization.engine.ranking_model import ContentProfileModel

EVENTS = [Event("s", 100 + i, "purchase", START + timedelta(days=i)) for i in (3, 8, 11)]


@pytest.fixture(scope="module")
def members() -> list[TrainedModel]:
    data = training_data(shoppers=120)
    return [train(data, replace(tiny_config(), seed=seed)) for seed in (3, 4)]


@pytest.fixture(scope="module")
def ensemble() -> TrainedModel:
    return train(training_data(shoppers=120), replace(tiny_config(), epochs=10, ensemble=2))


def join(members: list[TrainedModel], **model_options) -> TrainedModel:
    config = replace(members[0].config, ensemble=len(members))
    config = replace(config, model=replace(config.model, **model_options))
    return replace(
        members[0], config=config, weights=combined_weights([m.weights for m in members])
    )


def scores(model, texts):
    ids = sorted(texts)
    items = model.item_vectors(ids, np.stack([texts[i] for i in ids]))
    return items @ model.shopper_vector(EVENTS, texts)


def test_an_ensemble_ranks_by_the_sum_of_its_members_cosines(members):
    texts = text_vectors()
    expected = sum(scores(member.ranking_model(), texts) for member in members)
    model = join(members).ranking_model()
    assert isinstance(model.encoder, EnsembleEncoder)
    assert model.dimensions == 2 * 16 + 16  # two learned parts, the text once
    got = scores(model, texts)
    np.testing.assert_allclose(got / got[0], expected / expected[0], rtol=1e-4, atol=1e-5)
    assert np.argmax(got) == np.argmax(expected)


def test_content_weight_counts_once_per_member(members):
    texts = text_vectors()
    ids = sorted(texts)
    text = np.stack([texts[i] for i in ids])
    content = ContentProfileModel(16).shopper_vector(EVENTS, texts)
    expected = sum(scores(member.ranking_model(), texts) for member in members)
    expected = expected + 2 * 0.3 * (text @ content)
    got = scores(join(members, content_weight=0.3).ranking_model(), texts)
    np.testing.assert_allclose(got / got[0], expected / expected[0], rtol=1e-4, atol=1e-5)


def test_an_id_only_ensemble_sums_its_members_too():
    data = training_data(shoppers=60)
    config = replace(tiny_config(use_text=False), epochs=3)
    members = [train(data, replace(config, seed=seed)) for seed in (1, 2)]
    texts = text_vectors()
    expected = sum(scores(member.ranking_model(), texts) for member in members)
    model = join(members).ranking_model()
    assert model.dimensions == 2 * 16
    got = scores(model, texts)
    np.testing.assert_allclose(got / got[0], expected / expected[0], rtol=1e-4, atol=1e-5)


def test_training_an_ensemble_trains_each_seed_and_scores_them_together(ensemble):
    assert ensemble.config.ensemble == 2 and ensemble.config.seed == 3
    assert set(member_weights(ensemble.weights, 2)[0]) == set(member_weights(ensemble.weights, 2)[1])
    first, second = ensemble.metrics["members"]
    assert first != second  # another seed, another model
    assert {entry["member"] for entry in ensemble.history} == {1, 2}
    assert 0.0 <= ensemble.metrics["ndcg@10"] <= 1.0
    assert ensemble.metrics == {**ensemble.metrics, **served_metrics(ensemble, training_data(
        shoppers=120))}
    # The first member is exactly the single model of the same seed.
    single = train(training_data(shoppers=120), replace(tiny_config(), epochs=10))
    for name, value in single.weights.items():
        np.testing.assert_array_equal(ensemble.weights["member0." + name], value)


def test_served_metrics_of_one_model_equal_its_training_validation(members):
    data = training_data(shoppers=120)
    got = served_metrics(members[0], data)
    assert got["recall@10"] == pytest.approx(members[0].metrics["recall@10"], abs=1e-4)
    assert got["ndcg@10"] == pytest.approx(members[0].metrics["ndcg@10"], abs=1e-4)


def test_an_ensemble_round_trips_through_its_artifact(ensemble, tmp_path):
    loaded = load(save(ensemble, tmp_path / "model"))
    assert loaded.config == ensemble.config
    texts = text_vectors()
    np.testing.assert_allclose(
        scores(loaded.ranking_model(), texts), scores(ensemble.ranking_model(), texts), atol=1e-6
    )


def test_train_best_compares_losses_on_one_model_then_grows_the_better(monkeypatch):
    progress = []
    config = replace(tiny_config(), epochs=2, patience=2, ensemble=2)
    best, report = train_best(
        training_data(shoppers=60), config, progress=lambda *args: progress.append(args)
    )
    assert set(report) == {"bce", "sampled_softmax"} and best.config.ensemble == 2
    assert best.config.loss == max(report, key=lambda loss: report[loss]["ndcg@10"])
    # Two losses of one model each, then the second member: its epochs follow the first's.
    assert [(epoch, total) for epoch, total, _ in progress[-2:]] == [(3, 4), (4, 4)]
    assert progress[-1][2]["member"] == 2


def test_weights_that_belong_to_no_member_are_a_clear_error(members):
    weights = combined_weights([m.weights for m in members])
    with pytest.raises(ValueError, match="no member of a 2-model ensemble"):
        member_weights({**weights, "other.weight": np.zeros(1)}, 2)
    with pytest.raises(ValueError, match="expected weights for 3 members"):
        member_weights(weights, 3)
    with pytest.raises(ValueError, match="ensemble must be at least 1"):
        replace(tiny_config(), ensemble=0)
