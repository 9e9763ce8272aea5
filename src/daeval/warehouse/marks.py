"""What a warehouse records about itself: the key its pseudonyms were made with, the
generation that pairs it with the linkage staging file, and whether it holds synthetic data.

- The key's fingerprint (``daeval.privacy.keys.fingerprint``, never the key): pseudonyms made
  under another key match nothing already loaded, so every run that makes or reads pseudonyms
  with a key is refused when the key is not the workspace's.
- The generation: a random id that each ingest writes into the warehouse and into the staging
  file it leaves. Ingest puts the staging file in place first and the warehouse last; that last
  rename is the moment the pair changes. A staging file whose generation is not the warehouse's
  was left by a run that did not get that far, and is not read.
- Synthetic data: a folder ``daeval synth`` wrote carries a ``manifest.json`` that says
  ``"synthetic": true``. Ingest records each such folder it loads from (generator, seed, scale and
  period; never the folder's path) in ``synthetic_data``, and nothing removes the record: a
  warehouse that has ever held synthetic rows, alone or mixed with real ones, is synthetic, and
  every report made from it says so (docs/decisions/0017-synthetic-data-labelled.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from pathlib import Path

import duckdb

from daeval.errors import KeyProblemError, WorkspaceError
from daeval.privacy.keys import fingerprint
from daeval.warehouse.store import connect_file, scalar

MARKS_DDL = """CREATE TABLE IF NOT EXISTS workspace_marks (
  key_fingerprint VARCHAR NOT NULL,
  generation VARCHAR NOT NULL
)"""
"""One row: the workspace's key fingerprint and generation (no row: made by an earlier version)."""
SYNTHETIC_DDL = """CREATE TABLE IF NOT EXISTS synthetic_data (
  generator VARCHAR NOT NULL,
  seed VARCHAR NOT NULL,
  scale VARCHAR NOT NULL,
  period VARCHAR NOT NULL
)"""
"""One row for each synthetic folder loaded (no table or no row: no synthetic data)."""
SYNTHETIC_MANIFEST = "manifest.json"
"""The file in a data folder that may mark it synthetic (written by daeval.synth.manifest)."""
STAGING_MARK_DDL = "CREATE TABLE IF NOT EXISTS staging_generation (generation VARCHAR NOT NULL)"


def new_generation() -> str:
    return secrets.token_hex(16)


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    query = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
    return bool(con.execute(query, [table]).fetchall()[0][0])


def warehouse_marks(path: Path) -> tuple[str | None, str | None]:
    """The key fingerprint and generation recorded in the warehouse ``path`` (None when absent)."""
    if not path.exists():
        return None, None
    with connect_file(path, read_only=True) as con:
        if not _has_table(con, "workspace_marks"):
            return None, None
        rows = con.execute("SELECT key_fingerprint, generation FROM workspace_marks").fetchall()
    return rows[0] if rows else (None, None)


@dataclass(frozen=True, order=True)
class SyntheticOrigin:
    """How a synthetic folder was made, as its manifest says."""

    generator: str
    seed: str
    scale: str
    period: str
    """First and last day the data cover, as "YYYY-MM-DD to YYYY-MM-DD"."""


def synthetic_origin(folder: Path) -> SyntheticOrigin | None:
    """How the data in ``folder`` were made when its manifest marks them synthetic, else None."""
    try:
        content = json.loads((folder / SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("synthetic") is not True:
        return None
    period = content.get("period")
    start, end = (period.get("start"), period.get("end")) if isinstance(period, dict) else ("", "")
    return SyntheticOrigin(
        str(content.get("generator", "unknown")),
        str(content.get("seed", "unknown")),
        str(content.get("scale", "unknown")),
        f"{start or '?'} to {end or '?'}",
    )


def mark_synthetic(con: duckdb.DuckDBPyConnection, folders: Iterable[Path]) -> None:
    """Record, in the warehouse ``con`` is open on, each of ``folders`` that holds synthetic
    data (added to what is recorded already, never replacing it)."""
    con.execute(SYNTHETIC_DDL)
    for origin in sorted({o for f in set(folders) if (o := synthetic_origin(f)) is not None}):
        con.execute(
            "INSERT INTO synthetic_data SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "
            "synthetic_data WHERE generator = ? AND seed = ? AND scale = ? AND period = ?)",
            [*astuple(origin), *astuple(origin)],
        )


def synthetic_origins(path: Path) -> tuple[SyntheticOrigin, ...]:
    """The synthetic folders the warehouse ``path`` was loaded from (empty: none, so far as any
    manifest said)."""
    if not path.exists():
        return ()
    with connect_file(path, read_only=True) as con:
        if not _has_table(con, "synthetic_data"):
            return ()
        rows = con.execute("SELECT * FROM synthetic_data ORDER BY ALL").fetchall()
    return tuple(SyntheticOrigin(*row) for row in rows)


def staging_generation(path: Path) -> str | None:
    """The generation written into the staging file ``path`` (None when it has none)."""
    with connect_file(path, read_only=True) as con:
        if not _has_table(con, "staging_generation"):
            return None
        return scalar(con, "SELECT generation FROM staging_generation")


def check_key(warehouse: Path, key: bytes) -> None:
    """Refuse ``key`` when the warehouse records another key's fingerprint."""
    recorded, _ = warehouse_marks(warehouse)
    given = fingerprint(key)
    if recorded is not None and recorded != given:
        raise KeyProblemError(
            f"{warehouse}: its pseudonyms were made with the key of fingerprint {recorded}, not "
            f"with the key given (fingerprint {given}); use the workspace's own key, or a new "
            "workspace for a new key"
        )


def mark_warehouse(con: duckdb.DuckDBPyConnection, key: bytes, generation: str) -> None:
    """Record the key's fingerprint and the generation in the warehouse ``con`` is open on."""
    con.execute(MARKS_DDL)
    con.execute("DELETE FROM workspace_marks")
    con.execute("INSERT INTO workspace_marks VALUES (?, ?)", [fingerprint(key), generation])


def mark_staging(path: Path, generation: str) -> None:
    """Write the generation into the staging file ``path``."""
    with duckdb.connect(str(path)) as con:
        con.execute(STAGING_MARK_DDL)
        con.execute("DELETE FROM staging_generation")
        con.execute("INSERT INTO staging_generation VALUES (?)", [generation])


def staging_matches(warehouse: Path, staging: Path) -> bool:
    """Whether the staging file ``staging`` (which exists) belongs with the warehouse."""
    return staging_generation(staging) == warehouse_marks(warehouse)[1]


def check_staging(warehouse: Path, staging: Path) -> None:
    """Refuse a staging file that does not belong with the warehouse (see the module's
    docstring); no staging file is no refusal."""
    if staging.exists() and not staging_matches(warehouse, staging):
        raise WorkspaceError(
            f"{staging}: left by an ingest that did not finish, it does not belong with the "
            "warehouse; run `daeval ingest` again with the people and addresses files of every "
            "source, then `daeval link`"
        )
