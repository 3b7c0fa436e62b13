"""Tables of description experiments: A/B tests of approved description variants.

Imported by :mod:`saleor_personalization.models`, so Django registers them with the
app. Products are referenced by id without a foreign key, as in the other tables;
arms point at the :class:`DescriptionVersion` they show (arm 0, the control, is the
live version when the experiment started). Exposures and conversions are keyed by
shopper (``user:``, ``email:`` or ``anon:`` keys, see ``saleor_adapter.shoppers``)
and deleted with the customer.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from .content_models import DescriptionVersion


class DescriptionExperiment(models.Model):
    """One A/B test of a product's description in one language.

    ``statistics`` is the last analysis the periodic task stored: per arm counts,
    rates, uplift intervals and p-values, and ``history``, one entry per day (the
    day's last update), for the curve. ``reason`` says in words why it ended.
    """

    class Status(models.TextChoices):
        RUNNING = "running"
        STOPPED = "stopped"  # ended by staff without a decision applied, or invalidated
        FINISHED = "finished"  # ended by a decision (winner promoted or control kept)

    class Goal(models.TextChoices):
        ADD_TO_CART = "add_to_cart"
        PURCHASE = "purchase"

    class Decision(models.TextChoices):
        RUNNING = "running"
        WINNER = "winner"
        NO_DIFFERENCE = "no_difference"
        STOPPED = "stopped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product_id = models.BigIntegerField()
    language_code = models.CharField(max_length=35, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    goal = models.CharField(max_length=16, choices=Goal.choices, default=Goal.ADD_TO_CART)
    traffic_percent = models.PositiveSmallIntegerField(default=100)
    minimum_detectable_effect = models.FloatField(default=0.1)
    alpha = models.FloatField(default=0.05)
    # The control's expected conversion rate, fixed at start (the product's past rate)
    # so the sequential test's mixture does not move with the data; None: too little
    # history, the control's observed rate is used.
    baseline_rate = models.FloatField(null=True, blank=True)
    attribution_window_days = models.PositiveSmallIntegerField(default=7)
    auto_promote = models.BooleanField(default=False)
    decision = models.CharField(
        max_length=16, choices=Decision.choices, default=Decision.RUNNING
    )
    winner_arm = models.SmallIntegerField(null=True, blank=True)
    promoted_version = models.ForeignKey(
        DescriptionVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promoted_by_experiments",
    )
    statistics = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True, default="")
    started_by = models.CharField(max_length=255, blank=True, default="")
    stopped_by = models.CharField(max_length=255, blank=True, default="")
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_description_experiment"
        constraints = [
            models.UniqueConstraint(
                fields=["product_id", "language_code"],
                condition=Q(status="running"),
                name="personalization_one_running_experiment",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-started_at"], name="personalization_exp_status"),
            models.Index(fields=["product_id", "-started_at"], name="personalization_exp_product"),
        ]


class DescriptionExperimentArm(models.Model):
    """An arm of an experiment: 0 is the control, 1.. the tested proposals."""

    class Outcome(models.TextChoices):
        NONE = ""
        WON = "won"
        LOST = "lost"  # beaten by the winner
        TIED = "tied"  # no difference from the control worth the change

    # Not indexed alone: the unique (experiment, index) index serves lookups by experiment.
    experiment = models.ForeignKey(
        DescriptionExperiment, on_delete=models.CASCADE, related_name="arms", db_index=False
    )
    index = models.PositiveSmallIntegerField()
    # Versions are never deleted (rollback needs them); PROTECT keeps it that way.
    version = models.ForeignKey(
        DescriptionVersion, on_delete=models.PROTECT, related_name="experiment_arms"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True, default="")

    class Meta:
        db_table = "personalization_description_experiment_arm"
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "index"], name="personalization_exp_arm_unique"
            ),
        ]


class DescriptionExposure(models.Model):
    """A shopper who was shown an arm: the first time counts, once per experiment."""

    id = models.BigAutoField(primary_key=True)
    # Not indexed alone: the unique (experiment, shopper_key) index serves lookups by experiment.
    experiment = models.ForeignKey(
        DescriptionExperiment, on_delete=models.CASCADE, related_name="exposures", db_index=False
    )
    shopper_key = models.CharField(max_length=255)
    arm = models.PositiveSmallIntegerField()
    exposed_at = models.DateTimeField()

    class Meta:
        db_table = "personalization_description_exposure"
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "shopper_key"], name="personalization_exposure_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["shopper_key"], name="personalization_exposure_shop"),
        ]


class DescriptionConversion(models.Model):
    """An exposed shopper's add-to-cart or purchase of the product within the
    attribution window, for the arm they saw; once per shopper and goal.

    ``source_ref`` names what it came from (``checkout:<token>``, ``order:<id>``), so
    a purchase is withdrawn when its order is canceled.
    """

    id = models.BigAutoField(primary_key=True)
    # Not indexed alone: the unique (experiment, shopper_key, goal) index serves lookups by experiment.
    experiment = models.ForeignKey(
        DescriptionExperiment, on_delete=models.CASCADE, related_name="conversions", db_index=False
    )
    shopper_key = models.CharField(max_length=255)
    arm = models.PositiveSmallIntegerField()
    goal = models.CharField(max_length=16, choices=DescriptionExperiment.Goal.choices)
    converted_at = models.DateTimeField()
    source_ref = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "personalization_description_conversion"
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "shopper_key", "goal"],
                name="personalization_conversion_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["shopper_key"], name="personalization_conv_shopper"),
            models.Index(fields=["source_ref"], name="personalization_conversion_src"),
        ]
