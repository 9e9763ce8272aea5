"""Evaluate a SQL expression of one text column over a list of values, in DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb


def evaluated(expression: Callable[[str], str], values: Sequence[str | None]) -> list[Any]:
    """``expression(column)`` evaluated on each of ``values``, in their order."""
    con = duckdb.connect()
    # One statement for every value (executemany would run one INSERT each).
    con.execute(
        "CREATE TABLE v AS SELECT unnest(?::INTEGER[]) AS i, unnest(?::VARCHAR[]) AS x",
        [list(range(len(values))), list(values)],
    )
    rows = con.execute(f"SELECT {expression('x')} FROM v ORDER BY i").fetchall()
    con.close()
    return [r[0] for r in rows]
