"""``Product.optimizedDescription``: the description a shopper should see.

Without a running experiment it is the live description. While one runs for the
product and language, the shopper (signed in: their account; guest: the
storefront's ``anonymousId``) sees the arm assigned to them and is counted as
exposed; a shopper outside the experiment's traffic, or unknown, sees the live
description and is not counted. A page of products costs one query for all their
experiments (one more for a signed-in shopper's stored arms) and one task for all
its exposures; if anything about the experiment fails, the live description is served.
"""

from __future__ import annotations

import logging
from typing import Any

from saleor.graphql.core.dataloaders import DataLoader

from .. import experiment_exposures
from ..content_versions import shown_description
from ..services import replica
from ..shoppers import is_user_key, user_key
from .access import active_config, guest_key, signed_in_user
from .arguments import enum_value

logger = logging.getLogger(__name__)

# (product id, language code, shopper key or None, for a signed-in shopper the guest
# key the storefront sent along or None)
DescriptionKey = tuple[int, str, str | None, str | None]
# The arm's description, or None for the live one.
ArmDescription = Any


class ExperimentDescriptionLoader(DataLoader[DescriptionKey, ArmDescription]):
    """Each shopper's arm for a page of products; exposures sent in one task."""

    context_key = "personalization_experiment_description"

    def batch_load(self, keys: list[DescriptionKey]) -> list[ArmDescription]:
        try:
            return self._assign(keys)
        except Exception:  # an experiment must never break a product page
            logger.exception("Description experiments unavailable; serving live descriptions")
            return [None for _ in keys]

    def _assign(self, keys: list[DescriptionKey]) -> list[ArmDescription]:
        config = active_config(self.context)
        if config is None or not config.content_enabled:
            return [None for _ in keys]
        running = experiment_exposures.running_experiments(
            {(pid, lang) for pid, lang, shopper, _guest in keys if shopper}, using=replica()
        )
        stored = self._stored_arms(keys, running)
        results, exposures = [], []
        for product_id, language, shopper, guest in keys:
            experiment = running.get((product_id, language)) if shopper else None
            if experiment is None:
                arm = None
            elif is_user_key(shopper):
                arm = experiment_exposures.account_arm(experiment, shopper, guest, stored)
            else:
                arm = experiment.arm_for(shopper)
            if arm is None:
                results.append(None)
                continue
            exposures.append(experiment_exposures.exposure(experiment, shopper, arm, guest))
            results.append(experiment.descriptions.get(arm) if arm else None)
        experiment_exposures.send(exposures)
        return results

    @staticmethod
    def _stored_arms(keys: list[DescriptionKey], running: dict) -> dict:
        """Signed-in shoppers' stored exposures (theirs and their guest id's): the arm
        they saw first wins over the hash. Guests need none: their hash is their arm."""
        accounts = [(pid, lang, shopper, guest) for pid, lang, shopper, guest in keys
                    if shopper and is_user_key(shopper) and (pid, lang) in running]
        if not accounts:
            return {}
        return experiment_exposures.stored_arms(
            {running[(pid, lang)].experiment_id for pid, lang, _s, _g in accounts},
            {key for _p, _l, shopper, guest in accounts for key in (shopper, guest) if key},
            using=replica(),
        )


def _shopper(context, config, anonymous_id: str | None) -> tuple[str | None, str | None]:
    """(the shopper's key, for a signed-in shopper the guest key sent along)."""
    if config is None:
        return None, None
    # Guests take part only where they may be tracked; their id is then checked as
    # the tracking mutation checks it (a bad one is an error on `anonymousId`).
    guest = (
        guest_key(anonymous_id, "anonymousId")
        if anonymous_id is not None and config.anonymous_tracking
        else None
    )
    user = signed_in_user(context)
    if user is not None:
        return user_key(user.pk), guest
    return guest, None


def resolve_optimized_description(root, info, *, language_code=None, anonymous_id=None):
    product = root.node
    language = enum_value(language_code)
    config = active_config(info.context)
    shopper, guest = _shopper(info.context, config, anonymous_id)

    def shown(description):
        if description is not None:
            return description
        return shown_description(product, language, using=replica())

    if shopper is None:
        return shown(None)
    return ExperimentDescriptionLoader(info.context).load(
        (product.pk, language, shopper, guest)
    ).then(
        shown
    )

