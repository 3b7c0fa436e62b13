"""Progress bars for the command line and the management command (shown on a
terminal, silent in logs and pipes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(
    total: int, description: str, unit: str = "it"
) -> Iterator[Callable[[int], None]]:
    from tqdm import tqdm

    # disable=None: tqdm turns itself off when stderr is not a terminal.
    with tqdm(total=total, desc=description, unit=unit, disable=None) as bar:
        yield bar.update
