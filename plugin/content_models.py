"""Tables of content optimization: description scores, rewrite jobs, description versions.

Imported by :mod:`saleor_personalization.models`, so Django registers them with the
app. Products are referenced by id without a foreign key, as in the other tables;
the adapter deletes rows when products are deleted.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models


class DescriptionScore(models.Model):
    """A product description's score (0-100) with its parts, per language.

    ``language_code`` is ``""`` for the product's own description, else a Saleor
    language code of its translation. ``text_hash`` is the scored text's, so a
    changed description is known to need scoring again.
    """

    product_id = models.BigIntegerField()
    language_code = models.CharField(max_length=35, blank=True, default="")
    total = models.FloatField()
    alignment = models.FloatField()
    completeness = models.FloatField()
    readability = models.FloatField()
    length = models.FloatField()
    suggestions = models.JSONField(default=list)
    text_hash = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "personalization_description_score"
        constraints = [
            models.UniqueConstraint(
                fields=["product_id", "language_code"], name="personalization_score_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["language_code", "total"], name="personalization_score_weakest"),
        ]


class RewriteJob(models.Model):
    """A staff request to rewrite one or many products' descriptions, with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    product_ids = ArrayField(models.BigIntegerField())
    language_code = models.CharField(max_length=35, blank=True, default="")
    instructions = models.TextField(blank=True, default="")
    candidates = models.PositiveSmallIntegerField(default=2)
    done = models.PositiveIntegerField(default=0)
    proposals = models.PositiveIntegerField(default=0)
    # product id -> why that product got no proposal (a generator error, no candidate
    # passed the guardrails or beat the current text)
    outcomes = models.JSONField(default=dict)
    error = models.TextField(blank=True, default="")
    requested_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_rewrite_job"


class DescriptionVersion(models.Model):
    """One version of a product's description: the original, a generated proposal, a
    manual edit. Exactly one per product and language is ``live`` once any exists."""

    class Status(models.TextChoices):
        LIVE = "live"
        PROPOSED = "proposed"
        REJECTED = "rejected"
        RETIRED = "retired"  # was live, replaced by another version

    class Origin(models.TextChoices):
        ORIGINAL = "original"
        GENERATED = "generated"
        MANUAL = "manual"

    class Approval(models.TextChoices):
        STAFF = "staff"
        AUTO = "auto"
        EXPERIMENT = "experiment"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product_id = models.BigIntegerField()
    language_code = models.CharField(max_length=35, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    description = models.JSONField()
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    backend = models.CharField(max_length=64, blank=True, default="")
    model = models.CharField(max_length=255, blank=True, default="")
    prompt_version = models.CharField(max_length=64, blank=True, default="")
    score = models.JSONField(null=True, blank=True)
    guardrails = models.JSONField(null=True, blank=True)
    job = models.ForeignKey(
        RewriteJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="versions"
    )
    author = models.CharField(max_length=255, blank=True, default="")
    approver = models.CharField(max_length=255, blank=True, default="")
    approval = models.CharField(max_length=16, choices=Approval.choices, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    # Keys (DescriptionVersion ids) of the experiment winners and losers the prompt
    # showed as examples and counter-examples when this proposal was written.
    example_keys = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "personalization_description_version"
        indexes = [
            models.Index(
                fields=["product_id", "language_code", "status"],
                name="personalization_version_prod",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product_id", "language_code"],
                condition=models.Q(status="live"),
                name="personalization_one_live_version",
            ),
        ]
