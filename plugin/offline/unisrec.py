"""Reader for UniSRec atomic files.

A dataset is ``<prefix>.item2index`` (item id to index), ``<prefix>.text`` (item
texts) and ``<prefix>.<split>.inter`` (per user a history and one target item).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.evaluation.data import EvalDataset
from .datasets import DatasetError
from .tabular import integer, lookup, table, tsv_rows

_ITEM = "item index (not in the .item2index file)"


def load_unisrec(folder: Path, prefix: str, split: str) -> EvalDataset:
    """Read the UniSRec dataset ``prefix`` in ``folder`` as its ``split`` split."""
    item_ids, file_index = _read_item2index(folder / f"{prefix}.item2index")
    by_asin = {asin: internal for internal, asin in enumerate(item_ids)}
    item_texts = [""] * len(item_ids)
    text_path = folder / f"{prefix}.text"
    _, rows = table(text_path, tsv_rows(text_path, maxsplit=1), ("item_id", "text"))
    for line, fields in rows:
        if fields[0] not in by_asin:
            raise DatasetError(text_path, line, f"unknown item id {fields[0]!r}")
        item_texts[by_asin[fields[0]]] = fields[1].strip()

    inter_path = folder / f"{prefix}.{split}.inter"
    histories, targets = _read_inter(inter_path, file_index)
    return EvalDataset(
        name=folder.name,
        item_ids=item_ids,
        item_texts=item_texts,
        histories=histories,
        history_weights=[np.ones(len(h), dtype=np.float32) for h in histories],
        history_times=None,
        targets=np.asarray(targets, dtype=np.int64),
        exclude=[np.unique(history) for history in histories],
        protocol=(
            f"UniSRec {split} split: leave-one-out, full ranking over all items "
            "except the user's history; models train on the train.inter sequences."
        ),
        # The test history ends with the validation target; like the literature,
        # models learn only from train.inter, i.e. the history without it.
        train_histories=[h[:-1] for h in histories] if split == "test" else None,
    )


def _read_item2index(path: Path) -> tuple[list[str], dict[int, int]]:
    """ASIN per internal index, and the map from the file's index to the internal one.

    The file has no header. Its indices are mapped to 0-based internal indices in
    ascending order: 0-based files (like Amazon Scientific's) map to themselves,
    files that reserve 0 for padding shift by one.
    """
    asins: dict[int, str] = {}
    seen: set[str] = set()
    for line, fields in tsv_rows(path):
        if len(fields) != 2:
            raise DatasetError(path, line, f"{len(fields)} fields, expected 2")
        asin, index = fields[0], integer(path, line, fields[1], "item index")
        if index in asins or asin in seen:
            raise DatasetError(path, line, f"duplicate item {asin!r} or index {index}")
        asins[index] = asin
        seen.add(asin)
    ordered = sorted(asins)
    internal = {index: position for position, index in enumerate(ordered)}
    return [asins[index] for index in ordered], internal


def _read_inter(
    path: Path, file_index: dict[int, int]
) -> tuple[list[np.ndarray], list[int]]:
    (_, history_col, target_col), rows = table(
        path, tsv_rows(path), ("user_id", "item_id_list", "item_id")
    )
    histories: list[np.ndarray] = []
    targets: list[int] = []
    for line, fields in rows:
        history = np.array(
            [lookup(path, line, file_index, token, _ITEM)
             for token in fields[history_col].split()],
            dtype=np.int64,
        )
        target = lookup(path, line, file_index, fields[target_col], _ITEM)
        histories.append(history)
        targets.append(target)
    return histories, targets
