"""Embedding spaces: one per model, built beside the live one, switched atomically."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from ..models import EmbeddingSpace, ProductVector

Status = EmbeddingSpace.Status


class NoActiveSpaceError(LookupError):
    def __init__(self) -> None:
        super().__init__(
            "no embedding space is active yet: index the catalog first "
            "(saleor-personalization demo, or the backfill command in Saleor)"
        )


def active_space() -> EmbeddingSpace:
    space = EmbeddingSpace.objects.filter(status=Status.ACTIVE).first()
    if space is None:
        raise NoActiveSpaceError()
    return space


def create_space(model_name: str, dimensions: int) -> EmbeddingSpace:
    """A new, empty space in ``building`` state; searches keep using the active one."""
    if dimensions < 1 or dimensions > 16000:
        raise ValueError(f"dimensions must be from 1 to 16000, got {dimensions}")
    return EmbeddingSpace.objects.create(
        model_name=model_name, dimensions=dimensions, status=Status.BUILDING
    )


def building_space(model_name: str, dimensions: int) -> EmbeddingSpace:
    """The space under construction for this model, created if there is none."""
    space = (
        EmbeddingSpace.objects.filter(
            model_name=model_name, dimensions=dimensions, status=Status.BUILDING
        )
        .order_by("-created_at")
        .first()
    )
    return space or create_space(model_name, dimensions)


def index_name(space: EmbeddingSpace) -> str:
    return f"personalization_hnsw_{int(space.pk)}"


def vector_expression(space: EmbeddingSpace) -> str:
    """The indexed expression; searches must use exactly this to hit the index."""
    return f"(embedding::vector({int(space.dimensions)}))"


def ensure_index(space: EmbeddingSpace) -> None:
    """Create the space's partial HNSW index (cosine operator class) if missing.

    Built after the bulk load, as pgvector recommends: faster than growing it
    row by row.
    """
    table = ProductVector._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are deferred; pending checks from rows written in
        # the same transaction would make CREATE INDEX fail, so run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(space)} ON {table} "
            f"USING hnsw ({vector_expression(space)} vector_cosine_ops) "
            f"WHERE space_id = {int(space.pk)}"
        )


def activate(space: EmbeddingSpace) -> EmbeddingSpace:
    """Make ``space`` the one all searches use, in one transaction."""
    ensure_index(space)
    with transaction.atomic():
        locked = EmbeddingSpace.objects.select_for_update().get(pk=space.pk)
        if locked.status == Status.ACTIVE:
            return locked
        EmbeddingSpace.objects.filter(status=Status.ACTIVE).update(status=Status.RETIRED)
        locked.status = Status.ACTIVE
        locked.activated_at = timezone.now()
        locked.save(update_fields=["status", "activated_at"])
    return locked


def drop_space(space: EmbeddingSpace) -> None:
    """Delete a retired or abandoned space with its vectors, profiles and index."""
    if space.status == Status.ACTIVE:
        raise ValueError("the active space cannot be dropped; activate another first")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {index_name(space)}")
        space.delete()
