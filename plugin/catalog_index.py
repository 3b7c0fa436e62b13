"""Keeping the stored vectors in step with the catalog and the configured model.

Joins the engine's indexing to the Django store's embedding spaces: vectors are
always written to the space of the configured model, so changing the model
builds a new space beside the live one and switches to it when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .engine.documents import ProductDocument
from .engine.encoder import EncoderConfig, dimensions
from .engine.indexing import IndexStats, index_documents
from .models import EmbeddingSpace
from .store import DjangoStore, activate, ensure_index
from .store.spaces import building_space

Status = EmbeddingSpace.Status


def current_space() -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(status=Status.ACTIVE).first()


def index_products(
    documents: Iterable[ProductDocument],
    config: EncoderConfig = EncoderConfig(),
    *,
    progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Refresh vectors of these products in the active space of ``config.model``.

    Use for incremental updates (a product saved). When no space for the model is
    active yet, call :func:`rebuild_catalog` with the whole catalog instead.
    """
    space = current_space()
    if space is None or space.model_name != config.model:
        raise LookupError(
            f"no active embedding space for model {config.model!r}; "
            "index the whole catalog with rebuild_catalog first"
        )
    return index_documents(documents, DjangoStore(space), config, progress=progress)


def rebuild_catalog(
    documents: Iterable[ProductDocument],
    config: EncoderConfig = EncoderConfig(),
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[EmbeddingSpace, IndexStats]:
    """Make the whole catalog searchable with ``config.model``.

    With the model already active this is an incremental refresh. Otherwise the
    vectors are built in a new space while searches keep using the old one, then
    the new space is switched to in one transaction.
    """
    space = current_space()
    if space is not None and space.model_name == config.model:
        return space, index_documents(documents, DjangoStore(space), config, progress=progress)
    target = building_space(config.model, dimensions(config))
    stats = index_documents(documents, DjangoStore(target), config, progress=progress)
    ensure_index(target)
    return activate(target), stats
