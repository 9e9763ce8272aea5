"""Where the measures run: Ibis on the DuckDB warehouse (the default), or on Spark.

On Spark, each warehouse table the measures need is exported from DuckDB to Parquet in a
temporary folder and registered in the Spark session under its own name, so the measures'
Ibis expressions run unchanged: ``con.table(name)`` gives the table on either engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import ibis

from daeval.errors import DaevalError, MissingDataError
from daeval.warehouse.store import connect_file

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")
JAVA_MINIMUM = 17


def java_version() -> int | None:
    """The major version of the Java that Spark would start (``JAVA_HOME``, else ``java`` on the
    path), or None when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).exists():
        return None
    try:
        shown = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown.stderr + shown.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    # Java 8 and older call themselves 1.x.
    return int(found.group(2) or 0) if major == 1 else major


def spark_problem() -> str | None:
    """Why Spark cannot run here, in plain words, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "Spark needs pyspark: install daeval with the spark extra (daeval[spark])."
    version = java_version()
    if version is None:
        return f"Spark needs Java {JAVA_MINIMUM} or newer, and no Java was found (set JAVA_HOME)."
    if version < JAVA_MINIMUM:
        return f"Spark needs Java {JAVA_MINIMUM} or newer; the Java found is version {version}."
    return None


def spark_session(
    app_name: str = "daeval-measures",
    partitions: int = 2,
    driver_memory: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> SparkSession:
    """The running Spark session (its runtime settings set again), or a new one: local mode
    (``local[2]``) unless ``SPARK_MASTER`` names a cluster, no web UI, times in UTC, the driver's
    memory from ``SPARK_DRIVER_MEMORY`` (4g) unless given; ``settings`` are further Spark
    settings."""
    problem = spark_problem()
    if problem is not None:
        raise DaevalError(problem)
    from pyspark.sql import SparkSession

    memory = driver_memory or os.environ.get("SPARK_DRIVER_MEMORY", "4g")
    builder = (
        SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
        .appName(app_name)
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in (settings or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _export(warehouse_path: Path, tables: list[str], folder: Path) -> dict[str, Path]:
    """Each table of the warehouse as a Parquet file in ``folder``."""
    files: dict[str, Path] = {}
    with connect_file(warehouse_path, read_only=True) as con:
        present = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        for name in tables:
            if name not in present:
                raise MissingDataError(
                    f"The warehouse {warehouse_path} has no table {name!r}: load the data first."
                )
            target = folder / f"{len(files)}.parquet"
            path = str(target).replace("'", "''")
            # Spark has no UUID type: pseudonyms travel as their text.
            uuids = [
                f"CAST({_quoted(c)} AS VARCHAR) AS {_quoted(c)}"
                for c, sql_type, *_ in con.execute(f"DESCRIBE {_quoted(name)}").fetchall()
                if sql_type == "UUID"
            ]
            columns = f"* REPLACE ({', '.join(uuids)})" if uuids else "*"
            con.execute(
                f"COPY (SELECT {columns} FROM {_quoted(name)}) TO '{path}' (FORMAT parquet)"
            )
            files[name] = target
    return files


MEMORY_LIMIT = "6GB"
"""DuckDB's memory for measures, as for linkage: well under the 8 GiB a laptop can spare."""


@contextmanager
def measure_backend(
    engine: str, warehouse_path: Path, tables: list[str], memory_limit: str = MEMORY_LIMIT
) -> Iterator[ibis.BaseBackend]:
    """An Ibis backend on which ``con.table(name)`` gives each of the warehouse's ``tables``.

    ``duckdb``: the warehouse itself, read only, using at most ``memory_limit`` (spilling to
    disk beyond it). ``spark``: the running Spark session (or a new
    one, stopped again on leaving) with each table copied to Parquet in a temporary folder.
    """
    if engine == "duckdb":
        connect_file(warehouse_path, read_only=True).close()  # a clear error if another holds it
        con = ibis.duckdb.connect(str(warehouse_path), read_only=True)
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        con.raw_sql("SET preserve_insertion_order = false")
        try:
            yield con
        finally:
            con.disconnect()
        return
    if engine != "spark":
        raise DaevalError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if not Path(warehouse_path).exists():
        raise MissingDataError(f"There is no warehouse at {warehouse_path}.")
    problem = spark_problem()
    if problem is not None:
        raise DaevalError(problem)
    from pyspark.sql import SparkSession

    folder = Path(tempfile.mkdtemp(prefix="daeval-measures-"))
    running = SparkSession.getActiveSession()
    # Spark makes its own warehouse folder on start: here, not in the working directory.
    session = running or spark_session(settings={"spark.sql.warehouse.dir": str(folder / "spark")})
    try:
        files = _export(Path(warehouse_path), tables, folder)
        for name, file in files.items():
            session.read.parquet(str(file)).createOrReplaceTempView(name)
        # Not ibis.pyspark.connect's disconnect: that stops the session, which may be shared.
        yield ibis.pyspark.connect(session)
    finally:
        if running is None:
            session.stop()
        elif session.getActiveSession() is not None:
            for name in tables:
                session.catalog.dropTempView(name)
        shutil.rmtree(folder, ignore_errors=True)
