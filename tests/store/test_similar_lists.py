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


def test_a_changed_product_marks_the_lists_naming_it_and_the_lists_its_own_list_names(
    make_space,
):
    space, _ = make_space(6, 4)
    DjangoStore(space).save_similar(
        {1: [(2, 0.9)], 2: [(3, 0.9), (4, 0.8)], 3: [(5, 0.9)], 4: [(5, 0.9)], 6: [(1, 0.9)]}
    )
    # 1 names 2; 2 names 3 and 4; 3, 4 and 6 name neither 2 nor are named by it.
    assert similar_lists.mark_near_stale(space, [2]) == 3
    stale = set(
        SimilarProductList.objects.filter(space=space, computed_at__isnull=True).values_list(
            "product_id", flat=True
        )
    )
    # The changed product's own list is recomputed by its own refresh, not marked.
    assert stale == {1, 3, 4}
    assert similar_lists.mark_near_stale(space, []) == 0
