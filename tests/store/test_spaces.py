from datetime import UTC, datetime

import numpy as np
import pytest
from django.db import IntegrityError, connection
from saleor_personalization.engine.filters import NO_FILTER
from saleor_personalization.engine.profiles import LongTermState
from saleor_personalization.models import EmbeddingSpace, ProductVector, ShopperProfile
from saleor_personalization.store import (
    DjangoStore,
    NoActiveSpaceError,
    activate,
    active_space,
    create_space,
    ensure_index,
)
from saleor_personalization.store.spaces import (
    active_space_id,
    clear_active_space_cache,
    drop_retired_spaces,
    drop_space,
    index_name,
    index_valid,
)

pytestmark = pytest.mark.django_db


def test_no_active_space_is_a_clear_error():
    with pytest.raises(NoActiveSpaceError, match="index the catalog first"):
        active_space()


def test_serving_sees_a_switch_here_at_once_and_one_elsewhere_within_seconds(make_space):
    with pytest.raises(NoActiveSpaceError):
        active_space_id()
    first, _ = make_space(3, 4)  # activated in this process
    assert active_space_id() == first.pk
    second, _ = make_space(3, 4, model="second", active=False)
    third, _ = make_space(3, 4, model="third", active=False)

    # Another process's switch: read again once the few seconds have passed.
    EmbeddingSpace.objects.filter(pk=first.pk).update(status=EmbeddingSpace.Status.RETIRED)
    EmbeddingSpace.objects.filter(pk=second.pk).update(status=EmbeddingSpace.Status.ACTIVE)
    assert active_space_id() == first.pk
    clear_active_space_cache()  # as the seconds passing do
    assert active_space_id() == second.pk

    activate(third)
    assert active_space_id() == third.pk


def test_a_new_model_is_built_beside_the_live_one_and_switched_atomically(make_space):
    old, old_vectors = make_space(50, 4, model="old-model", seed=1)
    new, new_vectors = make_space(50, 6, model="new-model", seed=2, active=False)
    live = DjangoStore()

    # While the new space is being built, every search uses the old model only.
    found = live.nearest(old_vectors[0], 5, NO_FILTER)
    assert found[0].product_id == 1 and found[0].vector.shape == (4,)
    with pytest.raises(ValueError, match="6 dimensions"):
        live.nearest(new_vectors[0], 5, NO_FILTER)

    activate(new)
    # The old space is dropped after the switch: a store that started before it
    # finds nothing there rather than mixing models; stores created after the
    # switch search the new model.
    assert live.nearest(old_vectors[0], 5, NO_FILTER) == []
    found = DjangoStore().nearest(new_vectors[0], 5, NO_FILTER)
    assert found[0].product_id == 1 and found[0].vector.shape == (6,)
    assert all(n.vector.shape == (6,) for n in found)
    assert list(EmbeddingSpace.objects.values_list("pk", "status")) == [(new.pk, "active")]


def index_method(name: str) -> str | None:
    """The access method (hnsw, btree) of the index called ``name``; None when absent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.oid = to_regclass(%s)",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_the_index_is_built_with_more_graph_links_than_pgvectors_default(make_space):
    space, _ = make_space(10, 4)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                       [index_name(space)])
        [options] = cursor.fetchone()
    assert sorted(options) == ["ef_construction=64", "m=24"]


def test_an_abandoned_build_can_be_dropped_but_not_the_active_space(make_space):
    live, _ = make_space(10, 4, model="live-model")
    abandoned, _ = make_space(10, 4, model="abandoned-model", active=False)
    with pytest.raises(ValueError, match="active space cannot be dropped"):
        drop_space(live)
    abandoned_index = index_name(abandoned)
    drop_space(abandoned)
    assert index_method(abandoned_index) is None
    assert list(EmbeddingSpace.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(ProductVector.objects.values_list("space_id", flat=True).distinct()) == [live.pk]
    assert index_valid(live) is True


def add_profile(space: EmbeddingSpace, key: str) -> None:
    state = LongTermState(np.ones(space.dimensions), 1.0, datetime(2026, 1, 1, tzinfo=UTC), 1)
    DjangoStore(space).update_profile(key, lambda _old: state)


@pytest.fixture
def outside_transactions(transactional_db):
    """Tests run in autocommit mode, as a worker does, so indexes are built CONCURRENTLY.

    Tables are emptied after each such test but indexes are not: drop what is left.
    """
    yield
    EmbeddingSpace.objects.update(status=EmbeddingSpace.Status.RETIRED)
    drop_retired_spaces()


def test_after_two_switches_only_the_active_space_is_left(outside_transactions, make_space):
    assert connection.get_autocommit()
    first, _ = make_space(20, 4, model="first-model", seed=1)
    add_profile(first, "u:1")
    second, _ = make_space(20, 4, model="second-model", seed=2)
    add_profile(second, "u:1")
    third, vectors = make_space(20, 4, model="third-model", seed=3)
    add_profile(third, "u:1")

    assert list(EmbeddingSpace.objects.values_list("pk", "status")) == [(third.pk, "active")]
    assert list(ProductVector.objects.values_list("space_id", flat=True).distinct()) == [third.pk]
    assert list(ShopperProfile.objects.values_list("space_id", flat=True)) == [third.pk]
    assert [index_method(index_name(s)) for s in (first, second, third)] == [None, None, "hnsw"]
    assert index_valid(third) is True
    assert DjangoStore().nearest(vectors[0], 1, NO_FILTER)[0].product_id == 1


def test_an_invalid_index_left_by_a_failed_concurrent_build_is_built_again(outside_transactions):
    space = create_space("some-model", 4)
    DjangoStore(space).upsert_vectors(
        [(pid, str(pid), np.eye(4, dtype=np.float32)[pid % 4]) for pid in range(1, 9)]
    )
    # A concurrent build that fails leaves its index behind, marked invalid.
    with connection.cursor() as cursor, pytest.raises(IntegrityError, match="could not create"):
        cursor.execute(
            f"CREATE UNIQUE INDEX CONCURRENTLY {index_name(space)} "
            f"ON {ProductVector._meta.db_table} (space_id)"
        )
    assert (index_valid(space), index_method(index_name(space))) == (False, "btree")

    ensure_index(space)

    assert (index_valid(space), index_method(index_name(space))) == (True, "hnsw")


def test_vectors_of_the_wrong_size_are_refused(make_space):
    space, _ = make_space(3, 4)
    with pytest.raises(ValueError, match="product 9: vector has 5 dimensions"):
        DjangoStore(space).upsert_vectors([(9, "h", np.ones(5, dtype=np.float32))])
