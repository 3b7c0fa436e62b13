"""Our lists' products are read with one plain statement into Saleor's own
ProductByIdLoader: they must be the objects Saleor would have loaded."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from measurement.measures import Weight
from saleor.graphql.core.context import SaleorContext
from saleor.graphql.product.dataloaders import ProductByIdLoader
from saleor.product.models import Product
from saleor_personalization.saleor_adapter.graphql import product_rows


def _context() -> SaleorContext:
    context = SaleorContext()
    context.dataloaders = {}
    context.allow_replica = False  # the writer: the test's transaction holds the rows
    return context


def test_products_read_for_lists_equal_what_saleor_loads(product, product_list):
    product.weight = Weight(kg=Decimal("1.25"))
    product.metadata = {"care": "wash cold"}
    product.description = {"blocks": [{"type": "paragraph", "data": {"text": "Soft."}}]}
    product.save()
    ids = [product.pk, *(p.pk for p in product_list), 10**9]  # the last one does not exist

    ours = {p.pk: p for p in product_rows.read_products("default", ids)}
    theirs = Product.objects.in_bulk(ids)

    assert set(ours) == set(theirs) == set(ids[:-1])
    for pk, expected in theirs.items():
        for field in Product._meta.concrete_fields:
            assert getattr(ours[pk], field.attname) == getattr(expected, field.attname), field.name
        assert (ours[pk]._state.db, ours[pk]._state.adding) == ("default", False)
    assert ours[product.pk].weight == Weight(kg=Decimal("1.25"))
    assert product_rows.read_products("default", []) == []


def test_products_of_one_weight_each_get_their_own_weight(product_list):
    first, second, unweighed = ids = [p.pk for p in product_list[:3]]
    Product.objects.filter(pk__in=[first, second]).update(weight=2.5)
    Product.objects.filter(pk=unweighed).update(weight=None)

    read = {p.pk: p for p in product_rows.read_products("default", ids)}
    read[first].weight.unit = "lb"  # Saleor converts weights in place

    assert read[unweighed].weight is None
    assert read[second].weight == Weight(g=2.5) and read[second].weight.unit == "g"
    assert read[first].weight == Weight(g=2.5) and read[first].weight is not read[second].weight
    again = {p.pk: p for p in product_rows.read_products("default", ids)}
    assert again[first].weight.unit == "g"


def test_list_products_are_primed_into_saleors_loader(product, product_list):
    """(A page's lists load in one batch: see test_graphql's query counts.)"""
    context = _context()
    ids = [p.pk for p in product_list] + [10**9]
    loaded = product_rows.load_products(context, ids).get()
    with CaptureQueriesContext(connection) as queries:
        again = ProductByIdLoader(context).load_many(ids[:-1]).get()
    assert [p.pk if p else None for p in loaded] == ids[:-1] + [None]
    assert again == loaded[:-1]
    assert len(queries) == 0, [q["sql"] for q in queries]  # Saleor's loader reads nothing


def test_a_failed_read_leaves_the_products_to_saleors_loader(product, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(product_rows, "read_products", broken)
    assert product_rows.load_products(_context(), [product.pk]).get() == [product]
