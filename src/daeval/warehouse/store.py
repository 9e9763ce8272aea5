"""A study workspace and its warehouse file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from daeval.errors import WorkspaceError
from daeval.model import TABLES, Kind
from daeval.model.ddl import LINKAGE_DDL, MEASURES_DDL, MEASURES_MIGRATION, schema_sql
from daeval.warehouse.modes import FOLDER_MODE, private_folder, restrict

LOADS_DDL = """CREATE TABLE IF NOT EXISTS loads (
  load_id BIGINT NOT NULL,
  table_name VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  extra_columns VARCHAR,
  dropped_columns VARCHAR
)"""
"""One row per file loaded: its figures, the columns outside the contract kept beside the table
(``extra_columns``, as the study file keeps them) and those dropped at the door
(``dropped_columns``); names comma-separated, NULL for none."""
LOADS_MIGRATION = ("ALTER TABLE loads ADD COLUMN IF NOT EXISTS dropped_columns VARCHAR",)
"""Bring a loads table made before columns were dropped at the door up to date."""

QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS quarantine (
  load_id BIGINT NOT NULL,
  table_name VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  locator VARCHAR NOT NULL,
  line BIGINT,
  column_name VARCHAR,
  rule VARCHAR NOT NULL,
  reason VARCHAR,
  value VARCHAR
)"""


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table and daeval's own tables that are not there yet."""
    existing = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table, ddl in zip(TABLES, schema_sql(), strict=True):
        if table not in existing:
            con.execute(ddl)
    for ddl in (
        LOADS_DDL,
        *LOADS_MIGRATION,
        QUARANTINE_DDL,
        MEASURES_DDL,
        *MEASURES_MIGRATION,
        *LINKAGE_DDL,
    ):
        con.execute(ddl)


@contextmanager
def attached_transaction(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> Iterator[None]:
    """``path`` attached to ``con`` as ``alias`` for one transaction: committed when the block
    ends, rolled back if it fails, detached either way."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"ATTACH {quoted} AS {alias}")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DETACH {alias}")


def connect_file(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file ``path``; a file another process is writing to is named
    with that process, instead of DuckDB's error."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        holder = re.search(r"\(PID (\d+)\)", str(exc))
        by = f" (process {holder.group(1)})" if holder else ""
        raise WorkspaceError(
            f"{path}: in use by another daeval or DuckDB process{by}; try again when it has finished"
        ) from None


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value a query returns (the whole result is read, as DuckDB 2 requires)."""
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class Workspace:
    """A study's folder: ``warehouse.duckdb`` and ``outputs/`` (disclosure-controlled)."""

    root: Path

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def staging(self) -> Path:
        """Where identifiers' linkage features wait for linkage; deleted once linkage has run."""
        return self.root / "staging"

    @property
    def study_file(self) -> Path:
        return self.root / "study.yaml"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    def check_folder(self) -> None:
        """Refuse a workspace path that is not a folder (a folder still to be made is one)."""
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(
                f"{self.root}: is a file, not a workspace folder; give a folder (it is made when "
                "missing)"
            )

    def restrict(self) -> None:
        """Make what daeval keeps in the workspace owner-only (see ``daeval.warehouse.modes``)."""
        for folder in (self.outputs, self.staging):
            if folder.is_dir():
                restrict(folder, FOLDER_MODE)
        for file in (self.warehouse_path, Path(f"{self.warehouse_path}.wal")):
            restrict(file)
        if self.staging.is_dir():
            for file in self.staging.iterdir():
                restrict(file)

    def create(self) -> Warehouse:
        self.check_folder()
        try:  # the folder is the user's: made owner-only, never changed when it exists
            self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"{self.root}: cannot be made ({exc.strerror})") from None
        private_folder(self.outputs)
        warehouse = Warehouse(self.warehouse_path)
        warehouse.create_schema()
        self.restrict()
        return warehouse

    def open(self) -> Warehouse:
        self.check_folder()
        if not self.warehouse_path.exists():
            raise WorkspaceError(
                f"{self.root}: no warehouse.duckdb here; load data first with "
                f"`daeval ingest DATA_DIR --workspace {self.root}`"
            )
        private_folder(self.outputs)
        self.restrict()
        return Warehouse(self.warehouse_path)


class Warehouse:
    """The DuckDB store of one workspace."""

    def __init__(self, path: Path):
        self.path = path

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return connect_file(self.path, read_only)

    def create_schema(self) -> None:
        with self.connect() as con:
            create_schema(con)

    def loaded_tables(self) -> dict[str, int]:
        """Tables loaded so far, with their row counts."""
        with self.connect(read_only=True) as con:
            rows = con.sql(
                "SELECT table_name, rows_loaded FROM loads "
                "QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY load_id DESC) = 1 "
                "ORDER BY table_name"
            ).fetchall()
        return {name: count for name, count in rows}

    def latest_date(self) -> date | None:
        """The latest date held in any loaded table: the default 'as of' date of analyses."""
        parts = []
        for name in self.loaded_tables():
            for col in TABLES[name].columns:
                if col.kind is Kind.DATE and col.identifier is None:
                    parts.append(f'SELECT max("{col.name}") AS d FROM "{name}"')
        if not parts:
            return None
        with self.connect(read_only=True) as con:
            return scalar(con, f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})")
