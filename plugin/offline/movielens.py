"""Reader for MovieLens folders.

A dataset is ``movies.csv`` (titles and genres), ``ratings.csv`` (timestamped
ratings) and an optional ``tags.csv`` whose tags are added to the movie texts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.evaluation.data import EvalDataset
from .datasets import DatasetError
from .tabular import csv_rows, integer, lookup, number, table

# MovieLens ratings at or above this count as "liked"; lower ones as seen only.
POSITIVE_RATING = 4.0
MAX_TAGS_PER_MOVIE = 20
_NO_GENRES = "(no genres listed)"
_MOVIE = "movieId (not in movies.csv)"


def load_movielens(folder: Path, split: str) -> EvalDataset:
    """Read the MovieLens dataset in ``folder`` as its ``split`` split."""
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
    (id_col, title_col, genres_col), rows = table(
        path, csv_rows(path), ("movieId", "title", "genres")
    )
    movie_ids: list[int] = []
    texts: list[str] = []
    seen: set[int] = set()
    for line, fields in rows:
        movie_id = integer(path, line, fields[id_col], "movieId")
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
    (id_col, tag_col), rows = table(path, csv_rows(path), ("movieId", "tag"))
    tags: dict[int, dict[str, str]] = {}
    for line, fields in rows:
        movie = lookup(path, line, index, fields[id_col], _MOVIE)
        tag = " ".join(fields[tag_col].split())
        movie_tags = tags.setdefault(movie, {})
        if tag and len(movie_tags) < MAX_TAGS_PER_MOVIE:
            movie_tags.setdefault(tag.lower(), tag)
    return {movie: list(kept.values()) for movie, kept in tags.items() if kept}


def _read_ratings(
    path: Path, index: dict[int, int]
) -> dict[int, list[tuple[int, float, int]]]:
    """``userId -> [(item index, rating, timestamp), ...]`` in file order."""
    (user_col, movie_col, rating_col, time_col), rows = table(
        path, csv_rows(path), ("userId", "movieId", "rating", "timestamp")
    )
    ratings: dict[int, list[tuple[int, float, int]]] = {}
    for line, fields in rows:
        user = integer(path, line, fields[user_col], "userId")
        movie = lookup(path, line, index, fields[movie_col], _MOVIE)
        rating = number(path, line, fields[rating_col], "rating")
        stamp = integer(path, line, fields[time_col], "timestamp")
        ratings.setdefault(user, []).append((movie, rating, stamp))
    return ratings
