"""Wall time and peak resident memory of a piece of work (no torch, no psutil)."""

from __future__ import annotations

import resource
import threading
import time
from pathlib import Path
from types import TracebackType

_PAGE = resource.getpagesize()
_STATM = Path("/proc/self/statm")


def resident_bytes() -> int:
    """The process's resident set size now (its peak so far where /proc is missing)."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Usage:
    """Context manager measuring seconds and the peak resident memory inside it.

    The peak is sampled every ``interval`` seconds by a daemon thread, plus at
    entry and exit; ``peak_mb`` is the highest resident size seen and
    ``added_mb`` how far it rose above the size at entry.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.seconds = 0.0
        self.peak_mb = 0.0
        self.added_mb = 0.0
        self._start_bytes = 0
        self._peak = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def __enter__(self) -> "Usage":
        self._start_bytes = self._peak = resident_bytes()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self._peak = max(self._peak, resident_bytes())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, resident_bytes())
        self.seconds = time.perf_counter() - self._started
        self.peak_mb = self._peak / 2**20
        self.added_mb = (self._peak - self._start_bytes) / 2**20
