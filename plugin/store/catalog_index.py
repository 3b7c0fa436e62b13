"""Keeping the stored vectors in step with the catalog and the configured model.

Joins the engine's indexing to this package's embedding spaces: vectors are
always written to the space of the configured model, so changing the model
builds a new space beside the live one and switches to it when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..engine.documents import ProductDocument
from ..engine.encoder import EncoderConfig, dimensions
from ..engine.indexing import IndexStats, index_documents
from ..models import EmbeddingSpace
from .django_store import DjangoStore
from .spaces import activate, building_space, drop_space, ensure_index

Status = EmbeddingSpace.Status


def current_space() -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(
        status=Status.ACTIVE, kind=EmbeddingSpace.Kind.CONTENT
    ).first()


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


class BuildAbandoned(Exception):
    """A new model's build stopped because that model is no longer the one wanted.

    Its building space has been dropped; the live space was never touched.
    """

    def __init__(self, model: str) -> None:
        super().__init__(f"{model} is no longer the configured model; its build was abandoned")
        self.model = model


# A build of a new model asks whether it is still wanted this often (in products).
STILL_WANTED_EVERY = 500


def rebuild_catalog(
    documents: Iterable[ProductDocument],
    config: EncoderConfig = EncoderConfig(),
    *,
    progress: Callable[[int], None] | None = None,
    still_wanted: Callable[[], bool] | None = None,
) -> tuple[EmbeddingSpace, IndexStats]:
    """Make the whole catalog searchable with ``config.model``.

    With the model already active this is an incremental refresh. Otherwise the
    vectors are built in a new space while searches keep using the old one, then
    the new space is switched to in one transaction. A new model's build calls
    ``still_wanted`` every :data:`STILL_WANTED_EVERY` products and right before
    the switch; when it answers False the build's space is dropped and
    :class:`BuildAbandoned` raised.
    """
    space = current_space()
    if space is not None and space.model_name == config.model:
        return space, index_documents(documents, DjangoStore(space), config, progress=progress)
    target = building_space(config.model, dimensions(config))
    try:
        if still_wanted is not None:
            documents = _while_wanted(documents, still_wanted, config.model)
        stats = index_documents(documents, DjangoStore(target), config, progress=progress)
        if still_wanted is not None and not still_wanted():
            raise BuildAbandoned(config.model)
    except BuildAbandoned:
        drop_space(target)
        raise
    ensure_index(target)
    return activate(target), stats


def _while_wanted(
    documents: Iterable[ProductDocument], still_wanted: Callable[[], bool], model: str
) -> Iterator[ProductDocument]:
    for position, document in enumerate(documents, start=1):
        yield document
        if position % STILL_WANTED_EVERY == 0 and not still_wanted():
            raise BuildAbandoned(model)
