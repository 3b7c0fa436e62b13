"""Signed list ids: what a click needs to be attributed, and nothing a forger can make."""

import pytest
from django.core import signing
from saleor_personalization.saleor_adapter import list_tokens
from saleor_personalization.saleor_adapter.list_tokens import InvalidListToken


def test_a_signed_list_reads_back_as_served():
    token = list_tokens.sign("default-channel", [5, 3, 9], 7)
    ref = list_tokens.verify(token)
    assert (ref.channel, ref.product_ids, ref.context_product_id) == ("default-channel", (5, 3, 9), 7)
    assert ref.pk == list_tokens.verify(token).pk


def test_two_lists_have_two_ids():
    first = list_tokens.verify(list_tokens.sign("c", [1, 2], None))
    second = list_tokens.verify(list_tokens.sign("c", [2, 1], None))
    assert first.pk != second.pk


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "eyJjIjoiYyJ9:1abc:forged"],
)
def test_a_token_the_shop_did_not_sign_is_refused(token):
    with pytest.raises(InvalidListToken, match="not a list served by this shop"):
        list_tokens.verify(token)


def test_a_tampered_token_is_refused():
    token = list_tokens.sign("c", [1, 2], None)
    payload, rest = token.split(":", 1)
    forged = signing.dumps({"c": "c", "p": [666], "x": None, "t": 0}, salt="another").split(":", 1)[0]
    with pytest.raises(InvalidListToken):
        list_tokens.verify(f"{forged}:{rest}")


def test_a_list_served_too_long_ago_is_refused(monkeypatch):
    token = list_tokens.sign("c", [1], None)
    later = signing.time.time() + list_tokens.MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(InvalidListToken, match="more than 30 days ago"):
        list_tokens.verify(token)
