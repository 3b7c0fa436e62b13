"""Which stored similar lists are due: missing, marked stale, or old."""

from datetime import timedelta

from django.utils import timezone
from saleor_personalization.models import SimilarProductList
from saleor_personalization.store import DjangoStore, similar_lists


def test_due_products_and_due_count_agree_on_missing_stale_and_old_lists(make_space):
    space, _ = make_space(5, 4)
    assert similar_lists.due_count(space) == 5
    DjangoStore(space).save_similar({pid: [(pid % 5 + 1, 0.9)] for pid in (1, 2, 3, 4)})
    SimilarProductList.objects.filter(space=space, product_id=3).update(
        computed_at=timezone.now() - similar_lists.MAX_AGE - timedelta(minutes=1)
    )
    similar_lists.mark_near_stale(space, [5])  # product 4's list names 5

    assert similar_lists.due_products(space, 10) == [4, 5, 3]
    assert similar_lists.due_count(space) == 3
    assert similar_lists.due_products(space, 2) == [4, 5]
