"""What the plugin page says about the catalog index, and the last job failure.

Background jobs run where nobody watches; their last failure is kept (one row per
kind of job) and shown to the merchant until the same kind of job succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

from django.conf import settings
from django.utils import timezone

from ..models import EmbeddingSpace, JobFailure, PendingRefresh, ProductVector
from .config import PersonalizationConfig

logger = logging.getLogger(__name__)

JOB_NAMES = {
    "rebuild": "reading the whole catalog",
    "refresh": "reading changed products",
    "sweep": "periodic refresh",
    "similar_lists": "computing similar products",
    "training": "training the recommender",
    "rewrite": "writing description proposals",
    "scores": "scoring descriptions",
}
_MESSAGE_MAX = 500


@contextmanager
def failures_recorded(kind: str) -> Iterator[None]:
    """Keep the failure of the job inside for the plugin page; clear it on success."""
    try:
        yield
    except Exception as error:
        _write(kind, f"{type(error).__name__}: {error}"[:_MESSAGE_MAX])
        raise
    else:
        _write(kind, None)


def _write(kind: str, message: str | None) -> None:
    try:
        if message is None:
            JobFailure.objects.filter(kind=kind).delete()
        else:
            JobFailure.objects.update_or_create(
                kind=kind, defaults={"message": message, "occurred_at": timezone.now()}
            )
    except Exception:  # the database may be what failed; the job's own error matters more
        logger.exception("Could not record the outcome of the %s job", kind)


def _replica() -> str:
    return getattr(settings, "DATABASE_CONNECTION_REPLICA_NAME", "default")


def catalog_status(config: PersonalizationConfig) -> str:
    """One line: how much of the catalog is indexed with which model, what waits."""
    from saleor.product.models import Product

    db = _replica()
    total = Product.objects.using(db).count()
    spaces = {
        space.status: space
        for space in EmbeddingSpace.objects.using(db).filter(
            status__in=[EmbeddingSpace.Status.ACTIVE, EmbeddingSpace.Status.BUILDING],
            kind=EmbeddingSpace.Kind.CONTENT,
        )
    }
    active = spaces.get(EmbeddingSpace.Status.ACTIVE)
    building = spaces.get(EmbeddingSpace.Status.BUILDING)
    parts = []
    if active is None:
        parts.append(
            f"0 of {total} products indexed yet: the catalog is read in the background "
            "by the personalization worker"
        )
    else:
        indexed = ProductVector.objects.using(db).filter(space=active).count()
        parts.append(f"{indexed} of {total} products indexed with {active.model_name}")
    if building is not None and building.model_name == config.embedding_model:
        done = ProductVector.objects.using(db).filter(space=building).count()
        parts.append(f"switching to {building.model_name}: {done} of {total} read so far")
    elif active is not None and active.model_name != config.embedding_model:
        parts.append(f"{config.embedding_model} is waiting to be built")
    waiting = PendingRefresh.objects.using(db).count()
    if waiting:
        parts.append(f"{waiting} changed products waiting to be read again")
    return "; ".join(parts) + "."


def last_problem() -> str:
    """The most recent job failure still standing, or an empty string."""
    failure = JobFailure.objects.using(_replica()).order_by("-occurred_at").first()
    if failure is None:
        return ""
    when = failure.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when}, {JOB_NAMES.get(failure.kind, failure.kind)}: {failure.message}"
