"""Whose records a row holds: the local authority, site or source that issued its ids.

Record ids (a referral id, a plan id) are unique only within the system that issued them, so
each is pseudonymised within its row's local authority (``la_code``), site or source (see
``daeval.model.tables.record``), and a newer extract replaces only the warehouse's rows of the
same scope (``Table.replace_by``), worked out from the rows that load, never from rows that
are quarantined.

An ``la_code`` given as an ONS code is first written in the form it is stored under (the DfE
code of an English children's services authority, decision 0016), so scopes, keys and
pseudonyms are the same whichever form a file uses.

An assessments file may leave ``la_code`` out; each of its rows then takes the local authority
of the referral it assesses, when exactly one local authority has a referral of that id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb

from daeval.errors import ReplacementRefusedError, WorkspaceError
from daeval.ingest.inputs import FileLoad
from daeval.ingest.references import good_rows
from daeval.ingest.rules import cell, literal, quote
from daeval.ingest.staging import Stage
from daeval.model import TABLES, Table
from daeval.model.la_codes import stored_forms
from daeval.privacy.pseudonyms import message_sql
from daeval.warehouse.store import scalar

MOST_LOST = 0.5
"""Share of a table's rows a run may remove, net of the rows it adds, without --replace-all."""

RESCOPED = ("csc_referrals", "assessments", "plans", "service_episodes", "measure_responses")
"""Tables whose record ids have been pseudonymised within their scope since la_code was added
to assessments and plans (decision 0011)."""

_ADDED = (("assessments", "la_code"), ("plans", "la_code"))

Pseudonymise = Callable[[str], str]
"""SQL of the pseudonym of a SQL message."""


def scope_columns(table: Table) -> list[str]:
    """Columns that scope the table's record ids or its replacement."""
    named = [c.pseudonym.column for c in table.columns if c.pseudonym and c.pseudonym.column]
    return list(dict.fromkeys([*named, *table.replace_by]))


def add_missing_scopes(con: duckdb.DuckDBPyConnection, stage: Stage) -> Stage:
    """Give a staged file lacking an optional scope column (``la_code`` of assessments or
    plans) that column, empty, so every row has a scope."""
    missing = [c for c in scope_columns(TABLES[stage.table]) if c not in stage.columns]
    for column in missing:
        con.execute(f"ALTER TABLE {stage.name}_raw ADD COLUMN {quote(column)} VARCHAR")
    return replace(stage, columns=(*stage.columns, *missing))


def store_la_codes(con: duckdb.DuckDBPyConnection, stage: Stage) -> None:
    """Write each ``la_code`` of a staged file that is a shipped ONS code (in any letter case)
    in the form it is stored under: its authority's DfE code when it has one, else the ONS code
    in capitals. Other values are left for the rules to check."""
    if "la_code" not in stage.columns:
        return
    raw = f"{stage.name}_raw"
    forms = ", ".join(f"({literal(o)}, {literal(c)})" for o, c in stored_forms().items())
    con.execute(
        f"UPDATE {raw} SET la_code = f.stored FROM (VALUES {forms}) AS f(ons, stored) "
        f"WHERE length({raw}.la_code) = 9 AND upper({raw}.la_code) = f.ons "
        f"AND {raw}.la_code <> f.stored"
    )


def assessed_la_codes(
    con: duckdb.DuckDBPyConnection, stage: Stage, run_ids: str | None, pseudonym: Pseudonymise
) -> None:
    """Give each row of an assessments file without ``la_code`` that of its referral, when
    exactly one local authority has a referral of that id; ``{stage}_la`` keeps, per referral
    id, how many have one (see :func:`ambiguous_la_codes`).

    ``run_ids``: this run's table of the referrals' namespaces and ids (None: it loaded none).
    The warehouse's referrals of local authorities this run did not feed are found by their
    pseudonyms, one per local authority.
    """
    ref = TABLES["assessments"].column("referral_id").pseudonym
    assert ref is not None and ref.column == "la_code"
    raw, prefix = f"{stage.name}_raw", ref.prefix
    wanted = f"SELECT DISTINCT {cell('referral_id')} AS id FROM {raw} WHERE la_code IS NULL"
    in_run = "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS la WHERE false"
    fed = "SELECT NULL::VARCHAR AS la WHERE false"
    if run_ids is not None:
        la = f"substr(i.ns, {len(prefix) + 1})"
        in_run = f"SELECT w.id, {la} AS la FROM wanted AS w JOIN {run_ids} AS i ON i.id = w.id"
        fed = f"SELECT DISTINCT substr(ns, {len(prefix) + 1}) AS la FROM {run_ids}"
    message = message_sql(f"({literal(prefix)} || o.la)", "w.id")
    stored = (
        f"SELECT w.id, o.la FROM wanted AS w, (SELECT DISTINCT la_code AS la FROM csc_referrals "
        f"WHERE la_code IS NOT NULL AND la_code NOT IN ({fed})) AS o "
        f"WHERE {pseudonym(message)} IN (SELECT referral_id FROM csc_referrals)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {stage.name}_la AS WITH wanted AS ({wanted}) "
        f"SELECT id, min(la) AS la, count(DISTINCT la) AS authorities "
        f"FROM ({in_run} UNION ALL {stored}) GROUP BY id"
    )
    con.execute(
        f"UPDATE {raw} SET la_code = f.la FROM {stage.name}_la AS f "
        f"WHERE {raw}.la_code IS NULL AND {raw}.referral_id = f.id AND f.authorities = 1"
    )


def ambiguous_la_codes(con: duckdb.DuckDBPyConnection, stage: Stage) -> None:
    """Quarantine the assessments left without ``la_code`` because referrals of their id are
    held by more than one local authority."""
    reason = "not given, and more than one local authority has a referral of this referral_id"
    con.execute(
        f"INSERT INTO {stage.name}_bad SELECT s._rid, s._line, 'la_code', 'reference', "
        f"{literal(reason)}, NULL FROM {stage.name} AS s JOIN {stage.name}_la AS f "
        "ON f.id = s.referral_id WHERE s.la_code IS NULL AND f.authorities > 1"
    )
    con.execute(f"DROP TABLE {stage.name}_la")


def replaced_sql(table: Table, stages: list[Stage]) -> str:
    """SQL condition on the warehouse table true for the rows the good rows of ``stages``
    replace: those of the same scope (``Table.replace_by``), or every row when rows carry no
    scope. Quarantined rows replace nothing, so a file none of whose rows load leaves the
    table as it was."""
    if not table.replace_by:
        loaded = " UNION ALL ".join(f"SELECT 1 FROM {good_rows(s)}" for s in stages)
        return f"EXISTS ({loaded})"
    scope = " UNION ".join(
        "SELECT DISTINCT "
        + ", ".join(
            f"{cell(c) if c in s.columns else 'NULL'} AS {quote(c)}" for c in table.replace_by
        )
        + f" FROM {good_rows(s)}"
        for s in stages
    )
    match = " AND ".join(
        f"s.{quote(c)} IS NOT DISTINCT FROM {quote(table.name)}.{quote(c)}"
        for c in table.replace_by
    )
    return f"EXISTS (SELECT 1 FROM ({scope}) AS s WHERE {match})"


def check_replacement(
    con: duckdb.DuckDBPyConnection, table: Table, before: int, loads: list[FileLoad]
) -> None:
    """Refuse a replacement that has left the table with less than half of the ``before`` rows
    it had (``loads``: the files it loaded). Raised before the run ends, it leaves the
    warehouse as it was: the run has changed only a working copy."""
    after = scalar(con, f"SELECT count(*) FROM {quote(table.name)}")
    if before - after <= MOST_LOST * before:
        return
    read = sum(f.rows_read for f in loads)
    quarantined = sum(f.rows_quarantined for f in loads)
    files = ", ".join(f.file_name for f in loads)
    raise ReplacementRefusedError(
        f"{files}: would take {table.name} from {before:,} rows to {after:,} ({quarantined:,} "
        f"of the {read:,} rows read quarantined); nothing was changed. Check the files "
        "(daeval ingest --check --replace-all lists the rows that would not load), or run "
        "again with --replace-all to replace the rows anyway"
    )


def check_record_scopes(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Bring a warehouse made before record ids were pseudonymised within their scope up to
    date when it holds none, and refuse it when it does: its ids would not match new ones."""
    present = set(con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall())
    missing = [added for added in _ADDED if added not in present]
    if not missing:
        return
    held = [t for t in RESCOPED if scalar(con, f"SELECT count(*) FROM {quote(t)}")]
    if held:
        raise WorkspaceError(
            f"{warehouse}: made by an earlier daeval, which pseudonymised the record ids of "
            f"{', '.join(held)} without their local authority, site or source; ingest every "
            "file again into a new workspace (or after deleting this warehouse)"
        )
    for t, c in missing:
        con.execute(f"ALTER TABLE {quote(t)} ADD COLUMN {quote(c)} VARCHAR")
