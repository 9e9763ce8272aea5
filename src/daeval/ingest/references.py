"""Checks across rows: references to records that exist, and keys repeated across files.

A staged id column is compared by its pseudonym's message (namespace, separator, id), which
matches another exactly when their pseudonyms do; references compare the id within its namespace,
the same thing in two shorter parts, which DuckDB compares far faster. The pseudonym itself is
computed once, as the row goes into the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from daeval.ingest.inputs import IngestReport
from daeval.ingest.rules import cell, literal, quote
from daeval.ingest.staging import Stage
from daeval.model import TABLES, Column, Table
from daeval.model.tables import Pseudonym
from daeval.privacy.pseudonyms import message_sql
from daeval.warehouse.store import scalar

MESSAGE = "_m_"
"""Prefix of a staged id column's pseudonym message (namespace, separator, id)."""


def namespace_sql(p: Pseudonym, row: str = "") -> str:
    """SQL of the namespace a pseudonym of a staged row is made in (``row``: the row's alias
    with its dot, when the query needs one)."""
    if p.column is None:
        return literal(p.literal or "")
    scope = f"{row}{cell(p.column)}"
    if p.blank_scope:
        scope = f"coalesce({scope}, '')"
    return f"({literal(p.prefix)} || {scope})"


def messages(stage: Stage) -> dict[str, str]:
    """{column: SQL of its pseudonym's message} for the id columns present in the stage."""
    out = {}
    for column in TABLES[stage.table].columns:
        if column.pseudonym and column.name in stage.columns:
            out[column.name] = message_sql(namespace_sql(column.pseudonym), cell(column.name))
    return out


def good_rows(stage: Stage) -> str:
    """A query of the staged rows that broke no rule so far."""
    return f"(SELECT * FROM {stage.name} WHERE _rid NOT IN (SELECT _rid FROM {stage.name}_bad))"


def _id(table: Table, column: str) -> str:
    """A staged column as checks compare it: an id column by its pseudonym's message."""
    return quote(MESSAGE + column if table.column(column).pseudonym else column)


def _namespace(column: Column) -> str:
    """SQL of the namespace of a staged id column's pseudonym ('' for a column without one)."""
    return namespace_sql(column.pseudonym) if column.pseudonym else "''"


def _unmatched_sql(stage: str, column: Column, compared: str, ids: str | None) -> str:
    """Query of the rows (``_rid``, ``_line``, ``compared``) of the staged table ``stage`` whose
    id in ``column`` is not in the table ``ids`` of namespaces and ids (None: every row with an
    id)."""
    id_ = cell(column.name)
    select = f"SELECT _rid, _line, {compared} FROM {stage} AS s"
    present = f"WHERE {compared} IS NOT NULL"
    if ids is None:
        return f"{select} {present}"
    if column.pseudonym and column.pseudonym.column is not None:
        # A namespace from the row: its distinct pairs are few (an answer's source and person),
        # so those missing from the ids are found first, then the rows that hold them.
        pairs = (
            f"SELECT DISTINCT {namespace_sql(column.pseudonym)} AS ns, {id_} AS id "
            f"FROM {stage} WHERE {id_} IS NOT NULL"
        )
        missing = (
            f"SELECT p.ns, p.id FROM ({pairs}) AS p LEFT JOIN {ids} AS i "
            "ON i.ns = p.ns AND i.id = p.id WHERE i.id IS NULL"
        )
        return (
            f"{select} SEMI JOIN ({missing}) AS m ON m.id = s.{id_} "
            f"AND m.ns IS NOT DISTINCT FROM {namespace_sql(column.pseudonym, 's.')} {present}"
        )
    # A namespace the same on every row: the ids of that namespace, compared on their own.
    namespace = _namespace(column)
    return f"{select} {present} AND s.{id_} NOT IN (SELECT id FROM {ids} WHERE ns = {namespace})"


def keep_ids(
    con: duckdb.DuckDBPyConnection,
    ids: dict[tuple[str, str], str],
    table: Table,
    stages: list[Stage],
) -> None:
    """Keep in ``ids`` ({(table, column): temp table of ns, id}) the good ids of ``stages`` that
    tables still to come point at, and drop those no table to come needs."""
    names = list(TABLES)
    later = names[names.index(table.name) + 1 :]
    wanted = {
        (c.references.table, c.references.column)
        for t in later
        for c in TABLES[t].columns
        if c.enforce_reference and c.references
    }
    for target in [t for t in ids if t not in wanted]:
        con.execute(f"DROP TABLE {ids.pop(target)}")
    for _, column in sorted(t for t in wanted if t[0] == table.name):
        name = f"ids_{table.name}_{column}"
        namespace = _namespace(table.column(column))
        here = " UNION ALL ".join(
            f"SELECT {namespace} AS ns, {cell(column)} AS id FROM {good_rows(s)}"
            for s in stages
            if column in s.columns
        )
        if not here:
            continue
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT ns, id FROM ({here}) "
            "WHERE ns IS NOT NULL AND id IS NOT NULL"
        )
        ids[(table.name, column)] = name


def check_references(
    con: duckdb.DuckDBPyConnection,
    stages: list[Stage],
    ids: dict[tuple[str, str], str],
    fed: set[str],
    report: IngestReport,
    pseudonym: Callable[[str], str],
) -> None:
    """Quarantine rows pointing at records that neither this run (``ids``; ``fed``: the tables it
    feeds) nor the warehouse holds (``pseudonym``: SQL of a staged id column's pseudonym)."""
    for stage in stages:
        table = TABLES[stage.table]
        for column in table.columns:
            ref = column.references
            if not (column.enforce_reference and ref and column.name in stage.columns):
                continue
            here = ids.get((ref.table, ref.column))
            # The warehouse's table: the rows this run left in place, and those it loaded.
            stored = scalar(con, f"SELECT count(*) FROM {quote(ref.table)}")
            if ref.table not in fed and not stored:
                note = f"{stage.origin}: {column.name} not checked ({ref.table} not loaded)"
                report.unchecked_references.append(note)
                continue
            compared = _id(table, column.name)
            # Rows whose target is not among this run's ids, then those whose pseudonym is not
            # in the warehouse either (it holds no ids).
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {stage.name}_unmatched AS "
                + _unmatched_sql(stage.name, column, compared, here)
            )
            unmatched = f"{stage.name}_unmatched"
            if stored and scalar(con, f"SELECT count(*) FROM {unmatched}"):
                target = pseudonym(column.name) if column.pseudonym else compared
                unmatched = (
                    f"(SELECT * FROM {unmatched} WHERE {target} NOT IN "
                    f"(SELECT {quote(ref.column)} FROM {quote(ref.table)}))"
                )
            reason = f"points at no {ref.table} record"
            con.execute(
                f"INSERT INTO {stage.name}_bad SELECT _rid, _line, {literal(column.name)}, "
                f"'reference', {literal(reason)}, NULL FROM {unmatched}"
            )
            con.execute(f"DROP TABLE {stage.name}_unmatched")


def check_duplicates_across_files(con: duckdb.DuckDBPyConnection, stages: list[Stage]) -> None:
    """Quarantine rows repeating the key of a good row in an earlier file of the same table in
    this run (within one file, ``rules.duplicate_violations`` has already kept the first)."""
    for i, stage in enumerate(stages):
        table = TABLES[stage.table]
        if not table.key or not i:
            continue
        keys = [_id(table, k) for k in table.key]
        for before in stages[:i]:
            if any(k not in before.columns or k not in stage.columns for k in table.key):
                continue
            match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM e.{k}" for k in keys)
            reason = f"repeats the key ({', '.join(table.key)}) of a row in {before.origin}"
            con.execute(
                f"INSERT INTO {stage.name}_bad SELECT s._rid, s._line, "
                f"{literal(table.key[-1])}, 'duplicate_key', {literal(reason)}, NULL "
                f"FROM {stage.name} AS s WHERE EXISTS (SELECT 1 FROM {good_rows(before)} "
                f"AS e WHERE {match})"
            )
