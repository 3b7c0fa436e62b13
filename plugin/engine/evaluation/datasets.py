"""Offline evaluation data: readers for UniSRec atomic files and MovieLens.

:func:`load_dataset` turns a folder into one :class:`EvalDataset`: a leave-one-out
split with one held-out target item per user, the user's history before it, and the
items that must not be ranked for that user. Files are streamed line by line and
every malformed line raises :class:`DatasetError` naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

# MovieLens ratings at or above this count as "liked"; lower ones as seen only.
POSITIVE_RATING = 4.0
MAX_TAGS_PER_MOVIE = 20
SPLITS = ("test", "valid")
_NO_GENRES = "(no genres listed)"
_MOVIE = "movieId (not in movies.csv)"
_ITEM = "item index (not in the .item2index file)"


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
        return _load_unisrec(folder, prefixes[0], split)
    if (folder / "ratings.csv").is_file() and (folder / "movies.csv").is_file():
        return _load_movielens(folder, split)
    raise DatasetError(
        folder, None,
        "unknown dataset format; expected UniSRec atomic files (<name>.test.inter, "
        "<name>.text, <name>.item2index) or MovieLens (ratings.csv, movies.csv)",
    )


# --- shared line handling --------------------------------------------------------


def _raw_lines(path: Path) -> Iterator[str]:
    """Decoded lines of ``path``, line endings kept; errors name the file and line.

    Lines are decoded one at a time so a bad byte is reported on its own line,
    not on the first line of the block a text stream happened to read.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DatasetError(path, None, "file not found") from None
    has_content = False
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise DatasetError(path, number, "not valid UTF-8 text") from None
            has_content = has_content or bool(text.strip())
            yield text
    if not has_content:
        raise DatasetError(path, 1, "empty file; expected a header row and data rows")


def _tsv_rows(path: Path, maxsplit: int = -1) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(1-based line number, tab separated fields)`` for non-blank lines."""
    for number, text in enumerate(_raw_lines(path), start=1):
        line = text.rstrip("\r\n")
        if line.strip():
            yield number, line.split("\t", maxsplit)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` for the non-blank rows of a CSV file.

    The line number is the row's last line (quoted fields may span lines).
    """
    reader = csv.reader(_raw_lines(path), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DatasetError(path, reader.line_num, f"malformed CSV: {exc}") from None
        if any(field.strip() for field in row):
            yield reader.line_num, row


def _integer(path: Path, line: int, value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DatasetError(path, line, f"{what} {value!r} is not an integer") from None


def _number(path: Path, line: int, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DatasetError(path, line, f"{what} {value!r} is not a finite number")
    return number


def _lookup(
    path: Path, line: int, index: dict[int, int], value: str, what: str
) -> int:
    """Parse the integer id ``value`` and map it to an internal item index."""
    key = _integer(path, line, value, what)
    if key not in index:
        raise DatasetError(path, line, f"unknown {what} {key}")
    return index[key]


def _table(
    path: Path, rows: Iterator[tuple[int, list[str]]], wanted: Sequence[str]
) -> tuple[list[int], Iterator[tuple[int, list[str]]]]:
    """Read the header row; return the ``wanted`` column positions and the data rows.

    Header cells are matched up to a ``:`` (UniSRec's ``name:type``). The data rows
    are checked to have one field per header column, and to exist.
    """
    header_line, header = next(rows)
    names = [cell.split(":", 1)[0] for cell in header]
    missing = [name for name in wanted if name not in names]
    if missing:
        raise DatasetError(
            path, header_line,
            f"header {header} lacks column(s) {missing}; expected {list(wanted)}",
        )
    positions = [names.index(name) for name in wanted]
    return positions, _body(path, rows, header_line, len(names))


def _body(
    path: Path, rows: Iterator[tuple[int, list[str]]], header_line: int, width: int
) -> Iterator[tuple[int, list[str]]]:
    count = 0
    for count, (line, fields) in enumerate(rows, start=1):
        if len(fields) != width:
            raise DatasetError(path, line, f"{len(fields)} fields, expected {width}")
        yield line, fields
    if count == 0:
        problem = "no data rows after the header; expected at least one"
        raise DatasetError(path, header_line + 1, problem)


# --- UniSRec atomic files ----------------------------------------------------------


def _load_unisrec(folder: Path, prefix: str, split: str) -> EvalDataset:
    item_ids, file_index = _read_item2index(folder / f"{prefix}.item2index")
    by_asin = {asin: internal for internal, asin in enumerate(item_ids)}
    item_texts = [""] * len(item_ids)
    text_path = folder / f"{prefix}.text"
    _, rows = _table(text_path, _tsv_rows(text_path, maxsplit=1), ("item_id", "text"))
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
    for line, fields in _tsv_rows(path):
        if len(fields) != 2:
            raise DatasetError(path, line, f"{len(fields)} fields, expected 2")
        asin, index = fields[0], _integer(path, line, fields[1], "item index")
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
    (_, history_col, target_col), rows = _table(
        path, _tsv_rows(path), ("user_id", "item_id_list", "item_id")
    )
    histories: list[np.ndarray] = []
    targets: list[int] = []
    for line, fields in rows:
        history = np.array(
            [_lookup(path, line, file_index, token, _ITEM)
             for token in fields[history_col].split()],
            dtype=np.int64,
        )
        target = _lookup(path, line, file_index, fields[target_col], _ITEM)
        histories.append(history)
        targets.append(target)
    return histories, targets


# --- MovieLens ---------------------------------------------------------------------


def _load_movielens(folder: Path, split: str) -> EvalDataset:
    movie_ids, texts = _read_movies(folder / "movies.csv")
    index = {movie_id: internal for internal, movie_id in enumerate(movie_ids)}
    tags_path = folder / "tags.csv"
    if tags_path.is_file():
        for internal, tags in _read_tags(tags_path, index).items():
            texts[internal] = f"{texts[internal]} Tags: {', '.join(tags)}."

    ratings = _read_ratings(folder / "ratings.csv", index)
    movie_id_of = np.asarray(movie_ids, dtype=np.int64)
    from_end = 1 if split == "test" else 2
    histories, weights, times, targets, exclude = [], [], [], [], []
    for user in sorted(ratings):
        items, scores, stamps = (np.asarray(column) for column in zip(*ratings[user]))
        # By time; ratings sharing a timestamp by movieId, so the target is the
        # latest positive with the largest movieId.
        order = np.lexsort((movie_id_of[items], stamps))
        items, scores, stamps = items[order], scores[order], stamps[order]
        positives = np.flatnonzero(scores >= POSITIVE_RATING)
        if len(positives) < from_end:
            continue
        target_row = positives[-from_end]
        keep = np.arange(len(items)) != target_row
        if split == "valid":
            keep &= stamps < stamps[positives[-1]]
        targets.append(items[target_row])
        histories.append(items[keep])
        weights.append((scores[keep] >= POSITIVE_RATING).astype(np.float32))
        times.append(stamps[keep])
        exclude.append(np.setdiff1d(items, [items[target_row]]))

    return EvalDataset(
        name=folder.name,
        item_ids=[str(movie_id) for movie_id in movie_ids],
        item_texts=texts,
        histories=histories,
        history_weights=weights,
        history_times=times,
        targets=np.asarray(targets, dtype=np.int64),
        exclude=exclude,
        protocol=(
            f"MovieLens {split} split: per user the "
            f"{'last' if split == 'test' else 'second-to-last'} rating >= 4 by time "
            "is the target; full ranking over all movies the user has not rated."
        ),
    )


def _read_movies(path: Path) -> tuple[list[int], list[str]]:
    """movieId per internal index (file order) and each movie's text."""
    (id_col, title_col, genres_col), rows = _table(
        path, _csv_rows(path), ("movieId", "title", "genres")
    )
    movie_ids: list[int] = []
    texts: list[str] = []
    seen: set[int] = set()
    for line, fields in rows:
        movie_id = _integer(path, line, fields[id_col], "movieId")
        if movie_id in seen:
            raise DatasetError(path, line, f"duplicate movieId {movie_id}")
        seen.add(movie_id)
        movie_ids.append(movie_id)
        text, genres = f"{fields[title_col].strip()}.", fields[genres_col].strip()
        if genres and genres != _NO_GENRES:
            text += f" Genres: {genres.replace('|', ', ')}."
        texts.append(text)
    return movie_ids, texts


def _read_tags(path: Path, index: dict[int, int]) -> dict[int, list[str]]:
    """Distinct tags per movie (case-insensitive, first spelling kept), 20 at most."""
    (id_col, tag_col), rows = _table(path, _csv_rows(path), ("movieId", "tag"))
    tags: dict[int, dict[str, str]] = {}
    for line, fields in rows:
        movie = _lookup(path, line, index, fields[id_col], _MOVIE)
        tag = " ".join(fields[tag_col].split())
        movie_tags = tags.setdefault(movie, {})
        if tag and len(movie_tags) < MAX_TAGS_PER_MOVIE:
            movie_tags.setdefault(tag.lower(), tag)
    return {movie: list(kept.values()) for movie, kept in tags.items() if kept}


def _read_ratings(
    path: Path, index: dict[int, int]
) -> dict[int, list[tuple[int, float, int]]]:
    """``userId -> [(item index, rating, timestamp), ...]`` in file order."""
    (user_col, movie_col, rating_col, time_col), rows = _table(
        path, _csv_rows(path), ("userId", "movieId", "rating", "timestamp")
    )
    ratings: dict[int, list[tuple[int, float, int]]] = {}
    for line, fields in rows:
        user = _integer(path, line, fields[user_col], "userId")
        movie = _lookup(path, line, index, fields[movie_col], _MOVIE)
        rating = _number(path, line, fields[rating_col], "rating")
        stamp = _integer(path, line, fields[time_col], "timestamp")
        ratings.setdefault(user, []).append((movie, rating, stamp))
    return ratings
