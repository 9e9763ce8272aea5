"""Changing a DuckDB file all at once: work on a copy, then put the copy in its place.

Ingest writes table after table, each in its own statements, so a file that cannot be read can
fail without undoing the others. The warehouse must still change all at once or not at all: the
work is done on a copy in the run's scratch folder, which replaces the original (an atomic rename
on the same file system) only when the run succeeds. A failed run's copy goes with its scratch
folder; a killed run's stays there until the next run removes the folder.

The copy, and so the file it becomes, is readable by its owner only, whatever the original's
mode (``daeval.warehouse.modes``).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from daeval.warehouse.modes import FILE_MODE, FOLDER_MODE
from daeval.warehouse.store import connect_file

KILL_AFTER_ENV = "DAEVAL_TEST_KILL_AFTER_REPLACING"
"""For tests of what a crash leaves: the name of a file after whose replacement the process kills
itself (SIGKILL), as a power cut or the out-of-memory killer would."""


def _settle(path: Path) -> None:
    """Fold the write-ahead log of a closed DuckDB file into the file itself."""
    if Path(f"{path}.wal").exists():
        duckdb.connect(str(path)).close()


@contextmanager
def working_copy(path: Path, folder: Path, keep: bool = True) -> Iterator[Path]:
    """A copy of the DuckDB file ``path`` in ``folder`` (a new file's path when ``path`` does not
    exist), which replaces ``path`` when the block ends without error and ``keep`` is true.

    The original is held open while the block runs, so no other process writes to it meanwhile.
    Every connection to the copy must be closed before the block ends.
    """
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    copy = folder / path.name
    guard = None
    try:
        if path.exists():
            guard = connect_file(path)
            guard.execute("CHECKPOINT")
            # Copied by another process: closing a file descriptor of the original here would
            # drop the lock the guard holds on it (POSIX record locks belong to the process).
            subprocess.run(["cp", "-p", str(path), str(copy)], check=True)
            copy.chmod(FILE_MODE)
        yield copy
        if keep and copy.exists():
            _settle(copy)
            copy.chmod(FILE_MODE)
            path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            os.replace(copy, path)
            if os.environ.get(KILL_AFTER_ENV) == path.name:
                os.kill(os.getpid(), signal.SIGKILL)
    finally:
        if guard is not None:
            guard.close()
