"""pytest fixtures shared by this project's test suites (load with ``pytest_plugins``).

The standalone suite and the Saleor integration suite run in separate pytest
sessions with different Django settings; both load these.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_store_caches():
    """Caches that outlive a request in production must not outlive a test."""
    from .saleor_adapter.availability import clear_sellable_cache
    from .saleor_adapter.services import forget_recent_config
    from .store.django_store import clear_popularity_cache
    from .store.recommender_registry import clear_loaded_models
    from .store.spaces import clear_active_space_cache
    from .store.vector_search import clear_selectivity_cache

    clear_popularity_cache()
    clear_selectivity_cache()
    clear_sellable_cache()
    forget_recent_config()
    clear_loaded_models()
    clear_active_space_cache()


@pytest.fixture(scope="session")
def encoder_config():
    """The default packaged MiniLM model, loaded once for the whole run."""
    from .engine.encoder import EncoderConfig, load_model

    config = EncoderConfig()
    load_model(config)
    return config
