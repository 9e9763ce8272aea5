"""Fixtures shared by every folder of tests, and the order in which ``make test`` hands tests out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.lib import spark

FIRST_GROUPS = ("spark", "demo", "synth_scale_one", "link_synthetic", "link_cli", "synth_runs")
"""The xdist groups, costliest first (a Spark session and its queries; ``daeval demo`` and its
reports; a scale-1 synthetic authority; linkage trained on a synthetic folder).

``make test`` runs pytest-xdist with ``--dist loadgroup --no-loadscope-reorder``: work is handed
out in the collection's order, a group at a time, to a worker with two tests or fewer still to
run. Ordered so, the two costliest groups start at once on the two workers (pytest-xdist's own
order, by numbers of tests, starts the Spark and scale-1 groups and leaves the demo, the longest
fixture, for later), then the other groups, then the tests marked ``slow``, so that no long test
starts last."""


def _rank(item: pytest.Item) -> int:
    group = item.get_closest_marker("xdist_group")
    if group is not None:
        name = group.args[0] if group.args else group.kwargs.get("name")
        return FIRST_GROUPS.index(name) if name in FIRST_GROUPS else len(FIRST_GROUPS)
    return len(FIRST_GROUPS) + (1 if item.get_closest_marker("slow") else 2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: within a rank, the order collected


@pytest.fixture(scope="session")
def spark_session():
    """The one Spark session of the test run (skips only when Java is missing). Linkage on Spark
    stops the session it finds, so tests take the live one from :func:`tests.lib.spark.session`."""
    reason = spark.skip_reason()
    if reason is not None:
        pytest.skip(reason)
    yield spark.session()
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    if running is not None:
        running.stop()
    shutil.rmtree(spark.WAREHOUSE, ignore_errors=True)


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory) -> Path:
    """A synthetic authority at scale 0.5 (seed 11: people, sources, trusted links and the truth
    file), generated once per worker for the tests that read one. Read it; never write into it."""
    from daeval.synth import generate

    folder = tmp_path_factory.mktemp("synthetic") / "raw"
    generate(folder, scale=0.5, seed=11)
    return folder
