"""The Saleor plugin class: configuration and hooks, delegating to the adapter."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from . import hooks
from .config import (
    GENERATOR_BACKENDS,
    PLUGIN_ID,
    ConfigError,
    PersonalizationConfig,
    default_configuration,
    parse_config,
)

logger = logging.getLogger(__name__)

_BOOLEAN = ConfigurationTypeField.BOOLEAN
_STRING = ConfigurationTypeField.STRING


class PersonalizationPlugin(BasePlugin):
    PLUGIN_ID = PLUGIN_ID
    PLUGIN_NAME = "Personalization"
    PLUGIN_DESCRIPTION = (
        "Language-model product recommendations (similar products, recommended for you) "
        "from product text and shopper behaviour, and AI-assisted product descriptions."
    )
    # One embedding model and one set of shopper profiles serve the whole shop;
    # channel-specific behaviour (what can be sold) comes from Saleor's own channel
    # listings at query time, so there is nothing to configure per channel.
    CONFIGURATION_PER_CHANNEL = False
    DEFAULT_ACTIVE = False
    DEFAULT_CONFIGURATION = default_configuration()
    CONFIG_STRUCTURE: dict[str, dict[str, Any]] = {
        "recommendations_enabled": {
            "type": _BOOLEAN,
            "label": "Recommendations",
            "help_text": "Serve similarProducts and recommendedProducts in the GraphQL API.",
        },
        "anonymous_tracking": {
            "type": _BOOLEAN,
            "label": "Track anonymous shoppers",
            "help_text": "Accept events and personalize for guests identified by an anonymousId.",
        },
        "require_in_stock": {
            "type": _BOOLEAN,
            "label": "Only recommend products in stock",
            "help_text": "Leave out products with no stock in the channel's warehouses.",
        },
        "exclude_purchased": {
            "type": _BOOLEAN,
            "label": "Hide products already bought",
            "help_text": "Do not recommend products the shopper has already bought.",
        },
        "diversity": {
            "type": _STRING,
            "label": "Diversity (0 to 1)",
            "help_text": "0 ranks purely by relevance; higher values spread lists over more kinds of product.",
        },
        "embedding_model": {
            "type": _STRING,
            "label": "Embedding model",
            "help_text": "sentence-transformers model name or local folder. Changing it re-indexes "
            "the catalog in the background and switches over when done.",
        },
        "content_optimization_enabled": {
            "type": _BOOLEAN,
            "label": "Content optimization",
            "help_text": "Suggest rewritten product descriptions for staff approval.",
        },
        "auto_promote_winners": {
            "type": _BOOLEAN,
            "label": "Auto-promote A/B winners",
            "help_text": "Publish the winning description of an A/B test without manual review.",
        },
        "generator_backend": {
            "type": _STRING,
            "label": "Generator backend",
            "help_text": f"One of: {', '.join(GENERATOR_BACKENDS)}.",
        },
        "generator_model": {
            "type": _STRING,
            "label": "Generator model",
            "help_text": "Model name or local path for the description generator.",
        },
        "generator_server_url": {
            "type": _STRING,
            "label": "Generator server URL",
            "help_text": "Base URL of an OpenAI-compatible server (openai backend).",
        },
        "generator_api_key": {
            "type": ConfigurationTypeField.SECRET,
            "label": "Generator API key",
            "help_text": "API key for the OpenAI-compatible server; never shown again after saving.",
        },
        "brand_voice": {
            "type": ConfigurationTypeField.MULTILINE,
            "label": "Brand voice",
            "help_text": "How rewritten descriptions should sound.",
        },
    }

    def __init__(self, *, configuration, **kwargs) -> None:
        super().__init__(configuration=configuration, **kwargs)
        try:
            self.config = parse_config(self.configuration)
        except ConfigError:
            logger.exception("Invalid personalization configuration; using defaults")
            self.config = PersonalizationConfig()

    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration, **kwargs) -> None:
        try:
            parse_config(plugin_configuration.configuration or [])
        except ConfigError as error:
            raise ValidationError(
                {
                    name: ValidationError(message, code=PluginErrorCode.INVALID.value)
                    for name, message in error.errors.items()
                }
            ) from None

    @classmethod
    def pre_save_plugin_configuration(cls, plugin_configuration) -> None:
        from .services import load_config

        previous = load_config()
        current = parse_config(plugin_configuration.configuration or [])
        if plugin_configuration.active:
            # Switched on, or another model: (re)index the catalog in the background.
            changed = previous is None or previous.embedding_model != current.embedding_model
            hooks.configuration_saved(current, changed)

    # -- catalog ------------------------------------------------------------------

    def product_created(self, product, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.products_changed([product.pk])
        return previous_value

    def product_updated(self, product, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.products_changed([product.pk])
        return previous_value

    def product_deleted(self, product, variants, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.product_deleted(product.pk)
        return previous_value

    def product_variant_created(self, product_variant, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.products_changed([product_variant.product_id])
        return previous_value

    def product_variant_updated(self, product_variant, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.products_changed([product_variant.product_id])
        return previous_value

    def product_variant_deleted(self, product_variant, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.products_changed([product_variant.product_id])
        return previous_value

    def category_updated(self, category, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.category_changed(category)
        return previous_value

    def attribute_updated(self, attribute, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.attribute_values_changed(attribute.values.values_list("id", flat=True))
        return previous_value

    def attribute_value_updated(self, attribute_value, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.attribute_values_changed([attribute_value.pk])
        return previous_value

    def translations_created(self, translations, previous_value, **kwargs):
        return self._translations_changed(translations, previous_value)

    def translations_updated(self, translations, previous_value, **kwargs):
        return self._translations_changed(translations, previous_value)

    def _translations_changed(self, translations, previous_value):
        if not self.active:
            return previous_value
        translations = translations or []
        hooks.products_changed(
            [getattr(t, "product_id", None) for t in translations],
            variant_ids=[getattr(t, "product_variant_id", None) for t in translations],
        )
        return previous_value

    # -- shoppers -----------------------------------------------------------------

    def order_created(self, order, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.order_placed(order.pk)
        return previous_value

    def order_fully_paid(self, order, previous_value, **kwargs):
        return self.order_created(order, previous_value)

    def checkout_created(self, checkout, previous_value, **kwargs):
        return self.checkout_updated(checkout, previous_value)

    def checkout_updated(self, checkout, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.checkout_changed(checkout.pk)
        return previous_value

    # A guest's history joins an account only once the account is confirmed (its
    # owner proved the e-mail is theirs), as Saleor does with guest orders; Saleor
    # creates accounts unconfirmed, so this happens at confirmation or, after a
    # confirmation that fires no hook, at the customer's next order.

    def customer_created(self, customer, previous_value, **kwargs):
        return self.customer_updated(customer, previous_value)

    def customer_updated(self, customer, previous_value, **kwargs):
        if not self.active:
            return previous_value
        if customer.is_confirmed:
            hooks.customer_confirmed(self.config, customer.pk, customer.email)
        return previous_value

    def account_confirmed(self, user, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.customer_confirmed(self.config, user.pk, user.email)
        return previous_value

    def customer_deleted(self, customer, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.customer_deleted(customer.pk, customer.email)
        return previous_value

    def account_deleted(self, user, previous_value, **kwargs):
        return self.customer_deleted(user, previous_value)

    def staff_deleted(self, staff_user, previous_value, **kwargs):
        return self.customer_deleted(staff_user, previous_value)
