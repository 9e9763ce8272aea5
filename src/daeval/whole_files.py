"""Files written whole: to a temporary file beside the target, renamed over it once complete
(``os.replace``: on one file system the rename is atomic, POSIX rename(2)), so a failure or a killed
process leaves the old file or none, never half of one. Used by every part of daeval that writes a
file a person names or reads (the command line's outputs, synthetic tables, drawings)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from daeval.errors import OutputPathError

TEMPORARY_PREFIX = ".daeval-"
"""Temporary files start with this (and end with the target's name, so its suffix is kept)."""


def _mode(path: Path) -> int:
    """The permissions a replacement gets: the old file's, else what the umask leaves."""
    if path.is_file() and not path.is_symlink():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def temporary_beside(path: Path) -> Path:
    """A new empty temporary file in ``path``'s folder (made when missing), named after it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=TEMPORARY_PREFIX, suffix=f"-{path.name}", dir=path.parent
        )
    except OSError as exc:
        raise OutputPathError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    os.close(fd)
    return Path(name)


def put_in_place(temporary: Path, path: Path) -> None:
    """Rename ``temporary`` (from :func:`temporary_beside`) over ``path``."""
    os.chmod(temporary, _mode(path))
    os.replace(temporary, path)


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to: renamed over ``path`` when the block ends
    without an error, removed when it does not."""
    temporary = temporary_beside(path)
    try:
        yield temporary
        put_in_place(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputPathError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
