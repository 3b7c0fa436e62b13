from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from planted_data import START, successor, text_vectors, tiny_config, training_data
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.learned import train
from saleor_personalization.engine.learned.model import LearnedModel
from saleor_personalization.engine.ranking_model import ContentProfileModel, RankingModel


@pytest.fixture(scope="module")
def trained():
    return train(training_data(shoppers=120), tiny_config())


def ranked(model, events, texts):
    ids = sorted(texts)
    items = model.item_vectors(ids, np.stack([texts[i] for i in ids]))
    scores = items @ model.shopper_vector(events, texts)
    seen = {e.product_id for e in events}
    return [ids[i] for i in np.argsort(-scores, kind="stable") if ids[i] not in seen]


def test_learned_model_implements_the_interface(trained):
    model = trained.ranking_model()
    assert isinstance(model, RankingModel) and model.dimensions == 16 + 16  # learned + text
    texts = text_vectors()
    vectors = model.item_vectors(sorted(texts), np.stack([texts[i] for i in sorted(texts)]))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.shopper_vector([], texts) is None


def test_one_more_event_changes_the_next_list_without_retraining(trained):
    model, texts, after = trained.ranking_model(), text_vectors(), successor()
    first = Event("s", 100 + 3, "view", START)
    before = ranked(model, [first], texts)
    assert before[0] == 100 + after[3]
    clicked = Event("s", 100 + 11, "view", START + timedelta(minutes=1))
    now = ranked(model, [first, clicked], texts)
    assert now[0] == 100 + after[11] != before[0]


def test_a_new_product_with_only_text_gets_a_vector_and_can_be_recommended():
    # A text-only model (ids need more interactions than anyone has): a product
    # added after training, with the text of the planted next item, ranks with it.
    trained = train(training_data(shoppers=120), tiny_config(id_min_count=10_000))
    assert trained.id_rows == {}
    model, texts, after = trained.ranking_model(), text_vectors(), successor()
    target = 100 + after[5]
    with_new = {**texts, 999: texts[target]}
    new_vector = model.item_vectors([999], with_new[999][None])[0]
    assert np.linalg.norm(new_vector) == pytest.approx(1.0, abs=1e-5)
    top = ranked(model, [Event("s", 105, "purchase", START)], with_new)[:2]
    assert set(top) == {target, 999}


def test_products_without_text_are_skipped_in_the_history(trained):
    model, texts = trained.ranking_model(), text_vectors()
    known = Event("s", 100, "view", START)
    unknown = Event("s", 5000, "view", START + timedelta(minutes=1))
    np.testing.assert_array_equal(
        model.shopper_vector([known, unknown], texts), model.shopper_vector([known], texts)
    )


def test_content_weight_adds_the_content_profiles_cosine_to_every_score(trained):
    texts = text_vectors()
    ids = sorted(texts)
    text = np.stack([texts[i] for i in ids])
    events = [Event("s", 100 + i, "purchase", START + timedelta(days=i)) for i in (3, 8, 11)]
    plain = trained.ranking_model()
    model_config = replace(trained.config.model, content_weight=0.3)
    blended = replace(trained, config=replace(trained.config, model=model_config)).ranking_model()
    assert isinstance(blended, LearnedModel) and blended.dimensions == plain.dimensions
    items = plain.item_vectors(ids, text)
    np.testing.assert_array_equal(items, blended.item_vectors(ids, text))
    content = ContentProfileModel(16).shopper_vector(events, texts)
    expected = items @ plain.shopper_vector(events, texts) + 0.3 * (text @ content)
    got = items @ blended.shopper_vector(events, texts)
    # Equal up to the blended query's length, which no ranking depends on.
    np.testing.assert_allclose(got / got[0], expected / expected[0], rtol=1e-4, atol=1e-5)
    assert np.linalg.norm(blended.shopper_vector(events, texts)) == pytest.approx(1.0, abs=1e-5)
