"""Evaluate a SQL expression of one text column over a list of values, in DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb


def evaluated(expression: Callable[[str], str], values: Sequence[str | None]) -> list[Any]:
    """``expression(column)`` evaluated on each of ``values``, in their order."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
    rows = con.execute(f"SELECT {expression('x')} FROM v ORDER BY i").fetchall()
    con.close()
    return [r[0] for r in rows]
