"""The learned recommender's versions: artifacts, product vectors, the live switch.

Each :class:`~saleor_personalization.models.RecommenderModel` row keeps its
artifact in the database, so every worker loads the live model without a shared
disk. A promoted model's product vectors are a ``learned`` embedding space built
beside the live one; going live (or back to an older version) switches the space
and the rows' statuses in one transaction. Numpy only: nothing here loads torch.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..engine.learned import LearnedModel, TrainedModel, load, save
from ..engine.learned.artifact import CONFIG, WEIGHTS
from ..engine.recommender import ModelRanking
from ..models import EmbeddingSpace, ProductVector, RecommenderModel
from . import spaces
from .django_store import DjangoStore
from .routing import read_alias

Status = RecommenderModel.Status
#: Versions that keep their artifact and vectors besides the live one (rollback targets).
KEEP_VERSIONS = 3
#: Rows kept at all (the newest; the live one always).
KEEP_ROWS = 100
#: Products whose learned vectors are computed per statement.
VECTOR_BATCH = 1000


class NotActivatable(ValueError):
    """A version cannot go live: it has no artifact or vectors any more, or was never trained."""


def artifact_bytes(model: TrainedModel) -> tuple[bytes, dict]:
    """``weights.npz`` bytes and ``model.json`` contents of a trained model."""
    with tempfile.TemporaryDirectory() as folder:
        save(model, folder)
        weights = (Path(folder) / WEIGHTS).read_bytes()
        description = json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))
    return weights, description


def trained_model(row: RecommenderModel) -> TrainedModel:
    """The model stored in ``row`` (through the artifact's own loader)."""
    if row.artifact_weights is None or row.artifact_description is None:
        raise NotActivatable(f"recommender model {row.pk} has no artifact (pruned or never trained)")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / WEIGHTS).write_bytes(bytes(row.artifact_weights))
        (Path(folder) / CONFIG).write_text(json.dumps(row.artifact_description), encoding="utf-8")
        return load(folder)


@dataclass(frozen=True)
class LiveModel:
    """The live version: its row id, text encoder, product vectors and numpy model."""

    id: int
    text_model: str
    space: EmbeddingSpace
    model: LearnedModel

    def ranking(self) -> ModelRanking:
        return ModelRanking(self.model, DjangoStore(self.space))


# Loaded models by row id, per process; versions change rarely, two are enough.
_LOADED: dict[int, LearnedModel] = {}
_LOADED_MAX = 2


def live_model(text_model: str | None = None) -> LiveModel | None:
    """The live version (one query; its artifact is loaded once per process), or None.

    With ``text_model``, None also when the live version reads another encoder's
    vectors (the catalog was re-indexed with another model since it was trained).
    """
    row = (
        RecommenderModel.objects.using(read_alias())
        .filter(status=Status.LIVE, space__status=EmbeddingSpace.Status.ACTIVE)
        .select_related("space")
        .defer("artifact_weights", "artifact_description")
        .first()
    )
    if row is None or (text_model is not None and row.text_model != text_model):
        return None
    model = _LOADED.get(row.pk)
    if model is None:
        full = RecommenderModel.objects.using(read_alias()).get(pk=row.pk)
        model = trained_model(full).ranking_model()
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[row.pk] = model
    return LiveModel(row.pk, row.text_model, row.space, model)


def content_rows(
    content: EmbeddingSpace, product_ids: Sequence[int] | None = None
) -> Iterator[list[tuple[int, str, np.ndarray]]]:
    """The content space's (product id, content hash, vector) rows in batches, by id."""
    rows = ProductVector.objects.filter(space=content).order_by("product_id")
    if product_ids is not None:
        rows = rows.filter(product_id__in=list(product_ids))
    last = None
    while True:
        batch = rows if last is None else rows.filter(product_id__gt=last)
        found = list(batch.values_list("product_id", "content_hash", "embedding")[:VECTOR_BATCH])
        if not found:
            return
        yield [(int(pid), digest, np.asarray(vector, np.float32)) for pid, digest, vector in found]
        last = found[-1][0]


def write_vectors(
    space: EmbeddingSpace,
    model: LearnedModel,
    content: EmbeddingSpace,
    product_ids: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Compute the model's vectors of these products (all: None) from their text
    vectors in ``content`` and store them in ``space``; returns how many.

    A product the model never saw gets a vector from its text alone (cold start).
    """
    store = DjangoStore(space)
    written = 0
    for batch in content_rows(content, product_ids):
        ids = [pid for pid, _, _ in batch]
        vectors = model.item_vectors(ids, np.stack([vector for _, _, vector in batch]))
        store.upsert_vectors(
            [(pid, digest, vector) for (pid, digest, _), vector in zip(batch, vectors)]
        )
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    return written


def build_space(
    row: RecommenderModel,
    model: LearnedModel,
    content: EmbeddingSpace,
    progress: Callable[[int], None] | None = None,
) -> EmbeddingSpace:
    """A new learned space holding the model's vectors of every indexed product,
    beside the live one (searches do not see it until :func:`go_live`)."""
    space = spaces.create_space(
        f"recommender-model-{row.pk}", model.dimensions, EmbeddingSpace.Kind.LEARNED
    )
    RecommenderModel.objects.filter(pk=row.pk).update(space=space)
    row.space = space
    write_vectors(space, model, content, progress=progress)
    spaces.ensure_index(space)
    return space


def go_live(row: RecommenderModel) -> RecommenderModel:
    """Make ``row`` the live version: its space and the rows' statuses in one transaction.

    The previous live version becomes ``retired`` (its vectors stay for a rollback
    until pruned). Raises :class:`NotActivatable` without an artifact or vectors.
    """
    row = RecommenderModel.objects.select_related("space").get(pk=row.pk)
    if row.status == Status.LIVE:
        return row
    if row.status in (Status.QUEUED, Status.FAILED):
        raise NotActivatable(f"recommender model {row.pk} is {row.status}, not a trained model")
    if row.space is None or row.artifact_weights is None:
        raise NotActivatable(
            f"recommender model {row.pk} has no product vectors or artifact any more "
            f"(only the newest {KEEP_VERSIONS} versions keep them); train a new one"
        )
    now = timezone.now()

    def statuses() -> None:
        RecommenderModel.objects.filter(status=Status.LIVE).exclude(pk=row.pk).update(
            status=Status.RETIRED
        )
        RecommenderModel.objects.filter(pk=row.pk).update(status=Status.LIVE, activated_at=now)

    spaces.activate(row.space, also=statuses)
    row.refresh_from_db()
    return row


def prune(keep: int = KEEP_VERSIONS, keep_rows: int = KEEP_ROWS) -> int:
    """Drop the vectors and artifacts of all but the live and the ``keep`` newest
    trained versions, and rows beyond the newest ``keep_rows``; returns how many
    versions lost their vectors or artifact."""
    trained = RecommenderModel.objects.filter(
        status__in=[Status.LIVE, Status.RETIRED, Status.REJECTED]
    ).order_by("-created_at", "-pk")
    kept = set(trained.exclude(status=Status.LIVE).values_list("pk", flat=True)[:keep])
    old = (
        RecommenderModel.objects.exclude(status__in=[Status.LIVE, Status.QUEUED, Status.TRAINING])
        .exclude(pk__in=kept)
        .filter(Q(space__isnull=False) | Q(artifact_weights__isnull=False))
    )
    pruned = 0
    for version in old.select_related("space"):
        space = version.space
        with transaction.atomic():
            RecommenderModel.objects.filter(pk=version.pk).update(
                space=None, artifact_weights=None, artifact_description=None
            )
        if space is not None and space.status != EmbeddingSpace.Status.ACTIVE:
            spaces.drop_space(space)
        pruned += 1
    # Learned spaces no row points at (a build interrupted before its row knew it).
    orphans = EmbeddingSpace.objects.filter(
        kind=EmbeddingSpace.Kind.LEARNED, recommender_models__isnull=True
    ).exclude(status=EmbeddingSpace.Status.ACTIVE)
    for space in orphans:
        spaces.drop_space(space)
    newest = list(
        RecommenderModel.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[
            :keep_rows
        ]
    )
    RecommenderModel.objects.exclude(pk__in=newest).exclude(status=Status.LIVE).filter(
        status__in=[Status.RETIRED, Status.REJECTED, Status.FAILED]
    ).delete()
    return pruned



def refresh_learned_vectors(content: EmbeddingSpace, product_ids: Sequence[int]) -> int:
    """Give these products (just re-encoded in ``content``) their vectors in the live
    learned space, new ones from their text alone; returns how many were written
    (0 without a live model for ``content``'s text encoder)."""
    live = live_model(content.model_name)
    if live is None or not product_ids:
        return 0
    return write_vectors(live.space, live.model, content, product_ids)


def fill_learned_vectors(content: EmbeddingSpace) -> int:
    """:func:`refresh_learned_vectors` for every product of ``content`` the live
    learned space lacks (after a catalog import); returns how many."""
    live = live_model(content.model_name)
    if live is None:
        return 0
    have = ProductVector.objects.filter(space=live.space).values("product_id")
    missing = list(
        ProductVector.objects.filter(space=content)
        .exclude(product_id__in=have)
        .values_list("product_id", flat=True)
    )
    return write_vectors(live.space, live.model, content, missing) if missing else 0


def clear_loaded_models() -> None:
    """Forget the models loaded in this process (tests)."""
    _LOADED.clear()
