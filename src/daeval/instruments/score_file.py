"""``daeval score``: a CSV of questionnaire answers (the data contract's ``measure_responses``
long format) scored into one row per administration, with every answer that could not be scored
listed with its line, column and reason.

The file is read as text by DuckDB; types are checked in SQL; scoring is the same Ibis
expression ``daeval measures`` runs in the warehouse (``daeval.instruments.scoring``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from daeval.errors import UnusableFileError
from daeval.ingest.csv_files import read_header, stage_csv
from daeval.ingest.headers import normalised_header
from daeval.ingest.rules import literal, quote
from daeval.instruments.change import change_rules, classified, paired_scores
from daeval.instruments.scoring import checked_answers, score_administrations
from daeval.instruments.settings import InstrumentSettings
from daeval.model.codes import RESPONDENT, TIMEPOINT_PATTERN
from daeval.privacy.formula_text import neutralised

REQUIRED = ("person_id", "instrument", "timepoint", "item", "value")
OPTIONAL = ("response_id", "source", "administered_date", "respondent")
PROBLEM_COLUMNS = ("file", "line", "column", "value", "reason")


@dataclass(frozen=True)
class ScoredFile:
    scores: pd.DataFrame
    problems: pd.DataFrame  # PROBLEM_COLUMNS
    change: pd.DataFrame | None
    answers_read: int


def _type_checks() -> list[tuple[str, str, str]]:
    """(column, SQL condition that is true for a bad cell, reason) for each checked column."""
    codes = ", ".join(literal(c) for c in RESPONDENT.codes)
    return [
        ("person_id", "person_id IS NULL", "person_id is empty"),
        ("instrument", "instrument IS NULL", "instrument is empty"),
        ("item", "item IS NULL", "item is empty"),
        (
            "timepoint",
            f"NOT regexp_full_match(coalesce(timepoint, ''), {literal(TIMEPOINT_PATTERN[1:-1])})",
            "timepoint must be baseline, mid, end or followup_<months>",
        ),
        (
            "respondent",
            f"respondent IS NOT NULL AND respondent NOT IN ({codes})",
            f"respondent must be one of {', '.join(RESPONDENT.codes)}",
        ),
        (
            "administered_date",
            "administered_date IS NOT NULL AND TRY_STRPTIME(administered_date, '%Y-%m-%d') IS NULL",
            "administered_date must be a date written YYYY-MM-DD",
        ),
        (
            "value",
            "value IS NOT NULL AND TRY_CAST(value AS DOUBLE) IS NULL",
            "value is not a number",
        ),
    ]


KEY_COLUMNS = ("person_id", "instrument", "timepoint", "respondent", "item")
"""A row with a bad cell in one of these cannot be placed in an administration and is left out.
A row with an empty value is an item not answered, which the missing-item rule deals with; a
value that is not a number makes its administration invalid."""


def score_file(path: Path, settings: InstrumentSettings, with_change: bool = False) -> ScoredFile:
    con = duckdb.connect()
    names = read_header(path)
    columns = normalised_header(path.name, names)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UnusableFileError(
            f"{path.name}: required column{'s' if len(missing) > 1 else ''} missing: "
            f"{', '.join(missing)}; add {'them' if len(missing) > 1 else 'it'} (a "
            f"measure_responses file has {', '.join((*REQUIRED, *OPTIONAL))})"
        )
    stage_csv(con, path, names, list(zip(names, columns, strict=True)), "answers_raw")
    present = set(columns)
    selected = ", ".join(
        f"NULLIF(trim({quote(c)}), '') AS {quote(c)}"
        if c in present
        else f"NULL::VARCHAR AS {quote(c)}"
        for c in (*REQUIRED, *OPTIONAL)
    )
    # DuckDB numbers a table it read itself in the file's order; line 1 is the header.
    con.execute(
        f"CREATE TEMP TABLE answers AS SELECT rowid + 2 AS line, _problem, {selected} "
        "FROM answers_raw"
    )
    checks = _type_checks()
    problem_sql = " UNION ALL ".join(
        f"SELECT line, {literal(col)} AS column, {quote(col)} AS value, {literal(reason)} AS reason "
        f"FROM answers WHERE {condition}"
        for col, condition, reason in checks
    )
    problem_sql += (
        " UNION ALL SELECT line, '' AS column, NULL AS value, _problem AS reason "
        "FROM answers WHERE _problem IS NOT NULL"
    )
    type_problems = con.sql(problem_sql).df()
    bad_key = " OR ".join(f"({condition})" for col, condition, _ in checks if col in KEY_COLUMNS)
    con.execute(
        "CREATE TEMP TABLE typed AS SELECT line, coalesce(source, '') AS source, person_id, "
        "instrument, timepoint, TRY_STRPTIME(administered_date, '%Y-%m-%d')::DATE "
        "AS administered_date, respondent, item, TRY_CAST(value AS DOUBLE) AS value "
        f"FROM answers WHERE _problem IS NULL AND value IS NOT NULL AND NOT ({bad_key})"
    )
    answers_read = con.execute("SELECT count(*) FROM answers").fetchone()[0]  # type: ignore[index]

    backend = ibis.duckdb.from_connection(con)
    typed = backend.table("typed")
    library = settings.library
    checked = backend.execute(
        checked_answers(typed, library)
        .filter(lambda t: t.reason.notnull() & t.value.notnull())
        .select("line", "instrument", "item", "value", "reason", "problem_column")
    )
    cells = {"instrument": checked.instrument, "item": checked.item}
    answer_problems = pd.DataFrame(
        {
            "line": checked.line,
            "column": checked.problem_column,
            "value": [
                cells[c][i] if c in cells else _number(v)
                for i, (c, v) in enumerate(zip(checked.problem_column, checked.value, strict=True))
            ],
            "reason": checked.reason,
        }
    )
    problems = pd.concat([type_problems, answer_problems], ignore_index=True)
    problems.insert(0, "file", path.name)
    problems = problems.sort_values(["line", "column"], kind="stable").reset_index(drop=True)

    scores_expr = score_administrations(typed, library)
    scores = backend.execute(scores_expr)
    change = None
    if with_change:
        change = backend.execute(
            classified(paired_scores(scores_expr), change_rules(settings)).order_by(
                "source", "person_id", "instrument", "respondent"
            )
        )
    if "source" not in present:
        scores = scores.drop(columns="source")
        if change is not None:
            change = change.drop(columns="source")
    # Only the subscale and recorded columns of the instruments in the file.
    empty = [
        c
        for c in scores.columns
        if (c.startswith("score_") or c in _recorded_names(settings)) and scores[c].isna().all()
    ]
    scores = scores.drop(columns=empty)
    con.close()
    return ScoredFile(scores, problems[list(PROBLEM_COLUMNS)], change, answers_read)


def _recorded_names(settings: InstrumentSettings) -> set[str]:
    return {n for i in settings.library.values() for n in i.recorded}


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A CSV people can open: dates as YYYY-MM-DD, true/false, numbers without trailing zeros,
    text that a spreadsheet would run as a formula neutralised."""

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d")
        elif series.dtype == object and series.map(lambda v: isinstance(v, bool)).any():
            out[column] = series.map(lambda v: "" if v is None else str(v).lower())
        elif pd.api.types.is_bool_dtype(series):
            out[column] = series.map(lambda v: str(v).lower())
        elif pd.api.types.is_float_dtype(series):
            out[column] = series.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        elif series.dtype == object:
            # An id or answer could be a spreadsheet formula (daeval.privacy.formula_text).
            out[column] = series.map(lambda v: neutralised(v) if isinstance(v, str) else v)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
