"""The pinned Ibis, Splink, DuckDB and sqlglot work together (docs/decisions/0001-dependency-set.md).

sqlglot releases from 30.18.0 break Ibis 12's DuckDB ``create_table`` (it emits
``DROP VIEW IF EXISTS`` with no name); these tests fail if an upgrade brings that back.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_library as cl


def test_ibis_creates_inserts_and_queries_duckdb_tables(tmp_path):
    con = ibis.duckdb.connect(str(tmp_path / "w.duckdb"))
    frame = pd.DataFrame({"a": [1, 2], "d": [dt.date(2020, 1, 1), dt.date(2020, 2, 1)]})
    t = con.create_table("t", frame)
    con.create_table("empty", schema=ibis.schema({"a": "int64", "s": "string", "d": "date"}))
    con.insert("empty", frame.assign(s=["x", "y"])[["a", "s", "d"]])
    con.create_table("later", t.filter(t.a > 1), overwrite=True)
    assert con.table("later").a.to_list() == [2]
    assert con.table("empty").count().execute() == 2


def test_splink_trains_predicts_and_clusters_on_duckdb():
    rng = np.random.default_rng(1)
    n = 600
    truth = rng.integers(0, 300, n)
    first = np.array([f"f{t % 40}" for t in truth])
    last = np.array([f"l{t % 23}" for t in truth])
    dob = np.array([f"d{t}" for t in truth])
    frame = pd.DataFrame({"unique_id": range(n), "first_name": first, "surname": last, "dob": dob})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.ExactMatch("first_name"), cl.ExactMatch("surname"), cl.ExactMatch("dob")],
        blocking_rules_to_generate_predictions=[block_on("first_name")],
    )
    db = DuckDBAPI()
    linker = Linker(db.register(frame), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e5)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    pairs = linker.inference.predict(threshold_match_weight=0)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.9)
    result = clusters.as_pandas_dataframe()
    # Records of one true person share first name, surname and date of birth here, so the
    # clusters must be exactly the true people.
    assert result.groupby("cluster_id").dob.nunique().max() == 1
    assert result.cluster_id.nunique() == len(set(truth))
