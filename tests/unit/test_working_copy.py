"""A DuckDB file changed through a working copy changes all at once, or not at all."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from daeval.warehouse.working_copy import working_copy


def _rows(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM t ORDER BY 1").fetchall()
    finally:
        con.close()


@pytest.fixture
def original(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    return path


def _add(path, value: int, checkpoint: bool = True) -> None:
    con = duckdb.connect(str(path))
    if not checkpoint:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute(f"INSERT INTO t VALUES ({value})")
    con.close()


def test_the_copy_replaces_the_file_when_the_block_succeeds(original, tmp_path):
    with working_copy(original, tmp_path / "scratch") as copy:
        assert copy != original and _rows(copy) == [(1,)]
        _add(copy, 2)
    assert _rows(original) == [(1,), (2,)]
    assert not copy.exists()


def test_a_failure_or_a_dry_run_leaves_the_file_as_it_was(original, tmp_path):
    with pytest.raises(RuntimeError), working_copy(original, tmp_path / "a") as copy:
        _add(copy, 2)
        raise RuntimeError("stop")
    assert _rows(original) == [(1,)]
    with working_copy(original, tmp_path / "b", keep=False) as copy:
        _add(copy, 3)
    assert _rows(original) == [(1,)]


def test_changes_still_in_the_write_ahead_log_are_kept(original, tmp_path):
    with working_copy(original, tmp_path / "scratch") as copy:
        _add(copy, 2, checkpoint=False)
        assert (tmp_path / "scratch" / "w.duckdb.wal").exists()
    assert _rows(original) == [(1,), (2,)]
    assert not (tmp_path / "w.duckdb.wal").exists()


def test_a_file_that_did_not_exist_is_created_only_on_success(tmp_path):
    path = tmp_path / "new" / "n.duckdb"
    with pytest.raises(RuntimeError), working_copy(path, tmp_path / "a") as copy:
        assert not copy.exists()
        con = duckdb.connect(str(copy))
        con.execute("CREATE TABLE t AS SELECT 5 AS x")
        con.close()
        raise RuntimeError("stop")
    assert not path.exists()
    with working_copy(path, tmp_path / "b") as copy:
        con = duckdb.connect(str(copy))
        con.execute("CREATE TABLE t AS SELECT 5 AS x")
        con.close()
    assert _rows(path) == [(5,)]


def test_no_other_process_can_write_to_the_file_meanwhile(original, tmp_path):
    probe = (
        "import duckdb, sys\n"
        "try:\n    duckdb.connect(sys.argv[1]).execute('INSERT INTO t VALUES (9)')\n"
        "except duckdb.IOException as exc:\n    print('locked' if 'lock' in str(exc) else exc)\n"
    )
    with working_copy(original, tmp_path / "scratch"):
        out = subprocess.run(
            [sys.executable, "-c", probe, str(original)], capture_output=True, text=True
        )
    assert out.stdout.strip() == "locked", out.stdout + out.stderr
    assert _rows(original) == [(1,)]


def test_the_file_is_owner_only_whatever_the_original_or_the_umask(original, tmp_path):
    original.chmod(0o644)
    with working_copy(original, tmp_path / "a") as copy:
        _add(copy, 2)
    assert original.stat().st_mode & 0o777 == 0o600
    previous = os.umask(0o022)
    try:
        path = tmp_path / "new" / "n.duckdb"
        with working_copy(path, tmp_path / "b") as copy:
            duckdb.connect(str(copy)).close()
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
