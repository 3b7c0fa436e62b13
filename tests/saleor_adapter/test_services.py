"""What the adapter asks of the engine, built from the dashboard settings."""

import pytest
from saleor_personalization.engine.recommender import RankingConfig
from saleor_personalization.saleor_adapter.config import PersonalizationConfig
from saleor_personalization.saleor_adapter.services import recommender


@pytest.mark.parametrize(("exclude_purchased", "exclude_viewed"), [(True, False), (False, True)])
def test_the_recommender_hides_what_the_settings_say(exclude_purchased, exclude_viewed):
    config = PersonalizationConfig(
        diversity=0.3, exclude_purchased=exclude_purchased, exclude_viewed=exclude_viewed
    )
    assert recommender(config).ranking_config == RankingConfig(
        diversity=0.3, exclude_purchased=exclude_purchased, exclude_seen=exclude_viewed
    )
