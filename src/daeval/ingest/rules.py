"""Validation rules derived from the canonical model, written as SQL over a staged file.

A staged file is a table of text columns plus ``_rid`` (the staged row), ``_line`` (where the row
stands in its file; several rows may share one, as a REDCap record row gives one row per answer)
and ``_problem`` (a reader's note, or NULL). Each rule yields violations: ``_rid``, ``_line``, column, rule
name and the offending value. Rules are set-based: one query per rule and column, no Python loop
over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from daeval.model import Column, Kind, Table, la_codes
from daeval.model.codes import INSTRUMENT, CodeList
from daeval.model.tables import EARLIEST_DATE, number_text

INTEGER_PATTERN = r"^[+-]?[0-9]+$"
DATE_FORMAT = "%Y-%m-%d"
DATE_SHAPE = "____-__-__"
"""A date's text is ten characters with dashes in fifth and eighth place (a LIKE pattern).

``TRY_STRPTIME`` with ``DATE_FORMAT`` also takes a month or day of one digit (``2010-1-5``) and
white space at either end; with this shape it takes only four digits, two and two. (A year of
fewer than four digits behind white space, such as a tab and ``201-01-05``, still fits the
shape, but is before ``EARLIEST_DATE``.) LIKE is much cheaper than a regular expression."""
READER_RULE_NAME = "reader"  # a problem the reader found, reason in _problem


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cleaned(expression: str) -> str:
    """SQL of a text value as staged: trimmed, with an empty value read as missing.

    ``expression`` is a column: it is read more than once. Most values have no space at either
    end, and testing for one is cheaper than trimming every value.
    """
    e = expression
    return (
        f"CASE WHEN prefix({e}, ' ') OR suffix({e}, ' ') THEN NULLIF(trim({e}), '') "
        f"ELSE NULLIF({e}, '') END"
    )


def cell(column: str) -> str:
    """A staged cell (staging has already trimmed it and read an empty one as missing)."""
    return quote(column)


def date_sql(column: str) -> str:
    """SQL of a staged date as a DATE: NULL unless it is written YYYY-MM-DD and is a real day."""
    v = cell(column)
    return (
        f"CASE WHEN {v} LIKE '{DATE_SHAPE}' THEN "
        f"TRY_CAST(TRY_STRPTIME({v}, '{DATE_FORMAT}') AS DATE) END"
    )


def canonical_code_sql(expression: str, codes: CodeList) -> str:
    """SQL giving the canonical spelling of a code (matched case-insensitively), NULL if unknown."""
    whens = " ".join(
        f"WHEN {literal(code.casefold())} THEN {literal(code)}" for code in codes.codes
    )
    return f"(CASE WHEN {expression} IN ({_spellings(codes)}) THEN {expression} ELSE CASE lower({expression}) {whens} END END)"


def _spellings(codes: CodeList) -> str:
    return ", ".join(literal(code) for code in codes.codes)


def not_a_code_sql(expression: str, codes: CodeList) -> str:
    """SQL true for a present value that is no code of ``codes`` in any letter case."""
    folded = ", ".join(literal(code.casefold()) for code in codes.codes)
    return (
        f"{expression} IS NOT NULL AND {expression} NOT IN ({_spellings(codes)}) "
        f"AND lower({expression}) NOT IN ({folded})"
    )


def not_an_la_code_sql(expression: str) -> str:
    """SQL true for a present value that is no local authority code: neither three digits nor
    a shipped ONS code (``daeval.model.la_codes``). ``expression`` is a column: it is read more
    than once; a three-digit value, the usual one, is never compared with the ONS codes. The
    ONS codes are a subquery, which DuckDB looks values up in by hash: ten times faster than a
    list of 371 constants, which it compares one by one."""
    e = expression
    ons = ", ".join(f"({literal(code)})" for code in la_codes.authorities())
    return (
        f"{e} IS NOT NULL AND CASE WHEN length({e}) = 3 "
        f"THEN NOT regexp_full_match({e}, '{la_codes.DFE_SHAPE}') "
        f"ELSE {e} NOT IN (SELECT code FROM (VALUES {ons}) AS ons(code)) END"
    )


@dataclass(frozen=True)
class Rule:
    """A named check on one column: ``condition`` is true for a row that breaks it."""

    name: str
    column: str | None
    condition: str
    reason: str


def column_rules(column: Column) -> list[Rule]:
    """The rules a staged value of ``column`` must pass on its own."""
    v, name = cell(column.name), column.name
    rules: list[Rule] = []
    if column.required:
        rules.append(Rule("required", name, f"{v} IS NULL", "required value is missing"))
    if column.kind is Kind.DATE:
        rules.append(
            Rule(
                "type_date",
                name,
                f"{v} IS NOT NULL AND {date_sql(name)} IS NULL",
                "not a date in the form YYYY-MM-DD",
            )
        )
        earliest = EARLIEST_DATE.isoformat()
        rules.append(
            Rule(
                "earliest_date",
                name,
                f"{v} < '{earliest}' AND {date_sql(name)} IS NOT NULL",
                f"before {earliest}, the earliest date accepted",
            )
        )
    elif column.kind is Kind.INTEGER:
        rules.append(
            Rule(
                "type_integer",
                name,
                f"{v} IS NOT NULL AND NOT regexp_full_match({v}, '{INTEGER_PATTERN}')",
                "not a whole number",
            )
        )
    elif column.kind is Kind.DECIMAL:
        # DuckDB reads "NaN", "inf" and "-Infinity" as numbers; none is an amount or a score.
        rules.append(
            Rule(
                "type_number",
                name,
                f"{v} IS NOT NULL AND NOT coalesce(isfinite(TRY_CAST({v} AS DOUBLE)), false)",
                "not a finite number",
            )
        )
    elif column.kind is Kind.CODE:
        assert column.codes is not None
        rules.append(
            Rule(
                "code_list",
                name,
                not_a_code_sql(v, column.codes),
                f"not a code of {column.codes.name} ({', '.join(column.codes.codes)})",
            )
        )
    number = f"TRY_CAST({v} AS DOUBLE)"
    # A number that is not finite has broken the type rule already (a whole number too long
    # for a double reads as infinity, and is above any maximum).
    finite = f" AND isfinite({number})" if column.kind is Kind.DECIMAL else ""
    if column.minimum is not None:
        rules.append(
            Rule(
                "minimum",
                name,
                f"{number} < {column.minimum!r}{finite}",
                f"below the minimum of {number_text(column.minimum)}",
            )
        )
    if column.maximum is not None:
        rules.append(
            Rule(
                "maximum",
                name,
                f"{number} > {column.maximum!r}{finite}",
                f"above the maximum of {number_text(column.maximum)}",
            )
        )
    if column.pattern == la_codes.LA_CODE_PATTERN:
        rules.append(Rule("pattern", name, not_an_la_code_sql(v), la_codes.REASON))
    elif column.pattern is not None:
        rules.append(
            Rule(
                "pattern",
                name,
                f"{v} IS NOT NULL AND NOT regexp_full_match({v}, {literal(column.pattern)})",
                f"does not match the pattern {column.pattern}",
            )
        )
    return rules


def table_rules(table: Table, present: set[str], today: str) -> list[Rule]:
    """Rules across columns of one row: date order and dates in the future.

    Dates in the contract's form compare as text in date order: the text is compared first, and
    only a row whose text breaks the rule has its dates read (a date not in that form has
    broken the type rule already).
    """
    rules = []
    for first, second in table.date_order:
        if first in present and second in present:
            rules.append(
                Rule(
                    "date_order",
                    second,
                    f"{cell(second)} < {cell(first)} AND {date_sql(second)} IS NOT NULL "
                    f"AND {date_sql(first)} IS NOT NULL",
                    f"earlier than {first}",
                )
            )
    for name in table.not_in_future:
        if name in present:
            rules.append(
                Rule(
                    "future_date",
                    name,
                    f"{cell(name)} > {literal(today)} AND {date_sql(name)} IS NOT NULL",
                    "in the future",
                )
            )
    return rules


def _violation_struct(rule: Rule) -> str:
    column = "NULL::VARCHAR" if rule.column is None else literal(rule.column)
    value = "NULL::VARCHAR" if rule.column is None else cell(rule.column)
    reason = "_problem" if rule.name == READER_RULE_NAME else literal(rule.reason)
    return (
        f"CASE WHEN {rule.condition} THEN {{'column_name': {column}, 'rule': {literal(rule.name)}, "
        f"'reason': {reason}, 'value': {value}}} END"
    )


def single_scan_violations(stage: str, rules: list[Rule]) -> str:
    """Every violation of ``rules`` in one pass over the staged rows."""
    structs = ", ".join(_violation_struct(r) for r in rules)
    # Most rows break no rule: a plain predicate finds the others before any detail is built.
    broken = " OR ".join(f"({r.condition})" for r in rules)
    return (
        f"SELECT _rid, _line, v.column_name, v.rule, v.reason, v.value FROM ("
        f"SELECT _rid, _line, unnest(list_filter([{structs}], lambda x: x IS NOT NULL)) AS v "
        f"FROM {stage} WHERE {broken})"
    )


def code_set_violations(stage: str, column: Column) -> str:
    """Rows of a ';'-separated code list column holding a code outside its list."""
    assert column.codes is not None
    return (
        f"SELECT _rid, _line, {literal(column.name)} AS column_name, 'code_set' AS rule, "
        f"{literal('not a code of ' + column.codes.name)} AS reason, code AS value FROM ("
        f"SELECT _rid, _line, trim(unnest(string_split({cell(column.name)}, ';'))) AS code "
        f"FROM {stage} WHERE {cell(column.name)} IS NOT NULL) "
        f"WHERE {not_a_code_sql('code', column.codes)}"
    )


def duplicate_violations(stage: str, table: Table) -> str | None:
    """Rows repeating the key of an earlier row of the same file (the first is kept)."""
    if not table.key:
        return None
    keys = [f"k{i}" for i in range(len(table.key))]
    named = ", ".join(f"{cell(k)} AS {n}" for k, n in zip(table.key, keys, strict=True))
    match = " AND ".join(f"s.{n} IS NOT DISTINCT FROM d.{n}" for n in keys)
    hashed = f"hash({', '.join(cell(k) for k in table.key)})"
    # Most keys are unique: the hashes of the keys, numbers, are sorted and a hash equal to the
    # one before it marks a possible repeat (sorting millions of numbers is several times faster
    # than grouping them); only rows whose hash repeats are grouped by the key itself, so two
    # keys sharing a hash are still told apart.
    return (
        f"SELECT * FROM (WITH repeated AS (SELECT DISTINCT h FROM (SELECT h, lag(h) OVER "
        f"(ORDER BY h) AS before FROM (SELECT {hashed} AS h FROM {stage})) WHERE h = before), "
        f"candidates AS (SELECT _rid, _line, {named} FROM {stage} "
        f"WHERE {hashed} IN (SELECT h FROM repeated)), firsts AS (SELECT {', '.join(keys)}, "
        "min(_rid) AS first FROM candidates GROUP BY ALL HAVING count(*) > 1) "
        f"SELECT s._rid, s._line, {literal(table.key[-1])} AS column_name, "
        f"'duplicate_key' AS rule, "
        f"{literal('repeats the key (' + ', '.join(table.key) + ') of an earlier row')} AS reason, "
        "NULL AS value FROM candidates AS s JOIN firsts AS d ON "
        f"{match} AND s._rid > d.first)"
    )


def answer_violations(stage: str) -> str:
    """Questionnaire answers the instrument cannot take: an item it does not have, or a value
    outside its answers (for a licensed tool's score, outside the score's range). Answers to an
    instrument that is not a code of the registry are left to the code-list rule."""
    from daeval.instruments.library import builtin_library

    rows = []
    for code, instrument in builtin_library().items():
        if instrument.score_only is not None:
            for name, (low, high) in instrument.score_only.ranges.items():
                top = "NULL" if high is None else f"{high!r}"
                rows.append(f"({literal(code)}, {literal(name)}, NULL, {low!r}, {top})")
            continue
        assert instrument.items and instrument.responses
        answers = ", ".join(f"{v!r}" for v in instrument.responses.values)
        items = [str(i) for i in range(1, instrument.items.count + 1)]
        rows += [f"({literal(code)}, {literal(i)}, [{answers}], NULL, NULL)" for i in items]
        for name, values in instrument.recorded.items():
            listed = ", ".join(f"{v!r}" for v in values)
            rows.append(f"({literal(code)}, {literal(name)}, [{listed}], NULL, NULL)")
    code = canonical_code_sql(cell("instrument"), INSTRUMENT)
    allowed = (
        "(a.answers IS NOT NULL AND list_contains(a.answers::DOUBLE[], s._value)) OR "
        "(a.answers IS NULL AND s._value >= a.low AND (a.high IS NULL OR s._value <= a.high))"
    )
    staged = (
        f"SELECT _rid, _line, {code} AS _instrument, {cell('item')} AS _item, "
        f"TRY_CAST({cell('value')} AS DOUBLE) AS _value, {cell('value')} AS _text FROM {stage}"
    )
    return (
        "SELECT s._rid, s._line, CASE WHEN a.item IS NULL THEN 'item' ELSE 'value' END AS "
        "column_name, 'instrument_answer' AS rule, CASE WHEN a.item IS NULL THEN "
        "'not an item of ' || s._instrument ELSE 'not an answer ' || s._instrument || ' item ' "
        "|| a.item || ' can take' END AS reason, CASE WHEN a.item IS NULL THEN s._item "
        f"ELSE s._text END AS value FROM ({staged}) AS s "
        f"LEFT JOIN (VALUES {', '.join(rows)}) AS a(instrument, item, answers, low, high) "
        "ON s._instrument = a.instrument AND s._item = a.item "
        f"WHERE s._instrument IS NOT NULL AND s._value IS NOT NULL AND (a.item IS NULL OR NOT ({allowed}))"
    )


def row_violations_sql(stage: str, table: Table, present: set[str], today: str) -> str:
    """Every violation of the row-level rules in a staged file, as one query."""
    rules = [Rule(READER_RULE_NAME, None, "_problem IS NOT NULL", "")]
    parts = []
    for column in table.columns:
        if column.name not in present:
            continue
        rules += column_rules(column)
        if column.kind is Kind.CODE_SET:
            parts.append(code_set_violations(stage, column))
    rules += table_rules(table, present, today)
    parts.insert(0, single_scan_violations(stage, rules))
    if table.name == "measure_responses" and {"instrument", "item", "value"} <= present:
        parts.append(answer_violations(stage))
    duplicates = duplicate_violations(stage, table)
    if duplicates:
        parts.append(duplicates)
    return " UNION ALL ".join(parts)
