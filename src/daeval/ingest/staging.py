"""Putting an input file's rows into a DuckDB staging table, as text, with where each came from.

CSV and Parquet are read by DuckDB itself; other formats come from their readers as
:class:`~daeval.ingest.staged.StagedTable`. Either way the staging table has the file's columns
that may enter (names normalised, see :mod:`daeval.ingest.headers`; values trimmed, empty values
missing), ``_line`` and ``_problem``. A column that may not enter (not in the data contract, nor
mapped or kept by the study file) is never staged: it is dropped at the door and named.

A refusal's reason comes from a fixed vocabulary: DuckDB's own error text, which can quote a row,
is never passed on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from daeval.errors import UnusableFileError
from daeval.ingest.csv_files import read_header, stage_csv
from daeval.ingest.headers import normalised_header
from daeval.ingest.rules import cleaned, literal, quote
from daeval.ingest.staged import LOCATOR_COLUMN, StagedTable


@dataclass(frozen=True)
class Stage:
    """A staged file: its staging table, the canonical table it feeds, and its columns."""

    name: str
    table: str
    origin: str
    columns: tuple[str, ...]
    locator: str = "row"
    dropped: tuple[tuple[str, str], ...] = ()
    """Columns of the file dropped at the door: (normalised name, why)."""


NOT_IN_CONTRACT = "not in the data contract"
"""Why a column no study file maps or keeps is dropped."""


def _entering(
    origin: str, names: list[str], known: Collection[str]
) -> tuple[list[tuple[str, str]], tuple[tuple[str, str], ...]]:
    """The file's columns that enter, as (name in the file, normalised name), and those dropped."""
    columns = normalised_header(origin, names)
    pairs = list(zip(names, columns, strict=True))
    dropped = tuple((m, NOT_IN_CONTRACT) for _, m in pairs if m not in known)
    return [(n, m) for n, m in pairs if m in known], dropped


def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[str]]:
    header = con.sql(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    casts = []
    for name, sql_type, *_ in header:
        expr = quote(name)
        if sql_type.startswith("TIMESTAMP"):
            expr = f"CAST({expr} AS DATE)"
        casts.append(f"CAST({expr} AS VARCHAR) AS {quote(name)}")
    return f"(SELECT {', '.join(casts)} FROM read_parquet({literal(str(path))}))", [
        h[0] for h in header
    ]


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, name: str, known: Collection[str]
) -> Stage:
    """Stage a CSV or Parquet file of ``table`` as ``name``, with the columns named in ``known``
    (normalised names: the table's columns and those the study file maps or keeps)."""
    raw = f"{name}_raw"
    if path.suffix.lower() == ".csv":
        names = read_header(path)
        entering, dropped = _entering(path.name, names, known)
        stage_csv(con, path, names, entering, raw)
        return Stage(name, table, path.name, tuple(m for _, m in entering), dropped=dropped)
    try:
        source, names = _parquet_source(con, path)
    except duckdb.Error:
        raise UnusableFileError(
            f"{path.name}: cannot be read as a Parquet table (not a Parquet file, or damaged)"
        ) from None
    entering, dropped = _entering(path.name, names, known)
    renames = "".join(f"{cleaned(quote(n))} AS {quote(m)}, " for n, m in entering)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {renames}"
            f"NULL::VARCHAR AS _problem FROM {source}"
        )
    except duckdb.Error:
        raise UnusableFileError(
            f"{path.name}: cannot be read (a value cannot be read as text, or the file is damaged)"
        ) from None
    return Stage(name, table, path.name, tuple(m for _, m in entering), dropped=dropped)


def stage_arrow(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, name: str, known: Collection[str]
) -> Stage:
    """Stage rows a reader produced, with the columns named in ``known`` (see :func:`stage_file`)."""
    names = [c for c in staged.data.column_names if c not in (LOCATOR_COLUMN, "_problem")]
    entering, dropped = _entering(staged.origin, names, known)
    con.register(f"{name}_arrow", staged.data)
    problem = "_problem" if "_problem" in staged.data.column_names else "NULL::VARCHAR AS _problem"
    selected = "".join(f"{cleaned(quote(n))} AS {quote(m)}, " for n, m in entering)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_raw AS SELECT {selected}{problem}, "
        f"CAST({LOCATOR_COLUMN} AS BIGINT) AS {LOCATOR_COLUMN} FROM {name}_arrow"
    )
    con.unregister(f"{name}_arrow")
    columns = tuple(m for _, m in entering)
    return Stage(name, staged.table, staged.origin, columns, staged.locator, dropped)


def stage_view(con: duckdb.DuckDBPyConnection, stage: Stage, derived: dict[str, str]) -> None:
    """Make the staged file's rows queryable as ``stage.name``, with ``derived`` columns
    ({name: SQL}) added, ``_rid`` (the staged row) and ``_line``.

    A view over the staged rows, so nothing is copied: the rows were read, and a fault deep in a
    file (bad bytes, a broken row) refused it, when the file was staged.
    """
    extra = "".join(f", {sql} AS {quote(name)}" for name, sql in derived.items())
    raw = f"{stage.name}_raw"
    has_line = LOCATOR_COLUMN in {r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall()}
    # A file DuckDB read itself is numbered by its table's rowid, which follows the file's order.
    line = ", rowid + 1 AS _rid" + ("" if has_line else f", rowid + 1 AS {LOCATOR_COLUMN}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stage.name} AS SELECT *{line}{extra} FROM {raw}")
