"""Loading a data-contract folder into the warehouse, all or nothing.

Every file is staged as text and checked against the canonical model in SQL before anything is
written; the tables are then replaced inside one transaction, so a failure leaves the warehouse
as it was. Direct identifiers are minimised on the way in: names are dropped, dates of birth
kept as their month, postcodes as their sector.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from daeval.errors import InvalidValuesError, UnusableFileError
from daeval.model import TABLES, Column, Identifier, Kind, Table
from daeval.privacy.minimise import birth_month_sql, postcode_sector_sql
from daeval.warehouse.checks import (
    DATE_FORMAT,
    canonical_code_sql,
    cell,
    literal,
    problems_sql,
    quote,
)
from daeval.warehouse.store import Workspace, scalar

SUFFIXES = (".csv", ".parquet")
MAX_PROBLEMS_SHOWN = 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileLoad:
    table: str
    file_name: str
    rows_read: int
    rows_loaded: int
    extra_columns: tuple[str, ...] = ()


@dataclass
class IngestReport:
    loads: list[FileLoad] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    absent_tables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str | None
    reason: str


def find_table_files(data_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """The file of each canonical table in ``data_dir``, and the names of files that are not tables."""
    if not data_dir.is_dir():
        raise UnusableFileError(f"{data_dir}: not a folder")
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(p for p in data_dir.iterdir() if p.is_file()):
        name, suffix = path.stem.lower(), path.suffix.lower()
        if suffix not in SUFFIXES or name not in TABLES:
            ignored.append(path.name)
            continue
        if name in found:
            raise UnusableFileError(
                f"{path.name}: table {name} is given twice ({found[name].name} and {path.name}); "
                "keep one"
            )
        found[name] = path
    return found, ignored


def _stage(con: duckdb.DuckDBPyConnection, path: Path, stage: str) -> list[str]:
    """Stage a file as text columns with ``_row``; return its column names as normalised."""
    if path.suffix.lower() == ".csv":
        source = (
            f"read_csv({literal(str(path))}, all_varchar=true, header=true, delim=',', "
            "quote='\"', escape='\"')"
        )
        try:
            header = con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as exc:
            raise UnusableFileError(
                f"{path.name}: cannot be read as a UTF-8 CSV table ({_first_line(exc)})"
            ) from None
        names = [h[0] for h in header]
    else:
        try:
            header = con.sql(
                f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})"
            ).fetchall()
        except duckdb.Error as exc:
            raise UnusableFileError(
                f"{path.name}: cannot be read as a Parquet table ({_first_line(exc)})"
            ) from None
        names = [h[0] for h in header]
        casts = []
        for name, sql_type, *_ in header:
            expr = quote(name)
            if sql_type.startswith("TIMESTAMP"):
                expr = f"CAST({expr} AS DATE)"
            casts.append(f"CAST({expr} AS VARCHAR) AS {quote(name)}")
        source = f"(SELECT {', '.join(casts)} FROM read_parquet({literal(str(path))}))"
    normalised = [n.strip().lower() for n in names]
    duplicates = sorted({n for n in normalised if normalised.count(n) > 1})
    if duplicates:
        raise UnusableFileError(f"{path.name}: column {duplicates[0]!r} appears more than once")
    renames = ", ".join(f"{quote(n)} AS {quote(m)}" for n, m in zip(names, normalised, strict=True))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT {renames} FROM {source}")
        con.execute(f"ALTER TABLE {stage} ADD COLUMN _row BIGINT")
        con.execute(f"UPDATE {stage} SET _row = rowid + 1")
    except duckdb.Error as exc:
        raise UnusableFileError(f"{path.name}: cannot be read ({_first_line(exc)})") from None
    return normalised


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _value_sql(column: Column) -> str:
    v = cell(column.name)
    if column.identifier is Identifier.YEAR_MONTH:
        return birth_month_sql(f"CAST(strptime({v}, '{DATE_FORMAT}') AS DATE)")
    if column.identifier is Identifier.SECTOR:
        return postcode_sector_sql(v)
    if column.kind is Kind.DATE:
        return f"CAST(strptime({v}, '{DATE_FORMAT}') AS DATE)"
    if column.kind is Kind.INTEGER:
        return f"CAST({v} AS BIGINT)"
    if column.kind is Kind.DECIMAL:
        return f"CAST({v} AS DOUBLE)"
    if column.kind is Kind.CODE:
        assert column.codes is not None
        return canonical_code_sql(v, column.codes)
    if column.kind is Kind.CODE_SET:
        return f"regexp_replace(upper({v}), '\\s*;\\s*', ';', 'g')"
    return v


def _shown_value(column: Column | None, value: str | None) -> str:
    if column is not None and column.identifier is not None:
        return "(value withheld: direct identifier)"
    return "(missing)" if value is None else repr(value)


def _problems(
    con: duckdb.DuckDBPyConnection, stage: str, table: Table, present: list[str]
) -> tuple[int, list[Problem]]:
    columns = [c for c in table.columns if c.name in present]
    query = problems_sql(stage, columns)
    total = scalar(con, f"SELECT count(*) FROM ({query})")
    rows = con.sql(
        f"SELECT _row, column_name, value, reason FROM ({query}) ORDER BY _row, column_name "
        f"LIMIT {MAX_PROBLEMS_SHOWN}"
    ).fetchall()
    return total, [Problem(*r) for r in rows]


def _describe_problems(path: Path, table: Table, total: int, problems: list[Problem]) -> str:
    lines = [f"{path.name}: {total} value(s) do not fit table {table.name}; nothing was loaded"]
    for p in problems:
        col = next((c for c in table.columns if c.name == p.column), None)
        lines.append(
            f"  {path.name} row {p.row}, column {p.column}: {_shown_value(col, p.value)} {p.reason}"
        )
    if total > len(problems):
        lines.append(f"  … and {total - len(problems)} more")
    return "\n".join(lines)


def ingest_folder(
    data_dir: Path, workspace: Workspace, progress: Progress | None = None
) -> IngestReport:
    """Load every canonical table found in ``data_dir`` into the workspace's warehouse.

    Tables present in the folder replace the warehouse's copy; absent tables are left as they were.
    Nothing is changed when any file has a problem.
    """
    files, ignored = find_table_files(data_dir)
    report = IngestReport(
        ignored_files=ignored, absent_tables=[t for t in TABLES if t not in files]
    )
    if not files:
        raise UnusableFileError(
            f"{data_dir}: no table files found (expected names such as people.csv or "
            "csc_referrals.parquet)"
        )
    warehouse = workspace.create()
    with warehouse.connect() as con:
        staged: list[tuple[Table, Path, str, list[str], int]] = []
        for name, path in files.items():
            if progress:
                progress(f"checking {path.name}")
            table = TABLES[name]
            stage = f"stage_{name}"
            present = _stage(con, path, stage)
            missing = [c for c in table.required if c not in present]
            if missing:
                raise UnusableFileError(
                    f"{path.name}: required column(s) missing: {', '.join(missing)}"
                )
            total, problems = _problems(con, stage, table, present)
            if total:
                raise InvalidValuesError(_describe_problems(path, table, total, problems))
            rows = scalar(con, f"SELECT count(*) FROM {stage}")
            staged.append((table, path, stage, present, rows))

        con.execute("BEGIN TRANSACTION")
        try:
            next_id = scalar(con, "SELECT coalesce(max(load_id), 0) + 1 FROM loads")
            for table, path, stage, present, rows in staged:
                if progress:
                    progress(f"loading {path.name}")
                report.loads.append(_replace_table(con, table, path, stage, present, rows, next_id))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return report


def _replace_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    stage: str,
    present: list[str],
    rows: int,
    load_id: int,
) -> FileLoad:
    targets, values = [], []
    for column in table.columns:
        if column.warehouse_name is None:
            continue
        targets.append(quote(column.warehouse_name))
        values.append(_value_sql(column) if column.name in present else "NULL")
    con.execute(f"DELETE FROM {quote(table.name)}")
    con.execute(
        f"INSERT INTO {quote(table.name)} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM {stage} ORDER BY _row"
    )
    loaded = scalar(con, f"SELECT count(*) FROM {quote(table.name)}")
    extra = tuple(c for c in present if c not in table.column_names and c != "_row")
    side = quote(f"extra__{table.name}")
    con.execute(f"DROP TABLE IF EXISTS {side}")
    if extra:
        # Columns the model does not know are kept beside the table, never silently dropped.
        cols = ", ".join(["_row"] + [quote(c) for c in extra])
        con.execute(f"CREATE TABLE {side} AS SELECT {cols} FROM {stage} ORDER BY _row")
    digest = _sha256(path)
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?)",
        [load_id, table.name, path.name, digest, rows, loaded, ",".join(extra) or None],
    )
    con.execute(f"DROP TABLE {stage}")
    return FileLoad(table.name, path.name, rows, loaded, extra)
