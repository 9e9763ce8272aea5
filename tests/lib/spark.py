"""The one Spark session of a test run: local[2], no web UI, two shuffle partitions, UTC, 1 GB.

Every Spark test runs in the xdist group ``spark`` (:data:`ON_SPARK`), so one worker holds the
session. :func:`session` gives it, starting it again if something stopped it (linkage on Spark
stops its own session when done).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from daeval.metrics.engines import JAVA_MINIMUM, java_version, spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ON_SPARK = [pytest.mark.xdist_group("spark"), pytest.mark.spark]
"""The marks of every test that runs on Spark."""


def skip_reason() -> str | None:
    """Why Spark tests are skipped here: only when Java is missing (or too old to run Spark)."""
    version = java_version()
    if version is None:
        return f"Spark needs Java {JAVA_MINIMUM} or newer, and no Java was found (set JAVA_HOME)"
    if version < JAVA_MINIMUM:
        return f"Spark needs Java {JAVA_MINIMUM} or newer; the Java found is version {version}"
    return None


WAREHOUSE = Path(tempfile.gettempdir()) / f"daeval-spark-warehouse-{os.getpid()}"
"""Spark's own warehouse folder (it makes one on start, in the working directory by default)."""

SETTINGS = {
    "spark.sql.warehouse.dir": str(WAREHOUSE),
    # Tests run many small queries: the JVM's quick compiler alone warms up much sooner, and
    # adaptive execution only adds planning to tables of a few rows.
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
    "spark.sql.adaptive.enabled": "false",
    "spark.default.parallelism": "1",
}


def session() -> SparkSession:
    """The running test session (its runtime settings set again), or a new one."""
    return spark_session("daeval-tests", partitions=2, driver_memory="1g", settings=SETTINGS)
