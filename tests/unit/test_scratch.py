"""Scratch folders of killed runs are removed by the next run; those of running ones are kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from daeval.warehouse.scratch import PREFIX, remove_orphans, scratch_folder


def dead_pid() -> int:
    """The id of a process that has just ended."""
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(out.stdout)


def test_a_folder_of_an_ended_process_goes_and_others_stay(tmp_path):
    orphan = tmp_path / f"{PREFIX}ingest-{dead_pid()}-abc"
    (orphan / "sub").mkdir(parents=True)
    (orphan / "sub" / "spill.tmp").write_text("Amelia Zanzibar 2014-07-23")
    running = tmp_path / f"{PREFIX}link-{os.getpid()}-def"
    running.mkdir()
    unrelated = tmp_path / "outputs"
    unrelated.mkdir()
    assert remove_orphans(tmp_path) == [orphan]
    assert not orphan.exists() and running.exists() and unrelated.exists()


def test_the_folder_goes_when_the_block_ends_even_on_an_error(tmp_path):
    orphan = tmp_path / f"{PREFIX}ingest-{dead_pid()}-abc"
    orphan.mkdir()
    with pytest.raises(RuntimeError), scratch_folder(tmp_path, "ingest") as folder:
        assert folder.parent == tmp_path and folder.name.startswith(
            f"{PREFIX}ingest-{os.getpid()}-"
        )
        assert not orphan.exists()
        (folder / "spill.tmp").write_text("x")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
