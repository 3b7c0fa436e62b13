"""Which description a shopper sees while an experiment runs, and their exposures.

Serving reads the running experiments of a page's products in one query (on the
replica) and assigns each shopper with the engine's sticky hash: nothing is
written in the request. The exposures are sent, one task per request, to a
worker that inserts them with ``ON CONFLICT DO NOTHING`` (the first exposure
counts), so a product page costs one query and one publish however often it is
viewed, and a broker or database problem never breaks it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ..engine.experiments import assign_arm
from ..experiment_models import DescriptionExperiment, DescriptionExperimentArm, DescriptionExposure

logger = logging.getLogger(__name__)

# (experiment id, shopper key, arm, ISO time of the first view)
Exposure = tuple[str, str, int, str]


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


def exposure(running: RunningExperiment, shopper_key: str, arm: int) -> Exposure:
    return (running.experiment_id, shopper_key, arm, timezone.now().isoformat())


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
    counts); returns how many rows were offered."""
    rows = [(str(e), str(s), int(a), _time(t)) for e, s, a, t in exposures]
    if not rows:
        return 0
    arm_counts = _arm_counts({e for e, _s, _a, _t in rows})
    valid = [
        DescriptionExposure(experiment_id=e, shopper_key=s, arm=a, exposed_at=t)
        for e, s, a, t in rows
        if e in arm_counts and 0 <= a < arm_counts[e] and s
    ]
    DescriptionExposure.objects.bulk_create(valid, ignore_conflicts=True)
    return len(valid)


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
