"""Reader for MovieLens folders, in GroupLens' three layouts.

- ``movies.csv`` (titles and genres), ``ratings.csv`` (timestamped ratings) and an
  optional ``tags.csv`` whose tags are added to the movie texts: ml-latest(-small),
  ml-20m, ml-25m, ml-32m;
- the same as header-less ``::`` files, ``movies.dat``, ``ratings.dat`` and an optional
  ``tags.dat``: ml-1m, ml-10m (ml-1m's titles are ISO-8859-1);
- ml-100k's ``u.item`` (``|`` separated, genres as 19 flags named by ``u.genre``) and
  ``u.data`` (tab separated ratings).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..engine.evaluation.data import EvalDataset
from .datasets import DatasetError
from .tabular import csv_rows, integer, lookup, number, separated_rows, table

# MovieLens ratings at or above this count as "liked"; lower ones as seen only.
POSITIVE_RATING = 4.0
MAX_TAGS_PER_MOVIE = 20
_NO_GENRES = "(no genres listed)"

# (movies, ratings, tags) file names of each layout, checked in this order.
LAYOUTS = (
    ("movies.csv", "ratings.csv", "tags.csv"),
    ("movies.dat", "ratings.dat", "tags.dat"),
    ("u.item", "u.data", None),
)
# Columns of the header-less files, in file order, and their separators.
_COLUMNS = {
    "movies.dat": (("movieId", "title", "genres"), "::"),
    "ratings.dat": (("userId", "movieId", "rating", "timestamp"), "::"),
    "tags.dat": (("userId", "movieId", "tag", "timestamp"), "::"),
    "u.data": (("userId", "movieId", "rating", "timestamp"), "\t"),
}
# ml-100k's u.item: id, title, release date, video release date, IMDb URL, then one
# 0/1 flag per genre, in u.genre's order (these names when u.genre is missing).
_100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)
_100K_FIELDS_BEFORE_GENRES = 5


def movielens_files(folder: Path) -> tuple[str, str, str | None] | None:
    """The (movies, ratings, tags) file names of the layout ``folder`` holds, if any."""
    for movies, ratings, tags in LAYOUTS:
        if (folder / movies).is_file() and (folder / ratings).is_file():
            return movies, ratings, tags
    return None


def load_movielens(folder: Path, files: tuple[str, str, str | None], split: str) -> EvalDataset:
    """Read the MovieLens dataset in ``folder``, laid out as ``files`` (see
    :func:`movielens_files`), as its ``split`` split."""
    movies_name, ratings_name, tags_name = files
    if movies_name == "u.item":
        movie_ids, texts = _read_100k_movies(folder / movies_name, folder / "u.genre")
    else:
        movie_ids, texts = _read_movies(folder / movies_name)
    index = {movie_id: internal for internal, movie_id in enumerate(movie_ids)}
    unknown = f"movieId (not in {movies_name})"
    if tags_name is not None and (folder / tags_name).is_file():
        for internal, tags in _read_tags(folder / tags_name, index, unknown).items():
            texts[internal] = f"{texts[internal]} Tags: {', '.join(tags)}."

    ratings = _read_ratings(folder / ratings_name, index, unknown)
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


def _columns(
    path: Path, wanted: Sequence[str]
) -> tuple[list[int], Iterator[tuple[int, list[str]]]]:
    """Positions of the ``wanted`` columns and the data rows, whatever the layout."""
    if path.name not in _COLUMNS:
        return table(path, csv_rows(path), wanted)
    names, separator = _COLUMNS[path.name]
    return [names.index(name) for name in wanted], separated_rows(path, separator, len(names))


def _read_movies(path: Path) -> tuple[list[int], list[str]]:
    """movieId per internal index (file order) and each movie's text."""
    (id_col, title_col, genres_col), rows = _columns(path, ("movieId", "title", "genres"))
    return _movie_texts(
        path,
        (
            (line, fields[id_col], fields[title_col], fields[genres_col].strip().split("|"))
            for line, fields in rows
        ),
    )


def _read_100k_movies(path: Path, genre_path: Path) -> tuple[list[int], list[str]]:
    """ml-100k's ``u.item``: genres are flags, named in ``u.genre``."""
    genres = _read_100k_genres(genre_path) if genre_path.is_file() else list(_100K_GENRES)
    width = _100K_FIELDS_BEFORE_GENRES + len(genres)

    def movies() -> Iterator[tuple[int, str, str, list[str]]]:
        for line, fields in separated_rows(path, "|", width):
            flags = fields[_100K_FIELDS_BEFORE_GENRES:]
            if any(flag not in ("0", "1") for flag in flags):
                raise DatasetError(path, line, "genre flags must be 0 or 1")
            named = [name for name, flag in zip(genres, flags) if flag == "1"]
            yield line, fields[0], fields[1], [name for name in named if name != "unknown"]

    return _movie_texts(path, movies())


def _read_100k_genres(path: Path) -> list[str]:
    """``u.genre``: ``name|index`` lines, indices 0, 1, 2, ... in order."""
    names: list[str] = []
    for line, (name, position) in separated_rows(path, "|", 2):
        if integer(path, line, position, "genre index") != len(names):
            raise DatasetError(path, line, f"genre index {position}, expected {len(names)}")
        names.append(name.strip())
    return names


def _movie_texts(
    path: Path, movies: Iterator[tuple[int, str, str, list[str]]]
) -> tuple[list[int], list[str]]:
    """From ``(line, movieId, title, genres)``: ids in file order and their texts."""
    movie_ids: list[int] = []
    texts: list[str] = []
    seen: set[int] = set()
    for line, raw_id, title, genres in movies:
        movie_id = integer(path, line, raw_id, "movieId")
        if movie_id in seen:
            raise DatasetError(path, line, f"duplicate movieId {movie_id}")
        seen.add(movie_id)
        movie_ids.append(movie_id)
        text = f"{title.strip()}."
        named = [genre for genre in genres if genre and genre != _NO_GENRES]
        if named:
            text += f" Genres: {', '.join(named)}."
        texts.append(text)
    return movie_ids, texts


def _read_tags(path: Path, index: dict[int, int], unknown: str) -> dict[int, list[str]]:
    """Distinct tags per movie (case-insensitive, first spelling kept), 20 at most."""
    (id_col, tag_col), rows = _columns(path, ("movieId", "tag"))
    tags: dict[int, dict[str, str]] = {}
    for line, fields in rows:
        movie = lookup(path, line, index, fields[id_col], unknown)
        tag = " ".join(fields[tag_col].split())
        movie_tags = tags.setdefault(movie, {})
        if tag and len(movie_tags) < MAX_TAGS_PER_MOVIE:
            movie_tags.setdefault(tag.lower(), tag)
    return {movie: list(kept.values()) for movie, kept in tags.items() if kept}


def _read_ratings(
    path: Path, index: dict[int, int], unknown: str
) -> dict[int, list[tuple[int, float, int]]]:
    """``userId -> [(item index, rating, timestamp), ...]`` in file order."""
    (user_col, movie_col, rating_col, time_col), rows = _columns(
        path, ("userId", "movieId", "rating", "timestamp")
    )
    ratings: dict[int, list[tuple[int, float, int]]] = {}
    for line, fields in rows:
        user = integer(path, line, fields[user_col], "userId")
        movie = lookup(path, line, index, fields[movie_col], unknown)
        rating = number(path, line, fields[rating_col], "rating")
        stamp = integer(path, line, fields[time_col], "timestamp")
        ratings.setdefault(user, []).append((movie, rating, stamp))
    return ratings
