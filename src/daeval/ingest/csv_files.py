"""Reading a CSV input file the way people's exports actually are.

The header is read by Python (so a UTF-8 byte-order mark, quoted names and repeated names are
handled exactly); the rows by DuckDB, with room for rows longer than the header and padding for
shorter ones, so a ragged row becomes a row with a problem instead of spoiling the whole file.
A quote that does not close where it should, so that one value swallows the rows after it,
refuses the file. DuckDB's error text, which quotes the line it failed on, is never shown.
"""

from __future__ import annotations

import csv
import io
import mmap
import re
from pathlib import Path

import duckdb

from daeval.errors import UnusableFileError
from daeval.ingest.rules import cleaned, literal, quote
from daeval.warehouse.store import scalar

OVERFLOW = 1
"""Columns read beyond the header's. A row with a value in one has more values than the header;
DuckDB's reader, not strict, drops any further values, so one such column finds every such row."""

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_header(path: Path) -> list[str]:
    """The header's column names, as written (a UTF-8 byte-order mark is dropped)."""
    with path.open("rb") as f:
        start = f.read(4)
    if start.startswith(_UTF16_BOMS):
        raise UnusableFileError(
            f"{path.name}: the file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)"
        )
    try:
        with path.open("rb") as f:
            first = f.readline().decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(first)), None)
    except UnicodeDecodeError:
        raise UnusableFileError(
            f"{path.name}: the header is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)"
        ) from None
    if not header or not any(h.strip() for h in header):
        raise UnusableFileError(f"{path.name}: no header row (the first line is empty)")
    return header


def csv_source(path: Path, width: int, parallel: bool) -> str:
    """SQL reading the rows of ``path`` as text into columns ``c1`` … ``c<width>`` (the header's,
    by position) and ``o1`` … (overflow columns)."""
    columns = [*(f"c{i}" for i in range(1, width + 1)), *(f"o{i}" for i in range(1, OVERFLOW + 1))]
    spec = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
    return (
        f"read_csv({literal(str(path))}, header=false, skip=1, columns={{{spec}}}, delim=',', "
        "quote='\"', escape='\"', null_padding=true, strict_mode=false, auto_detect=false, "
        f"parallel={'true' if parallel else 'false'})"
    )


def overflow_problem() -> str:
    """SQL for the problem of a row with more values than the header has columns."""
    any_extra = " OR ".join(f"o{i} IS NOT NULL" for i in range(1, OVERFLOW + 1))
    return f"CASE WHEN {any_extra} THEN 'the row has more values than the header has columns' END"


def has_quotes(path: Path) -> bool:
    """Whether the file holds a double quote at all (a search at memory speed)."""
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b'"') >= 0


def _runaway_sql(width: int) -> str:
    """SQL true for a row one of whose values runs on over a line that looks like a row of its
    own (as many commas as a row has, or more): the mark of a quote that opens and does not
    close where it should, after which the reader takes the following rows as part of the value.
    Only values holding a line break are looked into."""
    commas = max(width - 1, 1)
    breaks = " OR ".join(f"contains(c{i}, chr(10))" for i in range(1, width + 1))
    rowlike = " OR ".join(
        f"len(list_filter(string_split(c{i}, chr(10))[2:], lambda line: "
        f"length(line) - length(replace(line, ',', '')) >= {commas})) > 0"
        for i in range(1, width + 1)
    )
    return f"(({breaks}) AND ({rowlike}))"


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    names: list[str],
    entering: list[tuple[str, str]],
    raw: str,
) -> None:
    """Create table ``raw``: the file's ``entering`` columns ((name in the header, normalised
    name)) under their normalised names, with _problem.

    A file holding a quote is refused when a quoted value runs on over rows of their own (an
    unbalanced quote swallows them, and the rows would be lost without a word)."""
    position = {n: i for i, n in enumerate(names, start=1)}
    renames = "".join(f"{cleaned(f'c{position[n]}')} AS {quote(m)}, " for n, m in entering)
    problem = overflow_problem()
    quoted = has_quotes(path)
    if quoted:
        problem = f"CASE WHEN {_runaway_sql(len(names))} THEN {literal(RUNAWAY)} ELSE {problem} END"
    last_error: duckdb.Error | None = None
    # The parallel reader is fast but refuses quoted line breaks with padding; fall back to one thread.
    for parallel in (True, False):
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {renames}{problem} "
                f"AS _problem FROM {csv_source(path, len(names), parallel)}"
            )
            break
        except duckdb.Error as exc:
            last_error = exc
    else:
        raise UnusableFileError(f"{path.name}: {_unreadable(last_error)}")
    if quoted:
        row = scalar(con, f"SELECT min(rowid) + 1 FROM {raw} WHERE _problem = {literal(RUNAWAY)}")
        if row is not None:
            line = _line_of_row(path, row)
            where = f"row {row}" + (f" (line {line} of the file)" if line else "")
            raise UnusableFileError(
                f"{path.name}: {where} opens a quoted value that runs on over lines that look "
                'like rows of their own: a " without its closing " swallows the rows after it; '
                "fix the quote and load the file again"
            )


RUNAWAY = "a quoted value runs on over rows of their own"


def _unreadable(error: duckdb.Error | None) -> str:
    """Why DuckDB could not read a CSV file, in words of our own: its error text quotes the
    offending line, which must not be shown."""
    text = str(error or "")
    found = re.search(r"CSV Error on Line: ([0-9]+)", text)
    line = f"line {found.group(1)}" if found else "a line"
    if "maximum line size" in text.lower():
        return (
            f"cannot be read as a CSV table ({line} is longer than DuckDB's maximum line size "
            "of 2,000,000 bytes; an unbalanced quote can make one line of many)"
        )
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return "cannot be read as a CSV table (the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel))"
    return f"cannot be read as a CSV table ({line} is not CSV that can be read)"


def _line_of_row(path: Path, row: int) -> int | None:
    """The line of the file on which row ``row`` (counted after the header, blank lines left
    out, as DuckDB counts them) starts, read again with Python's csv module; None if not found."""
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        start, n = reader.line_num + 1, 0
        for record in reader:
            if record:
                n += 1
                if n == row:
                    return start
            start = reader.line_num + 1
    return None
