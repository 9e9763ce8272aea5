"""Data minimisation of direct identifiers: what is kept of a date of birth and a postcode.

Practice follows liiatools' degrade step (dates of birth to the first of the month, postcodes to
their sector), so that the warehouse never holds an exact date of birth or a full postcode.
"""

from __future__ import annotations

import re

_SPACE = r"[ \t\n\r\f]*"
POSTCODE_PATTERN = rf"^{_SPACE}([A-Z]{{1,2}}[0-9][A-Z0-9]?){_SPACE}([0-9][A-Z]{{2}}){_SPACE}$"
"""A whole postcode in capitals: the outward code, then the inward code (a digit and two
letters), with or without white space around or between them. The same pattern serves Python
and DuckDB (RE2), so both forms read a postcode alike."""
_POSTCODE = re.compile(POSTCODE_PATTERN)


def postcode_sector(postcode: str | None) -> str | None:
    """The postcode sector ('FY1 2AB' -> 'FY1 2'), or None when the text is not a full postcode."""
    if postcode is None:
        return None
    match = _POSTCODE.match(postcode.upper())
    return f"{match.group(1)} {match.group(2)[0]}" if match else None


def _postcode_parts_sql(column: str, inward: str) -> str:
    # One regular expression splits the outward and inward codes; a text that is no postcode
    # gives empty parts. Read once, its parts are shared by the rest of the expression.
    parts = f"regexp_extract(upper({column}), '{POSTCODE_PATTERN}', ['outward', 'inward'])"
    return (
        f"CASE WHEN ({parts}).outward <> '' "
        f"THEN ({parts}).outward || ' ' || {inward.format(f'({parts}).inward')} END"
    )


def postcode_sector_sql(column: str) -> str:
    """SQL (DuckDB) for :func:`postcode_sector` applied to ``column``."""
    return _postcode_parts_sql(column, "left({}, 1)")


def postcode_sql(column: str) -> str:
    """SQL (DuckDB) for a full postcode written the one way ('fy12ab' -> 'FY1 2AB'), or NULL.

    For linkage only: the full postcode stays in the staging area and never reaches the warehouse.
    """
    return _postcode_parts_sql(column, "{}")


def is_postcode_sql(column: str) -> str:
    """SQL (DuckDB) true when ``column`` holds a whole postcode (:func:`postcode_sql` is not NULL).

    A match without its parts: cheaper, where rows are only to be chosen.
    """
    return f"regexp_full_match(upper({column}), '{POSTCODE_PATTERN}')"


def birth_month_sql(date_expression: str) -> str:
    """SQL for the first day of the month of a date of birth."""
    return f"CAST(date_trunc('month', {date_expression}) AS DATE)"
