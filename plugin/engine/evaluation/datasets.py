"""Offline evaluation data: the :class:`EvalDataset` split and :func:`load_dataset`.

:func:`load_dataset` turns a folder into one :class:`EvalDataset`: a leave-one-out
split with one held-out target item per user, the user's history before it, and the
items that must not be ranked for that user. The format readers live in
:mod:`.unisrec` (UniSRec atomic files) and :mod:`.movielens` (MovieLens), on top of
the line and field parsing in :mod:`.tabular`. Files are streamed line by line and
every malformed line raises :class:`DatasetError` naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

SPLITS = ("test", "valid")


class DatasetError(ValueError):
    """A dataset file is missing or malformed.

    ``path`` is the offending file, ``line`` its 1-based line number (``None`` when
    the problem is not tied to one line). The message reads
    ``"<path>:<line>: <what is wrong, what was expected>"``.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {problem}")


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


def load_dataset(path: str | Path, split: str = "test") -> EvalDataset:
    """Read the evaluation dataset in folder ``path``, detecting its format.

    A folder with ``<prefix>.test.inter``, ``<prefix>.text`` and
    ``<prefix>.item2index`` is read as UniSRec atomic files; one with
    ``ratings.csv`` and ``movies.csv`` as MovieLens. ``split`` is ``"test"``
    (last target) or ``"valid"`` (the one before it).
    """
    # The readers import this module, so they are imported here, not at the top.
    from .movielens import load_movielens
    from .unisrec import load_unisrec

    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(folder, None, "not a directory; expected a dataset folder")
    suffix = ".test.inter"
    prefixes = sorted(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}"))
    if len(prefixes) > 1:
        raise DatasetError(
            folder, None, f"several UniSRec datasets {prefixes}; expected exactly one"
        )
    if prefixes and all(
        (folder / f"{prefixes[0]}.{ext}").is_file() for ext in ("text", "item2index")
    ):
        return load_unisrec(folder, prefixes[0], split)
    if (folder / "ratings.csv").is_file() and (folder / "movies.csv").is_file():
        return load_movielens(folder, split)
    raise DatasetError(
        folder, None,
        "unknown dataset format; expected UniSRec atomic files (<name>.test.inter, "
        "<name>.text, <name>.item2index) or MovieLens (ratings.csv, movies.csv)",
    )
