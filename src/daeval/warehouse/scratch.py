"""Scratch folders for DuckDB's spill files, which can hold clear identifiers while a run lasts.

Ingest stages names, dates of birth and postcodes, and linkage reads its features; beyond their
memory limit DuckDB writes them to a scratch folder. The run removes its folder when it ends, but
a killed process cannot, so each folder carries the id of the process that made it, and every run
that makes one first removes those whose process has gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "scratch-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _owner(folder: Path) -> int | None:
    """The process id in a scratch folder's name (``scratch-<purpose>-<pid>-<random>``)."""
    parts = folder.name[len(PREFIX) :].split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def remove_orphans(root: Path) -> list[Path]:
    """Remove the scratch folders in ``root`` whose process is no longer running."""
    removed = []
    for folder in sorted(root.glob(f"{PREFIX}*")):
        pid = _owner(folder)
        if folder.is_dir() and pid is not None and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def scratch_folder(root: Path | None, purpose: str) -> Iterator[Path]:
    """A new scratch folder in ``root`` (the system's temporary folder when None) for the
    block's duration; orphans of killed runs there are removed first."""
    base = Path(tempfile.gettempdir()) if root is None else root
    base.mkdir(parents=True, exist_ok=True)
    remove_orphans(base)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{purpose}-{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
