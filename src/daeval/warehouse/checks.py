"""Type checks derived from the canonical model, run in SQL over a staged file.

A staged file is a table of text columns plus ``_row`` (1 = the first row after the header).
Each check is a SQL condition that is true when a value does not fit its column.
"""

from __future__ import annotations

from dataclasses import dataclass

from daeval.model import Column, Kind
from daeval.model.codes import CodeList

INTEGER_PATTERN = r"^[+-]?[0-9]+$"
DATE_FORMAT = "%Y-%m-%d"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cell(column: str) -> str:
    """A staged cell, trimmed, with an empty cell read as missing."""
    return f"NULLIF(trim({quote(column)}), '')"


def canonical_code_sql(expression: str, codes: CodeList) -> str:
    """SQL giving the canonical spelling of a code (matched case-insensitively), NULL if unknown."""
    whens = " ".join(
        f"WHEN {literal(code.casefold())} THEN {literal(code)}" for code in codes.codes
    )
    return f"(CASE lower({expression}) {whens} END)"


@dataclass(frozen=True)
class Check:
    column: str
    condition: str  # true when the value is bad
    reason: str


def checks_for(column: Column) -> list[Check]:
    """The checks a staged value of ``column`` must pass."""
    v = cell(column.name)
    out: list[Check] = []
    if column.required:
        out.append(Check(column.name, f"{v} IS NULL", "required value is missing"))
    if column.kind is Kind.DATE:
        out.append(
            Check(
                column.name,
                f"{v} IS NOT NULL AND TRY_STRPTIME({v}, '{DATE_FORMAT}') IS NULL",
                "not a date in the form YYYY-MM-DD",
            )
        )
    elif column.kind is Kind.INTEGER:
        out.append(
            Check(
                column.name,
                f"{v} IS NOT NULL AND NOT regexp_full_match({v}, '{INTEGER_PATTERN}')",
                "not a whole number",
            )
        )
    elif column.kind is Kind.DECIMAL:
        out.append(
            Check(
                column.name,
                f"{v} IS NOT NULL AND TRY_CAST({v} AS DOUBLE) IS NULL",
                "not a number",
            )
        )
    elif column.kind is Kind.CODE:
        assert column.codes is not None
        allowed = ", ".join(column.codes.codes)
        out.append(
            Check(
                column.name,
                f"{v} IS NOT NULL AND {canonical_code_sql(v, column.codes)} IS NULL",
                f"not a code of {column.codes.name} ({allowed})",
            )
        )
    if column.minimum is not None:
        out.append(
            Check(
                column.name,
                f"TRY_CAST({v} AS DOUBLE) < {column.minimum}",
                f"below the minimum of {column.minimum:g}",
            )
        )
    if column.maximum is not None:
        out.append(
            Check(
                column.name,
                f"TRY_CAST({v} AS DOUBLE) > {column.maximum}",
                f"above the maximum of {column.maximum:g}",
            )
        )
    if column.pattern is not None:
        out.append(
            Check(
                column.name,
                f"{v} IS NOT NULL AND NOT regexp_full_match({v}, {literal(column.pattern)})",
                f"does not match the pattern {column.pattern}",
            )
        )
    return out


def code_set_problems_sql(stage: str, column: Column) -> str:
    """Rows of a ';'-separated code list column holding a code outside its list."""
    assert column.codes is not None
    code = "trim(code)"
    return (
        f"SELECT _row, {literal(column.name)} AS column_name, code AS value, "
        f"{literal('not a code of ' + column.codes.name)} AS reason FROM ("
        f"SELECT _row, unnest(string_split({cell(column.name)}, ';')) AS code "
        f"FROM {stage} WHERE {cell(column.name)} IS NOT NULL) "
        f"WHERE {canonical_code_sql(code, column.codes)} IS NULL"
    )


def problems_sql(stage: str, columns: list[Column]) -> str:
    """One query listing every problem in the staged file: _row, column_name, value, reason."""
    parts = []
    for column in columns:
        for check in checks_for(column):
            parts.append(
                f"SELECT _row, {literal(check.column)} AS column_name, "
                f"{cell(check.column)} AS value, {literal(check.reason)} AS reason "
                f"FROM {stage} WHERE {check.condition}"
            )
        if column.kind is Kind.CODE_SET:
            parts.append(code_set_problems_sql(stage, column))
    if not parts:
        return (
            "SELECT NULL::BIGINT AS _row, NULL AS column_name, NULL AS value, NULL AS reason "
            "WHERE false"
        )
    return " UNION ALL ".join(parts)
