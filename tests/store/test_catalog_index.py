import pytest
from saleor_personalization.engine.documents import ProductDocument
from saleor_personalization.engine.encoder import EncoderConfig, resolve_model_path
from saleor_personalization.engine.filters import NO_FILTER
from saleor_personalization.models import EmbeddingSpace, ProductVector
from saleor_personalization.store import DjangoStore
from saleor_personalization.store.catalog_index import index_products, rebuild_catalog

pytestmark = pytest.mark.django_db

DOCS = [ProductDocument(1, "Coffee beans"), ProductDocument(2, "Coffee grinder"), ProductDocument(3, "Tent")]


def test_first_rebuild_creates_and_activates_a_space_then_refreshes_incrementally(encoder_config):
    space, stats = rebuild_catalog(DOCS, encoder_config)
    assert space.status == "active" and stats.encoded == 3
    assert index_products([ProductDocument(3, "Tent")], encoder_config).unchanged == 1
    assert index_products([ProductDocument(4, "Sleeping bag")], encoder_config).encoded == 1
    assert ProductVector.objects.filter(space=space).count() == 4


def test_changing_the_model_builds_a_new_space_and_switches_without_mixing(encoder_config):
    old, _ = rebuild_catalog(DOCS, encoder_config)
    # The same weights under another name stand in for a different model.
    other = EncoderConfig(model=resolve_model_path(encoder_config.model))
    with pytest.raises(LookupError, match="no active embedding space for model"):
        index_products(DOCS, other)
    new, stats = rebuild_catalog(DOCS, other)
    assert stats.encoded == 3 and new.pk != old.pk
    # The retired space is dropped once the new one is live.
    assert list(EmbeddingSpace.objects.values_list("pk", "status")) == [(new.pk, "active")]
    store = DjangoStore()
    assert store.space.pk == new.pk
    found = store.nearest(store.vectors([1])[1], 3, NO_FILTER)
    assert {n.product_id for n in found} == {1, 2, 3}
    assert ProductVector.objects.filter(space=new).count() == 3


@pytest.mark.parametrize("answers", [[False], [True, False]], ids=["between batches", "at the end"])
def test_a_new_models_build_that_is_no_longer_wanted_is_dropped_not_activated(
    encoder_config, monkeypatch, answers
):
    from saleor_personalization.store import catalog_index
    from saleor_personalization.store.catalog_index import BuildAbandoned

    old, _ = rebuild_catalog(DOCS, encoder_config)
    other = EncoderConfig(model=resolve_model_path(encoder_config.model))
    monkeypatch.setattr(catalog_index, "STILL_WANTED_EVERY", 2)  # 3 documents: one check, then the last
    asked = []

    def still_wanted() -> bool:
        asked.append(True)
        return answers[len(asked) - 1]

    with pytest.raises(BuildAbandoned, match="no longer the configured model"):
        rebuild_catalog(DOCS, other, still_wanted=still_wanted)

    assert len(asked) == len(answers)
    assert list(EmbeddingSpace.objects.values_list("pk", "status")) == [(old.pk, "active")]
    assert set(ProductVector.objects.values_list("space_id", flat=True)) == {old.pk}
