"""The evaluation data the methods and the runner share: :class:`EvalDataset`.

A leave-one-out split with one held-out target item per user, the user's history
before it, and the items that must not be ranked for that user. Readers that build
one from files are in :mod:`saleor_personalization.offline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class EvalDataset:
    """A leave-one-out evaluation split: per user a history and one target item.

    Items are internal indices ``0..n_items-1``; ``item_ids`` maps them back to the
    source's ids. ``history_weights`` is 1.0 for a positive interaction and 0.0 for
    "seen but not liked" (MovieLens ratings below 4). ``exclude`` lists the items
    not to rank for each user (for UniSRec the whole history, as in the literature,
    so a repeat purchase of the target is a miss). ``train_histories`` holds the
    positive interactions models may learn from where they differ from the
    histories (``None``: the positive histories themselves).
    """

    name: str
    item_ids: list[str]
    item_texts: list[str]
    histories: list[np.ndarray]
    history_weights: list[np.ndarray]
    history_times: list[np.ndarray] | None
    targets: np.ndarray
    exclude: list[np.ndarray]
    protocol: str = ""
    train_histories: list[np.ndarray] | None = None

    def __post_init__(self) -> None:
        per_user = ("histories", "history_weights", "history_times", "exclude")
        sizes = dict.fromkeys((*per_user, "train_histories"), len(self.targets))
        sizes["item_texts"] = len(self.item_ids)
        for field_name, size in sizes.items():
            values = getattr(self, field_name)
            if values is not None and len(values) != size:
                raise ValueError(
                    f"{field_name} has {len(values)} entries, expected {size} "
                    f"(one per {'item' if field_name == 'item_texts' else 'user'})"
                )

    @property
    def n_items(self) -> int:
        """Number of items, the width of every score matrix."""
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        """Number of evaluated users (one target each)."""
        return len(self.targets)

    def interaction_matrix(self) -> sparse.csr_matrix:
        """Binary users x items matrix of the interactions models may train on.

        An entry is 1 when the item is in the user's ``train_histories`` or, when
        those are not set, in the history with a weight above 0. Targets are never
        included; repeated interactions count once.
        """
        items = self.train_histories or self._positive_histories()
        return _count_matrix(items, self.n_items, binary=True)

    def history_matrix(self) -> sparse.csr_matrix:
        """Users x items counts of each user's positive history entries.

        This is the profile a method scores from at evaluation time; an item
        bought twice counts twice.
        """
        return _count_matrix(self._positive_histories(), self.n_items, binary=False)

    def _positive_histories(self) -> list[np.ndarray]:
        return [h[w > 0] for h, w in zip(self.histories, self.history_weights)]


def _count_matrix(
    rows: Sequence[np.ndarray], n_items: int, *, binary: bool
) -> sparse.csr_matrix:
    """One matrix row per entry of ``rows``, counting (or flagging) its items."""
    cols = np.concatenate([np.zeros(0, dtype=np.int64), *rows])
    user_of = np.repeat(np.arange(len(rows)), [len(items) for items in rows])
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (user_of, cols)),
        shape=(len(rows), n_items),
    )
    matrix.sum_duplicates()
    if binary:
        matrix.data[:] = 1.0
    return matrix
