"""Reading a CSV input file the way people's exports actually are.

The header is read by Python (so a UTF-8 byte-order mark, quoted names and repeated names are
handled exactly); the rows by DuckDB, with room for rows longer than the header and padding for
shorter ones, so a ragged row becomes a row with a problem instead of spoiling the whole file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from daeval.errors import UnusableFileError
from daeval.ingest.rules import cleaned, literal, quote

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


def csv_source(path: Path, names: list[str], parallel: bool) -> str:
    """SQL reading the rows of ``path`` as text into ``names`` plus overflow columns."""
    columns = [*names, *(f"_overflow_{i}" for i in range(1, OVERFLOW + 1))]
    spec = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
    return (
        f"read_csv({literal(str(path))}, header=false, skip=1, columns={{{spec}}}, delim=',', "
        "quote='\"', escape='\"', null_padding=true, strict_mode=false, auto_detect=false, "
        f"parallel={'true' if parallel else 'false'})"
    )


def overflow_problem() -> str:
    """SQL for the problem of a row with more values than the header has columns."""
    any_extra = " OR ".join(
        f"{quote(f'_overflow_{i}')} IS NOT NULL" for i in range(1, OVERFLOW + 1)
    )
    return f"CASE WHEN {any_extra} THEN 'the row has more values than the header has columns' END"


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, names: list[str], columns: list[str], raw: str
) -> None:
    """Create table ``raw``: the file's rows under ``columns`` (normalised names), with _problem."""
    renames = ", ".join(
        f"{cleaned(quote(n))} AS {quote(m)}" for n, m in zip(names, columns, strict=True)
    )
    last_error: duckdb.Error | None = None
    # The parallel reader is fast but refuses quoted line breaks with padding; fall back to one thread.
    for parallel in (True, False):
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {renames}, {overflow_problem()} "
                f"AS _problem FROM {csv_source(path, names, parallel)}"
            )
            return
        except duckdb.Error as exc:
            last_error = exc
    detail = str(last_error).strip().splitlines()
    reason = " ".join(detail[:2]) if detail else "unknown error"
    if "unicode" in str(last_error).lower():
        reason = "the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)"
    raise UnusableFileError(f"{path.name}: cannot be read as a CSV table ({reason})")
