"""A killed ingest leaves the warehouse exactly as it was (or, if it got as far, fully loaded)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest.load import ingest_folder
from daeval.warehouse import Workspace


def fingerprint(path: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        if table == "workspace_marks":  # a new generation every run
            continue
        out[table] = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" AS t').fetchall()[0]
    con.close()
    return out


def start_ingest(data: Path, ws: Path) -> subprocess.Popen:
    env = {**os.environ, "DAEVAL_KEY": TEST_KEY.decode()}
    return subprocess.Popen(
        [sys.executable, "-m", "daeval", "ingest", str(data), "--workspace", str(ws)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


@pytest.mark.slow
def test_killing_the_process_at_any_moment_never_leaves_a_partial_load(tmp_path, synthetic_folder):
    first, second = tmp_path / "first", synthetic_folder
    write_table(first, "people", "source | person_id | sex\ncsc | c1 | F\npolice | p1 | M")
    write_table(
        first,
        "csc_referrals",
        "referral_id | child_id | la_code | referral_date\nr1 | c1 | 990 | 2016-01-01",
    )

    # The two states the warehouse may be in: before the second ingest, and after it.
    reference = Workspace(tmp_path / "reference")
    ingest_folder(first, reference, TEST_KEY)
    before = fingerprint(reference.warehouse_path)
    ingest_folder(second, reference, TEST_KEY)
    after = fingerprint(reference.warehouse_path)
    assert before != after

    began = time.perf_counter()
    ws = tmp_path / "timed"
    ingest_folder(first, Workspace(ws), TEST_KEY)
    assert start_ingest(second, ws).wait(timeout=300) == 0
    duration = time.perf_counter() - began

    killed = 0
    for share in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        ws = tmp_path / f"killed_{share}"
        ingest_folder(first, Workspace(ws), TEST_KEY)
        process = start_ingest(second, ws)
        time.sleep(duration * share)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=60)
        seen = fingerprint(ws / "warehouse.duckdb")
        assert seen in (before, after), (
            share,
            {t: (v, before.get(t), after.get(t)) for t, v in seen.items() if v != before.get(t)},
        )
    assert killed >= 3
    # A killed run cannot remove its spill folder (staged names and dates of birth); the next does.
    left = {p.parent for p in tmp_path.glob("killed_*/scratch-*")}
    assert left, "no killed run left a scratch folder to test with"
    for ws in left:
        ingest_folder(first, Workspace(ws), TEST_KEY)
        assert list(ws.glob("scratch-*")) == []
