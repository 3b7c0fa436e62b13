"""Reader for RecBole atomic files.

A dataset is ``<name>.inter`` (one interaction per row: ``user_id:token``,
``item_id:token``, optionally ``timestamp:float`` and other columns) and ``<name>.item``
(``item_id:token`` and the item's fields). Every interaction counts as a positive
(implicit feedback, as RecBole's sequential benchmarks use them); per user the last
interaction by time (file order among equal times) is the test target, the one before
it the validation target.

An item's text is its ``token`` and ``token_seq`` fields in file order: the first as
it stands (usually the title), the others as ``name: value``; numeric fields (prices,
sales ranks) are left out. Items that only appear in ``.inter`` have no text.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import numpy as np

from ..engine.evaluation.data import EvalDataset
from .datasets import DatasetError
from .tabular import number, table, tsv_rows

_TEXT_TYPES = ("token", "token_seq")
# Timestamps above this are taken as milliseconds (seconds would be past year 5000).
_MILLISECONDS_FROM = 1e11


def recbole_prefix(folder: Path) -> str | None:
    """The ``<name>`` of the one ``<name>.inter`` + ``<name>.item`` pair in ``folder``."""
    prefixes = sorted(
        path.name[: -len(".inter")]
        for path in folder.glob("*.inter")
        if "." not in path.name[: -len(".inter")]  # not a pre-split <name>.<split>.inter
    )
    with_items = [prefix for prefix in prefixes if (folder / f"{prefix}.item").is_file()]
    if len(with_items) > 1:
        raise DatasetError(
            folder, None, f"several RecBole datasets {with_items}; expected exactly one"
        )
    return with_items[0] if with_items else None


def load_recbole(folder: Path, prefix: str, split: str) -> EvalDataset:
    """Read the RecBole dataset ``prefix`` in ``folder`` as its ``split`` split."""
    item_ids, item_texts = _read_items(folder / f"{prefix}.item")
    index = {item_id: internal for internal, item_id in enumerate(item_ids)}
    interactions, timed = _read_interactions(
        folder / f"{prefix}.inter", index, item_ids, item_texts
    )
    if timed and max(s for rows in interactions.values() for _, s in rows) > _MILLISECONDS_FROM:
        interactions = {
            user: [(item, stamp / 1000.0) for item, stamp in rows]
            for user, rows in interactions.items()
        }

    from_end = 1 if split == "test" else 2
    histories, times, targets, exclude = [], [], [], []
    for user in interactions:
        items, stamps = (np.asarray(column) for column in zip(*interactions[user]))
        order = np.argsort(stamps, kind="stable")
        items, stamps = items[order], stamps[order]
        if len(items) < from_end:
            continue
        target_row = len(items) - from_end
        targets.append(items[target_row])
        histories.append(items[:target_row])
        times.append(stamps[:target_row])
        exclude.append(np.setdiff1d(items, [items[target_row]]))

    return EvalDataset(
        name=folder.name,
        item_ids=item_ids,
        item_texts=item_texts,
        histories=histories,
        history_weights=[np.ones(len(h), dtype=np.float32) for h in histories],
        # Without timestamps the order is the file's; the methods space events a day apart.
        history_times=times if timed else None,
        targets=np.asarray(targets, dtype=np.int64),
        exclude=exclude,
        protocol=(
            f"RecBole {split} split: per user the "
            f"{'last' if split == 'test' else 'second-to-last'} interaction by time is the "
            "target; full ranking over all items the user has not interacted with."
        ),
    )


def _with_header(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's cells and every row, the header included (for :func:`table`)."""
    rows = tsv_rows(path)
    first = next(rows)  # an empty file has raised already
    return first[1], chain([first], rows)


def _read_items(path: Path) -> tuple[list[str], list[str]]:
    """Item ids in file order and their texts."""
    header, rows = _with_header(path)
    columns = [cell.split(":", 1) for cell in header]
    names = [column[0] for column in columns]
    (id_col,), body = table(path, rows, ["item_id"])
    text_cols = [
        position
        for position, column in enumerate(columns)
        if position != id_col and len(column) == 2 and column[1] in _TEXT_TYPES
    ]
    item_ids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    for line, fields in body:
        item_id = fields[id_col].strip()
        if item_id in seen:
            raise DatasetError(path, line, f"duplicate item_id {item_id!r}")
        seen.add(item_id)
        item_ids.append(item_id)
        texts.append(_item_text([(names[c], fields[c].strip()) for c in text_cols]))
    return item_ids, texts


def _item_text(fields: list[tuple[str, str]]) -> str:
    parts: list[str] = []
    for name, value in fields:
        if not value:
            continue
        label = "" if not parts else f"{name.replace('_', ' ')}: "
        parts.append(f"{label}{value.rstrip('.')}.")
    return " ".join(parts)


def _read_interactions(
    path: Path, index: dict[str, int], item_ids: list[str], item_texts: list[str]
) -> tuple[dict[str, list[tuple[int, float]]], bool]:
    """``user -> [(item index, timestamp), ...]`` in file order, and whether the file
    has timestamps (without, the position in the file stands for one). An item missing
    from ``.item`` is added without text."""
    header, rows = _with_header(path)
    timed = "timestamp" in [cell.split(":", 1)[0] for cell in header]
    positions, body = table(path, rows, ["user_id", "item_id", *(["timestamp"] if timed else [])])
    interactions: dict[str, list[tuple[int, float]]] = {}
    for line, fields in body:
        item_id = fields[positions[1]].strip()
        if item_id not in index:
            index[item_id] = len(item_ids)
            item_ids.append(item_id)
            item_texts.append("")
        stamp = number(path, line, fields[positions[2]], "timestamp") if timed else float(line)
        interactions.setdefault(fields[positions[0]].strip(), []).append((index[item_id], stamp))
    return interactions, timed
