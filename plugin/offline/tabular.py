"""Line and field parsing shared by the dataset readers.

Files are streamed line by line as TSV or CSV rows; every malformed line, field or
value raises :class:`~.datasets.DatasetError` naming the file and the 1-based line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from .datasets import DatasetError


def _raw_lines(path: Path, *, latin1: bool = False, header: bool = True) -> Iterator[str]:
    """Decoded lines of ``path``, line endings kept; errors name the file and line.

    Lines are decoded one at a time so a bad byte is reported on its own line,
    not on the first line of the block a text stream happened to read. ``latin1``:
    a line that is not UTF-8 is read as ISO-8859-1, the encoding of GroupLens'
    older MovieLens releases.
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
                if not latin1:
                    raise DatasetError(path, number, "not valid UTF-8 text") from None
                text = raw.decode("latin-1")
            has_content = has_content or bool(text.strip())
            yield text
    if not has_content:
        expected = "a header row and data rows" if header else "data rows"
        raise DatasetError(path, 1, f"empty file; expected {expected}")


def tsv_rows(path: Path, maxsplit: int = -1) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(1-based line number, tab separated fields)`` for non-blank lines."""
    for number, text in enumerate(_raw_lines(path), start=1):
        line = text.rstrip("\r\n")
        if line.strip():
            yield number, line.split("\t", maxsplit)


def separated_rows(
    path: Path, separator: str, width: int
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of a header-less file whose ``width`` fields are
    separated by ``separator`` (MovieLens' ``::`` and ``|`` files); UTF-8, or
    ISO-8859-1 where a line is not UTF-8."""
    for number, text in enumerate(_raw_lines(path, latin1=True, header=False), start=1):
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split(separator)
        if len(fields) != width:
            raise DatasetError(
                path, number, f"{len(fields)} fields separated by {separator!r}, expected {width}"
            )
        yield number, fields


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
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


def integer(path: Path, line: int, value: str, what: str) -> int:
    """Parse ``value`` as an integer; ``what`` names the field in the error."""
    try:
        return int(value)
    except ValueError:
        raise DatasetError(path, line, f"{what} {value!r} is not an integer") from None


def number(path: Path, line: int, value: str, what: str) -> float:
    """Parse ``value`` as a finite float; ``what`` names the field in the error."""
    try:
        parsed = float(value)
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed):
        raise DatasetError(path, line, f"{what} {value!r} is not a finite number")
    return parsed


def lookup(
    path: Path, line: int, index: dict[int, int], value: str, what: str
) -> int:
    """Parse the integer id ``value`` and map it to an internal item index."""
    key = integer(path, line, value, what)
    if key not in index:
        raise DatasetError(path, line, f"unknown {what} {key}")
    return index[key]


def table(
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
