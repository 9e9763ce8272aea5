"""The suite's own scheduling: tests that share a costly fixture (the demo, a Spark session) carry
one ``xdist_group`` and must run on one worker, which builds the fixture once (docs/testing.md).
pytest 9 with pytest-xdist 3.8 ignored the groups, and every worker built every fixture."""

from __future__ import annotations

import subprocess
import sys

GROUPED = """
import os

import pytest

pytestmark = pytest.mark.xdist_group("shared")


@pytest.mark.parametrize("i", range(6))
def test_worker(i):
    with open(os.environ["WORKERS_FILE"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_a_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    workers = tmp_path / "workers.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null",
         str(tmp_path / "test_grouped.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"WORKERS_FILE": str(workers), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ran_on = workers.read_text().split()
    assert len(ran_on) == 6
    assert len(set(ran_on)) == 1, ran_on
