"""Tables of the recommendation store.

Products are referenced by their integer id without a foreign key, so the same
tables serve a Saleor shop (the adapter deletes rows when products and customers
are deleted) and the standalone demo and evaluation.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from pgvector.django import VectorField


class EmbeddingSpace(models.Model):
    """The vectors of one model. Exactly one space of each kind is active at a time.

    ``content`` spaces hold the text encoder's vectors (what every search uses
    unless told otherwise); ``learned`` spaces hold a trained recommender's product
    vectors (see :class:`RecommenderModel`). A new model's vectors are built in a
    ``building`` space beside the active one and switched to in one transaction,
    so no search ever mixes two models.
    """

    class Status(models.TextChoices):
        BUILDING = "building"
        ACTIVE = "active"
        RETIRED = "retired"

    class Kind(models.TextChoices):
        CONTENT = "content"
        LEARNED = "learned"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONTENT)
    model_name = models.CharField(max_length=255)
    dimensions = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_embedding_space"
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="active"),
                name="personalization_one_active_space_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} ({self.kind}, {self.dimensions}d, {self.status})"


class ProductVector(models.Model):
    # Dimensions are per space, so the column is unsized; each space gets its own
    # partial HNSW index on ``embedding::vector(n)`` (see store.spaces).
    # Not indexed alone: the unique (space, product_id) index serves lookups by space.
    space = models.ForeignKey(
        EmbeddingSpace, on_delete=models.CASCADE, related_name="vectors", db_index=False
    )
    product_id = models.BigIntegerField()
    content_hash = models.CharField(max_length=64)
    embedding = VectorField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "personalization_product_vector"
        constraints = [
            models.UniqueConstraint(
                fields=["space", "product_id"], name="personalization_vector_unique_product"
            ),
        ]
        indexes = [models.Index(fields=["product_id"], name="personalization_vector_pid")]


class SimilarProductList(models.Model):
    """A product's most similar products, ranked and diversified ahead of time.

    Unfiltered and shop-wide: serving keeps the first ``k`` entries the channel can
    sell, in this order, and searches live when fewer than ``k`` pass or the list
    is missing. ``computed_at`` is cleared when a product near it changes, so the
    sweep recomputes it.
    """

    # Not indexed alone: the unique (space, product_id) index serves lookups by space.
    space = models.ForeignKey(
        EmbeddingSpace, on_delete=models.CASCADE, related_name="similar_lists", db_index=False
    )
    product_id = models.BigIntegerField()
    product_ids = ArrayField(models.BigIntegerField())
    scores = ArrayField(models.FloatField())
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_similar_list"
        constraints = [
            models.UniqueConstraint(
                fields=["space", "product_id"], name="personalization_similar_unique_product"
            ),
        ]
        # No index on computed_at: which lists are due is read by joining every vector
        # of the space, and marking one stale then changes no indexed column.
        indexes = [
            # Which lists name a product: asked on every product change and deletion.
            GinIndex(fields=["product_ids"], name="personalization_similar_names"),
        ]


class RecommendationList(models.Model):
    """A list served to a shopper, so later clicks and purchases can be traced to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shopper_key = models.CharField(max_length=128, blank=True, db_index=True)
    channel = models.CharField(max_length=255)
    product_ids = ArrayField(models.BigIntegerField())
    context_product_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "personalization_recommendation_list"


class InteractionEvent(models.Model):
    class EventType(models.TextChoices):
        VIEW = "view"
        CLICK = "click"
        ADD_TO_CART = "add_to_cart"
        PURCHASE = "purchase"

    shopper_key = models.CharField(max_length=128)
    product_id = models.BigIntegerField(db_index=True)
    event_type = models.CharField(max_length=16, choices=EventType.choices)
    channel = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()
    recommendation_list = models.ForeignKey(
        RecommendationList, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    source_ref = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        db_table = "personalization_interaction_event"
        indexes = [
            models.Index(fields=["shopper_key", "occurred_at"], name="personalization_event_shopper"),
            models.Index(fields=["channel", "occurred_at"], name="personalization_event_channel"),
        ]


class ShopperProfile(models.Model):
    """Long-term preference as a decayed running sum, per shopper and embedding space,
    and the ranked lists a worker computed from it (valid while ``lists_for`` equals
    ``updated_at``, i.e. until the profile next changes)."""

    shopper_key = models.CharField(max_length=128)
    space = models.ForeignKey(EmbeddingSpace, on_delete=models.CASCADE, related_name="profiles")
    vector_sum = VectorField()
    weight_sum = models.FloatField()
    as_of = models.DateTimeField()
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # Entries are [product id, score, reason kind, reason product id, reason event type].
    session_list = models.JSONField(null=True, blank=True)
    lasting_list = models.JSONField(null=True, blank=True)
    session_until = models.DateTimeField(null=True, blank=True)
    lists_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_shopper_profile"
        constraints = [
            models.UniqueConstraint(
                fields=["shopper_key", "space"], name="personalization_profile_unique_shopper"
            ),
        ]


class PendingRefresh(models.Model):
    """Products whose vectors must be checked again (their text may have changed).

    Written by save hooks, consumed by the refresh task; rows left behind (a
    worker or the broker was down) are picked up by the periodic sweep.
    """

    product_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        db_table = "personalization_pending_refresh"


class JobFailure(models.Model):
    """The last failure of each kind of background job, shown on the plugin page.

    One row per kind at most: written when a job fails, deleted when the same kind
    of job next succeeds, so the table never grows.
    """

    kind = models.CharField(max_length=32, primary_key=True)
    message = models.TextField()
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "personalization_job_failure"


class ProductPopularity(models.Model):
    """Each product's time-decayed event score per channel (``""``: the whole shop).

    Recomputed by a periodic task in one transaction, so serving reads a few rows
    by index instead of summing weeks of events per request. Bounded by products
    times channels; empty until the first refresh, when serving sums events itself.
    """

    channel = models.CharField(max_length=255)
    product_id = models.BigIntegerField()
    score = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "personalization_product_popularity"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "product_id"], name="personalization_popularity_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "-score"], name="personalization_popularity_top"),
        ]


class RecommenderModel(models.Model):
    """One trained version of the learned recommender, live or not.

    Every training run gets a row (``training`` while it runs): its data window,
    hyper-parameters, the promotion gate's numbers on the held-out newest
    interactions (``metrics``: candidate, live model and content profile side by
    side), time and peak memory, and the artifact itself (``weights.npz`` and
    ``model.json`` bytes, so every worker loads it without a shared disk). At most
    one row is ``live``; its product vectors are the active learned space. Old
    versions lose their space and artifact (see ``store.recommender_registry``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        LIVE = "live"
        REJECTED = "rejected"
        RETIRED = "retired"
        FAILED = "failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, blank=True, default="")
    # The text encoder whose vectors the model reads (the content space's model).
    text_model = models.CharField(max_length=255, blank=True, default="")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    shopper_count = models.PositiveIntegerField(default=0)
    product_count = models.PositiveIntegerField(default=0)
    # The newest event id read: "enough new events since" counts ids above it.
    last_event_id = models.BigIntegerField(null=True, blank=True)
    hyperparameters = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    decision = models.TextField(blank=True, default="")
    training_seconds = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)
    artifact_weights = models.BinaryField(null=True, blank=True)
    artifact_description = models.JSONField(null=True, blank=True)
    space = models.ForeignKey(
        EmbeddingSpace,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommender_models",
    )
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_recommender_model"
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="live"),
                name="personalization_one_live_recommender",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="personalization_model_status"),
        ]

    def __str__(self) -> str:
        return f"recommender model {self.pk} ({self.status})"


class ChannelSellable(models.Model):
    """A product a channel lists for sale (published, visible, available, priced) as
    of the last refresh, and whether it was in stock there.

    Saleor's own condition takes PostgreSQL ~10 ms to plan, far more than running it,
    so the storefront's statements check this copy instead (an index lookup) while it
    is fresh. Refreshed whole by a periodic task and per product where the plugin
    hears of a change (product saves, orders).
    """

    channel_id = models.IntegerField()
    product_id = models.BigIntegerField()
    in_stock = models.BooleanField()

    class Meta:
        db_table = "personalization_channel_sellable"
        constraints = [
            models.UniqueConstraint(
                fields=["channel_id", "product_id"], name="personalization_sellable_unique"
            ),
        ]


class ChannelSellableRefresh(models.Model):
    """When a channel's :class:`ChannelSellable` rows were last computed whole."""

    channel_id = models.IntegerField(unique=True)
    refreshed_at = models.DateTimeField()
    products = models.PositiveIntegerField(default=0)
    in_stock = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "personalization_channel_sellable_refresh"


# Content optimization's tables live in their own module; importing them here
# registers them with the app.
from .content_models import DescriptionScore, DescriptionVersion, RewriteJob  # noqa: E402, F401
from .experiment_models import (  # noqa: E402, F401
    DescriptionConversion,
    DescriptionExperiment,
    DescriptionExperimentArm,
    DescriptionExposure,
)
