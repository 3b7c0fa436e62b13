"""Embedding spaces: one per model, built beside the live one, switched atomically.

Content spaces (the text encoder's vectors) are what "the active space" means
everywhere; a learned recommender's spaces (kind ``learned``) are found only
through its registry (``store.recommender_registry``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ..models import EmbeddingSpace, ProductVector
from ..ttl_cache import TtlCache
from .routing import read_alias

Status = EmbeddingSpace.Status
Kind = EmbeddingSpace.Kind
logger = logging.getLogger(__name__)


class NoActiveSpaceError(LookupError):
    def __init__(self) -> None:
        super().__init__(
            "no embedding space is active yet: index the catalog first "
            "(saleor-personalization demo, or the backfill command in Saleor)"
        )


def active_space() -> EmbeddingSpace:
    space = _active_content().first()
    if space is None:
        raise NoActiveSpaceError()
    return space


# The active content space's id as serving statements name it, re-read at most every
# few seconds per process (as the plugin's configuration is). Looking it up inside each
# statement made every new database session (Saleor opens one per request by default)
# load that table's catalog entries: 0.7 ms a request, measured. For those seconds
# after a switch made by another process, statements name the retired space, whose
# lists are dropped with it, and serving searches the new space live instead.
_active_ids: TtlCache[int | None] = TtlCache(ttl=5.0, max_entries=1)


def active_space_id() -> int:
    """The active content space's id, as of a few seconds ago at most."""
    space_id = _active_ids.get(Kind.CONTENT, _read_active_id)
    if space_id is None:
        raise NoActiveSpaceError()
    return space_id


def _read_active_id() -> int | None:
    return _active_content().values_list("pk", flat=True).first()


def _active_content():
    return EmbeddingSpace.objects.using(read_alias()).filter(
        status=Status.ACTIVE, kind=Kind.CONTENT
    )


def clear_active_space_cache() -> None:
    _active_ids.clear()


def create_space(
    model_name: str, dimensions: int, kind: str = Kind.CONTENT
) -> EmbeddingSpace:
    """A new, empty space in ``building`` state; searches keep using the active one."""
    if dimensions < 1 or dimensions > 16000:
        raise ValueError(f"dimensions must be from 1 to 16000, got {dimensions}")
    return EmbeddingSpace.objects.create(
        model_name=model_name, dimensions=dimensions, status=Status.BUILDING, kind=kind
    )


def building_space(model_name: str, dimensions: int) -> EmbeddingSpace:
    """The space under construction for this model, created if there is none."""
    space = (
        EmbeddingSpace.objects.filter(
            model_name=model_name, dimensions=dimensions, status=Status.BUILDING,
            kind=Kind.CONTENT,
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


# Graph links per node. pgvector's default (16) left a filtered search passing 10% of
# 100,000 clustered vectors at recall@10 0.949 with the largest ef_search; 24 links
# reach 0.958-0.965 for about the same build time (benchmarks/bench_search.py).
HNSW_M = 24
HNSW_EF_CONSTRUCTION = 64  # pgvector's default


def ensure_index(space: EmbeddingSpace) -> None:
    """Create the space's partial HNSW index (cosine operator class) if missing.

    Built after the bulk load, as pgvector recommends: faster than growing it
    row by row. Outside a transaction it is built ``CONCURRENTLY``, so writes to
    the vector table (the live space's product updates) go on during a rebuild;
    an invalid index left by an interrupted concurrent build is dropped and
    built again. Inside a caller's transaction (where ``CONCURRENTLY`` is not
    allowed) it is built in that transaction.
    """
    name = index_name(space)
    create = (
        f"CREATE INDEX {{how}} IF NOT EXISTS {name} ON {ProductVector._meta.db_table} "
        f"USING hnsw ({vector_expression(space)} vector_cosine_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
        f"WHERE space_id = {int(space.pk)}"
    )
    if not connection.get_autocommit():
        with transaction.atomic(), connection.cursor() as cursor:
            # Django's foreign keys are deferred; pending checks from rows written in
            # the same transaction would make CREATE INDEX fail, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            if index_valid(space) is False:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute(create.format(how=""))
        return
    valid = index_valid(space)
    if valid:
        return
    with connection.cursor() as cursor:
        if valid is False:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        try:
            cursor.execute(create.format(how="CONCURRENTLY"))
        finally:
            cursor.execute("RESET maintenance_work_mem")


def index_valid(space: EmbeddingSpace) -> bool | None:
    """Whether the space's index is usable; None when it does not exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
            [index_name(space)],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def activate(
    space: EmbeddingSpace, also: Callable[[], None] | None = None
) -> EmbeddingSpace:
    """Make ``space`` the active one of its kind, in one transaction (with ``also()``).

    Retired content spaces are dropped afterwards (vectors, profiles, index),
    outside the switch, so the switch itself stays a quick status update; a
    retired learned space stays until its registry prunes it (a rollback needs it).
    """
    ensure_index(space)
    with transaction.atomic():
        locked = EmbeddingSpace.objects.select_for_update().get(pk=space.pk)
        if locked.status != Status.ACTIVE:
            EmbeddingSpace.objects.filter(status=Status.ACTIVE, kind=locked.kind).update(
                status=Status.RETIRED
            )
            locked.status = Status.ACTIVE
            locked.activated_at = timezone.now()
            locked.save(update_fields=["status", "activated_at"])
        if also is not None:
            also()
    clear_active_space_cache()
    drop_retired_spaces()
    return locked


def drop_retired_spaces() -> None:
    """Drop every retired content space; one that cannot be dropped now is left for the
    next switch."""
    retired = EmbeddingSpace.objects.filter(status=Status.RETIRED, kind=Kind.CONTENT)
    for space in retired.order_by("pk"):
        try:
            drop_space(space)
        except DatabaseError:
            logger.warning(
                "could not drop retired embedding space; the next switch retries",
                extra={"space_id": space.pk, "model": space.model_name},
                exc_info=True,
            )


def drop_space(space: EmbeddingSpace) -> None:
    """Delete a retired or abandoned space with its vectors, profiles and index.

    The index goes first (``CONCURRENTLY`` outside a transaction, so searches
    and writes are not blocked), so a failure leaves the space row behind to be
    dropped again rather than an index nobody knows about.
    """
    if space.status == Status.ACTIVE:
        raise ValueError("the active space cannot be dropped; activate another first")
    name = index_name(space)
    if not connection.get_autocommit():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
            space.delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    with transaction.atomic():
        space.delete()
