"""The per-process cache: computed once per ttl, bounded, oldest key goes first."""

from saleor_personalization import ttl_cache
from saleor_personalization.ttl_cache import TtlCache


def test_a_value_is_computed_once_per_ttl(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(ttl_cache.time, "monotonic", lambda: clock[0])
    calls = []
    cache = TtlCache(ttl=10.0, max_entries=4)

    def compute():
        calls.append(clock[0])
        return len(calls)

    assert cache.get("k", compute) == 1
    clock[0] = 109.0
    assert cache.get("k", compute) == 1
    clock[0] = 111.0
    assert cache.get("k", compute) == 2
    assert calls == [100.0, 111.0]


def test_the_oldest_key_goes_when_full(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(ttl_cache.time, "monotonic", lambda: clock[0])
    cache = TtlCache(ttl=100.0, max_entries=2)
    for second, key in enumerate("abc"):
        clock[0] = float(second)
        cache.get(key, lambda key=key: key.upper())
    assert sorted(cache._entries) == ["b", "c"]
