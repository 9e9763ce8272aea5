"""A DuckDB file another process is writing to is named, with that process, not a DuckDB traceback."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from daeval.errors import WorkspaceError
from daeval.warehouse.store import connect_file


def test_opening_a_file_another_process_holds_names_it_and_the_process(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    hold = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('holding', flush=True)\ntime.sleep(60)\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for read_only in (False, True):
            with pytest.raises(WorkspaceError, match=rf"in use by .* \(process {holder.pid}\)"):
                connect_file(path, read_only=read_only)
    finally:
        holder.kill()
        holder.communicate()
    connect_file(path, read_only=True).close()  # free again once the process has gone


def test_other_errors_are_left_to_duckdb(tmp_path):
    path = tmp_path / "not-a-database.duckdb"
    path.write_text("plain text, not a DuckDB file")
    with pytest.raises(duckdb.Error):
        connect_file(path)
