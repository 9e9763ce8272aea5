"""Fixtures shared by every folder of tests."""

from __future__ import annotations

import shutil

import pytest

from tests.lib import spark


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
