"""The level of the default linkage model's comparison that a pair of records falls in, with the
comparison's SQL run in DuckDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from daeval.link.model import default_model


def level_of(
    comparison_name: str,
    columns: Mapping[str, str],
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    missing: Mapping[str, Any] | None = None,
) -> str:
    """The chart label of the level the pair (``left``, ``right``) falls in, or ``"null"`` for
    the null level. ``columns`` maps each column the comparison reads to its DuckDB type; a column
    a side does not give takes its value in ``missing`` (else NULL)."""
    comparison = next(
        c for c in default_model()["comparisons"] if c["output_column_name"] == comparison_name
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE p ("
        + ", ".join(f"{c}_{s} {t}" for c, t in columns.items() for s in "lr")
        + ")"
    )
    fallback = missing or {}
    values = [side.get(c, fallback.get(c)) for c in columns for side in (left, right)]
    con.execute(f"INSERT INTO p VALUES ({', '.join('?' for _ in values)})", values)
    try:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] == "ELSE":
                return level["label_for_charts"]
            sql = f"SELECT coalesce(({level['sql_condition']}), false) FROM p"
            if con.execute(sql).fetchone()[0]:
                return "null" if level.get("is_null_level") else level["label_for_charts"]
    finally:
        con.close()
    raise AssertionError(f"no level of {comparison_name} holds")
