"""GraphQL types of description experiments: the experiment, its arms and their
statistics (live while it runs, as stored once it ended), its daily curve."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import graphene
from saleor.graphql.core.connection import CountableConnection
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.scalars import Date, DateTime
from saleor.graphql.core.types import BaseObjectType, NonNullList
from saleor.graphql.product.types import Product

from ...experiment_models import DescriptionExperiment as ExperimentModel
from ...experiment_models import DescriptionExperimentArm as ArmModel
from .. import experiment_stats
from .content_types import DescriptionVariant


def _enum(name: str, choices, description: str) -> type[graphene.Enum]:
    enum = graphene.Enum(name, [(value.upper(), value) for value in choices.values if value])
    enum.doc_category = DOC_CATEGORY_PRODUCTS
    enum.description = description
    return enum


DescriptionExperimentStatusEnum = _enum(
    "DescriptionExperimentStatusEnum",
    ExperimentModel.Status,
    "RUNNING: shoppers are assigned. FINISHED: ended by its decision (a winner went live or "
    "the current description was kept). STOPPED: ended by staff, or because the live "
    "description changed meanwhile.",
)
DescriptionExperimentGoalEnum = _enum(
    "DescriptionExperimentGoalEnum",
    ExperimentModel.Goal,
    "What counts as a conversion: the product added to a cart, or bought.",
)
DescriptionExperimentDecisionEnum = _enum(
    "DescriptionExperimentDecisionEnum",
    ExperimentModel.Decision,
    "RUNNING: not decided yet. WINNER: one arm converts better (see `winner`). "
    "NO_DIFFERENCE: no variant can beat the current description by the minimum "
    "detectable effect. STOPPED: ended before a decision.",
)
DescriptionExperimentArmOutcomeEnum = _enum(
    "DescriptionExperimentArmOutcomeEnum",
    ArmModel.Outcome,
    "WON: went live (or, for the control, was kept as better). LOST: beaten by the "
    "winner. TIED: no difference worth the change.",
)


class DescriptionExperimentArmStatistics(BaseObjectType):
    index = graphene.Int(required=True, description="0 is the control (the live description).")
    exposed = graphene.Int(required=True, description="Shoppers shown this arm.")
    conversions = graphene.Int(
        required=True, description="Of them, shoppers who converted (once each)."
    )
    rate = graphene.Float(required=True, description="Conversions per exposed shopper.")
    uplift = graphene.Float(description="Relative to the control (0.1 = +10%); null for it.")
    uplift_low = graphene.Float(
        description="Lower end of the uplift's always-valid confidence interval (null: "
        "unbounded)."
    )
    uplift_high = graphene.Float(description="Upper end of that interval (null: unbounded).")
    p_value = graphene.Float(
        description="Always-valid p-value against the control (valid however often it is "
        "looked at); null for the control."
    )

    class Meta:
        description = "An arm's numbers at one point in time."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionExperimentArm(DescriptionExperimentArmStatistics):
    is_control = graphene.Boolean(required=True, description="Whether this is the control.")
    variant = graphene.Field(DescriptionVariant, description="The description this arm shows.")
    outcome = DescriptionExperimentArmOutcomeEnum(description="How it ended; null while running.")

    class Meta:
        description = "One arm of a description experiment with its statistics."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionExperimentDay(BaseObjectType):
    date = Date(required=True, description="The day (its last update).")
    decision = DescriptionExperimentDecisionEnum(required=True)
    arms = NonNullList(DescriptionExperimentArmStatistics, required=True)

    class Meta:
        description = "An experiment's numbers at the end of a day, for its curve."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionExperiment(BaseObjectType):
    id = graphene.ID(required=True)
    product = graphene.Field(Product, description="The product whose description is tested.")
    language_code = graphene.String(
        required=True, description="The translation tested; empty for the product's own."
    )
    status = DescriptionExperimentStatusEnum(required=True)
    goal = DescriptionExperimentGoalEnum(required=True)
    traffic_percent = graphene.Int(required=True, description="Share of shoppers included.")
    minimum_detectable_effect = graphene.Float(
        required=True, description="Smallest relative uplift worth detecting (0.1 = +10%)."
    )
    alpha = graphene.Float(required=True, description="False-positive rate the test allows.")
    baseline_rate = graphene.Float(
        description="The product's past conversion rate fixed at start; null when it had "
        "too little history (the control's observed rate is used)."
    )
    attribution_window_days = graphene.Int(
        required=True, description="Days after a shopper's first view in which conversions count."
    )
    auto_promote = graphene.Boolean(
        required=True, description="Whether a winning variant goes live without staff."
    )
    decision = DescriptionExperimentDecisionEnum(required=True)
    winner = graphene.Int(description="Index of the winning arm (0: the control).")
    needed_exposures_per_arm = graphene.Int(
        description="Roughly how many shoppers per arm the test needs to detect the minimum "
        "effect with 80% power (an upper bound); null before a baseline rate is known."
    )
    arms = NonNullList(DescriptionExperimentArm, required=True)
    history = NonNullList(
        DescriptionExperimentDay, required=True, description="One entry per day, oldest first."
    )
    promoted_variant = graphene.Field(
        DescriptionVariant, description="The variant the experiment put live, if any."
    )
    reason = graphene.String(required=True, description="Why it ended, in words.")
    started_by = graphene.String(required=True)
    stopped_by = graphene.String(required=True)
    started_at = DateTime(required=True)
    stopped_at = DateTime()
    analyzed_at = DateTime(description="When the statistics were last stored.")

    class Meta:
        description = (
            "An A/B test of a product's description: the live one (control) against proposed "
            "candidates, with statistics that stay valid however often they are looked at."
        )
        doc_category = DOC_CATEGORY_PRODUCTS

    @staticmethod
    def resolve_id(root: ExperimentModel, _info):
        return graphene.Node.to_global_id("DescriptionExperiment", str(root.pk))

    # Both rows name their product by ``product_id``.
    resolve_product = staticmethod(DescriptionVariant.resolve_product)

    @staticmethod
    def resolve_winner(root: ExperimentModel, _info):
        return root.winner_arm

    @staticmethod
    def resolve_needed_exposures_per_arm(root: ExperimentModel, _info):
        return _statistics(root).get("needed_per_arm")

    @staticmethod
    def resolve_arms(root: ExperimentModel, _info):
        by_index = {arm["arm"]: arm for arm in _statistics(root).get("arms", [])}
        return [
            DescriptionExperimentArm(
                is_control=arm.index == 0,
                variant=arm.version,
                outcome=arm.outcome or None,
                **_arm_values(arm.index, by_index.get(arm.index)),
            )
            for arm in sorted(root.arms.all(), key=lambda arm: arm.index)
        ]

    @staticmethod
    def resolve_history(root: ExperimentModel, _info):
        return [
            DescriptionExperimentDay(
                date=datetime.date.fromisoformat(day["date"]),
                decision=day["decision"],
                arms=[_arm_statistics(arm) for arm in day["arms"]],
            )
            for day in _statistics(root).get("history", [])
        ]

    @staticmethod
    def resolve_promoted_variant(root: ExperimentModel, _info):
        return root.promoted_version


def _statistics(root: ExperimentModel) -> dict:
    """Live statistics when the resolver computed them, else the stored ones."""
    return getattr(root, "live_statistics", None) or root.statistics or {}


def _arm_values(index: int, values: dict | None) -> dict:
    values = values or {"arm": index, "exposed": 0, "conversions": 0, "rate": 0.0}
    return {
        "index": index,
        "exposed": values["exposed"],
        "conversions": values["conversions"],
        "rate": values["rate"],
        "uplift": values.get("uplift"),
        "uplift_low": values.get("uplift_low"),
        "uplift_high": values.get("uplift_high"),
        "p_value": values.get("p_value"),
    }


def _arm_statistics(values: dict) -> DescriptionExperimentArmStatistics:
    return DescriptionExperimentArmStatistics(**_arm_values(values["arm"], values))


def with_live_statistics(
    experiments: Sequence[ExperimentModel], using: str | None = None
) -> list[ExperimentModel]:
    """Attach fresh statistics to the running ones (two queries for all of them);
    ended experiments show what was stored when they ended."""
    running = [e for e in experiments if e.status == ExperimentModel.Status.RUNNING]
    counts = experiment_stats.arm_counts(running, using=using) if running else {}
    for experiment in running:
        analysis = experiment_stats.analysis_of(experiment, counts[experiment.pk])
        experiment.live_statistics = experiment_stats.snapshot(experiment, analysis)
        experiment.decision = experiment_stats.stored_decision(analysis)
        experiment.winner_arm = analysis.winner
    return list(experiments)


class DescriptionExperimentCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_PRODUCTS
        node = DescriptionExperiment
