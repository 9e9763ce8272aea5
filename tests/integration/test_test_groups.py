"""The suite's own scheduling: tests that share a costly fixture (the demo, a Spark session) carry
one ``xdist_group`` and must run on one worker, which builds the fixture once (docs/testing.md).
pytest 9 with pytest-xdist 3.8 ignored the groups, and every worker built every fixture. The two
costliest groups start on the two workers (tests/conftest.py orders the collection)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


ORDERED = """
import os

import pytest


def _log(group):
    with open(os.environ["WORKERS_FILE"], "a") as f:
        f.write(group + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")


def test_single():
    _log("single")


@pytest.mark.xdist_group("demo")
def test_demo():
    _log("demo")


@pytest.mark.parametrize("i", range(3))
@pytest.mark.xdist_group("synth_scale_one")
def test_scale_one(i):
    _log("synth_scale_one")


@pytest.mark.parametrize("i", range(5))
@pytest.mark.xdist_group("spark")
def test_spark(i):
    _log("spark")
"""


def test_the_spark_and_demo_groups_start_on_different_workers(tmp_path):
    """As make test runs them: the collection's order (tests/conftest.py), not pytest-xdist's by
    numbers of tests, which would start the Spark and scale-1 groups and the demo group later."""
    (tmp_path / "test_ordered.py").write_text(ORDERED)
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    workers = tmp_path / "workers.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder",
         "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null",
         str(tmp_path / "test_ordered.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"WORKERS_FILE": str(workers), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line.split() for line in workers.read_text().splitlines()]
    assert len(ran) == 10
    on = {group: {w for g, w in ran if g == group} for group, _ in ran}
    assert len(on["spark"]) == len(on["demo"]) == 1
    assert on["spark"] != on["demo"]
