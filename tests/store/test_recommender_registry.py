"""The learned recommender's registry on PostgreSQL: spaces per kind, going live,
rollback targets kept, old versions pruned (tiny models, no Saleor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from saleor_personalization.engine.learned import ModelConfig, TrainConfig, TrainingData, train
from saleor_personalization.models import EmbeddingSpace, ProductVector, RecommenderModel
from saleor_personalization.store import active_space
from saleor_personalization.store import recommender_registry as registry
from saleor_personalization.store.catalog_index import current_space
from saleor_personalization.store.spaces import drop_retired_spaces

Status = RecommenderModel.Status
TEXT_DIMENSIONS = 16
START = datetime(2025, 1, 1, tzinfo=UTC)


def text_vectors() -> dict[int, np.ndarray]:
    vectors = np.random.default_rng(8).normal(size=(20, TEXT_DIMENSIONS)).astype(np.float32)
    return {100 + row: vector / np.linalg.norm(vector) for row, vector in enumerate(vectors)}


def events() -> list[tuple]:
    """Shoppers walking the products in steps of three."""
    return [
        (f"s{shopper}", 100 + (shopper + 3 * step) % 20, "view", START + timedelta(days=step))
        for shopper in range(30)
        for step in range(5)
    ]


@pytest.fixture(scope="module")
def trained():
    data = TrainingData.from_events(events(), text_vectors())
    model = ModelConfig(dimensions=8, text_dimensions=TEXT_DIMENSIONS, layers=1, heads=2,
                        max_length=5, experts=2, id_min_count=1)
    return train(data, TrainConfig(model=model, epochs=2, negatives=4, device="cpu"))


@pytest.fixture
def content(make_space):
    space, _ = make_space(0, TEXT_DIMENSIONS)
    from saleor_personalization.store import DjangoStore

    DjangoStore(space).upsert_vectors(
        [(pid, str(pid), vector) for pid, vector in text_vectors().items()]
    )
    return space


def version(trained, content, status=Status.REJECTED) -> RecommenderModel:
    weights, description = registry.artifact_bytes(trained)
    row = RecommenderModel.objects.create(
        status=status, artifact_weights=weights, artifact_description=description,
        text_model=content.model_name,
    )
    registry.build_space(row, trained.ranking_model(), content)
    return row


def test_a_learned_space_goes_live_beside_the_content_space(db, trained, content):
    row = version(trained, content)

    registry.go_live(row)

    row.refresh_from_db()
    assert row.status == Status.LIVE and row.activated_at is not None
    assert active_space().pk == current_space().pk == content.pk  # content still means content
    assert row.space.status == "active" and row.space.kind == "learned"
    assert ProductVector.objects.filter(space=row.space).count() == len(text_vectors())
    live = registry.live_model(content.model_name)
    assert live.id == row.pk and registry.live_model("another-encoder") is None
    ids = sorted(text_vectors())
    text = np.stack([text_vectors()[pid] for pid in ids])
    stored = live.ranking().vectors.vectors(ids)
    np.testing.assert_allclose(
        np.stack([stored[pid] for pid in ids]), trained.ranking_model().item_vectors(ids, text),
        atol=1e-6,
    )


def test_rollback_keeps_the_replaced_space_and_content_switches_do_not_drop_it(
    db, trained, content
):
    first, second = version(trained, content), version(trained, content)
    registry.go_live(first)
    registry.go_live(second)
    drop_retired_spaces()  # what a content model switch runs

    first.refresh_from_db()
    assert first.status == Status.RETIRED and first.space.status == "retired"
    registry.go_live(first)
    second.refresh_from_db()
    assert RecommenderModel.objects.get(status=Status.LIVE).pk == first.pk
    assert second.status == Status.RETIRED
    assert EmbeddingSpace.objects.filter(kind="learned", status="active").get().pk == first.space_id


def test_prune_keeps_the_live_version_and_the_newest_few(db, trained, content):
    rows = [version(trained, content) for _ in range(registry.KEEP_VERSIONS + 2)]
    registry.go_live(rows[0])

    assert registry.prune() == 1  # rows[1]: neither live nor among the newest

    kept = RecommenderModel.objects.filter(space__isnull=False, artifact_weights__isnull=False)
    assert sorted(kept.values_list("pk", flat=True)) == sorted(
        [rows[0].pk, *[row.pk for row in rows[-registry.KEEP_VERSIONS:]]]
    )
    assert EmbeddingSpace.objects.filter(kind="learned").count() == registry.KEEP_VERSIONS + 1
    with pytest.raises(registry.NotActivatable, match="no product vectors or artifact"):
        registry.go_live(RecommenderModel.objects.get(pk=rows[1].pk))
