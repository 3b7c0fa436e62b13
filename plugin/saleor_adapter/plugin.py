"""The Saleor plugin class: configuration and hooks, delegating to the adapter."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from . import hooks
from .config import (
    ACTIVE_BY_DEFAULT,
    PLUGIN_ID,
    SETTINGS,
    ConfigError,
    PersonalizationConfig,
    default_configuration,
    parse_config,
)

logger = logging.getLogger(__name__)


class PersonalizationPlugin(BasePlugin):
    PLUGIN_ID = PLUGIN_ID
    PLUGIN_NAME = "Personalization"
    PLUGIN_DESCRIPTION = (
        "Product recommendations that understand your catalog: similar products on "
        "product pages and personal 'recommended for you' lists, learned from your "
        "product texts and from what shoppers view, add to cart and buy."
    )
    # One embedding model and one set of shopper profiles serve the whole shop;
    # channel-specific behaviour (what can be sold) comes from Saleor's own channel
    # listings at query time, so there is nothing to configure per channel.
    CONFIGURATION_PER_CHANNEL = False
    DEFAULT_ACTIVE = ACTIVE_BY_DEFAULT
    DEFAULT_CONFIGURATION = default_configuration()
    CONFIG_STRUCTURE: dict[str, dict[str, Any]] = {
        name: {
            "type": getattr(ConfigurationTypeField, setting.type),
            "label": setting.label,
            "help_text": setting.help_text,
        }
        for name, setting in SETTINGS.items()
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
        from ..engine.model_source import model_problem
        from .services import saved_config

        previous, _ = saved_config()

        def check_model(model: str) -> str | None:
            # Only a new name is checked: the saved one may be checked against the hub.
            return None if model == previous.embedding_model else model_problem(model)

        try:
            parse_config(plugin_configuration.configuration or [], check_model=check_model)
        except ConfigError as error:
            _keep_a_fresh_install_active(plugin_configuration)
            raise ValidationError(
                {
                    name: ValidationError(message, code=PluginErrorCode.INVALID.value)
                    for name, message in error.errors.items()
                }
            ) from None

    @classmethod
    def pre_save_plugin_configuration(cls, plugin_configuration) -> None:
        from .services import forget_recent_config, load_config

        transaction.on_commit(forget_recent_config)

        was_on = load_config() is not None
        if plugin_configuration.active:
            current = parse_config(plugin_configuration.configuration or [])
            hooks.configuration_saved(current, was_on=was_on)

    def resolve_plugin_configuration(self, request):
        """The saved settings, with the read-only status fields filled in live."""
        from . import index_status

        live = {
            "index_status": lambda: index_status.catalog_status(self.config),
            "last_problem": index_status.last_problem,
        }
        configuration = []
        for item in self.configuration:
            if item.get("name") in live:
                item = {**item, "value": _never_failing(live[item["name"]])}
            configuration.append(item)
        return configuration

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
        hooks.category_changed(category.pk)
        return previous_value

    def attribute_updated(self, attribute, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.attribute_changed(attribute.pk)
        return previous_value

    def attribute_value_updated(self, attribute_value, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.attribute_changed(attribute_value.attribute_id, [attribute_value.pk])
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

    # An order is a purchase once confirmed (at once in channels that confirm every
    # new order) until canceled or expired; each of these hooks makes the order's
    # purchase events follow its current status.

    def order_created(self, order, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.order_changed(order.pk)
        return previous_value

    def order_confirmed(self, order, previous_value, **kwargs):
        return self.order_created(order, previous_value)

    def order_fully_paid(self, order, previous_value, **kwargs):
        return self.order_created(order, previous_value)

    def order_cancelled(self, order, previous_value, **kwargs):
        return self.order_created(order, previous_value)

    def order_expired(self, order, previous_value, **kwargs):
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
            hooks.customer_confirmed(customer.pk)
        return previous_value

    def account_confirmed(self, user, previous_value, **kwargs):
        if not self.active:
            return previous_value
        hooks.customer_confirmed(user.pk)
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


def _never_failing(read) -> str:
    try:
        return read()
    except Exception:  # a status line must never break the plugin page
        logger.exception("Could not read the personalization status")
        return "unavailable (see the server log)"


def _keep_a_fresh_install_active(plugin_configuration) -> None:
    """Undo the switch-off that Saleor's first save of the plugin makes when it fails.

    Saleor creates the plugin's row (inactive, its model's default) before it
    validates the first save, and keeps it when validation fails: a merchant's typo
    would switch a freshly installed, active plugin off and hide it from the
    dashboard's list. A row that is inactive and still holds the defaults while the
    merchant asked for "active" is that row.
    """
    if not (ACTIVE_BY_DEFAULT and plugin_configuration.pk and plugin_configuration.active):
        return
    from saleor.plugins.models import PluginConfiguration

    row = PluginConfiguration.objects.filter(pk=plugin_configuration.pk, active=False).first()
    defaults = {item["name"]: item["value"] for item in default_configuration()}
    if row is not None and _values(row.configuration) == defaults:
        PluginConfiguration.objects.filter(pk=row.pk).update(active=True)


def _values(configuration) -> dict:
    return {item.get("name"): item.get("value") for item in configuration or []}
