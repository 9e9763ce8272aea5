"""Files a command is told to read (``score RESPONSES.csv``, ``--settings``, ``--truth``,
``--model``): checked before any work is done, and refused in one line naming the file, the
option and what to do, with exit code 11 (a file that cannot be used)."""

from __future__ import annotations

import os
from pathlib import Path

from daeval.errors import UnusableFileError


def check_readable(path: Path, option: str, wanted: str) -> None:
    """Refuse ``path`` (given as ``option``, a ``wanted`` file) when it is missing, a folder, or
    a file its user cannot read."""
    if not path.exists():
        problem = "no such file"
    elif path.is_dir():
        problem = "a folder, not a file"
    elif not os.access(path, os.R_OK):
        problem = f"cannot be read (permission denied; `chmod u+r {path}` if it is yours)"
    else:
        return
    raise UnusableFileError(f"{option} {path}: {problem}; give {wanted}")
