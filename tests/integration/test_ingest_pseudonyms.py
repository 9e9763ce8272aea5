"""Pseudonyms made by compiled code (large files) and by SQL (small ones) give the same warehouse."""

from __future__ import annotations

import duckdb
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest import load
from daeval.ingest.linkage_features import STAGING_FILE
from daeval.ingest.load import ingest_folder
from daeval.privacy.pseudonyms import pseudonym
from daeval.synth import generate
from daeval.warehouse import Workspace

COMPILED, SQL = 0, 10**12
"""FAST_PSEUDONYMS_FROM for a run where every file, or none, is pseudonymised by compiled code."""


def fingerprint(path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        if table in ("loads", "workspace_marks", "staging_generation"):  # differ by run
            continue
        out[table] = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" AS t').fetchone()
    con.close()
    return out


def test_both_ways_give_the_same_warehouse_and_linkage_features(tmp_path, monkeypatch):
    data = tmp_path / "data"
    generate(data, scale=0.3, seed=5)
    registered, real = [], load.register_pseudonyms

    def register(con, key):  # the real registration, noted
        registered.append(real(con, key))
        return registered[-1]

    monkeypatch.setattr(load, "register_pseudonyms", register)
    seen = []
    for threshold in (COMPILED, SQL):
        monkeypatch.setattr(load, "FAST_PSEUDONYMS_FROM", threshold)
        ws = Workspace(tmp_path / f"ws_{threshold}")
        ingest_folder(data, ws, TEST_KEY)
        seen.append((fingerprint(ws.warehouse_path), fingerprint(ws.staging / STAGING_FILE)))
    assert registered == [True]  # the first run used compiled code; the second, SQL only
    assert seen[0] == seen[1]
    warehouse, staging = seen[0]
    assert warehouse["people"][0] > 1000 and staging["linkage_features"][0] > 1000


@pytest.mark.parametrize("threshold", [COMPILED, SQL])
def test_references_to_rows_of_an_earlier_load_are_found_by_pseudonym(
    tmp_path, monkeypatch, threshold
):
    monkeypatch.setattr(load, "FAST_PSEUDONYMS_FROM", threshold)
    first, second = tmp_path / "first", tmp_path / "second"
    write_table(
        first,
        "police_notifications",
        "notification_id | notification_date | incident_type\nn1 | 2020-01-01 | domestic_abuse",
    )
    write_table(first, "people", "source | person_id\npolice | k1\ncsc | k2")
    write_table(
        second,
        "notification_children",
        """
        notification_id | child_id
        n1              | k1
        n1              | k2
        n7              | k1
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest_folder(first, ws, TEST_KEY)
    ingest_folder(second, ws, TEST_KEY)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    # k2 is a person of the CSC, not of the police: an id means something only in its source.
    assert con.sql("SELECT line, column_name FROM quarantine ORDER BY 1").fetchall() == [
        (2, "child_id"),
        (3, "notification_id"),
    ]
    assert con.sql("SELECT notification_id, child_id FROM notification_children").fetchall() == [
        (
            pseudonym(TEST_KEY, "record:police_notifications", "n1"),
            pseudonym(TEST_KEY, "police", "k1"),
        )
    ]
