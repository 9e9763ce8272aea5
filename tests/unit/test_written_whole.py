"""Files are written whole: a failure part-way leaves the file that was there before (or none),
and no temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from daeval.synth import generate
from daeval.whole_files import TEMPORARY_PREFIX, written_whole


def _left(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"{TEMPORARY_PREFIX}*"))


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    with pytest.raises(RuntimeError), written_whole(target) as temporary:
        temporary.write_text("half", encoding="utf-8")
        raise RuntimeError("the disk filled up")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert not _left(tmp_path)
    with written_whole(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.endswith("-scores.csv")
        temporary.write_text("new\n", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions
    assert not _left(tmp_path)


def test_synth_stopped_part_way_leaves_the_earlier_files(tmp_path):
    generate(tmp_path, scale=0.01, seed=0)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def stop(step: str, done: int, total: int) -> None:
        if step == "families":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path, scale=0.01, seed=1, progress=stop)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert not _left(tmp_path)
