"""Paths the user names for a command to write: checked before any work, and written whole.

Every command that writes where its command line says (``score --out``, ``--problems`` and
``--change``; ``synth DIR``; ``design ... --chart``; ``study questions|partners`` and ``readiness
--out``; ``toc render --out DIR``; ``init DIR``) goes through here, so that:

- an existing file is replaced only with ``--force``;
- a file the command reads is never written over, not even with ``--force``: the same path once
  both are resolved (symbolic links followed), or the same file under another name (a hard link;
  ``os.path.samefile``);
- two outputs of one run that are the same file are refused;
- a folder where a file is wanted, or a file where a folder is wanted, is one line, not a
  traceback;
- a file is written whole (:mod:`daeval.whole_files`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from daeval.errors import OutputPathError


def same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` are one file: the same path once resolved, or the same inode."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(
    outputs: Mapping[str, Path | None] | Iterable[tuple[str, Path | None]],
    *,
    inputs: Iterable[Path | None] = (),
    force: bool = False,
) -> None:
    """Refuse, before any work is done, files that must not be written.

    ``outputs`` maps what names each file on the command line (``--out``) to the file (None: not
    asked for); ``inputs`` are the files the command reads.
    """
    pairs = outputs.items() if isinstance(outputs, Mapping) else outputs
    given = [(what, path) for what, path in pairs if path is not None]
    read = [path for path in inputs if path is not None]
    for i, (what, path) in enumerate(given):
        for source in read:
            if same_file(path, source):
                raise OutputPathError(
                    f"{what} {path}: is the file this command reads ({source}); write elsewhere "
                    "(not even --force writes over an input)"
                )
        for other, earlier in given[:i]:
            if same_file(path, earlier):
                raise OutputPathError(
                    f"{what} {path}: is also {other}; give each output its own file"
                )
        if path.is_dir():
            raise OutputPathError(f"{what} {path}: is a folder; give a file name in it")
        check_is_folder(what, path.parent)
        if (path.exists() or path.is_symlink()) and not force:
            raise OutputPathError(
                f"{what} {path}: already exists; choose a new file, or add --force to replace it"
            )


def check_is_folder(what: str, folder: Path) -> None:
    """Refuse a folder to write into (made when missing) that is a file, or inside one."""
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{what} {folder}: is a file, not a folder; give a folder")
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputPathError(
            f"{what} {folder}: {parent} is a file, not a folder; give a path inside a folder"
        )


def check_folder(
    what: str,
    folder: Path,
    *,
    force: bool = False,
    own: Callable[[Path], bool] | None = None,
) -> None:
    """Refuse a folder to write into that is a file, or that holds files while ``force`` is not
    given, unless ``own(folder)`` says the command wrote them itself (and may write them again).
    """
    check_is_folder(what, folder)
    if not folder.is_dir() or force or (own is not None and own(folder)):
        return
    held = [p.name for p in folder.iterdir()]
    if held:
        shown = ", ".join(sorted(held)[:3]) + (", …" if len(held) > 3 else "")
        raise OutputPathError(
            f"{what} {folder}: already holds {shown}; choose a new or empty folder, or add "
            "--force to write into it (files of the same names are replaced)"
        )
