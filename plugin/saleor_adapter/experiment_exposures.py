"""Which description a shopper sees while an experiment runs, and their exposures.

Serving reads the running experiments of a page's products in one query (on the
replica) and assigns each shopper with the engine's sticky hash: nothing is
written in the request. The exposures are sent, one task per request, to a
worker that inserts them with ``ON CONFLICT DO NOTHING`` (the first exposure
counts), so a product page costs one query and one publish however often it is
viewed, and a broker or database problem never breaks it.

A guest who signs in keeps the arm they saw: a signed-in shopper's stored
exposures (their account's, and the guest id's the storefront sends along) are
read in one more query, the first one seen decides, and the guest's exposures
and conversions are folded into the account, so nobody is counted twice or in
two arms.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..engine.experiments import assign_arm
from ..experiment_models import (
    DescriptionConversion,
    DescriptionExperiment,
    DescriptionExperimentArm,
    DescriptionExposure,
)

logger = logging.getLogger(__name__)

# (experiment id, shopper key, arm, ISO time of the first view, guest key folded
# into the shopper's account or None)
Exposure = tuple[str, str, int, str, str | None]


@dataclass
class RunningExperiment:
    experiment_id: str
    traffic_percent: int
    # arm index -> the description it shows (arm 0, the control: the live one)
    descriptions: dict[int, Any] = field(default_factory=dict)

    @property
    def arm_count(self) -> int:
        return len(self.descriptions)

    def arm_for(self, shopper_key: str) -> int | None:
        """The shopper's arm; None outside the traffic (they see the control, uncounted)."""
        return assign_arm(self.experiment_id, shopper_key, self.arm_count, self.traffic_percent)


def running_experiments(
    keys: Iterable[tuple[int, str]], using: str | None = None
) -> dict[tuple[int, str], RunningExperiment]:
    """Running experiments of these (product id, language) pairs, with their arms'
    descriptions, in one query."""
    keys = set(keys)
    if not keys:
        return {}
    arms = DescriptionExperimentArm.objects.filter(
        experiment__status=DescriptionExperiment.Status.RUNNING,
        experiment__product_id__in={pid for pid, _lang in keys},
        experiment__language_code__in={lang for _pid, lang in keys},
    )
    if using is not None:
        arms = arms.using(using)
    found: dict[tuple[int, str], RunningExperiment] = {}
    for experiment_id, product_id, language, traffic, index, description in arms.values_list(
        "experiment_id",
        "experiment__product_id",
        "experiment__language_code",
        "experiment__traffic_percent",
        "index",
        "version__description",
    ):
        if (product_id, language) not in keys:
            continue
        running = found.setdefault(
            (product_id, language), RunningExperiment(str(experiment_id), traffic)
        )
        running.descriptions[index] = description
    return found


def stored_arms(
    experiment_ids: Iterable[str], shopper_keys: Iterable[str], using: str | None = None
) -> dict[tuple[str, str], tuple[int, datetime.datetime]]:
    """(experiment id, shopper key) -> (arm, first view) of stored exposures, in one query."""
    experiment_ids, shopper_keys = set(experiment_ids), set(shopper_keys)
    if not experiment_ids or not shopper_keys:
        return {}
    rows = DescriptionExposure.objects.filter(
        experiment_id__in=list(experiment_ids), shopper_key__in=list(shopper_keys)
    )
    if using is not None:
        rows = rows.using(using)
    return {
        (str(experiment_id), key): (arm, at)
        for experiment_id, key, arm, at in rows.values_list(
            "experiment_id", "shopper_key", "arm", "exposed_at"
        )
    }


def account_arm(
    running: RunningExperiment,
    account_key: str,
    guest_key: str | None,
    stored: dict[tuple[str, str], tuple[int, datetime.datetime]],
) -> int | None:
    """A signed-in shopper's arm: the one they saw first (as the account or as the
    guest whose id the storefront sends), else the guest id's hash (so signing in
    mid-visit changes nothing), else the account's."""
    seen = [
        stored[(running.experiment_id, key)]
        for key in (account_key, guest_key)
        if key and (running.experiment_id, key) in stored
    ]
    if seen:
        return min(seen, key=lambda arm_at: arm_at[1])[0]
    return running.arm_for(guest_key or account_key)


def exposure(
    running: RunningExperiment, shopper_key: str, arm: int, guest_key: str | None = None
) -> Exposure:
    return (running.experiment_id, shopper_key, arm, timezone.now().isoformat(), guest_key)


def send(exposures: Sequence[Exposure]) -> None:
    """Queue the exposures for a worker (after the request's transaction commits)."""
    if not exposures:
        return
    from .. import tasks
    from .hooks import enqueue_on_commit

    try:
        enqueue_on_commit(tasks.record_description_exposures, [list(e) for e in exposures])
    except Exception:  # a lost exposure must never break a product page
        logger.exception("Could not queue description exposures")


def record(exposures: Iterable[Sequence]) -> int:
    """Insert the exposures of running experiments not recorded yet (the first view
    counts), after folding a signed-in shopper's guest exposures into the account;
    returns how many rows were offered."""
    # Exposures queued before guests were folded in have no fifth item.
    rows = [
        (str(e), str(s), int(a), _time(t), str(rest[0]) if rest and rest[0] else None)
        for e, s, a, t, *rest in exposures
    ]
    if not rows:
        return 0
    arm_counts = _arm_counts({e for e, *_ in rows})
    valid = [row for row in rows if row[0] in arm_counts and 0 <= row[2] < arm_counts[row[0]]
             and row[1]]
    folded: dict[tuple[str, str], set[str]] = {}
    for experiment_id, account, _arm, _at, guest in valid:
        if guest and guest != account:
            folded.setdefault((guest, account), set()).add(experiment_id)
    for (guest, account), experiment_ids in folded.items():
        merge_shoppers(guest, account, experiment_ids=experiment_ids)
    DescriptionExposure.objects.bulk_create(
        [DescriptionExposure(experiment_id=e, shopper_key=s, arm=a, exposed_at=t)
         for e, s, a, t, _guest in valid],
        ignore_conflicts=True,
    )
    return len(valid)


def merge_shoppers(
    source_key: str, target_key: str, experiment_ids: Iterable[str] | None = None
) -> int:
    """Fold a guest's exposures and conversions into an account: per experiment the
    earlier exposure (the arm seen first) stays, under the account, and the account's
    conversions there are credited to that arm. Returns how many experiments moved."""
    with transaction.atomic():
        source = DescriptionExposure.objects.select_for_update().filter(shopper_key=source_key)
        if experiment_ids is not None:
            source = source.filter(experiment_id__in=list(experiment_ids))
        moved = {row.experiment_id: row for row in source}
        if not moved:
            return 0
        target = {
            row.experiment_id: row
            for row in DescriptionExposure.objects.select_for_update().filter(
                shopper_key=target_key, experiment_id__in=list(moved)
            )
        }
        for experiment_id, guest in moved.items():
            account = target.get(experiment_id)
            if account is None:
                guest.shopper_key = target_key
                guest.save(update_fields=["shopper_key"])
                continue
            if guest.exposed_at < account.exposed_at:
                account.arm, account.exposed_at = guest.arm, guest.exposed_at
                account.save(update_fields=["arm", "exposed_at"])
            guest.delete()
        conversions = DescriptionConversion.objects.filter(experiment_id__in=list(moved))
        taken = set(
            conversions.filter(shopper_key=target_key).values_list("experiment_id", "goal")
        )
        for conversion in conversions.filter(shopper_key=source_key):
            if (conversion.experiment_id, conversion.goal) in taken:
                conversion.delete()
            else:
                conversion.shopper_key = target_key
                conversion.save(update_fields=["shopper_key"])
        arms = dict(
            DescriptionExposure.objects.filter(
                shopper_key=target_key, experiment_id__in=list(moved)
            ).values_list("experiment_id", "arm")
        )
        for experiment_id, arm in arms.items():
            conversions.filter(shopper_key=target_key, experiment_id=experiment_id).exclude(
                arm=arm
            ).update(arm=arm)
    return len(moved)


def _arm_counts(experiment_ids: set[str]) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        DescriptionExperiment.objects.filter(
            pk__in=list(experiment_ids), status=DescriptionExperiment.Status.RUNNING
        )
        .annotate(arms_count=Count("arms"))
        .values_list("pk", "arms_count")
    )
    return {str(pk): count for pk, count in rows}


def _time(value: str) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
