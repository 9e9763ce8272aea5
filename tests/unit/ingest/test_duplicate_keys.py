"""Repeated keys within one file: every repeat after the first is found, and nothing else."""

from __future__ import annotations

import itertools
import random

import duckdb

from daeval.ingest.rules import duplicate_violations
from daeval.model import TABLES


def staged(rows: list[tuple[str | None, str | None]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (notification_id VARCHAR, child_id VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?)", rows)
    con.execute("CREATE VIEW st AS SELECT *, rowid + 1 AS _rid, rowid + 1 AS _line FROM raw")
    return con


def repeats(rows: list[tuple[str | None, str | None]]) -> list[int]:
    """Rows (1-based) whose key appeared on an earlier row, counted in Python."""
    seen, out = set(), []
    for i, key in enumerate(rows, start=1):
        if key in seen:
            out.append(i)
        seen.add(key)
    return out


def found(rows) -> list[int]:
    con = staged(rows)
    query = duplicate_violations("st", TABLES["notification_children"])
    assert query is not None
    return [r[0] for r in con.execute(f"SELECT _rid FROM ({query}) ORDER BY 1").fetchall()]


def test_repeats_after_the_first_including_missing_parts_of_a_key():
    rows = [("n1", "c1"), ("n1", "c2"), ("n1", "c1"), (None, "c1"), (None, "c1"), ("n1", None),
            ("n2", "c1"), ("n1", "c1")]  # fmt: skip
    assert found(rows) == [3, 5, 8] == repeats(rows)


def test_many_keys_agree_with_a_count_in_python():
    rng = random.Random(7)
    ids = [f"n{i}" for i in range(40)] + [None]
    children = [f"c{i}" for i in range(30)] + [None]
    rows = [(rng.choice(ids), rng.choice(children)) for _ in range(3000)]
    assert found(rows) == repeats(rows)
    distinct = list(itertools.product(ids, children))
    assert found(distinct) == []
