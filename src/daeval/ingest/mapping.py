"""Data sources of a study: how a local export maps onto the canonical tables, without editing it.

They are declared in the workspace's ``study.yaml`` under ``data_sources``::

    data_sources:
      - file: Referrals export.xlsx         # a file in the data folder
        table: csc_referrals
        sheet: Referrals                    # XLSX only; default: the first visible sheet
        columns:                            # the file's column -> canonical column
          Referral ID: referral_id
          Child ID: child_id
          Date of referral: referral_date
        constants: {la_code: "990"}         # canonical column -> the same value on every row
        codes:                              # canonical column -> {local code: canonical code}
          decision: {NFA - no further action: nfa, Step down to EH: early_help}
        date_format: "%d/%m/%Y"             # every date column; or "excel" for serial numbers
        date_formats: {closure_date: excel} # one column's format
        keep:                               # columns outside the contract to keep, with why
          Team: referrals are compared by team
      - id: fbs-questionnaires              # optional: a name outcomes and methods refer to
        status: expected                    # not received yet: not read (default: received)
        table: measure_responses
        holder: For Baby's Sake Trust
      - records: phq_records.csv            # a REDCap export
        dictionary: phq_dictionary.csv
        redcap: {source: "service:fbs", instruments: {PHQ9: {prefix: phq9_, items: 9}}}
    allowed_folders: [/secure/exports]      # optional: folders besides the data folder

A mapped value that still does not fit the model is quarantined with the value as the file had it.
A declared file is read only from the data folder given to ``daeval ingest`` or from a folder the
study file names under ``allowed_folders`` (relative to the study file's folder); names are
compared once resolved (``..`` and symbolic links followed), see ``daeval.ingest.inputs``.
A column neither in the contract, nor mapped, nor kept is dropped at the door (and named). A
column that looks like an identifier (a name, a date of birth, a postcode, an NHS number, a UPN,
...) cannot be kept: it reaches the warehouse only through a contract column, which pseudonymises
or minimises it. File column names are matched as :mod:`daeval.ingest.headers` normalises them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from daeval.errors import StudyFileError
from daeval.ingest.headers import is_reserved, normalised_name
from daeval.ingest.identifiers import identifier_by_name
from daeval.ingest.redcap_mapping import RedcapMapping
from daeval.ingest.rules import cell, cleaned, literal, quote
from daeval.model import TABLES, Kind
from daeval.study.document import read_document, read_text
from daeval.study.problems import Locator

EXCEL = "excel"
EXCEL_EPOCH = "1899-12-30"
"""Day 0 of Excel's 1900 date system as used for serials from 61 (1 March 1900) on."""

_FILE_KEYS = {
    "file",
    "table",
    "sheet",
    "columns",
    "constants",
    "codes",
    "date_format",
    "date_formats",
    "keep",
}
_REDCAP_KEYS = {"records", "dictionary", "redcap"}
_DESCRIBING_KEYS = {"id", "description", "holder", "site", "status"}
"""Keys that describe a source for the study file (``daeval study check``, readiness); ingest
ignores them. A source whose ``status`` is ``expected`` or ``unavailable`` has not been received
and is not read."""
STATUSES = ("received", "expected", "unavailable")


@dataclass(frozen=True)
class DataSource:
    """One export file and how its columns, codes and dates map onto a canonical table."""

    file: str
    table: str
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_formats: Mapping[str, str] = field(default_factory=dict)
    entry: str = "study.yaml data_sources"
    """Where the study file declares it, for messages: ``WS/study.yaml:12: data_sources[2] (fbs)``."""
    allowed_folders: tuple[Path, ...] = ()
    """Folders (resolved) besides the data folder its file may be in."""
    keep: Mapping[str, str] = field(default_factory=dict)
    """{normalised file column: why it is kept}: columns outside the contract kept beside the
    table (``extra__<table>``)."""

    @property
    def known(self) -> set[str]:
        """The file's columns (normalised names) that may enter: mapped, kept, or the table's."""
        return {*TABLES[self.table].column_names, *self.columns, *self.keep}


@dataclass(frozen=True)
class RedcapSource:
    """A REDCap records export with its data dictionary, read into measure_responses."""

    records: str
    dictionary: str
    mapping: RedcapMapping
    entry: str = "study.yaml data_sources"
    allowed_folders: tuple[Path, ...] = ()


def _where(i: int) -> str:
    return f"study.yaml data_sources[{i + 1}]"


def parse_allowed_folders(raw: Any, base: Path) -> tuple[Path, ...]:
    """The study file's ``allowed_folders``, resolved (a relative one from ``base``)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise StudyFileError("study.yaml allowed_folders: must be a list of folder paths")
    return tuple((base / Path(v.strip()).expanduser()).resolve() for v in raw)


def _strings(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise StudyFileError(f"{what} must be a mapping of names to values")
    return {str(k).strip(): str(v).strip() for k, v in value.items()}


def _file_source(where: str, raw: Mapping[str, Any]) -> DataSource:
    unknown = set(raw) - _FILE_KEYS - _DESCRIBING_KEYS
    if unknown:
        raise StudyFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    table = str(raw.get("table", ""))
    if table not in TABLES:
        raise StudyFileError(
            f"{where}: table {table!r} is not a table of the data contract; choose one of "
            + ", ".join(TABLES)
        )
    canonical = set(TABLES[table].column_names)
    columns = {
        normalised_name(k): v
        for k, v in _strings(raw.get("columns", {}), f"{where} columns").items()
    }
    constants = _strings(raw.get("constants", {}), f"{where} constants")
    codes = {
        column: {k.casefold(): v for k, v in _strings(table_, f"{where} codes.{column}").items()}
        for column, table_ in (raw.get("codes") or {}).items()
    }
    dates = (
        {c.name: str(raw["date_format"]) for c in TABLES[table].columns if c.kind is Kind.DATE}
        if raw.get("date_format")
        else {}
    )
    dates |= _strings(raw.get("date_formats", {}), f"{where} date_formats")
    for what, names in (
        ("columns", columns.values()), ("constants", constants), ("codes", codes),
        ("date_formats", dates),
    ):  # fmt: skip
        wrong = sorted(set(names) - canonical)
        if wrong:
            raise StudyFileError(
                f"{where} {what}: {', '.join(wrong)} not column(s) of {table} "
                f"({', '.join(TABLES[table].column_names)})"
            )
    if not raw.get("file"):
        raise StudyFileError(f"{where}: give the file's name (file: ...)")
    keep = _kept(where, table, raw.get("keep"), columns)
    return DataSource(
        str(raw["file"]),
        table,
        raw.get("sheet"),
        columns,
        constants,
        codes,
        dates,
        where,
        keep=keep,
    )


def _kept(where: str, table: str, raw: Any, columns: Mapping[str, str]) -> dict[str, str]:
    """The ``keep`` entries of a source: {normalised file column: reason}, each checked."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise StudyFileError(f"{where} keep: give each column to keep with why (column: reason)")
    kept: dict[str, str] = {}
    for name, reason in raw.items():
        column = normalised_name(str(name))
        what = f"{where} keep: {column!r}"
        if not column or is_reserved(column):
            raise StudyFileError(f"{what}: not a column name daeval can keep")
        if reason is None or not str(reason).strip():
            raise StudyFileError(f"{what}: say why it is kept ({column}: reason)")
        if column in TABLES[table].column_names or column in columns:
            raise StudyFileError(f"{what}: is loaded into {table} already; remove it from keep")
        kind = identifier_by_name(column)
        if kind is not None:
            raise StudyFileError(
                f"{what}: looks like {kind}, and identifiers are never kept in clear; map it "
                f"to a column of {table} under columns (which pseudonymises or minimises it) "
                "or remove it from keep (it is then dropped)"
            )
        kept[column] = str(reason).strip()
    return kept


def parse_data_sources(
    raw: Any, where: Callable[[int], str] = _where
) -> list[DataSource | RedcapSource]:
    """The data sources declared in a study file's ``data_sources`` list; ``where(i)`` names the
    i-th entry (from 0) in messages."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise StudyFileError("study.yaml data_sources must be a list")
    out: list[DataSource | RedcapSource] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise StudyFileError(f"{where(i)}: must be a mapping")
        status = item.get("status", "received")
        if status not in STATUSES:
            raise StudyFileError(
                f"{where(i)}: status {status!r} (choose from {', '.join(STATUSES)})"
            )
        if status != "received":
            continue
        if "redcap" in item:
            unknown = set(item) - _REDCAP_KEYS - _DESCRIBING_KEYS - {"table"}
            if unknown or not item.get("records") or not item.get("dictionary"):
                raise StudyFileError(
                    f"{where(i)}: a REDCap source needs records, dictionary and redcap "
                    f"(and nothing else{'; unknown: ' + ', '.join(sorted(unknown)) if unknown else ''})"
                )
            mapping = RedcapMapping.from_dict(item["redcap"])
            records, dictionary = str(item["records"]), str(item["dictionary"])
            out.append(RedcapSource(records, dictionary, mapping, where(i)))
        else:
            out.append(_file_source(where(i), item))
    return out


def load_data_sources(study_file: Path) -> list[DataSource | RedcapSource]:
    """The data sources of ``study_file`` (none when it does not exist), each knowing its line
    and the folders besides the data folder it may be read from."""
    document = read_document(study_file)
    raw = document.get("data_sources")
    locator = Locator(read_text(study_file)) if raw else None

    def where(i: int) -> str:
        line = locator.line(("data_sources", i)) if locator else None
        item = raw[i] if isinstance(raw, list) else None
        named = f" ({item['id']})" if isinstance(item, Mapping) and item.get("id") else ""
        return f"{study_file}{f':{line}' if line else ''}: data_sources[{i + 1}]{named}"

    sources = parse_data_sources(raw, where)
    allowed = parse_allowed_folders(document.get("allowed_folders"), study_file.parent)
    return [replace(source, allowed_folders=allowed) for source in sources]


def _date_sql(column: str, fmt: str) -> str:
    v = cell(column)
    if fmt == EXCEL:
        return (
            f"CASE WHEN regexp_full_match({v}, '[0-9]+(\\.0+)?') THEN "
            f"strftime(DATE '{EXCEL_EPOCH}' + CAST(CAST({v} AS DOUBLE) AS INTEGER), '%Y-%m-%d') "
            f"ELSE {quote(column)} END"
        )
    parsed = f"TRY_STRPTIME({v}, {literal(fmt)})"
    return f"coalesce(strftime({parsed}, '%Y-%m-%d'), {quote(column)})"


def apply_mapping(
    con: duckdb.DuckDBPyConnection, raw: str, columns: list[str], source: DataSource
) -> list[str]:
    """Rename, fill, recode and re-date the staged table ``raw``; return its new column names."""
    renamed = [source.columns.get(c, c) for c in columns]
    for old, new in zip(columns, renamed, strict=True):
        if old != new:
            con.execute(f"ALTER TABLE {raw} RENAME COLUMN {quote(old)} TO {quote(new)}")
    for column, value in source.constants.items():
        if column not in renamed:
            con.execute(f"ALTER TABLE {raw} ADD COLUMN {quote(column)} VARCHAR")
            renamed.append(column)
        con.execute(f"UPDATE {raw} SET {quote(column)} = {cleaned(literal(value))}")
    for column, table in source.codes.items():
        if column in renamed and table:
            whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in table.items())
            con.execute(
                f"UPDATE {raw} SET {quote(column)} = CASE lower({cell(column)}) {whens} "
                f"ELSE {quote(column)} END"
            )
    for column, fmt in source.date_formats.items():
        if column in renamed:
            con.execute(f"UPDATE {raw} SET {quote(column)} = {_date_sql(column, fmt)}")
    return renamed
