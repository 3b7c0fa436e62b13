"""Statistics of description experiments: counts per arm from the tables, the
engine's always-valid analysis, and the snapshot (with a daily history) kept on
the experiment for the curve.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict

from django.db.models import Count
from django.utils import timezone

from ..engine.experiments import Analysis, ArmCounts, Decision, analyze, exposures_needed
from ..experiment_models import DescriptionConversion, DescriptionExperiment, DescriptionExposure
from ..models import InteractionEvent

# Days of history kept on an experiment (one entry a day).
MAX_HISTORY_DAYS = 400
# Past shoppers of the product needed before its past rate is trusted as the baseline.
BASELINE_MIN_SHOPPERS = 200
BASELINE_DAYS = 90


def arm_counts(
    experiments: Sequence[DescriptionExperiment], using: str | None = None
) -> dict:
    """``{experiment id: [ArmCounts per arm]}`` for these experiments (two queries)."""
    ids = [e.pk for e in experiments]
    exposed: dict = defaultdict(dict)
    converted: dict = defaultdict(dict)
    exposures = DescriptionExposure.objects.filter(experiment_id__in=ids)
    conversions = DescriptionConversion.objects.filter(experiment_id__in=ids)
    if using is not None:
        exposures, conversions = exposures.using(using), conversions.using(using)
    for row in exposures.values("experiment_id", "arm").annotate(n=Count("id")):
        exposed[row["experiment_id"]][row["arm"]] = row["n"]
    for row in conversions.values("experiment_id", "goal", "arm").annotate(n=Count("id")):
        converted[(row["experiment_id"], row["goal"])][row["arm"]] = row["n"]
    counts = {}
    for experiment in experiments:
        arms = _arm_total(experiment)
        n = exposed[experiment.pk]
        c = converted[(experiment.pk, experiment.goal)]
        counts[experiment.pk] = [
            ArmCounts(exposed=n.get(i, 0), conversions=min(c.get(i, 0), n.get(i, 0)))
            for i in range(arms)
        ]
    return counts


def _arm_total(experiment: DescriptionExperiment) -> int:
    cached = getattr(experiment, "_prefetched_objects_cache", {}).get("arms")
    if cached is not None:
        return len(cached)
    return experiment.arms.count()


def analysis_of(experiment: DescriptionExperiment, counts: Sequence[ArmCounts]) -> Analysis:
    return analyze(
        counts,
        minimum_detectable_effect=experiment.minimum_detectable_effect,
        alpha=experiment.alpha,
        baseline_rate=experiment.baseline_rate,
    )


def needed_per_arm(experiment: DescriptionExperiment, analysis: Analysis) -> int | None:
    """Exposed shoppers per arm the test needs for 80% power (an upper bound), once a
    baseline rate is known (fixed at start, else the control's observed rate)."""
    rate = experiment.baseline_rate
    if rate is None:
        control = analysis.arms[0]
        rate = control.rate if control.exposed and 0 < control.rate < 1 else None
    if rate is None:
        return None
    try:
        return exposures_needed(
            rate,
            experiment.minimum_detectable_effect,
            alpha=experiment.alpha,
            variants=max(len(analysis.arms) - 1, 1),
        )
    except ValueError:  # an effect too small for any realistic traffic
        return None


def snapshot(
    experiment: DescriptionExperiment, analysis: Analysis, now: datetime.datetime | None = None
) -> dict:
    """The statistics to store: the analysis now, and the history with today's entry
    replaced by it (so the curve has one point a day, the day's last)."""
    now = now or timezone.now()
    arms = [asdict(arm) for arm in analysis.arms]
    today = now.date().isoformat()
    history = [
        day for day in (experiment.statistics or {}).get("history", []) if day["date"] != today
    ]
    history.append({"date": today, "decision": analysis.decision.value, "arms": arms})
    return {
        "computed_at": now.isoformat(),
        "decision": analysis.decision.value,
        "winner": analysis.winner,
        "needed_per_arm": needed_per_arm(experiment, analysis),
        "arms": arms,
        "history": history[-MAX_HISTORY_DAYS:],
    }


def stored_decision(analysis: Analysis) -> str:
    return {
        Decision.WINNER: DescriptionExperiment.Decision.WINNER,
        Decision.NO_DIFFERENCE: DescriptionExperiment.Decision.NO_DIFFERENCE,
    }.get(analysis.decision, DescriptionExperiment.Decision.RUNNING)


def past_rate(product_id: int, goal: str) -> float | None:
    """The product's past conversion rate for the goal (shoppers who added it to a
    cart, or bought it, among those who viewed it in the last 90 days), or None with
    too few shoppers to trust it."""
    since = timezone.now() - datetime.timedelta(days=BASELINE_DAYS)
    events = InteractionEvent.objects.filter(product_id=product_id, occurred_at__gte=since)
    viewers = events.filter(event_type="view").values("shopper_key").distinct().count()
    if viewers < BASELINE_MIN_SHOPPERS:
        return None
    converted = (
        events.filter(event_type=goal).values("shopper_key").distinct().count()
    )
    rate = converted / viewers
    return rate if 0 < rate < 1 else None
