"""Description experiments: start, stop, periodic update and the decisions applied.

The live description is always the control (arm 0); the other arms are proposals
(generated descriptions staff have not approved or rejected). A decision that keeps
the merchant's text (NO_DIFFERENCE, or the control beating every variant) finishes
the experiment on its own: the variants are rejected with the result as the reason.
A decision that changes the text (a variant wins) is applied by the periodic task
only with auto-promotion (the experiment's ``auto_promote``, which defaults to the
plugin's "approve proposals automatically" setting), else by staff with
``descriptionExperimentStop(promoteWinner: true)``; the winner goes live through
the same approval path as a staff approval (``approval="experiment"``), so it is
re-embedded and can be rolled back. An experiment whose control stopped being the
live description (edited, approved or rolled back meanwhile) or whose variants were
decided by staff is stopped: its numbers no longer compare what it set out to.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..content_models import DescriptionVersion
from ..engine.experiments import Analysis, Decision
from ..experiment_models import (
    DescriptionConversion,
    DescriptionExperiment,
    DescriptionExperimentArm,
    DescriptionExposure,
)
from . import content_versions, experiment_stats

logger = logging.getLogger(__name__)

Status = DescriptionExperiment.Status
Outcome = DescriptionExperimentArm.Outcome
MAX_VARIANTS = 4
MAX_MINIMUM_DETECTABLE_EFFECT = 5.0
# A looser test would declare a false winner in more than one experiment in five.
MAX_SIGNIFICANCE_LEVEL = 0.2
EXPERIMENT_APPROVER = "experiment"
# Exposures and conversions of ended experiments are dropped after this many days
# (their counts stay in the stored statistics).
RETENTION_DAYS = 90


class ExperimentError(ValueError):
    """An experiment cannot be started or stopped as asked; ``code`` is the GraphQL code."""

    def __init__(self, message: str, code: str = "invalid", field: str = "id") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class ExperimentPlan:
    """What staff asked for, checked before anything is stored."""

    version_ids: tuple[str, ...]
    goal: str = DescriptionExperiment.Goal.ADD_TO_CART
    traffic_percent: int = 100
    minimum_detectable_effect: float = 0.1
    language_code: str = ""
    auto_promote: bool = False
    attribution_window_days: int = 7
    alpha: float = 0.05


def check_plan(plan: ExperimentPlan) -> None:
    if not plan.version_ids:
        raise ExperimentError("name at least one proposed variant to test", "required", "variantIds")
    if len(set(plan.version_ids)) != len(plan.version_ids):
        raise ExperimentError("a variant is listed twice", "invalid", "variantIds")
    if len(plan.version_ids) > MAX_VARIANTS:
        raise ExperimentError(
            f"at most {MAX_VARIANTS} variants per experiment, got {len(plan.version_ids)}",
            "invalid", "variantIds",
        )
    if not 1 <= plan.traffic_percent <= 100:
        raise ExperimentError(
            f"expected 1 to 100 percent of shoppers, got {plan.traffic_percent}",
            "invalid", "trafficPercent",
        )
    mde = plan.minimum_detectable_effect
    if not 0 < mde <= MAX_MINIMUM_DETECTABLE_EFFECT:
        raise ExperimentError(
            "expected a relative effect above 0 and at most "
            f"{MAX_MINIMUM_DETECTABLE_EFFECT:g} (0.1 = +10%), got {mde}",
            "invalid", "minimumDetectableEffect",
        )
    if not 0 < plan.alpha <= MAX_SIGNIFICANCE_LEVEL:
        raise ExperimentError(
            "expected a false-positive rate above 0 and at most "
            f"{MAX_SIGNIFICANCE_LEVEL:g} (0.05 = 5%), got {plan.alpha}",
            "invalid", "alpha",
        )
    if plan.goal not in DescriptionExperiment.Goal.values:
        raise ExperimentError(f"unknown goal {plan.goal!r}", "invalid", "goal")


def start(product, plan: ExperimentPlan, *, started_by: str = "") -> DescriptionExperiment:
    """Start testing proposals against the product's live description."""
    check_plan(plan)
    language = plan.language_code
    try:
        with transaction.atomic():
            if running_experiment(product.pk, language) is not None:
                raise ExperimentError(
                    "this product already has a running experiment in this language; stop it "
                    "first", "already_running", "productId",
                )
            variants = _variants(product.pk, language, plan.version_ids)
            control = content_versions.record_live(product, language)
            experiment = DescriptionExperiment.objects.create(
                product_id=product.pk,
                language_code=language,
                goal=plan.goal,
                traffic_percent=plan.traffic_percent,
                minimum_detectable_effect=plan.minimum_detectable_effect,
                alpha=plan.alpha,
                baseline_rate=experiment_stats.past_rate(product.pk, plan.goal),
                attribution_window_days=plan.attribution_window_days,
                auto_promote=plan.auto_promote,
                started_by=started_by,
                started_at=timezone.now(),
            )
            DescriptionExperimentArm.objects.bulk_create(
                DescriptionExperimentArm(experiment=experiment, index=index, version=version)
                for index, version in enumerate([control, *variants])
            )
    except IntegrityError:  # another request started one at the same moment
        raise ExperimentError(
            "this product already has a running experiment in this language",
            "already_running", "productId",
        ) from None
    return experiment


def _variants(product_id: int, language: str, version_ids: Sequence[str]) -> list:
    found = {
        str(v.pk): v
        for v in DescriptionVersion.objects.select_for_update().filter(pk__in=list(version_ids))
    }
    variants = []
    for version_id in version_ids:
        version = found.get(str(version_id))
        if version is None:
            raise ExperimentError(
                f"no description variant with id {version_id}", "not_found", "variantIds"
            )
        if version.product_id != product_id:
            raise ExperimentError(
                f"variant {version_id} describes another product", "invalid", "variantIds"
            )
        if version.language_code != language:
            raise ExperimentError(
                f"variant {version_id} is in language {version.language_code or 'default'!r}, "
                f"not {language or 'default'!r}", "invalid", "variantIds",
            )
        if version.status != DescriptionVersion.Status.PROPOSED:
            raise ExperimentError(
                f"only proposals can be tested; variant {version_id} is {version.status}",
                "invalid", "variantIds",
            )
        variants.append(version)
    return variants


def running_experiment(product_id: int, language_code: str = "") -> DescriptionExperiment | None:
    return DescriptionExperiment.objects.filter(
        product_id=product_id, language_code=language_code, status=Status.RUNNING
    ).first()


def stop(experiment_id, *, promote_winner: bool, stopped_by: str = "") -> DescriptionExperiment:
    """End a running experiment; with ``promote_winner`` apply its decision now (a
    winning variant goes live, or the control is kept) or refuse while it has none."""
    with transaction.atomic():
        experiment = _locked(experiment_id)
        analysis = _analyze(experiment)
        if not promote_winner:
            return _end(experiment, Status.STOPPED, f"stopped by {stopped_by or 'staff'}",
                        stopped_by=stopped_by)
        problem = _invalid_reason(experiment)
        if problem:
            raise ExperimentError(
                f"nothing to promote: {problem}; stop it without promoteWinner",
                "invalid", "promoteWinner",
            )
        if analysis.decision == Decision.RUNNING:
            raise ExperimentError(
                "no winner yet: the statistics have not decided (stop without promoteWinner "
                "to end it keeping the current description)", "invalid", "promoteWinner",
            )
        return _conclude(experiment, analysis, stopped_by=stopped_by)


def update_running(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic task: fresh statistics for every running experiment, decisions
    applied as the module's docstring says; old exposures pruned."""
    done = {"updated": 0, "finished": 0, "stopped": 0}
    ids = list(
        DescriptionExperiment.objects.filter(status=Status.RUNNING)
        .order_by("started_at")
        .values_list("pk", flat=True)
    )
    for experiment_id in ids:
        with transaction.atomic():
            experiment = DescriptionExperiment.objects.select_for_update().filter(
                pk=experiment_id, status=Status.RUNNING
            ).first()
            if experiment is None:
                continue
            problem = _invalid_reason(experiment)
            if problem:
                _end(experiment, Status.STOPPED, problem, stopped_by=EXPERIMENT_APPROVER)
                done["stopped"] += 1
                continue
            analysis = _analyze(experiment, now)
            done["updated"] += 1
            if _keeps_control(analysis) or (
                analysis.decision == Decision.WINNER and experiment.auto_promote
            ):
                _conclude(experiment, analysis, stopped_by=EXPERIMENT_APPROVER)
                done["finished"] += 1
    _prune(now)
    return done


def _locked(experiment_id) -> DescriptionExperiment:
    experiment = DescriptionExperiment.objects.select_for_update().filter(pk=experiment_id).first()
    if experiment is None:
        raise ExperimentError("no description experiment with this id", "not_found")
    if experiment.status != Status.RUNNING:
        raise ExperimentError(f"this experiment is {experiment.status} already", "not_running")
    return experiment


def _analyze(experiment: DescriptionExperiment, now=None) -> Analysis:
    """Fresh statistics, stored on the experiment with today's history entry."""
    counts = experiment_stats.arm_counts([experiment])[experiment.pk]
    analysis = experiment_stats.analysis_of(experiment, counts)
    experiment.statistics = experiment_stats.snapshot(experiment, analysis, now)
    experiment.decision = experiment_stats.stored_decision(analysis)
    experiment.winner_arm = analysis.winner
    experiment.analyzed_at = now or timezone.now()
    experiment.save(update_fields=["statistics", "decision", "winner_arm", "analyzed_at"])
    return analysis


def _keeps_control(analysis: Analysis) -> bool:
    return analysis.decision == Decision.NO_DIFFERENCE or (
        analysis.decision == Decision.WINNER and analysis.winner == 0
    )


def _invalid_reason(experiment: DescriptionExperiment) -> str:
    """Why the experiment no longer tests what it started with ('' when it still does)."""
    from saleor.product.models import Product

    arms = list(experiment.arms.select_related("version").order_by("index"))
    product = Product.objects.filter(pk=experiment.product_id).first()
    if product is None:
        return "the product was deleted"
    live = content_versions.record_live(product, experiment.language_code)
    if live.pk != arms[0].version_id:
        return "the live description changed during the experiment (edited, approved or rolled back)"
    for arm in arms[1:]:
        if arm.version.status != DescriptionVersion.Status.PROPOSED:
            return f"variant {arm.index} was {arm.version.status} by staff during the experiment"
    return ""


def _conclude(experiment: DescriptionExperiment, analysis: Analysis, *, stopped_by: str):
    """Apply a decision: promote a winning variant, or keep the control."""
    arms = {arm.index: arm for arm in experiment.arms.select_related("version")}
    winner = analysis.winner if analysis.decision == Decision.WINNER else None
    summary = _summary(analysis)
    if winner:
        try:
            promoted = content_versions.approve(
                arms[winner].version_id, approver=EXPERIMENT_APPROVER, approval="experiment"
            )
        except content_versions.VersionError as error:
            return _end(experiment, Status.STOPPED, f"the winner could not go live: {error}",
                        stopped_by=stopped_by)
        experiment.promoted_version = promoted
    for index, arm in arms.items():
        if index == winner:
            arm.outcome = Outcome.WON
        elif index == 0:
            continue
        else:
            arm.outcome = Outcome.LOST if winner is not None else Outcome.TIED
            content_versions.reject(arm.version_id, approver=EXPERIMENT_APPROVER,
                                    reason=f"experiment: {_arm_result(analysis, index)}")
        arm.save(update_fields=["outcome"])
    if winner == 0:
        arms[0].outcome = Outcome.WON
        arms[0].save(update_fields=["outcome"])
    return _end(experiment, Status.FINISHED, summary, stopped_by=stopped_by)


def _end(experiment: DescriptionExperiment, status: str, reason: str, *, stopped_by: str):
    experiment.status = status
    experiment.reason = reason
    experiment.stopped_by = stopped_by
    experiment.stopped_at = timezone.now()
    if status == Status.STOPPED:
        experiment.decision = DescriptionExperiment.Decision.STOPPED
    experiment.save(update_fields=["status", "reason", "stopped_by", "stopped_at", "decision",
                                   "promoted_version"])
    return experiment


def _summary(analysis: Analysis) -> str:
    if analysis.decision == Decision.NO_DIFFERENCE:
        return (f"no difference of {analysis.minimum_detectable_effect:.0%} or more: "
                "the current description is kept")
    if analysis.winner == 0:
        return "the current description converts better than every variant: it is kept"
    return f"variant {analysis.winner} won ({_arm_result(analysis, analysis.winner)}) and is live"


def _arm_result(analysis: Analysis, index: int) -> str:
    arm = analysis.arms[index]
    uplift = "n/a" if arm.uplift is None else f"{arm.uplift:+.1%}"
    low = "-inf" if arm.uplift_low is None else f"{arm.uplift_low:+.1%}"
    high = "+inf" if arm.uplift_high is None else f"{arm.uplift_high:+.1%}"
    return (f"{arm.conversions}/{arm.exposed} converted, uplift {uplift} "
            f"[{low}, {high}] against the control")


def _prune(now=None) -> None:
    before = (now or timezone.now()) - datetime.timedelta(days=RETENTION_DAYS)
    ended = DescriptionExperiment.objects.exclude(status=Status.RUNNING).filter(
        stopped_at__lt=before
    )
    DescriptionExposure.objects.filter(experiment__in=ended).delete()
    DescriptionConversion.objects.filter(experiment__in=ended).delete()


def forget_products(product_ids: Sequence[int]) -> None:
    """Deleted products: their experiments go (the versions they tested are kept)."""
    DescriptionExperiment.objects.filter(product_id__in=list(product_ids)).delete()
