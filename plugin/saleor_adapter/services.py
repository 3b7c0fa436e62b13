"""What the GraphQL fields, hooks and tasks ask of the engine, in Saleor terms."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from ..engine.encoder import EncoderConfig
from ..engine.events import Event
from ..engine.explain import Reason
from ..engine.recommender import ModelRanking, RankingConfig, Recommender
from ..store import DjangoStore
from ..store.routing import reading_from
from ..ttl_cache import TtlCache
from . import list_tokens
from .availability import sellable_filter
from .config import ACTIVE_BY_DEFAULT, PLUGIN_ID, ConfigError, PersonalizationConfig, parse_config

logger = logging.getLogger(__name__)


def load_config() -> PersonalizationConfig | None:
    """The saved configuration when the plugin is switched on, else None (one query)."""
    config, active = saved_config()
    return config if active else None


def saved_config(using: str = DEFAULT_DB_ALIAS) -> tuple[PersonalizationConfig, bool]:
    """The saved configuration (defaults if never saved) and whether the plugin is on.

    Never saved means installed and untouched, which Saleor treats as active.
    One indexed query (``using``: the connection to read).
    """
    from saleor.plugins.models import PluginConfiguration

    row = (
        PluginConfiguration.objects.using(using)
        .filter(identifier=PLUGIN_ID, channel__isnull=True)
        .values_list("active", "configuration")
        .first()
    )
    if row is None:
        return PersonalizationConfig(), ACTIVE_BY_DEFAULT
    active, configuration = row
    try:
        return parse_config(configuration or []), active
    except ConfigError:
        logger.exception("Personalization plugin configuration is invalid; using defaults")
        return PersonalizationConfig(), active


# The storefront's fields read the configuration through this cache: a saved change
# reaches this process at once (cleared on commit) and other processes within seconds.
_recent_configs: TtlCache[tuple[PersonalizationConfig, bool]] = TtlCache(ttl=5.0, max_entries=8)


def recent_config(using: str = DEFAULT_DB_ALIAS) -> tuple[PersonalizationConfig, bool]:
    """:func:`saved_config` as read at most a few seconds ago."""
    return _recent_configs.get(using, lambda: saved_config(using))


def forget_recent_config() -> None:
    _recent_configs.clear()


def catalog_indexed_with(model: str) -> bool:
    """Whether the live embedding space holds ``model``'s vectors."""
    from ..store.catalog_index import current_space

    space = current_space()
    return space is not None and space.model_name == model


def encoder_config(config: PersonalizationConfig) -> EncoderConfig:
    return EncoderConfig(model=config.embedding_model)


def recommender(
    config: PersonalizationConfig, space=None, model_ranking: ModelRanking | None = None
) -> Recommender:
    """The engine on the active space (or ``space``) with the merchant's ranking settings;
    ``model_ranking`` ranks the stored shopper lists (the live learned model)."""
    return Recommender(
        DjangoStore(space),
        ranking_config=RankingConfig(
            diversity=config.diversity,
            exclude_purchased=config.exclude_purchased,
            exclude_seen=config.exclude_viewed,
        ),
        model_ranking=model_ranking,
    )


def learned_ranking(config: PersonalizationConfig) -> ModelRanking | None:
    """The live learned model and its product vectors, when one is live for the
    configured text encoder (numpy only: never loads torch)."""
    from ..store.recommender_registry import live_model

    live = live_model(config.embedding_model)
    return live.ranking() if live is not None else None


@dataclass(frozen=True)
class ServedItem:
    product_id: int
    score: float
    # Rendered by the caller, which loads the products it names with the list's own.
    reason: Reason | None = None


@dataclass(frozen=True)
class ServedList:
    id: str | None
    items: list[ServedItem]

    def reason_sources(self) -> list[int]:
        """Products the reasons name ("Because you viewed ..."), to load their names."""
        return sorted(
            {i.reason.product_id for i in self.items if i.reason and i.reason.product_id}
        )


def replica() -> str:
    """Saleor's connection for reads (its replica when it has one), as its storefront uses."""
    return getattr(settings, "DATABASE_CONNECTION_REPLICA_NAME", DEFAULT_DB_ALIAS)


def recommend(
    config: PersonalizationConfig,
    channel,
    shopper_key: str | None,
    first: int,
    context_product_id: int | None = None,
) -> ServedList:
    """A recommendation list for a shopper in a channel, only of sellable products.

    Its id is a signed token (nothing is stored for a list that is only looked at).
    """
    flt = sellable_filter(channel, require_in_stock=config.require_in_stock, using=replica())
    with reading_from(replica()):
        result = recommender(config).recommend(
            shopper_key,
            channel.slug,
            first,
            context_product_id=context_product_id,
            candidate_filter=flt,
            remember=False,
        )
        items = [ServedItem(i.product_id, i.score, i.reason) for i in result.items]
    ids = [item.product_id for item in items]
    token = list_tokens.sign(channel.slug, ids, context_product_id) if ids else None
    return ServedList(token, items)


def similar(
    config: PersonalizationConfig, channel, product_ids: Sequence[int], first: int
) -> dict[int, list[ServedItem]]:
    """Similar sellable products for each product of a page (one search query).

    Without reasons: the field shows products only, so no names are looked up.
    """
    flt = sellable_filter(channel, require_in_stock=config.require_in_stock, using=replica())
    with reading_from(replica()):
        found = recommender(config).similar_products_many(product_ids, first, flt, channel.slug)
    return {
        pid: [ServedItem(item.product_id, item.score) for item in items]
        for pid, items in found.items()
    }


def track(config: PersonalizationConfig, event: Event) -> bool:
    """Record an event and update the shopper's profile.

    Saleor vouches that the product exists, so an event for a product not indexed
    yet (or before anything is indexed) is still kept: profiles built later from
    the history include it. Only the online profile update is skipped.
    """
    from ..engine.ports import UnknownProductError
    from ..store import NoActiveSpaceError

    try:
        return recommender(config).track(event)
    except (UnknownProductError, NoActiveSpaceError):
        return DjangoStore().record(event)


def refresh_shopper_lists(config: PersonalizationConfig, shopper_keys: Iterable[str]) -> int:
    """Recompute the stored lists of these shoppers (where events are processed, so
    that reads only pick from them); returns how many shoppers have lists now."""
    from ..store import NoActiveSpaceError

    engine = recommender(config, model_ranking=learned_ranking(config))
    stored = 0
    for key in sorted(set(shopper_keys)):
        try:
            stored += engine.save_shopper_lists(key) is not None
        except NoActiveSpaceError:
            return 0  # nothing indexed yet: reads rank live
    return stored


def enqueue_shopper_lists(shopper_key: str) -> None:
    """Have a worker recompute the shopper's lists once this transaction commits;
    until then reads rank live (the stored lists no longer match the profile)."""
    from .. import tasks
    from .hooks import enqueue_on_commit

    enqueue_on_commit(tasks.refresh_shopper_lists, shopper_key)


def refresh_popularity(config: PersonalizationConfig) -> int:
    return recommender(config).refresh_popularity()


def has_history(shopper_key: str) -> bool:
    from ..models import InteractionEvent

    return InteractionEvent.objects.using(replica()).filter(shopper_key=shopper_key).exists()


def merge_shoppers(config: PersonalizationConfig, source_key: str, target_key: str) -> None:
    """Move a guest's (or guest e-mail's) history into an account, with the
    description experiments they took part in."""
    from ..store import NoActiveSpaceError
    from . import experiment_exposures

    engine = recommender(config)
    engine.store.merge_shoppers(source_key, target_key)
    experiment_exposures.merge_shoppers(source_key, target_key)
    try:
        engine.rebuild_profile(target_key)
    except NoActiveSpaceError:
        return  # nothing indexed yet: the profile is built on first use
    enqueue_shopper_lists(target_key)


def forget_shopper(shopper_key: str) -> None:
    from . import experiment_conversions

    DjangoStore().forget_shopper(shopper_key)
    experiment_conversions.forget_shopper(shopper_key)
