"""Which of a file's columns come through the door: the table's, and those the study file maps
or keeps; a kept column whose values look like identifiers is dropped all the same."""

from __future__ import annotations

from dataclasses import replace

import duckdb

from daeval.ingest.identifiers import identifiers_by_content
from daeval.ingest.mapping import DataSource, RedcapSource
from daeval.ingest.rules import quote
from daeval.ingest.staging import Stage
from daeval.model import TABLES


def known_columns(table: str, source: DataSource | RedcapSource | None) -> set[str]:
    """The normalised names of the columns of a file of ``table`` that may be staged."""
    if isinstance(source, DataSource):
        return source.known
    return set(TABLES[table].column_names)


def without_identifiers(con: duckdb.DuckDBPyConnection, stage: Stage) -> Stage:
    """``stage`` with its kept columns (outside the table) whose values hold an identifier
    dropped from the staged rows and named among the stage's dropped columns."""
    table = TABLES[stage.table]
    kept = [c for c in stage.columns if c not in table.column_names]
    if not kept:
        return stage
    found = identifiers_by_content(con, f"{stage.name}_raw", kept)
    if not found:
        return stage
    for column in found:
        con.execute(f"ALTER TABLE {stage.name}_raw DROP COLUMN {quote(column)}")
    why = {c: f"kept by study.yaml, but its values hold {kind}" for c, kind in found.items()}
    return replace(
        stage,
        columns=tuple(c for c in stage.columns if c not in found),
        dropped=(*stage.dropped, *why.items()),
    )
