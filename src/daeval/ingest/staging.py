"""Putting an input file's rows into a DuckDB staging table, as text, with where each came from.

CSV and Parquet are read by DuckDB itself; other formats come from their readers as
:class:`~daeval.ingest.staged.StagedTable`. Either way the staging table has the file's columns
(lower-case names, values trimmed, empty values missing), ``_line`` and ``_problem``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from daeval.errors import UnusableFileError
from daeval.ingest.csv_files import read_header, stage_csv
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


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


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


def _normalised(origin: str, names: list[str]) -> list[str]:
    normalised = [n.strip().lower() for n in names]
    for n in normalised:
        if not n:
            raise UnusableFileError(f"{origin}: a column has no name in the header")
        if normalised.count(n) > 1:
            raise UnusableFileError(f"{origin}: column {n!r} appears more than once in the header")
    return normalised


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, table: str, name: str) -> Stage:
    """Stage a CSV or Parquet file of ``table`` as ``name``."""
    raw = f"{name}_raw"
    if path.suffix.lower() == ".csv":
        names = read_header(path)
        columns = _normalised(path.name, names)
        stage_csv(con, path, names, columns, raw)
        return Stage(name, table, path.name, tuple(columns))
    try:
        source, names = _parquet_source(con, path)
    except duckdb.Error as exc:
        raise UnusableFileError(
            f"{path.name}: cannot be read as a Parquet table ({_first_line(exc)})"
        ) from None
    columns = _normalised(path.name, names)
    renames = ", ".join(
        f"{cleaned(quote(n))} AS {quote(m)}" for n, m in zip(names, columns, strict=True)
    )
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {renames}, "
            f"NULL::VARCHAR AS _problem FROM {source}"
        )
    except duckdb.Error as exc:
        raise UnusableFileError(f"{path.name}: cannot be read ({_first_line(exc)})") from None
    return Stage(name, table, path.name, tuple(columns))


def stage_arrow(con: duckdb.DuckDBPyConnection, staged: StagedTable, name: str) -> Stage:
    """Stage rows a reader produced."""
    columns = [c for c in staged.data.column_names if c not in (LOCATOR_COLUMN, "_problem")]
    _normalised(staged.origin, columns)
    con.register(f"{name}_arrow", staged.data)
    problem = "_problem" if "_problem" in staged.data.column_names else "NULL::VARCHAR AS _problem"
    selected = ", ".join(f"{cleaned(quote(c))} AS {quote(c)}" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_raw AS SELECT {selected}, {problem}, "
        f"CAST({LOCATOR_COLUMN} AS BIGINT) AS {LOCATOR_COLUMN} FROM {name}_arrow"
    )
    con.unregister(f"{name}_arrow")
    return Stage(name, staged.table, staged.origin, tuple(columns), staged.locator)


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
