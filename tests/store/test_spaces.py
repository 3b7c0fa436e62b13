import numpy as np
import pytest

from saleor_personalization.engine.filters import NO_FILTER
from saleor_personalization.models import EmbeddingSpace, ProductVector
from saleor_personalization.store import DjangoStore, NoActiveSpaceError, activate, active_space
from saleor_personalization.store.spaces import drop_space

pytestmark = pytest.mark.django_db


def test_no_active_space_is_a_clear_error():
    with pytest.raises(NoActiveSpaceError, match="index the catalog first"):
        active_space()


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
    # A store keeps the space it started with (one request never mixes models);
    # stores created after the switch search the new model.
    assert live.nearest(old_vectors[0], 5, NO_FILTER)[0].vector.shape == (4,)
    found = DjangoStore().nearest(new_vectors[0], 5, NO_FILTER)
    assert found[0].product_id == 1 and found[0].vector.shape == (6,)
    assert all(n.vector.shape == (6,) for n in found)
    assert EmbeddingSpace.objects.get(pk=old.pk).status == "retired"
    assert EmbeddingSpace.objects.filter(status="active").count() == 1


def test_dropping_a_retired_space_removes_its_vectors(make_space):
    old, _ = make_space(10, 4, model="old-model")
    new, _ = make_space(10, 4, model="new-model")
    old.refresh_from_db()
    with pytest.raises(ValueError, match="active space cannot be dropped"):
        drop_space(new)
    drop_space(old)
    assert not ProductVector.objects.filter(space_id=old.pk).exists()
    assert ProductVector.objects.filter(space=new).count() == 10


def test_vectors_of_the_wrong_size_are_refused(make_space):
    space, _ = make_space(3, 4)
    with pytest.raises(ValueError, match="product 9: vector has 5 dimensions"):
        DjangoStore(space).upsert_vectors([(9, "h", np.ones(5, dtype=np.float32))])
