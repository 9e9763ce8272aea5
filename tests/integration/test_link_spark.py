"""The same linkage on Spark in local mode gives the same clusters as on DuckDB.

Both run the documented default model (training, which draws millions of random pairs, is
tested on DuckDB in test_link.py): the same model on both engines is what shows Spark links as
DuckDB does."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from tests.lib import spark as on_spark
from tests.lib.keys import TEST_KEY

from daeval.ingest.load import ingest_folder
from daeval.link.model import default_model
from daeval.link.run import link_workspace
from daeval.synth import generate
from daeval.warehouse import Workspace

pytest.importorskip("pyspark")
pytestmark = on_spark.ON_SPARK


def _clusters(ws: Workspace) -> set[frozenset[tuple[str, str]]]:
    """The partition of records into people (keys themselves may be named differently)."""
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT source, person_id, person_key FROM person_keys").fetchall()
    groups: dict[str, set[tuple[str, str]]] = {}
    for source, person, key in rows:
        groups.setdefault(key, set()).add((source, person))
    return {frozenset(g) for g in groups.values()}


def test_spark_and_duckdb_give_the_same_people(spark_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    generate(tmp_path / "raw", scale=0.2, seed=8)
    template = Workspace(tmp_path / "template")
    ingest_folder(tmp_path / "raw", template, TEST_KEY)
    shutil.copytree(template.root, tmp_path / "duck")
    shutil.copytree(template.root, tmp_path / "spark")
    duck, spark = Workspace(tmp_path / "duck"), Workspace(tmp_path / "spark")

    on_duckdb = link_workspace(duck, engine_name="duckdb", model=default_model())
    assert on_duckdb.model is not None and on_duckdb.model.origin == "saved"
    # The same settings and parameters on both engines (the model DuckDB saved, in its SQL).
    on_spark = link_workspace(spark, engine_name="spark", model=on_duckdb.model.settings)

    assert on_spark.pairs_scored == on_duckdb.pairs_scored
    assert on_spark.pairs_linked == on_duckdb.pairs_linked
    assert on_spark.histogram == on_duckdb.histogram
    people = _clusters(duck)
    assert len(people) < on_duckdb.records  # some records were joined
    assert _clusters(spark) == people
    # Spark keeps its own warehouse folder out of the working directory.
    assert not (tmp_path / "spark-warehouse").exists()
