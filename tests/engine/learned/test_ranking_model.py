"""The content profile behind the RankingModel interface serves what the engine served."""

from datetime import timedelta

import numpy as np
import pytest
from planted_data import START, TEXT_DIMENSIONS, text_vectors
from saleor_personalization.engine import profiles
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.profiles import ProfileConfig
from saleor_personalization.engine.ranking_model import ContentProfileModel, RankingModel, unit_rows


def test_content_profile_model_is_the_engines_profile_blend():
    texts, config = text_vectors(), ProfileConfig()
    events = [Event("s", 100 + i, "view", START + timedelta(minutes=i)) for i in range(4)]
    model = ContentProfileModel(TEXT_DIMENSIONS, config)
    assert isinstance(model, RankingModel)
    expected = profiles.blend(
        profiles.long_term(events, texts, config).preference(),
        profiles.short_term(events, texts, config), config,
    )
    np.testing.assert_array_equal(model.shopper_vector(events, texts), expected)
    assert model.shopper_vector([], texts) is None


def test_content_item_vectors_are_unit_text_vectors():
    model = ContentProfileModel(2)
    vectors = model.item_vectors([1, 2], np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(vectors, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(unit_rows(np.array([[2.0, 0.0]])), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="shape"):
        model.item_vectors([1], np.zeros((1, 3)))
