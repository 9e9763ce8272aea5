"""The front door: stage every input file, check it, pseudonymise it, load good rows, quarantine bad ones.

Every input row is accounted for: rows read = rows loaded + rows quarantined, per file. A file that
cannot be used at all is refused with its reason while the others load. The run changes a working
copy of the warehouse (``daeval.warehouse.working_copy``) that takes its place only when the run
has gone through, so a failure or a killed process leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb

from daeval.errors import UnusableFileError
from daeval.ingest.inputs import (
    FileLoad,
    IngestReport,
    Input,
    RefusedFile,
    find_inputs,
)
from daeval.ingest.kept_columns import known_columns, without_identifiers
from daeval.ingest.linkage_features import (
    STAGING_FILE,
    addresses_select,
    features_select,
    write_features,
)
from daeval.ingest.mapping import DataSource, RedcapSource, apply_mapping
from daeval.ingest.references import (
    MESSAGE,
    check_duplicates_across_files,
    check_references,
    good_rows,
    keep_ids,
    messages,
)
from daeval.ingest.rules import (
    canonical_code_sql,
    cell,
    date_sql,
    literal,
    quote,
    row_violations_sql,
)
from daeval.ingest.scopes import (
    add_missing_scopes,
    ambiguous_la_codes,
    assessed_la_codes,
    check_record_scopes,
    check_replacement,
    replaced_sql,
    store_la_codes,
)
from daeval.ingest.staging import Stage, stage_arrow, stage_file, stage_view
from daeval.model import TABLES, Column, Identifier, Kind, Table
from daeval.privacy.minimise import (
    birth_month_sql,
    is_postcode_sql,
    postcode_sector_sql,
    postcode_sql,
)
from daeval.privacy.pseudonyms import (
    FUNCTION,
    hmac_sql,
    register_pseudonyms,
    row_pseudonyms_sql,
)
from daeval.warehouse.marks import (
    check_key,
    mark_staging,
    mark_synthetic,
    mark_warehouse,
    new_generation,
    staging_matches,
)
from daeval.warehouse.scratch import scratch_folder
from daeval.warehouse.store import Workspace, create_schema, scalar
from daeval.warehouse.working_copy import working_copy

DEFAULT_MEMORY_LIMIT = "4GB"
"""DuckDB's memory for one ingest; staged files beyond it spill to a temporary folder."""
FAST_PSEUDONYMS_FROM = 200_000
"""Staged rows from which ingest pseudonymises with compiled code (it takes a few seconds to
start, and gives the same pseudonyms as the SQL form)."""
Progress = Callable[[str], None]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stage_input(con: duckdb.DuckDBPyConnection, item: Input, counter: list[int]) -> list[Stage]:
    def next_name() -> str:
        counter[0] += 1
        return f"stage_{counter[0]}"

    source, path = item.source, item.path
    if isinstance(source, RedcapSource):
        from daeval.ingest.redcap import read_redcap

        staged = read_redcap(path, path.parent / source.dictionary, source.mapping)
        return [stage_arrow(con, staged, next_name(), known_columns(staged.table, source))]
    if item.table is None:
        from daeval.ingest.cin_census import read_cin_census

        return [
            stage_arrow(con, staged, next_name(), known_columns(staged.table, None))
            for staged in read_cin_census(path)
        ]
    known = known_columns(item.table, source)
    if path.suffix.lower() == ".xlsx":
        from daeval.ingest.xlsx import read_xlsx

        sheet = source.sheet if source else None
        stage = stage_arrow(con, read_xlsx(path, item.table, sheet), next_name(), known)
    else:
        stage = stage_file(con, path, item.table, next_name(), known)
    if source is not None:
        columns = apply_mapping(con, f"{stage.name}_raw", list(stage.columns), source)
        stage = without_identifiers(con, replace(stage, columns=tuple(columns)))
    return [stage]


def _value_sql(column: Column) -> str:
    """SQL of the value stored in the warehouse for a staged column (pseudonyms aside)."""
    v = cell(column.name)
    if column.identifier is Identifier.YEAR_MONTH:
        return birth_month_sql(date_sql(column.name))
    if column.identifier is Identifier.SECTOR:
        return postcode_sector_sql(v)
    if column.kind is Kind.DATE:
        return date_sql(column.name)
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


def _withheld(table: Table, column: str | None) -> bool:
    """Whether a quarantined value of ``column`` must not be kept (it could identify someone)."""
    if column is None or column not in table.column_names:
        return True
    col = table.column(column)
    return col.identifier is not None or col.pseudonym is not None


class _Run:
    """One ingest: staging, checks and the load of each table in turn, on one connection.

    Tables are taken in the model's order, in which each comes after the tables it points at, so
    references are checked against tables already loaded. Only one table's files are staged at a
    time (the other tables of a CIN census file wait for their turn); of a loaded table, the run
    keeps only the ids that tables still to come point at.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, key: bytes, today: date, replace_all: bool = False
    ):
        self.con = con
        self.key = key
        self.today = today.isoformat()
        self.replace_all = replace_all
        """Whether a replacement may remove most of a table (see ``scopes.check_replacement``)."""
        self.stages: list[Stage] = []
        self.loaded: set[str] = set()
        self.ids: dict[tuple[str, str], str] = {}
        """{(table, column): temp table of this run's loaded ids, with their namespaces}"""
        self.compiled = False

    def pseudonym(self, column: str) -> str:
        """SQL of the pseudonym of a staged id column."""
        return self.pseudonym_of(quote(MESSAGE + column))

    def pseudonym_of(self, message: str) -> str:
        """SQL of the pseudonym of a SQL message (namespace, separator, id)."""
        return f"{FUNCTION}({message})" if self.compiled else hmac_sql(self.key, message)

    def prepare(self, stage: Stage) -> None:
        """Add pseudonym messages and collect the stage's row-level violations."""
        rows = scalar(self.con, f"SELECT count(*) FROM {stage.name}_raw")
        if rows >= FAST_PSEUDONYMS_FROM and not self.compiled:
            self.compiled = register_pseudonyms(self.con, self.key)
        stage = add_missing_scopes(self.con, stage)
        store_la_codes(self.con, stage)
        # An assessment without la_code takes its referral's, once the referrals are loaded.
        assessed = stage.table == "assessments" and (
            "csc_referrals" in self.loaded or "csc_referrals" not in self.fed
        )
        if assessed:
            run_ids = self.ids.get(("csc_referrals", "referral_id"))
            assessed_la_codes(self.con, stage, run_ids, self.pseudonym_of)
        stage_view(self.con, stage, {MESSAGE + c: sql for c, sql in messages(stage).items()})
        table = TABLES[stage.table]
        query = row_violations_sql(stage.name, table, set(stage.columns), self.today)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {stage.name}_bad AS {query}")
        if assessed:
            ambiguous_la_codes(self.con, stage)
        self.stages.append(stage)

    @property
    def fed(self) -> set[str]:
        """The tables this run feeds: loaded, or with files staged."""
        return self.loaded | {s.table for s in self.stages}

    def forget(self, origin: str) -> None:
        """Drop what was staged from a file that turned out to be unusable."""
        for stage in [s for s in self.stages if s.origin == origin]:
            self._drop(stage)

    def _drop(self, stage: Stage) -> None:
        self.stages.remove(stage)
        self.con.execute(f"DROP VIEW IF EXISTS {stage.name}")
        for suffix in ("_raw", "_bad"):
            self.con.execute(f"DROP TABLE IF EXISTS {stage.name}{suffix}")

    def load_table(
        self,
        table: Table,
        load_id: int,
        paths: dict[str, Path],
        report: IngestReport,
        features: Path | None,
    ) -> None:
        """Check the staged files of ``table`` against each other and the tables loaded before,
        replace the table's rows their good rows feed (refused when that would remove most of
        the table, unless ``replace_all``), load them, derive their linkage features into the
        staging file ``features`` (None: none), and drop them."""
        stages = [s for s in self.stages if s.table == table.name]
        if not stages:
            return
        check_references(self.con, stages, self.ids, self.fed, report, self.pseudonym)
        check_duplicates_across_files(self.con, stages)
        before = scalar(self.con, f"SELECT count(*) FROM {quote(table.name)}")
        self.con.execute(f"DELETE FROM {quote(table.name)} WHERE {replaced_sql(table, stages)}")
        loads = [self._load_stage(s, load_id, paths[s.origin]) for s in stages]
        report.loads += loads
        if not self.replace_all:
            check_replacement(self.con, table, before, loads)
        if features is not None:
            self._write_linkage_features(table, stages, features)
        keep_ids(self.con, self.ids, table, stages)
        for stage in stages:
            self._drop(stage)
        self.loaded.add(table.name)

    def _write_linkage_features(self, table: Table, stages: list[Stage], staging: Path) -> None:
        """Derive the linkage features of the people and addresses of ``stages``, outside the
        warehouse."""
        if table.name == "people":
            selects = []
            for stage in stages:
                good = good_rows(stage)
                present = set(stage.columns)
                for name in ("first_name", "last_name", "date_of_birth", "sex", "postcode"):
                    if name not in present:
                        good = f"(SELECT *, NULL::VARCHAR AS {quote(name)} FROM {good})"
                selects.append(
                    features_select(
                        good,
                        self.pseudonym("person_id"),
                        f"NULLIF({_value_sql(table.column('sex'))}, 'U')",
                        postcode_sql(cell("postcode")),
                    )
                )
            write_features(self.con, staging, selects, self._sources(stages))
        elif table.name == "addresses":
            stages = [s for s in stages if "postcode" in s.columns]
            selects = [
                addresses_select(
                    good_rows(s),
                    self.pseudonym("person_id"),
                    postcode_sql(cell("postcode")),
                    is_postcode_sql(cell("postcode")),
                )
                for s in stages
            ]
            if selects:
                sources = self._sources(stages)
                write_features(self.con, staging, selects, sources, "linkage_addresses")

    def _sources(self, stages: list[Stage]) -> list[str]:
        """The sources whose rows the good rows of ``stages`` hold (their rows are replaced)."""
        found: set[str] = set()
        for stage in stages:
            query = f"SELECT DISTINCT {cell('source')} FROM {good_rows(stage)}"
            found |= {r[0] for r in self.con.execute(query).fetchall()}
        return sorted(found)

    def _load_stage(self, stage: Stage, load_id: int, path: Path) -> FileLoad:
        table = TABLES[stage.table]
        stored = [c for c in table.columns if c.warehouse_name is not None]
        ids = [c.name for c in stored if c.pseudonym is not None and c.name in stage.columns]
        row = row_pseudonyms_sql([quote(MESSAGE + c) for c in ids]) if self.compiled else None
        values = []
        for column in stored:
            if column.name not in stage.columns:
                values.append("NULL")
            elif column.pseudonym is None:
                values.append(_value_sql(column))
            elif row is not None:  # the row's ids, pseudonymised together
                values.append(f"_p.p{ids.index(column.name) + 1}")
            else:
                values.append(self.pseudonym(column.name))
        good = good_rows(stage)
        rows = f"(SELECT *, {row} AS _p FROM {good})" if row else good
        targets = ", ".join(quote(c.warehouse_name) for c in stored if c.warehouse_name)
        self.con.execute(
            f"INSERT INTO {quote(table.name)} ({targets}) SELECT {', '.join(values)} FROM {rows}"
        )
        read = scalar(self.con, f"SELECT count(*) FROM {stage.name}")
        bad = scalar(self.con, f"SELECT count(DISTINCT _rid) FROM {stage.name}_bad")
        self._quarantine(stage, table, load_id)
        extra = tuple(c for c in stage.columns if c not in table.column_names)
        self._keep_extra(stage, table, extra, good)
        dropped = ",".join(name for name, _ in stage.dropped) or None
        self.con.execute(
            "INSERT INTO loads (load_id, table_name, file_name, file_sha256, rows_read, "
            "rows_loaded, rows_quarantined, extra_columns, dropped_columns) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, table.name, stage.origin, _sha256(path), read, read - bad, bad,
             ",".join(extra) or None, dropped],
        )  # fmt: skip
        return FileLoad(table.name, stage.origin, read, read - bad, bad, extra, stage.dropped)

    def _quarantine(self, stage: Stage, table: Table, load_id: int) -> None:
        withheld = [c for c in {*table.column_names, *stage.columns} if _withheld(table, c)]
        hide = ", ".join(literal(c) for c in withheld) or "NULL"
        self.con.execute(
            "DELETE FROM quarantine WHERE table_name = ? AND file_name = ?",
            [table.name, stage.origin],
        )
        self.con.execute(
            f"INSERT INTO quarantine SELECT {load_id}, {literal(table.name)}, "
            f"{literal(stage.origin)}, {literal(stage.locator)}, _line, column_name, rule, reason, "
            f"CASE WHEN column_name IS NULL OR column_name IN ({hide}) THEN NULL ELSE value END "
            f"FROM {stage.name}_bad ORDER BY _rid, column_name, rule"
        )

    def _keep_extra(self, stage: Stage, table: Table, extra: tuple[str, ...], good: str) -> None:
        side = quote(f"extra__{table.name}")
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {side} (file_name VARCHAR, _line BIGINT, "
            "columns MAP(VARCHAR, VARCHAR))"
        )
        self.con.execute(f"DELETE FROM {side} WHERE file_name = ?", [stage.origin])
        if extra:
            # Columns outside the model that the study file keeps (never an identifier's) sit
            # beside the table; the others were dropped at the door.
            keys = ", ".join(literal(c) for c in extra)
            vals = ", ".join(quote(c) for c in extra)
            self.con.execute(
                f"INSERT INTO {side} SELECT {literal(stage.origin)}, _line, "
                f"map([{keys}], [{vals}]) FROM {good} ORDER BY _rid"
            )


def _turn(item: Input) -> str:
    """The table whose turn stages ``item`` (a CIN census file's first table is people)."""
    return item.table or "people"


def ingest_folder(
    data_dir: Path,
    workspace: Workspace,
    key: bytes,
    progress: Progress | None = None,
    check_only: bool = False,
    today: date | None = None,
    sources: list[DataSource | RedcapSource] | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    replace_all: bool = False,
) -> IngestReport:
    """Load every input file in ``data_dir`` into the workspace's warehouse.

    Each canonical table fed by this run replaces the warehouse's rows of the same source (see
    ``Table.replace_by``), or the whole table when rows carry no source; other tables are left as
    they were. With ``check_only`` everything is checked and reported and nothing is written.
    A run that would remove most of a table's rows is refused unless ``replace_all``.
    """
    inputs, ignored, missing = find_inputs(data_dir, sources or [])
    report = IngestReport(ignored_files=ignored, checked_only=check_only, refused=missing)
    if not inputs and not missing:
        raise UnusableFileError(
            f"{data_dir}: no input files found; give a folder of files named for their table, "
            "such as people.csv or csc_referrals.xlsx, or a CIN census .xml"
        )
    say = progress or (lambda step: None)
    workspace.check_folder()
    check_key(workspace.warehouse_path, key)
    staging = workspace.staging / STAGING_FILE
    if not check_only:
        workspace.create()
        if staging.exists() and not staging_matches(workspace.warehouse_path, staging):
            staging.unlink()  # left by a run that was killed before its warehouse was in place
    # The run works on copies of the warehouse and of the linkage staging file in its scratch
    # folder, which replace the originals only when everything has gone through; staged names
    # and dates of birth that spill go there too (see daeval.warehouse.scratch). Both copies get
    # a new generation; the staging file is put in place first, and the warehouse, put in place
    # last, makes the pair (see daeval.warehouse.marks).
    generation = new_generation()
    with ExitStack() as stack:
        scratch = stack.enter_context(
            scratch_folder(None if check_only else workspace.root, "ingest")
        )
        warehouse = stack.enter_context(
            working_copy(workspace.warehouse_path, scratch, keep=not check_only)
        )
        features = None
        if not check_only:
            features = stack.enter_context(working_copy(staging, scratch / "staging"))
        con = duckdb.connect(str(warehouse))
        try:
            create_schema(con)
            check_record_scopes(con, workspace.warehouse_path)
            con.execute(f"SET memory_limit = {literal(memory_limit)}")
            con.execute(f"SET temp_directory = {literal(str(scratch))}")
            _ingest(con, inputs, report, key, today or date.today(), say, features, replace_all)
            mark_synthetic(con, [i.path.parent for i in inputs] if report.loads else [])
            mark_warehouse(con, key, generation)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if features is not None and features.exists():
            mark_staging(features, generation)
    if not check_only:
        workspace.restrict()
    return report


def _ingest(
    con: duckdb.DuckDBPyConnection,
    inputs: list[Input],
    report: IngestReport,
    key: bytes,
    today: date,
    say: Progress,
    features: Path | None,
    replace_all: bool = False,
) -> None:
    """Stage, check and load ``inputs`` table after table (see :class:`_Run`)."""
    run = _Run(con, key, today, replace_all)
    load_id = scalar(con, "SELECT coalesce(max(load_id), 0) + 1 FROM loads")
    counter = [0]
    paths: dict[str, Path] = {}
    for table in TABLES.values():
        for item in [i for i in inputs if _turn(i) == table.name]:
            path = item.path
            say(f"reading {path.name}")
            try:
                stages = _stage_input(con, item, counter)
                for stage in stages:
                    lacking = [c for c in TABLES[stage.table].required if c not in stage.columns]
                    if lacking:
                        raise UnusableFileError(
                            f"{path.name}: required column(s) missing for {stage.table}: "
                            f"{', '.join(lacking)}"
                        )
                for stage in stages:
                    say(f"checking {stage.origin} ({stage.table})")
                    run.prepare(stage)
            except UnusableFileError as exc:
                report.refused.append(RefusedFile(path.name, str(exc)))
                run.forget(path.name)
                continue
            paths[path.name] = path
        if any(s.table == table.name for s in run.stages):
            say(f"loading {table.name}")
            run.load_table(table, load_id, paths, report, features)
    report.absent_tables = [t for t in TABLES if t not in run.fed]
    # Files are reported in the folder's order, whatever the order of loading.
    place = {i.path.name: n for n, i in enumerate(inputs)}
    report.loads.sort(key=lambda f: place[f.file_name])
    report.refused.sort(key=lambda r: place.get(r.file_name, -1))  # declared but missing first
