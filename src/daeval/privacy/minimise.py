"""Data minimisation of direct identifiers: what is kept of a date of birth and a postcode.

Practice follows liiatools' degrade step (dates of birth to the first of the month, postcodes to
their sector), so that the warehouse never holds an exact date of birth or a full postcode.
"""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])[A-Z]{2}$")


def postcode_sector(postcode: str | None) -> str | None:
    """The postcode sector ('FY1 2AB' -> 'FY1 2'), or None when the text is not a full postcode."""
    if postcode is None:
        return None
    match = _POSTCODE.match(re.sub(r"\s+", "", postcode.upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


def _postcode_parts_sql(column: str, inward: str) -> str:
    # Once the compact text matches a whole postcode, its last three characters are the inward
    # code and the rest the outward code, so one regular expression does.
    compact = f"regexp_replace(upper({column}), '\\s+', '', 'g')"
    pattern = "[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"
    return (
        f"CASE WHEN regexp_full_match({compact}, '{pattern}') "
        f"THEN left({compact}, length({compact}) - 3) || ' ' || {inward.format(f'right({compact}, 3)')} END"
    )


def postcode_sector_sql(column: str) -> str:
    """SQL (DuckDB) for :func:`postcode_sector` applied to ``column``."""
    return _postcode_parts_sql(column, "left({}, 1)")


def postcode_sql(column: str) -> str:
    """SQL (DuckDB) for a full postcode written the one way ('fy12ab' -> 'FY1 2AB'), or NULL.

    For linkage only: the full postcode stays in the staging area and never reaches the warehouse.
    """
    return _postcode_parts_sql(column, "{}")


def birth_month_sql(date_expression: str) -> str:
    """SQL for the first day of the month of a date of birth."""
    return f"CAST(date_trunc('month', {date_expression}) AS DATE)"
