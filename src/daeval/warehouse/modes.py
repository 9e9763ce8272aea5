"""A workspace is for its owner only: its folders are made 0700 and its files 0600.

The warehouse, the staging file and the scratch folders hold pseudonyms, names, dates of birth
and full postcodes. The ``daeval`` command makes everything it writes owner-only (``umask``
077, see ``daeval.cli.app.main``); what a workspace already holds, or what a copy keeps from its
original (``cp -p``), is set here explicitly. The workspace folder itself is the user's: it is
made owner-only when daeval makes it, and otherwise only a warning says when others can open it.
"""

from __future__ import annotations

import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
OWNER_ONLY_UMASK = 0o077


def restrict(path: Path, mode: int = FILE_MODE) -> None:
    """Set ``path``'s mode to ``mode`` when it exists and belongs to this user."""
    try:
        path.chmod(mode)
    except (FileNotFoundError, PermissionError):
        pass


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner can open (made when missing)."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    restrict(path, FOLDER_MODE)
    return path


def exposure(folder: Path) -> str | None:
    """A warning when users other than the owner can open ``folder``, else None."""
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError:
        return None
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    return (
        f"the workspace {folder} can be read by other users (mode {mode:o}); "
        f"run `chmod 700 {folder}`"
    )
