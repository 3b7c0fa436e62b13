import pytest
from saleor_personalization.engine.filters import CandidateFilter, SqlCondition


def test_allowed_and_excluded_ids():
    flt = CandidateFilter.allow([1, 2, 3]).excluding([2])
    assert [pid for pid in range(5) if flt.allows(pid)] == [1, 3]


def test_sql_condition_renders_the_product_column():
    condition = SqlCondition("EXISTS (SELECT 1 FROM stock s WHERE s.pid = {product_id} AND s.qty > %s)", (0,))
    assert condition.render("v.product_id") == (
        "(EXISTS (SELECT 1 FROM stock s WHERE s.pid = v.product_id AND s.qty > %s))"
    )
    with pytest.raises(ValueError, match="SQL store"):
        CandidateFilter(condition=condition).allows(1)


def test_sql_condition_validation():
    with pytest.raises(ValueError, match=r"\{product_id\}"):
        SqlCondition("true")
    with pytest.raises(ValueError, match="1 placeholders but 0 params"):
        SqlCondition("{product_id} > %s")


def test_a_condition_without_a_whole_set_form_is_its_own():
    from saleor_personalization.engine.filters import CandidateFilter, SqlCondition

    correlated = SqlCondition("EXISTS (SELECT 1 WHERE {product_id} > %s)", (3,))
    assert correlated.for_every_row() is correlated
    whole = SqlCondition("{product_id} IN (SELECT 4)")
    both = SqlCondition(correlated.sql, correlated.params, whole_set=whole)
    assert CandidateFilter(condition=both).excluding([9]).for_every_row() == CandidateFilter(
        condition=whole, excluded_ids=frozenset({9})
    )
