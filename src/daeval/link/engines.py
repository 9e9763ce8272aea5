"""Where Splink runs: DuckDB on one machine (the default) or Spark for a national extract.

Either way the records start, and the results end, in a local DuckDB connection; only the
pairwise work (blocking, training, scoring, clustering) happens on the engine.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

import duckdb
from splink import DuckDBAPI
from splink.internals.splink_dataframe import SplinkDataFrame

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    db_api: Any

    def table(self, name: str) -> SplinkDataFrame:
        """Make the local table ``name`` available to Splink."""
        ...

    def fetch(self, frame: SplinkDataFrame, name: str) -> None:
        """Copy a Splink result into the local table ``name``."""
        ...

    def close(self) -> None: ...


class DuckDBEngine:
    """Splink on the same DuckDB connection that holds the records."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.db_api = DuckDBAPI(con)

    def table(self, name: str) -> SplinkDataFrame:
        return self.db_api.register(name, dataset_display_name=f"daeval_{name}")

    def fetch(self, frame: SplinkDataFrame, name: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {frame.physical_name}")

    def close(self) -> None:
        return None


class SparkEngine:
    """Splink on a Spark session (local mode unless ``SPARK_MASTER`` names a cluster)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, partitions: int = 4, scratch: Path | None = None
    ):
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        self.con = con
        master = os.environ.get("SPARK_MASTER", "local[2]")
        # Intermediate tables go to Parquet here, which keeps the driver's memory small; Spark's
        # own warehouse folder goes here too, not into the working directory. They hold linkage
        # features, so they go in the run's scratch folder when there is one.
        self.checkpoints = tempfile.mkdtemp(prefix="daeval-spark-", dir=scratch)
        self.spark = (
            SparkSession.builder.master(master)
            .appName("daeval-link")
            .config("spark.jars", similarity_jar_location())
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.warehouse.dir", os.path.join(self.checkpoints, "warehouse"))
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        logging.getLogger("py4j").setLevel(logging.ERROR)
        self.spark.sparkContext.setCheckpointDir(self.checkpoints)
        self.db_api = SparkAPI(
            spark_session=self.spark,
            break_lineage_method="parquet",
            num_partitions_on_repartition=partitions,
        )

    def table(self, name: str) -> SplinkDataFrame:
        arrow = self.con.sql(f"SELECT * FROM {name}").to_arrow_table()
        frame = self.spark.createDataFrame(arrow)
        return self.db_api.register(frame, dataset_display_name=f"daeval_{name}")

    def fetch(self, frame: SplinkDataFrame, name: str) -> None:
        arrow = frame.as_spark_dataframe().toArrow()
        self.con.register(f"{name}_arrow", arrow)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def close(self) -> None:
        self.spark.stop()
        shutil.rmtree(self.checkpoints, ignore_errors=True)


def engine(name: str, con: duckdb.DuckDBPyConnection, scratch: Path | None = None) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(con)
    if name == "spark":
        return SparkEngine(con, scratch=scratch)
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
