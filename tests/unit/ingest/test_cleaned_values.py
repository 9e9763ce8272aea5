"""A staged value is trimmed of spaces at either end, and an empty one is missing."""

from __future__ import annotations

import duckdb

from daeval.ingest.rules import cleaned

CASES = [
    (" a ", "a"),
    ("a  ", "a"),
    ("  a", "a"),
    ("a", "a"),
    ("a b", "a b"),
    (" a b ", "a b"),
    ("", None),
    ("   ", None),
    (None, None),
    ("\ta\t", "\ta\t"),  # only spaces are trimmed, as DuckDB's trim() does
    ("é ", "é"),
]


def test_values_are_trimmed_and_empty_ones_missing():
    con = duckdb.connect()
    con.execute("CREATE TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(c for c, _ in CASES)))
    got = con.execute(f"SELECT {cleaned('x')} FROM v ORDER BY i").fetchall()
    assert [g[0] for g in got] == [want for _, want in CASES]
