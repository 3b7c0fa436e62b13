"""A small per-process cache for values that change slowly and cost a query to read.

Each key's value is computed at most once per ``ttl`` seconds; at most
``max_entries`` keys are kept (the oldest goes first), so a cache fed by
per-request keys cannot grow without bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached[1] < self.ttl:
            return cached[0]
        value = compute()
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._entries.pop(min(self._entries, key=lambda k: self._entries[k][1]))
            self._entries[key] = (value, time.monotonic())
        return value

    def clear(self) -> None:
        self._entries.clear()
