"""Reading evaluation datasets: :func:`load_dataset` and :class:`DatasetError`.

:func:`load_dataset` turns a folder into one
:class:`~saleor_personalization.engine.evaluation.data.EvalDataset`: a leave-one-out
split with one held-out target item per user, the user's history before it, and the
items that must not be ranked for that user. The format readers live in
:mod:`.unisrec` (UniSRec atomic files) and :mod:`.movielens` (MovieLens), on top of
the line and field parsing in :mod:`.tabular`. Files are streamed line by line and
every malformed line raises :class:`DatasetError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.evaluation.data import EvalDataset

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


def load_dataset(path: str | Path, split: str = "test") -> EvalDataset:
    """Read the evaluation dataset in folder ``path``, detecting its format.

    A folder with ``<prefix>.test.inter``, ``<prefix>.text`` and
    ``<prefix>.item2index`` is read as UniSRec atomic files; one with
    ``<name>.inter`` and ``<name>.item`` as RecBole atomic files; one with
    ``ratings.csv`` and ``movies.csv`` (or ml-1m/ml-10m's ``ratings.dat`` and
    ``movies.dat``, or ml-100k's ``u.data`` and ``u.item``) as MovieLens. ``split`` is
    ``"test"`` (last target) or ``"valid"`` (the one before it).
    """
    # The readers import this module, so they are imported here, not at the top.
    from .movielens import load_movielens, movielens_files
    from .recbole import load_recbole, recbole_prefix
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
    recbole = recbole_prefix(folder)
    if recbole is not None:
        return load_recbole(folder, recbole, split)
    movielens = movielens_files(folder)
    if movielens is not None:
        return load_movielens(folder, movielens, split)
    raise DatasetError(
        folder, None,
        "unknown dataset format; expected UniSRec atomic files (<name>.test.inter, "
        "<name>.text, <name>.item2index), RecBole atomic files (<name>.inter, <name>.item) "
        "or MovieLens (ratings.csv and movies.csv; ratings.dat and movies.dat; or u.data "
        "and u.item)",
    )
